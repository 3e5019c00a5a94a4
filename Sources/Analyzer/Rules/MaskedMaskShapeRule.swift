import NetConfig

/// RL107 `masked-mask-shape`: a masked_computation mask with the wrong shape or dtype for its context.
public struct MaskedMaskShapeRule: Rule {
    public static let id = RuleID(code: "RL107", name: "masked-mask-shape")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "a masked_computation mask must be [B] bool inside a loop and [B,T] bool outside",
        what: """
            The mask's inferred dims and dtype in the masked layer's context (inside the loop per frame, moved out or at \
            top level over the sequence). Inside a loop a per-frame scalar without a batch dim (e.g. a compare of ':i') \
            is refused too: it must be broadcast to [B].
            """,
        why: "RETURNN asserts exactly this (`invalid mask ... (inside/outside rec loop)`); a mask that works in the loop can break when the layer is moved out, and vice versa.",
        example: #""mask": {"class": "compare", "from": "data:source", "kind": "greater", "value": 0}   # [B,F] per frame, not [B]"#,
        fix: "Reduce the mask to [B] per frame (e.g. `reduce` over F) and make it bool. No automatic fix.")

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var findings: [Finding] = []
        for node in graph.layers where node.className == "masked_computation" && node.isActive && analysis.isBuilt(node.id) {
            // With masked_from and a unit that reads nothing else, RETURNN drops the mask.
            if node.layer.option("masked_from")?.stringValue != nil { continue }
            guard let index = graph.references(of: node.id).firstIndex(where: { $0.ref.option == "mask" }),
                let ref = graph.references(of: node.id)[safe: index]?.ref,
                let mask = analysis.dims.inputs(of: node.id)[safe: index]?.template
            else { continue }
            let inLoop = Self.isInLoop(node.id, analysis: analysis)
            guard let problem = Self.problem(mask, inLoop: inLoop) ?? Self.timeProblem(mask, masked: node.id, analysis: analysis) else { continue }
            findings.append(
                finding(
                    "mask '\(ref.raw)' of masked_computation '\(node.name)' is \(mask) but \(problem)", in: analysis,
                    span: ref.span, layer: node.id,
                    notes: Self.notes(mask, inLoop: inLoop)))
        }
        return findings
    }

    static func isInLoop(_ id: LayerID, analysis: Analysis) -> Bool {
        guard let (rec, plan) = analysis.dims.plan(containing: id, graph: analysis.graph) else { return false }
        let name = LoopPlan.unitEntryName(id, unit: analysis.graph[rec].childScope ?? analysis.graph.root, graph: analysis.graph) ?? analysis.graph[id].name
        return plan.placement(of: name) == .inLoop
    }

    static func notes(_ m: TensorTemplate, inLoop: Bool) -> [Note] {
        var notes = [Note(inLoop ? "the layer runs inside a rec loop, one frame at a time" : "the layer runs over whole sequences (top level or moved out of a loop)")]
        if inLoop, m.batchAxis == nil, m.dims.isEmpty {
            notes.append(Note("a mask without a batch dim must be broadcast to [B], e.g. combined with a constant that has with_batch_dim"))
        }
        return notes
    }

    /// At top level: the mask's time axis is not the masked axis T of the input (RETURNN: `mask and source time dim
    /// do not match`, verified), e.g. a mask from another data key with its own time.
    static func timeProblem(_ m: TensorTemplate, masked: LayerID, analysis: Analysis) -> String? {
        let graph = analysis.graph
        guard analysis.dims.plan(containing: masked, graph: graph) == nil, let axes = analysis.dims.maskedAxes(of: masked),
            let maskTime = m.dims.first(where: { $0.kind != .batch }),
            let fromIndex = graph.references(of: masked).firstIndex(where: { $0.ref.option == "from" }),
            let source = analysis.dims.inputs(of: masked)[safe: fromIndex]?.template,
            ShapeRules.maskTimeDiffers(maskTime, maskedAxis: axes.inSpatial, input: source)
        else { return nil }
        return "its time axis \(maskTime.description) is not the input's masked axis \(axes.inSpatial.description)"
    }

    static func problem(_ m: TensorTemplate, inLoop: Bool) -> String? {
        if m.dtype != "bool" { return "it must be bool" }
        let nonBatch = m.dims.filter { $0.kind != .batch }
        // RETURNN checks `shape == ()` when the layer is built and `batch_shape == (None,)` when it runs: a
        // per-frame scalar without a batch dim (e.g. a compare of ':i') is refused too (verified).
        if inLoop { return nonBatch.isEmpty && m.batchAxis != nil ? nil : "inside a loop it must be [B]" }
        return nonBatch.count == 1 && nonBatch[0].isDynamic ? nil : "outside a loop it must be [B,T]"
    }
}
