import NetConfig

/// What current RETURNN does with one `unmask` layer (semantics §2.3, §9).
public struct UnmaskVerdict: Sendable {
    /// The verdict.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A no-op in current RETURNN (inside a rec unit, source not on a masked_from T'): can be removed.
        case redundant
        /// Really unmasks (top level / masked_from): must stay.
        case required
        /// RETURNN fails to build it (top-level unmask directly on a masked_computation).
        case crashes
        /// Nothing uses it, so RETURNN never builds it.
        case unused
        /// Not enough is known to decide (e.g. unknown dims and no masked_computation on its chain).
        case undetermined
    }

    /// The unmask layer.
    public let unmask: LayerID
    /// The verdict.
    public let kind: Kind
    /// The masked_computation it undoes, found along its source chain, if any.
    public let masked: LayerID?
    /// The rec layer whose unit holds the unmask, if any.
    public let rec: LayerID?
    /// One sentence saying why (which branch of `UnmaskLayer` runs).
    public let reason: String
    /// Supporting facts (where the masked layer runs and why).
    public let notes: [String]
}

/// Verdicts on every unmask layer of a config, and the structural facts the unmask rules share.
public struct UnmaskAnalysis: Sendable {
    /// One verdict per effective, non-ignored unmask layer, in graph order.
    public let verdicts: [UnmaskVerdict]

    /// Judges every unmask layer.
    public init(graph: NetworkGraph, dims: DimAnalysis) {
        var result: [UnmaskVerdict] = []
        let unused = Self.unusedUnmasks(graph: graph)
        for node in graph.layers where node.className == "unmask" && node.isActive {
            result.append(Self.judge(node.id, graph: graph, dims: dims, unused: unused))
        }
        verdicts = result
    }

    /// Given verdicts (none, for a network without unmask layers).
    init(verdicts: [UnmaskVerdict]) {
        self.verdicts = verdicts
    }

    /// The verdict on one unmask layer.
    public func verdict(for id: LayerID) -> UnmaskVerdict? { verdicts.first { $0.unmask == id } }

    // MARK: - Judging

    static func judge(_ id: LayerID, graph: NetworkGraph, dims: DimAnalysis, unused: Set<LayerID>) -> UnmaskVerdict {
        let node = graph[id]
        let chain = maskedChain(from: id, graph: graph)
        let masked = chain?.masked
        let container = dims.plan(containing: id, graph: graph)
        func verdict(_ kind: UnmaskVerdict.Kind, _ reason: String, _ notes: [String] = []) -> UnmaskVerdict {
            UnmaskVerdict(unmask: id, kind: kind, masked: masked, rec: container?.rec, reason: reason, notes: notes)
        }
        let source = graph.sources(of: id).first
        guard let container else {
            // RETURNN builds layers lazily from the outputs: an unmask nothing uses is never built, so it
            // cannot crash either (verified: the unused direct unmask builds).
            if unused.contains(id) {
                return verdict(.unused, "nothing uses '\(node.name)', so RETURNN never builds it")
            }
            // Outside any rec unit nothing is unmasked implicitly (§9.3).
            if let source, case .layer(let target) = source.target, graph[target].className == "masked_computation" {
                return verdict(
                    .crashes,
                    "'\(node.name)' reads masked_computation '\(graph[target].name)' directly outside a rec loop; RETURNN fails with AttributeError: 'NoneType' object has no attribute 'cell'")
            }
            if let source, let crash = Self.maskedSubLayerCrash(node.name, source: source, graph: graph) {
                return verdict(.crashes, crash)
            }
            return verdict(.required, "outside rec loops RETURNN never unmasks implicitly; '\(node.name)' brings the frames back to the mask's time axis")
        }
        let (rec, plan) = container
        let entryName = LoopPlan.unitEntryName(id, unit: graph[rec].childScope ?? graph.root, graph: graph) ?? node.name
        let placement = plan.placement(of: entryName)
        let recName = graph[rec].pathString
        if placement == .unused || unused.contains(id) {
            return verdict(.unused, "nothing in the unit of '\(recName)' needs '\(node.name)', so RETURNN never builds it")
        }
        let inLoop = placement == .inLoop
        var notes: [String] = []
        if let masked {
            notes.append(contentsOf: describePlacement(of: masked, graph: graph, dims: dims))
        }
        // masked_from: the masked layer stays on T' (ctx D); the unmask really maps T' back to T (§9.2).
        if let masked, graph[masked].layer.option("masked_from")?.stringValue != nil {
            return verdict(
                .required,
                "'\(graph[masked].name)' uses masked_from, so its output stays on T' and '\(node.name)' really unmasks it (\(inLoop ? "running index inside the loop" : "scatter back outside the loop"))",
                notes)
        }
        // A sub-layer of a masked_computation read with its time axis (the masked layer moved out of the loop):
        // the unmask asks that sub-layer for its initial output, which fails (verified with the oracle).
        if let source, let sourceIndex = graph.references(of: id).firstIndex(where: { $0.ref.option == "from" }),
            dims.inputs(of: id)[safe: sourceIndex]?.template?.timeDim != nil,
            let crash = Self.maskedSubLayerCrash(node.name, source: source, graph: graph)
        {
            return verdict(.crashes, crash, notes)
        }
        // Decide from the source's dims in the unmask's own context when they are known.
        if let sourceIndex = graph.references(of: id).firstIndex(where: { $0.ref.option == "from" }),
            let template = dims.inputs(of: id)[safe: sourceIndex]?.template
        {
            let maskedDim = template.dims.first { $0.masked != nil }
            if inLoop {
                if template.timeDim == nil {
                    return verdict(
                        .redundant,
                        "inside the loop of '\(recName)' the source of '\(node.name)' is one frame, and an unmask of a frame is the identity (UnmaskLayer branch 1)",
                        notes)
                }
                if maskedDim != nil {
                    return verdict(.required, "the source of '\(node.name)' is a whole masked sequence inside the loop; the unmask picks its frames", notes)
                }
            } else {
                if let loopTime = dims.loopDim(of: rec), template.contains(loopTime), maskedDim == nil {
                    return verdict(
                        .redundant,
                        "'\(node.name)' runs outside the loop of '\(recName)' and its source already has the loop's time axis '\(loopTime.name)', so the unmask returns it unchanged (UnmaskLayer branch 2b)",
                        notes)
                }
                if maskedDim != nil {
                    return verdict(.required, "the source of '\(node.name)' is on a masked axis T'; the unmask scatters it back to T", notes)
                }
            }
        }
        if masked != nil {
            return verdict(
                .redundant,
                "inside a rec unit, a masked_computation without masked_from always gives per-frame values (in the loop) or values on the loop's T (moved out, auto-unmasked by RETURNN PR #976), so '\(node.name)' is a no-op",
                notes)
        }
        return verdict(.undetermined, "the source of '\(node.name)' is neither a known masked computation nor of known dims", notes)
    }

    /// Why an unmask reading a sub-layer of a masked_computation (`masked/x`) over time crashes RETURNN, or nil
    /// when its source is something else. UnmaskLayer asks its source for the initial output
    /// (`get_rec_initial_output`, rec.py:9797), which a masked sub-layer cannot give.
    static func maskedSubLayerCrash(_ name: String, source: (ref: LayerRef, target: ResolvedRef), graph: NetworkGraph) -> String? {
        guard case .subLayer(let root, _, _) = source.target, graph[root].className == "masked_computation" else { return nil }
        return "'\(name)' reads '\(source.ref.raw)', a sub-layer of masked_computation '\(graph[root].name)', over time; RETURNN asks it for its initial output and fails with AttributeError: 'NoneType' object has no attribute 'copy'"
    }

    /// Layers that pass the frames of their single source through: an unmask's chain back to its masked
    /// computation follows these.
    static let transparentClasses: Set<String> = [
        "copy", "dropout", "identity", "scaled_grad", "reinterpret_data", "cast", "activation", "print",
    ]

    /// The masked_computation at the end of a layer's source chain (through pass-through layers and
    /// sub-layer access `masked/x`), with the chain walked.
    public static func maskedChain(from id: LayerID, graph: NetworkGraph) -> (masked: LayerID, chain: [LayerID])? {
        var chain: [LayerID] = []
        var current = id
        var steps = 0
        while steps < 64 {
            steps += 1
            let sources = graph.sources(of: current)
            guard sources.count == 1 else { return nil }
            let next: LayerID
            switch sources[0].target {
            case .layer(let t), .previous(let t): next = t
            case .subLayer(let root, _, _): next = root
            default: return nil
            }
            chain.append(next)
            if graph[next].className == "masked_computation" { return (next, chain) }
            guard let className = graph[next].className, transparentClasses.contains(className) else { return nil }
            current = next
        }
        return nil
    }

    /// True when some layer references `id`, or RETURNN builds it as an output (`output`, `is_output_layer`,
    /// `loss`, `need_last`, `register_as_extern_data`).
    public static func isUsed(_ id: LayerID, graph: NetworkGraph) -> Bool {
        isOutput(id, graph: graph) || !consumers(of: id, graph: graph).isEmpty
    }

    /// The active unmask layers RETURNN never builds: not an output, and every layer that references them is
    /// such an unmask too (a chain of unused unmasks is unused as a whole, so `--fix` removes it in one pass).
    /// The greatest fixed point, computed with a worklist: linear in the number of references.
    static func unusedUnmasks(graph: NetworkGraph) -> Set<LayerID> {
        var candidates = Set(graph.layers.filter { $0.className == "unmask" && $0.isActive && !isOutput($0.id, graph: graph) }.map(\.id))
        var queue = Array(candidates)
        while let id = queue.popLast() {
            guard candidates.contains(id), graph.referrers(of: id).contains(where: { !candidates.contains($0.layer) }) else { continue }
            candidates.remove(id)
            // The unmasks it reads may have lost their only remaining (unused) consumer.
            for (_, target) in graph.references(of: id) {
                queue.append(contentsOf: target.readLayers.filter { candidates.contains($0) })
            }
        }
        return candidates
    }

    /// True when RETURNN builds the layer as an output (`output`, `is_output_layer`, `loss`, `need_last`,
    /// `register_as_extern_data`), whether or not anything references it.
    static func isOutput(_ id: LayerID, graph: NetworkGraph) -> Bool {
        let layer = graph[id].layer
        return layer.name == "output" || layer.name.hasSuffix(":output") || layer.flag("is_output_layer") == true
            || layer.flag("need_last") == true || LoopPlan.isSet(layer.option("loss"))
            || layer.option("register_as_extern_data")?.stringValue != nil
    }

    /// Every (layer, reference) that points at `id`.
    public static func consumers(of id: LayerID, graph: NetworkGraph) -> [(layer: LayerID, ref: LayerRef)] {
        graph.referrers(of: id)  // indexed once per graph: scanning every reference per unmask is quadratic
    }

    /// Where a masked_computation runs and why, for notes.
    static func describePlacement(of masked: LayerID, graph: NetworkGraph, dims: DimAnalysis) -> [String] {
        guard let (rec, plan) = dims.plan(containing: masked, graph: graph) else {
            return ["'\(graph[masked].name)' runs outside any rec loop, over T' (only the frames where the mask is true)"]
        }
        let name = LoopPlan.unitEntryName(masked, unit: graph[rec].childScope ?? graph.root, graph: graph) ?? graph[masked].name
        let recName = graph[rec].pathString
        // A masked layer nested in a unit entry (e.g. in a subnetwork) goes where that entry goes.
        let label = name == graph[masked].name ? "'\(name)'" : "'\(graph[masked].name)' (in '\(name)')"
        switch plan.placement(of: name) {
        case .inLoop:
            let chain = plan.pinnedBy[name].map { " (kept there by \($0.joined(separator: " -> ")))" } ?? ""
            return [
                "\(label) stays inside the loop of '\(recName)'\(chain); per frame it keeps its previous output where the mask is false"
            ]
        case .movedIn, .movedOut:
            let side = plan.placement(of: name) == .movedIn ? "input" : "output"
            let deps = plan.dependencies[name, default: []].map(\.label)
            let depText = deps.isEmpty ? "nothing it depends on is in the loop" : "it depends only on \(deps.joined(separator: ", ")), none of which stays in the loop"
            return [
                "\(label) is moved out of the loop of '\(recName)' to the \(side) side (\(depText)); it runs over T' and RETURNN unmasks its output back to the loop's time axis (PR #976)"
            ]
        case .unused:
            return ["\(label) is never built"]
        }
    }
}

extension Array {
    /// The element at `index`, or nil when out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
