import Foundation
import NetConfig
import Synchronization
import Testing

@testable import Analyzer

// The speed-ups of the performance work must not change a single result: these tests pin what each one
// promises (same numbers, same verdicts, work done once), without timing anything.

/// A verifier that records what each call changed and passes, or fails rewrites that remove more than one unmask.
final class CountingVerifier: RewriteVerifier {
    private let calls = Mutex<[Set<String>]>([])
    let failJoint: Bool

    init(failJoint: Bool) { self.failJoint = failJoint }

    var changedSets: [Set<String>] { calls.withLock { $0 } }

    func verify(original: NetworkConfig, rewritten: NetworkConfig, changed: Set<String>) -> Verification {
        calls.withLock { $0.append(changed) }
        let status: Verification.Status = failJoint && changed.filter { $0.hasSuffix("_unmask") }.count > 1 ? .failed : .passed
        return Verification(status: status, trials: 1, seed: 0, maxAbsDiff: 0)
    }
}

@Suite("Performance invariants")
struct PerformanceInvariantTests {
    /// Two redundant unmasks in one rec unit: two independent RL101 fixes in one pass.
    static let twoUnmasks = #"""
        {"extern_data": {"data": {"dim": 4}},
         "network": {
           "output": {"class": "rec", "from": "data", "unit": {
             "s": {"class": "reduce", "mode": "max", "axis": "F", "from": "data:source"},
             "m": {"class": "compare", "from": "s", "kind": "greater", "value": 0},
             "a": {"class": "masked_computation", "mask": "m", "from": "data:source",
                   "unit": {"class": "linear", "activation": "tanh", "from": "data", "n_out": 3}},
             "a_unmask": {"class": "unmask", "from": "a", "mask": "m"},
             "b": {"class": "masked_computation", "mask": "m", "from": "data:source",
                   "unit": {"class": "linear", "activation": "tanh", "from": "data", "n_out": 3}},
             "b_unmask": {"class": "unmask", "from": "b", "mask": "m"},
             "output": {"class": "combine", "kind": "add", "from": ["a_unmask", "b_unmask"]}}}}}
        """#

    @Test func fixesOfOnePassAreVerifiedOnceTogether() throws {
        let source = SourceText(path: "two.json", text: Self.twoUnmasks)
        let verifier = CountingVerifier(failJoint: false)
        let outcome = try FixEngine.run(source, format: .json, options: FixOptions(maxPasses: 1), verifier: verifier)
        #expect(outcome.applied.count == 2, "\(outcome.applied.map(\.message))")
        #expect(verifier.changedSets.count == 1, "one joint verification, not one per fix plus the joint one")
        #expect(verifier.changedSets.first?.filter { $0.hasSuffix("_unmask") }.count == 2)
        for finding in outcome.applied {
            #expect(finding.fix?.verification?.detail?.contains("verified together with the other fix of this pass") == true)
        }
    }

    @Test func aFailedJointVerificationFallsBackToOneFixAtATime() throws {
        let source = SourceText(path: "two.json", text: Self.twoUnmasks)
        let verifier = CountingVerifier(failJoint: true)
        let outcome = try FixEngine.run(source, format: .json, options: FixOptions(maxPasses: 1), verifier: verifier)
        // Joint (failed), each fix alone (passed), the pair again before applying it (failed): only the first is applied.
        #expect(verifier.changedSets.map { $0.filter { $0.hasSuffix("_unmask") }.count } == [2, 1, 1, 2])
        #expect(outcome.applied.count == 1)
        #expect(outcome.applied.first?.fix?.verification?.detail == nil)
    }

    @Test func theRealVerifierPassesTheJointRewrite() throws {
        let source = SourceText(path: "two.json", text: Self.twoUnmasks)
        let outcome = try FixEngine.run(source, format: .json, options: FixOptions(), verifier: NumericVerifier(trials: 2))
        #expect(outcome.applied.count == 2)
        #expect(outcome.applied.allSatisfy { $0.fix?.verification?.status == .passed })
        let fixed = String(decoding: outcome.fixedBytes, as: UTF8.self)
        #expect(!fixed.contains("\"a_unmask\"") && !fixed.contains("\"b_unmask\""))
    }

    /// Trials on several threads give exactly the verification of one thread: passing and failing rewrites.
    @Test func parallelTrialsGiveTheSequentialVerification() throws {
        let original = try NetworkConfig.load(SourceText(path: "a.json", text: FixVerificationTests.text), format: .json)
        for (replacement, expected) in [("\"relu\"", Verification.Status.failed), ("\"tanh\" ", .passed)] {
            let text = FixVerificationTests.text.replacingOccurrences(of: "\"tanh\"", with: replacement)
            let rewritten = try NetworkConfig.load(SourceText(path: "b.json", text: text), format: .json)
            let changed = FixEngine.changedLayers(original, rewritten)
            var one = NumericVerifier(trials: 6)
            one.maxThreads = 1
            var three = NumericVerifier(trials: 6)
            three.maxThreads = 3
            let sequential = one.verify(original: original, rewritten: rewritten, changed: changed)
            let parallel = three.verify(original: original, rewritten: rewritten, changed: changed)
            #expect(sequential.status == expected)
            #expect(parallel == sequential)
        }
    }

    /// The fold reads outcomes in trial order: a failure in trial 1 reports what trial 0 compared, whatever
    /// order the threads finished in; a mode RETURNN cannot build is skipped, not failed.
    @Test func trialOutcomesAreFoldedInTrialOrder() {
        let verifier = NumericVerifier(trials: 3)
        typealias Mode = NumericVerifier.ModeOutcome
        let compared = NumericVerifier.TrialOutcome(modes: [
            .unoptimized: Mode(end: .constructionError("no"), standIns: []),
            .optimized: Mode(end: .compared, standIns: ["x"], maxDiff: 0.25, compared: 2),
        ])
        let differs = NumericVerifier.TrialOutcome(modes: [
            .unoptimized: Mode(end: .constructionError("no")),
            .optimized: Mode(end: .differs(path: "out", index: [0], original: 1, rewritten: 2, diff: 1), maxDiff: 0.5, compared: 1),
        ])
        let failed = verifier.fold([compared, differs, nil])
        #expect(failed.status == .failed)
        #expect(failed.trials == 2)
        #expect(failed.maxAbsDiff == 1)
        #expect(failed.comparedLayers == 3)
        #expect(failed.standIns == ["x"])
        #expect(failed.counterexample?.trial == 1)
        let passed = verifier.fold([compared, compared, compared])
        #expect(passed.status == .passed)
        #expect(passed.comparedLayers == 6)
        #expect(passed.detail?.contains("noopt not compared") == true)
        #expect(verifier.fold([compared, nil, compared]).status == .inconclusive)
    }

    /// A mode where nothing that depends on the change could be evaluated gives no evidence: the other mode
    /// decides (and is still read in every trial); with no evidence in any mode the result is inconclusive.
    @Test func aModeWithNothingComparedIsLeftOut() {
        let verifier = NumericVerifier(trials: 2)
        typealias Mode = NumericVerifier.ModeOutcome
        let noEvidence = Mode(end: .nothingCompared("output: needs 'x', which cannot be evaluated"))
        let oneMode = NumericVerifier.TrialOutcome(modes: [
            .unoptimized: noEvidence, .optimized: Mode(end: .compared, maxDiff: 0.125, compared: 3),
        ])
        let passed = verifier.fold([oneMode, oneMode])
        #expect(passed.status == .passed)
        #expect(passed.comparedLayers == 6)
        #expect(passed.detail?.contains("noopt not compared: no layer that depends on the change could be evaluated") == true)
        let laterDiffers = NumericVerifier.TrialOutcome(modes: [
            .unoptimized: noEvidence,
            .optimized: Mode(end: .differs(path: "out", index: [0], original: 1, rewritten: 3, diff: 2), compared: 1),
        ])
        #expect(verifier.fold([oneMode, laterDiffers]).status == .failed)
        let none = NumericVerifier.TrialOutcome(modes: [.unoptimized: noEvidence, .optimized: noEvidence])
        let inconclusive = verifier.fold([none, none])
        #expect(inconclusive.status == .inconclusive)
        #expect(inconclusive.detail?.contains("(noopt)") == true && inconclusive.detail?.contains("(opt)") == true)
    }

    /// The blocked matrix product equals the row-by-row one bit for bit (every sum runs in the same order).
    @Test(arguments: [1, 3, 8, 19])
    func blockedMatmulEqualsRowByRow(rows: Int) {
        var random = RandomSource(seed: 3)
        let inner = 13, columns = 11
        let a = (0..<(rows * inner)).map { i in i % 5 == 0 ? Float(0) : Float(random.normal()) }
        let w = (0..<(inner * columns)).map { _ in Float(random.normal()) }
        var reference = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for o in 0..<columns {
                var sum = 0.0
                for i in 0..<inner where a[r * inner + i] != 0 { sum += Double(a[r * inner + i]) * Double(w[i * columns + o]) }
                reference[r * columns + o] = Float(sum)
            }
        }
        #expect(Kernels.matmul(a, rows: rows, inner: inner, w, columns: columns) == reference)
    }

    /// A stand-in taken from the cache is the value drawn without it.
    @Test func cachedStandInsEqualDrawnOnes() throws {
        let json = #"{"extern_data": {"data": {"dim": 4}}, "network": {"x": {"class": "eval", "from": "data", "eval": "self.unknown(source(0))"}, "output": {"class": "linear", "from": "x", "n_out": 2}}}"#
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        let inputs = try EvaluationInputs.random(for: graph, seed: 5, batch: 3, maxLength: 4, padding: .zero)
        let run = { (cache: DrawnValueCache?) throws -> EvaluationResult in
            var options = EvaluationOptions(standIns: .any, standInSeed: 9)
            options.standInCache = cache
            return try Evaluator(graph: graph).evaluate(inputs: inputs, parameters: .random(seed: 1), mode: .optimized, options: options)
        }
        let cache = DrawnValueCache()
        let plain = try run(nil)
        let first = try run(cache)
        let second = try run(cache)
        #expect(plain.standIns.map(\.path) == ["x"])
        let output = try #require(plain.outputs["output"])
        #expect(first.outputs["output"]?.values == output.values)
        #expect(second.outputs["output"]?.values == output.values)
        #expect(second.standIns.map(\.path) == ["x"], "a cached stand-in is still reported")
    }

    /// A chain far deeper than the engine's recursion limit is resolved with one drain per limit's worth of
    /// layers, not one re-run of the whole evaluation per deferral.
    @Test func deepChainsAreDrainedOncePerDepthLimit() throws {
        let length = 600
        var layers = [#""l0": {"class": "linear", "from": "data", "n_out": 3}"#]
        for i in 1..<length { layers.append(#""l\#(i)": {"class": "activation", "activation": "tanh", "from": "l\#(i - 1)"}"#) }
        let json = #"{"extern_data": {"data": {"dim": 4}}, "network": {\#(layers.joined(separator: ", "))}}"#
        let graph = NetworkGraph(config: try EvaluatorFiles.config(json))
        let engine = TemplateEngine(graph: graph, plans: [:])
        let last = try #require(graph[scope: graph.root].layerByName["l\(length - 1)"])
        let result = engine.actualTemplate(last)
        #expect(result.template?.dims.last?.size == 3, "\(result)")
        #expect(engine.drainCount > 0, "the chain is deeper than the limit, so something was deferred")
        #expect(engine.drainCount <= length / TemplateEngine.maxDepth + 2, "drained \(engine.drainCount) times")
    }

    /// `check` infers dims only when a rule needs them: not for a network without masked computations and
    /// unmask layers (most configs), and then the findings are the same as with dims computed up front.
    @Test func dimsAreInferredOnlyWhenARuleNeedsThem() throws {
        let plain = try NetworkConfig.load(SourceText(path: "p.json", text: FixVerificationTests.text), format: .json)
        let analysis = Analysis(config: plain)
        let findings = analysis.findings()
        #expect(!analysis.hasComputedDims)
        _ = analysis.dims
        #expect(analysis.hasComputedDims)
        #expect(analysis.findings().map(\.message) == findings.map(\.message))
        // Reading a unit layer from outside (RL001 asks where it ends up) needs the loop plans only.
        let outside = #"""
            {"network": {"output": {"class": "rec", "from": "data", "unit": {
                "s": {"class": "linear", "from": ["data:source", "prev:s"], "n_out": 3},
                "unused": {"class": "copy", "from": "data:source"},
                "output": {"class": "copy", "from": "s"}}},
             "x": {"class": "copy", "from": "output/unused"}}}
            """#
        let reader = Analysis(config: try NetworkConfig.load(SourceText(path: "o.json", text: outside), format: .json))
        #expect(reader.findings().contains { $0.rule.code == "RL001" && $0.message.contains("never builds it") })
        #expect(!reader.hasComputedDims)
        let masked = Analysis(config: try NetworkConfig.load(SourceText(path: "m.json", text: Self.twoUnmasks), format: .json))
        #expect(masked.findings().contains { $0.rule.code == "RL101" })
        #expect(masked.hasComputedDims)
    }
}
