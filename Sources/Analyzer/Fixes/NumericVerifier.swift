import Dispatch
import NetConfig
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Verifies a rewrite numerically with the embedded evaluator: the original and the rewritten network run with
/// the same parameters on the same inputs, in both loop modes, over several seeded trials, and every layer they
/// have in common that depends on the change (the outputs included) must agree on valid frames.
///
/// Trials vary batch size (3-4), lengths (unequal, one at the maximum), padding (zero and random non-zero) and,
/// every other trial, the masks of masked computations: one sequence all false, one all true, one false at
/// t=0, the rest random. Unsupported layers upstream of the change get the same random stand-ins in both
/// networks; anything else that cannot be evaluated makes the result inconclusive.
public struct NumericVerifier: RewriteVerifier {
    /// Trials to run (default 8).
    public var trials: Int
    /// The base seed; trial `i` uses `seed + i`.
    public var seed: UInt64
    /// Absolute and relative tolerance (a value passes if within either).
    public var absoluteTolerance: Double
    public var relativeTolerance: Double

    /// Creates a verifier.
    public init(trials: Int = 8, seed: UInt64 = 0x5EED, absoluteTolerance: Double = 1e-5, relativeTolerance: Double = 1e-4) {
        self.trials = trials
        self.seed = seed
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
    }

    public func verify(original: NetworkConfig, rewritten: NetworkConfig, changed: Set<String>) -> Verification {
        let setup = Setup(original: original, rewritten: rewritten, changed: changed, verifier: self)
        // Trials are independent: they run on up to `workers` threads (each with its own prepared evaluations,
        // which memoize and are not shared), and their outcomes are read in trial order below, so the result is
        // the same as running them one after the other. A terminal outcome stops the later trials early.
        let workers = max(1, min(trials, maxThreads ?? Self.processorCount))
        let board = TrialBoard(trials: trials)
        let work = { @Sendable (_: Int) in
            var prepared: [LoopMode: (PreparedEvaluation, PreparedEvaluation)] = [:]
            var constructionErrors: [LoopMode: String] = [:]
            while true {
                guard let trial = board.nextTrial() else { return }
                let outcome = setup.run(trial: trial, prepared: &prepared, constructionErrors: &constructionErrors)
                board.record(outcome, of: trial)
            }
        }
        if workers == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        }
        return fold(board.outcomes)
    }

    /// Hands out trials to worker threads and collects their outcomes.
    final class TrialBoard: Sendable {
        private let state: Mutex<(next: Int, stopAfter: Int, outcomes: [TrialOutcome?])>

        init(trials: Int) {
            state = Mutex((next: 0, stopAfter: Int.max, outcomes: Array(repeating: nil, count: trials)))
        }

        /// The next trial to run; nil when all are handed out, or when an earlier one already decided the result.
        func nextTrial() -> Int? {
            state.withLock { state in
                guard state.next < state.outcomes.count, state.next <= state.stopAfter else { return nil }
                defer { state.next += 1 }
                return state.next
            }
        }

        func record(_ outcome: TrialOutcome, of trial: Int) {
            state.withLock { state in
                state.outcomes[trial] = outcome
                if outcome.isTerminal { state.stopAfter = min(state.stopAfter, trial) }
            }
        }

        var outcomes: [TrialOutcome?] { state.withLock { $0.outcomes } }
    }

    /// Threads for trials (nil: one per processor).
    public var maxThreads: Int?

    private static var processorCount: Int {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }

    /// Reads the trials' outcomes in order, exactly as a sequential run would have stopped and summed them.
    func fold(_ outcomes: [TrialOutcome?]) -> Verification {
        var maxDiff = 0.0
        var compared = 0
        var standIns = Set<String>()
        var upstreamReplaced = 0
        var skippedModes: [LoopMode: String] = [:]
        var unevaluatedModes: [LoopMode: String] = [:]
        for trial in 0..<trials {
            guard let outcome = outcomes[trial] else {
                return inconclusive("trial \(trial) did not run", trial: trial, compared: compared, maxDiff: maxDiff, standIns: standIns)
            }
            if let problem = outcome.inputsProblem {
                return inconclusive("cannot make inputs: \(problem)", trial: trial, compared: compared, maxDiff: maxDiff, standIns: standIns)
            }
            for mode in LoopMode.allCases {
                if skippedModes[mode] != nil { continue }
                guard let m = outcome.modes[mode] else {
                    return inconclusive("trial \(trial) did not run \(mode.rawValue)", trial: trial, compared: compared, maxDiff: maxDiff, standIns: standIns)
                }
                switch m.end {
                case .constructionError(let reason):
                    skippedModes[mode] = reason
                    continue
                case .originalFails(let message):
                    return inconclusive(
                        "the original cannot be evaluated (\(mode.rawValue)): \(message)", trial: trial, compared: compared, maxDiff: maxDiff, standIns: standIns)
                case .rewriteFails(let message):
                    return Verification(
                        status: .failed, trials: trial + 1, seed: seed, maxAbsDiff: maxDiff, standIns: standIns.sorted(),
                        detail: "the rewrite cannot be evaluated (\(mode.rawValue)) while the original can: \(message)", comparedLayers: compared)
                default:
                    break
                }
                standIns.formUnion(m.standIns)
                upstreamReplaced = max(upstreamReplaced, m.upstreamReplaced)
                switch m.end {
                case .differs(let path, let index, let x, let y, let diff):
                    return Verification(
                        status: .failed, trials: trial + 1, seed: seed, maxAbsDiff: max(maxDiff, m.maxDiff, diff), standIns: standIns.sorted(),
                        detail: "values differ in '\(path)' (\(mode.rawValue))",
                        counterexample: Verification.Counterexample(
                            trial: trial, seed: seed &+ UInt64(trial), layer: path, mode: mode.rawValue, index: index, original: x, rewritten: y),
                        comparedLayers: compared + m.compared)
                case .missingOutputs(let missing):
                    return Verification(
                        status: .failed, trials: trial + 1, seed: seed, maxAbsDiff: max(maxDiff, m.maxDiff), standIns: standIns.sorted(),
                        detail: "the rewrite no longer computes \(missing.joined(separator: ", ")) (\(mode.rawValue))", comparedLayers: compared)
                case .nothingCompared(let reasons):
                    // A mode where nothing that depends on the change can be evaluated (e.g. the original fails at
                    // run time there in both networks) gives no evidence either way; the other mode decides, and a
                    // verification with no evidence at all stays inconclusive (below).
                    unevaluatedModes[mode] = "no layer that depends on the change could be evaluated\(reasons.isEmpty ? "" : ": \(reasons)")"
                    skippedModes[mode] = unevaluatedModes[mode]
                default:
                    maxDiff = max(maxDiff, m.maxDiff)
                    compared += m.compared
                }
            }
        }
        if skippedModes.count == LoopMode.allCases.count {
            if unevaluatedModes.isEmpty {
                return inconclusive(
                    "RETURNN cannot build the original in any loop mode: " + skippedModes.values.sorted().joined(separator: "; "), trial: trials,
                    compared: compared, maxDiff: maxDiff, standIns: standIns)
            }
            let reasons = LoopMode.allCases.compactMap { mode in skippedModes[mode].map { "\($0) (\(mode.rawValue))" } }
            return inconclusive(reasons.joined(separator: "; "), trial: trials, compared: compared, maxDiff: maxDiff, standIns: standIns)
        }
        var notes: [String] = []
        if upstreamReplaced > 0 {
            notes.append("\(upstreamReplaced) top-level layers upstream of the change were replaced by the same random values in both networks")
        }
        for (mode, reason) in skippedModes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if unevaluatedModes[mode] != nil {
                notes.append("\(mode.rawValue) not compared: \(reason.prefix(200))")
            } else {
                notes.append("\(mode.rawValue) not compared: RETURNN cannot build the original there (\(reason.prefix(160)))")
            }
        }
        let detail = notes.isEmpty ? nil : notes.joined(separator: "; ")
        return Verification(
            status: .passed, trials: trials, seed: seed, maxAbsDiff: maxDiff, standIns: standIns.sorted(), detail: detail, comparedLayers: compared)
    }

    /// How one loop mode of one trial ended.
    enum ModeEnd: Sendable {
        case compared
        case constructionError(String)
        case originalFails(String)
        case rewriteFails(String)
        case differs(path: String, index: [Int], original: Double, rewritten: Double, diff: Double)
        case missingOutputs([String])
        case nothingCompared(String)
    }

    /// One loop mode of one trial: how it ended, and what it compared before that.
    struct ModeOutcome: Sendable {
        var end: ModeEnd
        var standIns: Set<String> = []
        var upstreamReplaced = 0
        var maxDiff = 0.0
        var compared = 0

        /// True when the verification stops at this mode (a construction error only skips the mode).
        var isTerminal: Bool {
            switch end {
            case .compared, .constructionError, .nothingCompared: return false
            default: return true
            }
        }
    }

    /// One trial: both loop modes, or why its inputs could not be made.
    struct TrialOutcome: Sendable {
        var inputsProblem: String?
        var modes: [LoopMode: ModeOutcome] = [:]

        var isTerminal: Bool { inputsProblem != nil || modes.values.contains { $0.isTerminal } }
    }

    /// Everything the trials share: the two graphs, what the change reaches, and the drawn parameters.
    struct Setup: Sendable {
        let verifier: NumericVerifier
        let graphA: NetworkGraph
        let graphB: NetworkGraph
        let downstream: Set<String>
        let upstreamA: Set<LayerID>
        let upstreamB: Set<LayerID>
        let forcedA: Set<LayerID>
        let forcedB: Set<LayerID>
        let forcedPaths: Set<String>
        let dimsA: DimAnalysis
        let parameters: ParameterStore

        init(original: NetworkConfig, rewritten: NetworkConfig, changed: Set<String>, verifier: NumericVerifier) {
            self.verifier = verifier
            graphA = NetworkGraph(config: original)
            graphB = NetworkGraph(config: rewritten)
            let downstream = NumericVerifier.downstream(of: changed, in: graphA).union(NumericVerifier.downstream(of: changed, in: graphB))
            self.downstream = downstream
            let graphA = graphA, graphB = graphB
            upstreamA = Set(graphA.layers.filter { !downstream.contains($0.pathString) }.map(\.id))
            upstreamB = Set(graphB.layers.filter { !downstream.contains($0.pathString) }.map(\.id))
            // Top-level layers upstream of the change get the same random values in both networks instead of being
            // computed: the rewrite cannot affect them, and the checked region then sees arbitrary inputs.
            let upstreamA = upstreamA, upstreamB = upstreamB
            forcedA = Set(graphA[scope: graphA.root].layers.filter { upstreamA.contains($0) })
            forcedB = Set(graphB[scope: graphB.root].layers.filter { upstreamB.contains($0) })
            forcedPaths = Set(forcedA.map { graphA[$0].pathString })
            dimsA = DimAnalysis(graph: graphA)
            var parameters = ParameterStore.random(seed: verifier.seed)
            parameters.cache = DrawnValueCache()
            self.parameters = parameters
        }

        /// Runs one trial in both loop modes. `prepared` (plans and templates per mode, computed on first use)
        /// and `constructionErrors` (modes RETURNN cannot build, which do not depend on the inputs) belong to the
        /// calling thread.
        func run(
            trial: Int, prepared: inout [LoopMode: (PreparedEvaluation, PreparedEvaluation)], constructionErrors: inout [LoopMode: String]
        ) -> TrialOutcome {
            let trialSeed = verifier.seed &+ UInt64(trial)
            let inputs: EvaluationInputs
            do {
                inputs = try EvaluationInputs.random(
                    for: graphA, seed: trialSeed, batch: 3 + trial % 2, maxLength: 5 + trial % 3, padding: trial % 2 == 0 ? .random : .zero)
            } catch {
                return TrialOutcome(inputsProblem: "\(error)")
            }
            let overridesA = trial % 2 == 1 ? verifier.maskOverrides(graphA, dims: dimsA, inputs: inputs, seed: trialSeed) : [:]
            let overridesB = trial % 2 == 1 ? NumericVerifier.translate(overridesA, from: graphA, to: graphB) : [:]
            var outcome = TrialOutcome()
            let standInCache = DrawnValueCache()
            for mode in LoopMode.allCases {
                if let reason = constructionErrors[mode] {
                    outcome.modes[mode] = ModeOutcome(end: .constructionError(reason))
                    continue
                }
                let pair = prepared[mode] ?? (PreparedEvaluation(graph: graphA, mode: mode), PreparedEvaluation(graph: graphB, mode: mode))
                prepared[mode] = pair
                var optionsA = EvaluationOptions(standIns: .layers(upstreamA), standInSeed: trialSeed, overrides: overridesA, collectLoopLayers: true)
                var optionsB = EvaluationOptions(standIns: .layers(upstreamB), standInSeed: trialSeed, overrides: overridesB, collectLoopLayers: true)
                optionsA.forcedStandIns = forcedA
                optionsB.forcedStandIns = forcedB
                // The same layer path, step and seed gives the same stand-in in both networks and both modes.
                optionsA.standInCache = standInCache
                optionsB.standInCache = standInCache
                let modeOutcome = compare(mode: mode, prepared: pair, inputs: inputs, optionsA: optionsA, optionsB: optionsB)
                if case .constructionError(let reason) = modeOutcome.end { constructionErrors[mode] = reason }
                outcome.modes[mode] = modeOutcome
                if modeOutcome.isTerminal { break }
            }
            return outcome
        }

        private func compare(
            mode: LoopMode, prepared: (PreparedEvaluation, PreparedEvaluation), inputs: EvaluationInputs,
            optionsA: EvaluationOptions, optionsB: EvaluationOptions
        ) -> ModeOutcome {
            let resultA: EvaluationResult
            let resultB: EvaluationResult
            do {
                resultA = try Evaluator(graph: graphA).evaluate(prepared: prepared.0, inputs: inputs, parameters: parameters, options: optionsA)
            } catch {
                // RETURNN refuses the original in this loop mode: there is nothing to compare there.
                if case .construction = error { return ModeOutcome(end: .constructionError("\(error)")) }
                return ModeOutcome(end: .originalFails("\(error)"))
            }
            do {
                resultB = try Evaluator(graph: graphB).evaluate(prepared: prepared.1, inputs: inputs, parameters: parameters, options: optionsB)
            } catch {
                return ModeOutcome(end: .rewriteFails("\(error)"))
            }
            var outcome = ModeOutcome(end: .compared)
            // Report the stand-ins for layers the evaluator cannot compute (not the forced upstream ones).
            outcome.standIns.formUnion(resultA.standIns.map(\.path).filter { !forcedPaths.contains($0) })
            outcome.standIns.formUnion(resultB.standIns.map(\.path).filter { !forcedPaths.contains($0) })
            outcome.upstreamReplaced = resultA.standIns.count - resultA.standIns.filter { !forcedPaths.contains($0.path) }.count
            let valuesA = NumericVerifier.byLayer(resultA)
            let valuesB = NumericVerifier.byLayer(resultB)
            for (path, a) in valuesA.sorted(by: { $0.key < $1.key }) {
                guard let b = valuesB[path], downstream.contains(path) || NumericVerifier.isOutput(path, graphA) else { continue }
                switch NumericVerifier.compare(a, b, atol: verifier.absoluteTolerance, rtol: verifier.relativeTolerance) {
                case .equal(let diff):
                    outcome.maxDiff = max(outcome.maxDiff, diff)
                    outcome.compared += 1
                case .incomparable:
                    continue
                case .different(let index, let x, let y, let diff):
                    outcome.end = .differs(path: path, index: index, original: x, rewritten: y, diff: diff)
                    return outcome
                }
            }
            // The rewrite must still compute every output the original computes.
            let outputsA = Set(valuesA.keys.filter { NumericVerifier.isOutput($0, graphA) })
            let missing = outputsA.subtracting(valuesB.keys)
            if !missing.isEmpty {
                outcome.end = .missingOutputs(missing.sorted())
                return outcome
            }
            if outcome.compared == 0 {
                let reasons = (resultA.unsupported + resultA.blocked).prefix(3).map(\.description).joined(separator: "; ")
                outcome.end = .nothingCompared(reasons)
            }
            return outcome
        }
    }

    private func inconclusive(_ detail: String, trial: Int, compared: Int, maxDiff: Double, standIns: Set<String>) -> Verification {
        Verification(status: .inconclusive, trials: trial, seed: seed, maxAbsDiff: maxDiff, standIns: standIns.sorted(), detail: detail, comparedLayers: compared)
    }

    // MARK: - Helpers

    /// Values by layer path with the context tag removed (`output/[out]/x` and `output/[loop]/x` are both
    /// `output/x`): a rewrite may change where RETURNN places a layer, not what it computes.
    static func byLayer(_ result: EvaluationResult) -> [String: Tensor] {
        var values: [String: Tensor] = [:]
        for path in result.paths {
            guard let value = result.outputs[path] else { continue }
            let key = path.replacingTags()
            if values[key] == nil { values[key] = value }
        }
        return values
    }

    /// True for the network's outputs: top-level `output`, `is_output_layer`, losses.
    static func isOutput(_ path: String, _ graph: NetworkGraph) -> Bool {
        guard let node = graph.layers.first(where: { $0.pathString == path }) else { return false }
        return node.scope == graph.root && UnmaskAnalysis.isUsed(node.id, graph: graph) && UnmaskAnalysis.consumers(of: node.id, graph: graph).isEmpty
    }

    /// Paths of the changed layers and of every layer that (transitively) reads them, plus the layers that
    /// contain them (a rec layer's output changes when its unit changes).
    static func downstream(of changed: Set<String>, in graph: NetworkGraph) -> Set<String> {
        var result = Set<String>()
        var queue = graph.layers.filter { changed.contains($0.pathString) }.map(\.id)
        var seen = Set(queue)
        var readers: [LayerID: [LayerID]] = [:]
        for node in graph.layers {
            for (_, target) in graph.references(of: node.id) {
                if let t = target.layerID { readers[t, default: []].append(node.id) }
                if case .subLayer(let root, _, _) = target { readers[root, default: []].append(node.id) }
            }
            // Containers depend on what they contain.
            if let scope = node.childScope { for inner in graph[scope: scope].layers { readers[inner, default: []].append(node.id) } }
            if let unit = node.maskedUnit { readers[unit, default: []].append(node.id) }
        }
        while let id = queue.popLast() {
            result.insert(graph[id].pathString)
            for reader in readers[id, default: []] where seen.insert(reader).inserted { queue.append(reader) }
        }
        return result
    }

    /// Mask overrides: every masked_computation whose mask is a layer gets a pattern mask over its masked axis
    /// (the loop's time dim inside a rec unit).
    func maskOverrides(_ graph: NetworkGraph, dims: DimAnalysis, inputs: EvaluationInputs, seed: UInt64) -> [LayerID: Tensor] {
        var overrides: [LayerID: Tensor] = [:]
        for node in graph.layers where node.className == "masked_computation" {
            guard let mask = graph.reference(of: node.id, option: "mask"), case .layer(let maskLayer) = mask.target,
                overrides[maskLayer] == nil
            else { continue }
            let time: Dim?
            if let (rec, _) = dims.plan(containing: node.id, graph: graph) {
                time = dims.loopDim(of: rec)
            } else {
                time = dims.maskedAxes(of: node.id)?.inSpatial
            }
            guard let time, let lengths = inputs.data.values.compactMap({ $0.lengths[time.name] }).first,
                let pattern = try? Tensor.maskPattern(time: time, lengths: lengths, seed: seed)
            else { continue }
            overrides[maskLayer] = pattern
        }
        return overrides
    }

    /// The same overrides for the layers with the same paths in another graph.
    static func translate(_ overrides: [LayerID: Tensor], from a: NetworkGraph, to b: NetworkGraph) -> [LayerID: Tensor] {
        var byPath: [String: LayerID] = [:]
        for node in b.layers where node.isEffective { byPath[node.pathString] = node.id }
        var result: [LayerID: Tensor] = [:]
        for (id, tensor) in overrides {
            if let target = byPath[a[id].pathString] { result[target] = tensor }
        }
        return result
    }

    enum Comparison {
        case equal(Double)
        case different(index: [Int], original: Double, rewritten: Double, diff: Double)
        case incomparable
    }

    /// Compares two tensors on valid frames: dims are matched by name (then by kind/size in order).
    static func compare(_ a: Tensor, _ b: Tensor, atol: Double, rtol: Double) -> Comparison {
        guard a.dims.count == b.dims.count, let permutation = alignment(a.dims, b.dims) else { return .incomparable }
        let shapeB = permutation.map { b.shape[$0] }
        guard shapeB == a.shape else { return .incomparable }
        let valid = a.validMask()
        let stridesA = Tensor.strides(for: a.shape)
        let stridesB = Tensor.strides(for: b.shape)
        var maxDiff = 0.0
        var index = [Int](repeating: 0, count: a.shape.count)
        for flat in 0..<a.values.count {
            var rest = flat
            for axis in 0..<a.shape.count {
                index[axis] = rest / stridesA[axis]
                rest %= stridesA[axis]
            }
            guard valid[flat] else { continue }
            var flatB = 0
            for axis in 0..<a.shape.count { flatB += index[axis] * stridesB[permutation[axis]] }
            let x = Double(a.values[flat])
            let y = Double(b.values[flatB])
            if x.isNaN && y.isNaN { continue }
            let diff = abs(x - y)
            if !(diff <= atol + rtol * abs(x)) { return .different(index: index, original: x, rewritten: y, diff: diff) }
            maxDiff = max(maxDiff, diff)
        }
        return .equal(maxDiff)
    }

    /// For each axis of `a`, the axis of `b` holding the same dim.
    static func alignment(_ a: [Dim], _ b: [Dim]) -> [Int]? {
        var used = Set<Int>()
        var result: [Int] = []
        for dim in a {
            if let j = b.indices.first(where: { !used.contains($0) && b[$0] == dim }) {
                used.insert(j)
                result.append(j)
            } else if let j = b.indices.first(where: { !used.contains($0) && b[$0].kind == dim.kind && b[$0].size == dim.size }) {
                used.insert(j)
                result.append(j)
            } else {
                return nil
            }
        }
        return result
    }
}

extension String {
    /// The path without context tags (`/[loop]`, `/[in]`, `/[out]`).
    func replacingTags() -> String {
        split(separator: "/").filter { !["[loop]", "[in]", "[out]"].contains($0) }.joined(separator: "/")
    }
}
