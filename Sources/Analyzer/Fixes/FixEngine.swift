import NetConfig

/// Decides whether a rewritten network computes the same as the original (see `NumericVerifier`).
public protocol RewriteVerifier: Sendable {
    /// Compares the two networks; `changed` are the paths of layers the rewrite removed or edited.
    func verify(original: NetworkConfig, rewritten: NetworkConfig, changed: Set<String>) -> Verification
}

/// Options of `FixEngine.run`.
public struct FixOptions: Sendable {
    /// Apply unsafe fixes too (`--unsafe-fixes`); inconclusive verifications are then accepted as well.
    public var includeUnsafe: Bool
    /// Verify fixes numerically before applying them (on by default; off only as an explicit escape hatch).
    public var verify: Bool
    /// The rules whose fixes may be applied.
    public var rules: [any Rule.Type]
    /// Parse limits for every pass.
    public var limits: ParseLimits
    /// At most this many passes (re-parse and re-analyse after each).
    public var maxPasses: Int

    /// Creates options.
    public init(
        includeUnsafe: Bool = false, verify: Bool = true, rules: [any Rule.Type] = RuleRegistry.all, limits: ParseLimits = .default,
        maxPasses: Int = 10
    ) {
        self.includeUnsafe = includeUnsafe
        self.verify = verify
        self.rules = rules
        self.limits = limits
        self.maxPasses = maxPasses
    }
}

/// The result of fixing one file.
public struct FixOutcome: Sendable {
    /// The original text.
    public let original: SourceText
    /// The final text (equal to the original when nothing was applied).
    public let fixedBytes: [UInt8]
    /// The fixes applied, with their findings (each fix carries its verification).
    public let applied: [Finding]
    /// Fixes that were not applied because their verification failed or was inconclusive, or because they
    /// are unsafe and `--unsafe-fixes` was not given.
    public let notApplied: [Finding]
    /// The findings of the final text.
    public let remaining: [Finding]
    /// How many passes ran.
    public let passes: Int
    /// Why the fixing stopped early (a pass produced text that does not parse or analyse, or no convergence).
    public let problem: String?

    /// True when the text changed.
    public var changed: Bool { fixedBytes != original.bytes }
}

/// Applies fixes to a file to a fixed point: analyse, pick non-overlapping applicable fixes, verify them,
/// apply, re-parse; revert a pass whose result does not parse or analyse (ruff's fix loop).
public enum FixEngine {
    /// Fixes one file. The original must parse (else the error is thrown, as for `check`).
    public static func run(
        _ source: SourceText, format: SourceFormat, options: FixOptions, verifier: (any RewriteVerifier)?
    ) throws(ConfigError) -> FixOutcome {
        var config = try NetworkConfig.load(source, format: format, limits: options.limits)
        var current = source
        var applied: [Finding] = []
        var notApplied: [String: Finding] = [:]
        var passes = 0
        var problem: String?
        var findings = Analysis(config: config).findings(rules: options.rules)
        while passes < options.maxPasses {
            passes += 1
            let candidates = pickFixes(findings, options: options, skip: Set(notApplied.keys))
            guard !candidates.isEmpty else { break }
            var acceptedThisPass: [Finding] = []
            // Verify the pass's safe fixes together first: when the joint rewrite (the text that would be written)
            // passes, no fix needs its own verification; otherwise each is verified alone, as below.
            var jointlyVerified = Set<String>()
            var jointVerification: Verification?
            if options.verify, let verifier {
                let verifiable = candidates.filter { $0.fix.map { $0.applicability != .unsafe } ?? false }
                if verifiable.count > 1, let (_, jointConfig) = apply(verifiable, to: current, format: format, options: options) {
                    var joint = verifier.verify(original: config, rewritten: jointConfig, changed: changedLayers(config, jointConfig))
                    if joint.status == .passed {
                        let others = verifiable.count - 1
                        let note = "verified together with the other \(others == 1 ? "fix" : "\(others) fixes") of this pass"
                        joint.detail = joint.detail.map { "\(note); \($0)" } ?? note
                        jointVerification = joint
                        jointlyVerified = Set(verifiable.map(key))
                    }
                }
            }
            for finding in candidates {
                guard var fix = finding.fix else { continue }
                var decided = finding
                if let jointVerification, jointlyVerified.contains(key(finding)) {
                    fix.verification = jointVerification
                    decided.fix = fix
                    acceptedThisPass.append(decided)
                    continue
                }
                if fix.applicability == .unsafe {
                    // Unsafe rewrites change what the network computes (or the original cannot run).
                    fix.verification = Verification(status: .skipped, trials: 0, seed: 0, maxAbsDiff: 0, detail: "unsafe fix: the rewrite is meant to change the network")
                    decided.fix = fix
                    if options.includeUnsafe { acceptedThisPass.append(decided) } else { notApplied[key(finding)] = decided }
                    continue
                }
                guard options.verify, let verifier else {
                    fix.verification = Verification(status: .skipped, trials: 0, seed: 0, maxAbsDiff: 0, detail: "verification turned off (--no-verify)")
                    decided.fix = fix
                    acceptedThisPass.append(decided)
                    continue
                }
                // Verify this fix alone against the current text.
                guard let bytes = TextEdits.apply(fix.edits, to: current.bytes),
                    let rewritten = try? NetworkConfig.load(SourceText(path: current.path, bytes: bytes), format: format, limits: options.limits)
                else {
                    fix.verification = Verification(status: .failed, trials: 0, seed: 0, maxAbsDiff: 0, detail: "the rewritten text does not parse")
                    decided.fix = fix
                    notApplied[key(finding)] = decided
                    continue
                }
                let verification = verifier.verify(original: config, rewritten: rewritten, changed: changedLayers(config, rewritten))
                fix.verification = verification
                decided.fix = fix
                switch verification.status {
                case .passed, .skipped: acceptedThisPass.append(decided)
                case .inconclusive where options.includeUnsafe: acceptedThisPass.append(decided)
                default: notApplied[key(finding)] = decided
                }
            }
            guard !acceptedThisPass.isEmpty else { break }
            // Apply the accepted fixes of this pass together; if the combination fails to parse or analyse, or its
            // joint verification fails, keep only the first one (the next pass takes up the rest).
            var chosen = acceptedThisPass
            var next = apply(chosen, to: current, format: format, options: options)
            let verifiedTogether = !jointlyVerified.isEmpty && Set(chosen.map(key)) == jointlyVerified
            if chosen.count > 1, !verifiedTogether, let (_, nextConfig) = next, options.verify, let verifier,
                chosen.allSatisfy({ $0.fix?.verification?.status == .passed })
            {
                let joint = verifier.verify(original: config, rewritten: nextConfig, changed: changedLayers(config, nextConfig))
                if joint.status != .passed { next = nil }
            }
            if next == nil, chosen.count > 1 {
                chosen = [acceptedThisPass[0]]
                next = apply(chosen, to: current, format: format, options: options)
            }
            guard let (nextSource, nextConfig) = next else {
                problem = "a fix produced text that does not parse or analyse; reverted that pass"
                for finding in chosen { notApplied[key(finding)] = finding }
                continue
            }
            applied += chosen
            current = nextSource
            config = nextConfig
            findings = Analysis(config: config).findings(rules: options.rules)
        }
        if passes >= options.maxPasses, !pickFixes(findings, options: options, skip: Set(notApplied.keys)).isEmpty {
            problem = "fixes did not converge after \(options.maxPasses) passes"
        }
        // Findings whose fix was not applied keep their verification result.
        let remaining = findings.map { finding -> Finding in
            notApplied[key(finding)] ?? finding
        }
        return FixOutcome(
            original: source, fixedBytes: current.bytes, applied: applied,
            notApplied: notApplied.values.sorted(by: Finding.reportOrder), remaining: remaining, passes: passes, problem: problem)
    }

    /// A stable identity of a finding across passes (rule, layer path, message).
    static func key(_ finding: Finding) -> String {
        "\(finding.rule.code)|\(finding.layerPath ?? "")|\(finding.message)"
    }

    /// Fixes to try in a pass: applicable, not already rejected, non-overlapping (first by position wins).
    static func pickFixes(_ findings: [Finding], options: FixOptions, skip: Set<String>) -> [Finding] {
        var chosen: [Finding] = []
        var taken: [TextEdit] = []
        for finding in findings.sorted(by: Finding.reportOrder) {
            guard let fix = finding.fix, !skip.contains(key(finding)), !fix.edits.isEmpty else { continue }
            guard fix.applicability == .safe || (fix.applicability == .unsafe && options.includeUnsafe) else { continue }
            guard TextEdits.areDisjoint(taken + fix.edits) else { continue }
            taken += fix.edits
            chosen.append(finding)
        }
        return chosen
    }

    static func apply(_ findings: [Finding], to source: SourceText, format: SourceFormat, options: FixOptions) -> (SourceText, NetworkConfig)? {
        let edits = findings.flatMap { $0.fix?.edits ?? [] }
        guard let bytes = TextEdits.apply(edits, to: source.bytes) else { return nil }
        let next = SourceText(path: source.path, bytes: bytes)
        guard let config = try? NetworkConfig.load(next, format: format, limits: options.limits) else { return nil }
        return (next, config)
    }

    /// Paths of layers that differ between two configs (removed, added or with a different dict).
    public static func changedLayers(_ a: NetworkConfig, _ b: NetworkConfig) -> Set<String> {
        let ga = NetworkGraph(config: a)
        let gb = NetworkGraph(config: b)
        var left: [String: PlainValue] = [:]
        var right: [String: PlainValue] = [:]
        for node in ga.layers where node.isEffective { left[node.pathString] = node.layer.node.plain }
        for node in gb.layers where node.isEffective { right[node.pathString] = node.layer.node.plain }
        var changed = Set<String>()
        for (path, value) in left where right[path] != value { changed.insert(path) }
        for path in right.keys where left[path] == nil { changed.insert(path) }
        return changed
    }
}
