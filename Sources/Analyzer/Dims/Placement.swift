import NetConfig

/// Where a layer instance lives: inside which rec loops (per frame), and how the conformance goldens name
/// that context (`top`, `rec-loop`, `rec-moved-in`, `rec-moved-out`, with `-subnet` inside subnetworks).
public struct Placement: Hashable, Sendable {
    /// The rec layers whose loops this instance runs inside (per frame), outermost first.
    public var loops: [LayerID]
    /// The context name (`where`).
    public var whereName: String
    /// The rec layer whose unit this instance belongs to, with its placement in the plan, if any.
    public var recUnit: LayerID?
    public var loopPlacement: LoopPlacement?

    /// True when the instance runs per frame inside some loop.
    public var isInLoop: Bool { !loops.isEmpty }

    /// The top-level context.
    public static let top = Placement(loops: [], whereName: "top", recUnit: nil, loopPlacement: nil)
}

extension Placement {
    /// The `where` name with `-subnet` appended once (for layers inside a subnetwork).
    func inSubnetwork() -> Placement {
        var copy = self
        if !whereName.hasSuffix("-subnet") { copy.whereName += "-subnet" }
        return copy
    }
}
