import NetConfig

/// Everything the Analyzer knows about one config: the resolved graph (and, as they are computed, the loop
/// plans and dims). Rules read an `Analysis`; nothing in it does file or terminal I/O.
public struct Analysis: Sendable {
    /// The IR.
    public let config: NetworkConfig
    /// Layers with resolved references.
    public let graph: NetworkGraph

    /// Analyses a config.
    public init(config: NetworkConfig) {
        self.config = config
        self.graph = NetworkGraph(config: config)
    }

    /// The source text the config was read from.
    public var source: SourceText { config.document.source }

    /// Runs rules and returns their findings in report order.
    public func findings(rules: [any Rule.Type] = RuleRegistry.all) -> [Finding] {
        var result: [Finding] = []
        for rule in rules { result += rule.init().check(self) }
        return result.sorted(by: Finding.reportOrder)
    }
}
