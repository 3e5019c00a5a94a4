import Analyzer
import NetConfig

/// The checks behind the three fuzz targets. Each one runs an input through part of returnn-lint and traps
/// (`fatalError`, which libFuzzer reports as a crash and saves) when a property does not hold. Crashes, traps
/// and sanitizer reports inside the code under test are found by libFuzzer itself.
public enum FuzzChecks {
    /// Limits for fuzzing: the defaults, but smaller file, layer and alias budgets, so that one input stays
    /// fast. Every limit is still reachable from small inputs (that is part of what is fuzzed).
    public static let limits = ParseLimits(
        maxFileBytes: 1 << 20, maxNestingDepth: 200, maxAliasExpansion: 20_000, maxLayers: 2_000)

    /// The fuzzer's input as an array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    static let formats: [SourceFormat] = [.json, .yaml]

    static func source(_ bytes: [UInt8], _ format: SourceFormat) -> SourceText {
        SourceText(path: format == .json ? "fuzz.json" : "fuzz.yaml", bytes: bytes)
    }

    static func fail(_ message: String) -> Never {
        fatalError("fuzz property violated: \(message)")
    }

    // MARK: - Target 1: parsing

    /// Parses the input as JSON and as YAML. An error must point into the file and render as one line; a
    /// tree must have spans inside the file, respect the nesting limit, and not blow up in size; comments
    /// must start with `#`.
    public static func parse(_ bytes: [UInt8]) {
        for format in formats {
            let source = source(bytes, format)
            do {
                let document = try ConfigParser.parse(source, format: format, limits: limits)
                checkTree(document)
            } catch {
                checkError(error, in: source)
            }
        }
    }

    static func checkError(_ error: ConfigError, in source: SourceText) {
        guard (0...source.bytes.count).contains(error.offset) else {
            fail("error offset \(error.offset) outside 0...\(source.bytes.count): \(error.message)")
        }
        let line = error.rendered(in: source)
        guard !line.contains("\n"), !line.contains("\r") else { fail("error is not one line: \(line.debugDescription)") }
        guard !error.message.isEmpty else { fail("empty error message") }
    }

    static func checkSpan(_ span: Range<Int>, in source: SourceText, _ what: String) {
        guard span.lowerBound >= 0, span.upperBound <= source.bytes.count else {
            fail("\(what) span \(span) outside the file of \(source.bytes.count) bytes")
        }
        let start = source.location(ofByte: span.lowerBound)
        let end = source.location(ofByte: span.upperBound)
        guard start.line >= 1, start.column >= 1, end >= start else { fail("\(what) span \(span) has locations \(start)…\(end)") }
    }

    static func checkTree(_ document: ParsedDocument) {
        let source = document.source
        var stack: [(ConfigNode, Int)] = [(document.root, 0)]
        var nodes = 0
        while let (node, depth) = stack.popLast() {
            nodes += 1
            checkSpan(node.span, in: source, "node")
            switch node.value {
            case .mapping(let entries):
                guard depth + 1 <= limits.maxNestingDepth else { fail("nesting \(depth + 1) above the limit") }
                for entry in entries {
                    checkSpan(entry.key.span, in: source, "key")
                    stack.append((entry.key, depth + 1))
                    stack.append((entry.value, depth + 1))
                }
            case .sequence(let items):
                guard depth + 1 <= limits.maxNestingDepth else { fail("nesting \(depth + 1) above the limit") }
                for item in items { stack.append((item, depth + 1)) }
            case .float(let value):
                // Non-finite floats only come from `.inf`/`.nan` spellings; they must not crash anything later.
                _ = value.isFinite
            default:
                break
            }
        }
        // Every node costs source bytes, except alias copies, which the alias budget bounds.
        let bound = 4 * (source.bytes.count + 1) + limits.maxAliasExpansion
        guard nodes <= bound else { fail("\(nodes) nodes from \(source.bytes.count) bytes") }
        for comment in document.comments {
            checkSpan(comment, in: source, "comment")
            guard comment.lowerBound < source.bytes.count, source.bytes[comment.lowerBound] == UInt8(ascii: "#") else {
                fail("comment \(comment) does not start with '#'")
            }
        }
        _ = document.root.plain
    }

    // MARK: - Target 2: the whole pipeline

    /// Parse → IR → `Analysis` (graph, loop plans, dims, unmask verdicts) → findings, for both formats; plus
    /// the dims of `--no-optimize`. Findings must point into the file; their fixes must be disjoint edits
    /// inside the file.
    public static func pipeline(_ bytes: [UInt8]) {
        for format in formats {
            let source = source(bytes, format)
            let config: NetworkConfig
            do {
                config = try NetworkConfig.load(source, format: format, limits: limits)
            } catch {
                checkError(error, in: source)
                continue
            }
            guard config.layerCount <= limits.maxLayers else { fail("\(config.layerCount) layers above the limit") }
            let analysis = Analysis(config: config)
            for finding in analysis.findings() { checkFinding(finding, in: source) }
            for layer in analysis.graph.layers { _ = analysis.isBuilt(layer.id) }
            let unoptimized = DimAnalysis(graph: analysis.graph, optimize: false)
            for entry in unoptimized.entries { _ = entry.result.template?.description }
        }
    }

    static func checkFinding(_ finding: Finding, in source: SourceText) {
        checkSpan(finding.span, in: source, "finding \(finding.rule.code)")
        for note in finding.notes { if let span = note.span { checkSpan(span, in: source, "note") } }
        guard !finding.message.isEmpty else { fail("\(finding.rule.code) has an empty message") }
        guard let fix = finding.fix else { return }
        for edit in fix.edits { checkSpan(edit.range, in: source, "edit of \(finding.rule.code)") }
        guard TextEdits.areDisjoint(fix.edits) else { fail("\(finding.rule.code) offers overlapping edits \(fix.edits)") }
    }

    // MARK: - Target 3: fixes

    /// On inputs that load: every fix offered (safe and unsafe) applied alone changes no byte outside its edit
    /// ranges and gives text that loads again in the same format. Then `FixEngine` (verification off), safe
    /// only and with unsafe fixes: its result loads, each pass changes no byte outside that pass's edits, the
    /// engine stops without a problem, and a second run changes nothing.
    public static func fix(_ bytes: [UInt8]) {
        for format in formats {
            let source = source(bytes, format)
            guard let config = try? NetworkConfig.load(source, format: format, limits: limits) else { continue }
            for finding in Analysis(config: config).findings() {
                guard let fix = finding.fix, !fix.edits.isEmpty else { continue }
                let what = "\(finding.rule.code) fix '\(fix.message)'"
                guard let fixed = TextEdits.apply(fix.edits, to: bytes) else { fail("\(what): edits do not apply") }
                if let problem = changesOutside(fix.edits, original: bytes, result: fixed) { fail("\(what): \(problem)") }
                do {
                    _ = try NetworkConfig.load(SourceText(path: source.path, bytes: fixed), format: format, limits: limits)
                } catch {
                    fail("\(what) gives text that does not load: \(error.message)\n\(String(decoding: fixed, as: UTF8.self))")
                }
            }
            for includeUnsafe in [false, true] {
                checkEngine(source, format: format, includeUnsafe: includeUnsafe)
            }
        }
    }

    static func runEngine(_ source: SourceText, format: SourceFormat, includeUnsafe: Bool, maxPasses: Int = 10) -> FixOutcome {
        let options = FixOptions(includeUnsafe: includeUnsafe, verify: false, limits: limits, maxPasses: maxPasses)
        do {
            return try FixEngine.run(source, format: format, options: options, verifier: nil)
        } catch {
            fail("FixEngine refused text that loads: \(error.message)")
        }
    }

    static func checkEngine(_ source: SourceText, format: SourceFormat, includeUnsafe: Bool) {
        let mode = includeUnsafe ? "with unsafe fixes" : "safe fixes"
        let outcome = runEngine(source, format: format, includeUnsafe: includeUnsafe)
        if let problem = outcome.problem { fail("FixEngine (\(mode)): \(problem)") }
        let fixed = SourceText(path: source.path, bytes: outcome.fixedBytes)
        do {
            _ = try NetworkConfig.load(fixed, format: format, limits: limits)
        } catch {
            fail("FixEngine (\(mode)) wrote text that does not load: \(error.message)")
        }
        let again = runEngine(fixed, format: format, includeUnsafe: includeUnsafe)
        if again.changed {
            fail("a second fix run (\(mode)) changed the text again: \(again.applied.map { "\($0.rule.code) \($0.fix?.message ?? "")" })")
        }
        // Pass by pass: each pass's edits are relative to that pass's input; nothing else may change.
        var current = source
        for _ in 0..<outcome.passes {
            let step = runEngine(current, format: format, includeUnsafe: includeUnsafe, maxPasses: 1)
            guard step.changed else { break }
            let edits = step.applied.flatMap { $0.fix?.edits ?? [] }
            if let problem = changesOutside(edits, original: current.bytes, result: step.fixedBytes) {
                fail("a fix pass (\(mode)): \(problem)")
            }
            current = SourceText(path: source.path, bytes: step.fixedBytes)
        }
        guard current.bytes == outcome.fixedBytes else { fail("pass-by-pass fixing (\(mode)) differs from one run") }
    }

    /// Compares `result` with `original` around `edits` without `TextEdits.apply`: the bytes between edits must
    /// be copied, each edit's range replaced by exactly its replacement. Returns what differs, or nil.
    public static func changesOutside(_ edits: [TextEdit], original: [UInt8], result: [UInt8]) -> String? {
        let sorted = edits.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var inOriginal = 0
        var inResult = 0
        for edit in sorted {
            let gap = edit.range.lowerBound - inOriginal
            guard gap >= 0, inResult + gap <= result.count else { return "edit \(edit.range) out of order or out of bounds" }
            if original[inOriginal..<edit.range.lowerBound] != result[inResult..<(inResult + gap)] {
                return "bytes \(inOriginal)..<\(edit.range.lowerBound) outside the edits changed"
            }
            inResult += gap
            let replacement = Array(edit.replacement.utf8)
            guard inResult + replacement.count <= result.count,
                result[inResult..<(inResult + replacement.count)].elementsEqual(replacement)
            else { return "edit \(edit.range) was not replaced by its replacement" }
            inResult += replacement.count
            inOriginal = edit.range.upperBound
        }
        guard original[inOriginal...].elementsEqual(result[inResult...]) else {
            return "bytes after offset \(inOriginal) (outside the edits) changed"
        }
        return nil
    }
}
