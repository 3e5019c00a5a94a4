import NetConfig

/// The documentation of a rule, printed by `returnn-lint rule CODE|NAME`.
public struct RuleDocumentation: Sendable {
    /// One line: what the rule finds.
    public var summary: String
    /// What it checks, in detail.
    public var what: String
    /// Why it matters (what RETURNN does).
    public var why: String
    /// A config that triggers it.
    public var example: String
    /// How to fix it (and what `--fix` does).
    public var fix: String
}

/// A check over an analysed config. One rule per file; each rule keeps its own messages.
public protocol Rule: Sendable {
    /// The rule's code and name.
    static var id: RuleID { get }
    /// The default severity of its findings.
    static var severity: Severity { get }
    /// Its documentation.
    static var documentation: RuleDocumentation { get }
    /// Creates the rule.
    init()
    /// The findings for one config.
    func check(_ analysis: Analysis) -> [Finding]
}

extension Rule {
    /// A finding of this rule with its default severity.
    func finding(
        _ message: String, in analysis: Analysis, span: Range<Int>, layer: LayerID? = nil, notes: [Note] = [],
        fix: Fix? = nil
    ) -> Finding {
        Finding(
            rule: Self.id, severity: Self.severity, message: message, source: analysis.source, span: span,
            layerPath: layer.map { analysis.graph[$0].pathString }, notes: notes, fix: fix)
    }
}

/// The list of all rules, and lookup by code or name.
public enum RuleRegistry {
    /// Every rule, ordered by code.
    public static let all: [any Rule.Type] = [
        UnknownReferenceRule.self,
        MissingClassRule.self,
        UnknownClassRule.self,
        DuplicateKeyRule.self,
        InvalidOptionRule.self,
        UnmaskRedundantRule.self,
        UnmaskNeededRule.self,
        UnmaskOnMaskedComputationRule.self,
        UnmaskMaskMismatchRule.self,
        UnmaskPaddingHazardRule.self,
        MaskedInitialOutputRule.self,
        MaskedMaskShapeRule.self,
        UnusedUnmaskRule.self,
        MaskedFromInLoopRule.self,
    ].sorted { $0.id < $1.id }

    /// The rule with this code (`RL101`, case-insensitive) or name (`unmask-redundant`).
    public static func rule(named text: String) -> (any Rule.Type)? {
        let wanted = text.lowercased()
        return all.first { $0.id.code.lowercased() == wanted || $0.id.name == wanted }
    }

    /// The rules a selector picks: a code, a name, a code prefix (`RL1`), or `ALL`.
    public static func rules(matching selector: String) -> [any Rule.Type] {
        let wanted = selector.lowercased()
        if wanted == "all" { return all }
        if let exact = rule(named: selector) { return [exact] }
        return all.filter { $0.id.code.lowercased().hasPrefix(wanted) }
    }
}
