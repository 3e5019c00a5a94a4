import NetConfig

/// RL102 `unmask-needed`: a value on a masked axis T' meets values on T (or is used per frame) without an unmask.
public struct UnmaskNeededRule: Rule {
    public static let id = RuleID(code: "RL102", name: "unmask-needed")
    public static let severity = Severity.error
    public static let documentation = RuleDocumentation(
        summary: "a masked output (on T') meets T without an unmask",
        what: """
            Outside rec loops (top level, plain subnetworks) a masked_computation's output stays on T' = sum(mask); \
            RETURNN unmasks it implicitly only when the layer was moved out of a rec loop. A layer that combines a T' \
            value with a T value fails to build (`cannot match the axes ...`), and so does one that combines the outputs \
            of two masked_computations: each makes its own T', even with the same mask. Inside a loop, the output of a \
            masked_computation with `masked_from` is handed in whole (all T' frames), so using it per frame needs an \
            unmask too.
            """,
        why: "RETURNN refuses the network at build time (verified for combine/eval/copy, BehaviorVersion 0, 12 and 21); with masked_from the values are silently wrong.",
        example: """
            "masked": {"class": "masked_computation", "from": "data", "mask": "mask", "unit": {"class": "linear", "n_out": 3}},
            "output": {"class": "combine", "kind": "add", "from": ["masked", "lin"]}    # T' meets T
            """,
        fix: """
            An unsafe fix inserts a `copy` of the masked output and an `unmask` of that copy with the masked layer's \
            mask, and points the consumer at the unmask. It changes what the network computes (frames where the mask is \
            false repeat the last masked frame; leading frames are 0), so it is never applied without --unsafe-fixes.
            """)

    public init() {}

    public func check(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        // T' exists only where a masked_computation makes it: without one there is nothing to find (and no dims
        // need to be inferred).
        guard graph.layers.contains(where: { $0.className == "masked_computation" }) else { return [] }
        let dims = analysis.dims
        var findings: [Finding] = []
        for node in graph.layers where node.isActive && node.className != "unmask" && analysis.isBuilt(node.id) {
            let inputs = dims.inputs(of: node.id)
            let references = graph.references(of: node.id)
            let known = zip(references, inputs).compactMap { pair -> (ref: LayerRef, template: TensorTemplate)? in
                pair.1.template.map { (pair.0.ref, $0) }
            }
            guard let (maskedRef, maskedTemplate) = known.first(where: { $0.template.dims.contains { $0.masked != nil } }),
                let tPrime = maskedTemplate.dims.first(where: { $0.masked != nil }), let origin = tPrime.masked
            else { continue }
            // RETURNN refuses the layer; say why when a T' input meets T, or another masked axis.
            guard dims.result(for: node.id).failure != nil else { continue }
            let meeting: (message: String, notes: [Note], unmasking: [(ref: LayerRef, origin: Dim.MaskedOrigin)])
            if let (otherRef, _) = known.first(where: { $0.template.dims.contains { $0.name == origin.base } && $0.ref != maskedRef }) {
                // (a) T' meets T.
                meeting = (
                    "'\(node.name)' combines '\(maskedRef.raw)' on T' '\(tPrime.name)' with '\(otherRef.raw)' on '\(origin.base)'; RETURNN cannot match the axes and refuses to build it",
                    [
                        Note("'\(tPrime.name)' holds only the frames of '\(origin.base)' where '\(origin.mask)' is true (made by '\(origin.producer)'); outside rec loops nothing is unmasked implicitly"),
                        Note("unmask '\(maskedRef.raw)' with mask '\(origin.mask)' before it meets '\(otherRef.raw)'"),
                    ],
                    [(maskedRef, origin)])
            } else if let (otherRef, otherTPrime) = known.lazy.compactMap({ pair -> (LayerRef, Dim)? in
                guard pair.ref != maskedRef, let d = pair.template.dims.first(where: { $0.masked != nil && $0.name != tPrime.name })
                else { return nil }
                return (pair.ref, d)
            }).first, let otherOrigin = otherTPrime.masked {
                // (a') Two masked axes meet: every masked_computation makes its own T', even with the same mask.
                meeting = (
                    "'\(node.name)' combines '\(maskedRef.raw)' on T' '\(tPrime.name)' with '\(otherRef.raw)' on another masked axis '\(otherTPrime.name)'; RETURNN cannot match the axes and refuses to build it",
                    [
                        Note("every masked_computation makes its own T' (here from '\(origin.producer)' and '\(otherOrigin.producer)'), even with the same mask; outside rec loops nothing is unmasked implicitly"),
                        Note("unmask both back to their time axes before combining them (or compute both in one masked_computation)"),
                    ],
                    [(maskedRef, origin), (otherRef, otherOrigin)])
            } else {
                continue
            }
            findings.append(
                finding(meeting.message, in: analysis, span: maskedRef.span, layer: node.id, notes: meeting.notes,
                        fix: InsertUnmaskFix.make(consumer: node.id, unmasking: meeting.unmasking, in: analysis)))
        }
        findings += maskedFromPerFrame(analysis)
        return findings
    }

    /// (b) Inside a rec unit, a masked_computation with `masked_from` is moved out to the input side and its
    /// output stays on T' (no automatic unmask). RETURNN hands a moved-out input layer into the loop frame by
    /// frame only when it has the loop's time dim (rec.py:3169); a T' tensor is handed in whole, so a layer in
    /// the loop that reads it (other than an unmask) gets [T',B,...] where its template says one frame, and
    /// RETURNN fails (`assert layer.output.batch_shape == prev_layer.output.batch_shape`, verified).
    ///
    /// The dims engine gives in-loop consumers RETURNN's per-frame template view, so this is decided from the
    /// loop plan and the producer's own (known) template, not from the consumer's input templates.
    func maskedFromPerFrame(_ analysis: Analysis) -> [Finding] {
        let graph = analysis.graph
        var findings: [Finding] = []
        for node in graph.layers where node.isActive && analysis.isBuilt(node.id) {
            guard let (rec, plan) = analysis.dims.plan(containing: node.id, graph: graph) else { continue }
            let unit = graph[rec].childScope ?? graph.root
            guard let entry = LoopPlan.unitEntryName(node.id, unit: unit, graph: graph), plan.placement(of: entry) == .inLoop else { continue }
            for (ref, target) in graph.references(of: node.id) where ref.option != "collocate_with" {
                if node.className == "unmask" && ref.option == "from" { continue }
                let producer: LayerID
                switch target {
                case .layer(let id), .previous(let id): producer = id
                default: continue
                }
                guard graph[producer].scope == unit,
                    plan.placement(of: graph[producer].name) == .movedIn,
                    let masked = Self.maskedFromComputation(at: producer, graph: graph),
                    let template = analysis.dims.result(for: producer).template,
                    let tPrime = template.dims.first(where: { $0.masked != nil }), let origin = tPrime.masked,
                    analysis.dims.loopDim(of: rec).map({ $0 != tPrime }) ?? false
                else { continue }
                let message = "'\(node.name)' runs per frame inside the loop of '\(graph[rec].pathString)' but '\(ref.raw)' is the whole sequence on T' '\(tPrime.name)' (masked_from); unmask it first"
                let notes = [
                    Note("'\(graph[masked].name)' uses masked_from, so RETURNN does not unmask it automatically (PR #976 excludes it); it is moved out of the loop and handed in whole, not frame by frame"),
                    Note("RETURNN fails to build the loop (the layer's output is not one frame as its template says)"),
                    Note("read it through an 'unmask' with mask '\(origin.mask)', which picks the current frame"),
                ]
                findings.append(finding(message, in: analysis, span: ref.span, layer: node.id, notes: notes))
            }
        }
        return findings
    }

    /// The masked_computation with `masked_from` that `id` is, or reads through pass-through layers.
    static func maskedFromComputation(at id: LayerID, graph: NetworkGraph) -> LayerID? {
        let masked: LayerID
        if graph[id].className == "masked_computation" {
            masked = id
        } else if let chain = UnmaskAnalysis.maskedChain(from: id, graph: graph) {
            masked = chain.masked
        } else {
            return nil
        }
        return graph[masked].layer.option("masked_from")?.stringValue != nil ? masked : nil
    }
}

/// The unsafe rewrite for RL102: unmask a T' value before it meets T.
enum InsertUnmaskFix {
    /// One fix that unmasks every listed reference of `consumer` (each through a copy and an unmask inserted
    /// before the consumer), so that two masked axes meeting are both brought back to T in one rewrite.
    static func make(consumer: LayerID, unmasking targets: [(ref: LayerRef, origin: Dim.MaskedOrigin)], in analysis: Analysis) -> Fix? {
        let graph = analysis.graph
        guard !targets.isEmpty, let (entry, mapping) = LayerEdits.entry(of: consumer, in: analysis),
            !LayerEdits.touchesAlias([entry.key, mapping])
        else { return nil }
        let editor = ConfigEditor(analysis.config.document)
        let scope = graph[consumer].scope
        let q = ConfigEditor.jsonQuoted
        var inserted = ""
        var insertRange: Range<Int>?
        var redirects: [TextEdit] = []
        var names: [String] = []
        var taken = Set<String>()
        func unique(_ base: String) -> String {
            var name = LayerEdits.uniqueName(base, in: scope, graph: graph)
            var counter = 2
            while taken.contains(name) {
                name = LayerEdits.uniqueName("\(base)\(counter)", in: scope, graph: graph)
                counter += 1
            }
            taken.insert(name)
            return name
        }
        for (ref, origin) in targets {
            guard ref.baseLevels == 0, !ref.isPrev, case .layer(let path) = ref.target, path.count == 1 else { return nil }
            // The mask is written relative to the masked layer; it must be readable from the consumer's scope.
            guard let producer = graph.layers.first(where: { $0.pathString == origin.producer }), producer.scope == scope
            else { return nil }
            let copyName = unique("\(path[0])_copy")
            let unmaskName = unique("\(path[0])_unmask")
            let copyValue = "{\(q("class")): \(q("copy")), \(q("from")): \(q(path[0]))}"
            let unmaskValue = "{\(q("class")): \(q("unmask")), \(q("from")): \(q(copyName)), \(q("mask")): \(q(origin.mask))}"
            guard let redirect = LayerEdits.replaceReference(ref, with: unmaskName, editor: editor) else { return nil }
            let copyInsert = editor.insertEntry(key: copyName, valueJSON: copyValue, before: entry, in: mapping)
            let unmaskInsert = editor.insertEntry(key: unmaskName, valueJSON: unmaskValue, before: entry, in: mapping)
            insertRange = copyInsert.range
            inserted += copyInsert.replacement + unmaskInsert.replacement
            redirects.append(redirect)
            names.append("'\(copyName)' and '\(unmaskName)' (unmask with mask '\(origin.mask)')")
        }
        guard let insertRange else { return nil }
        let what = names.joined(separator: ", ")
        return Fix(
            message: "insert \(what) and use \(names.count == 1 ? "it" : "them") in '\(graph[consumer].name)'; frames where the mask is false repeat the last masked frame",
            edits: [TextEdit(range: insertRange, replacement: inserted)] + redirects, applicability: .unsafe)
    }
}
