import NetConfig

/// How serious a finding is.
public enum Severity: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case info
    case warning
    case error

    private var rank: Int {
        switch self {
        case .info: return 0
        case .warning: return 1
        case .error: return 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// A stable rule identity: a code (`RL101`) and a kebab-case name (`unmask-redundant`).
public struct RuleID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The short code, e.g. `RL101`.
    public let code: String
    /// The kebab-case name, e.g. `unmask-redundant`.
    public let name: String

    /// Creates a rule identity.
    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }

    public static func < (a: RuleID, b: RuleID) -> Bool { a.code < b.code }
    public var description: String { "\(code) \(name)" }
}

/// A secondary message, optionally pointing at another place in the file.
public struct Note: Hashable, Sendable {
    /// The message, lowercase, no trailing period.
    public var message: String
    /// The byte range it points at, if any.
    public var span: Range<Int>?

    /// Creates a note.
    public init(_ message: String, span: Range<Int>? = nil) {
        self.message = message
        self.span = span
    }
}

/// A replacement of a byte range of the original text (swift-syntax's `SourceEdit`, ruff's `Edit`).
public struct TextEdit: Hashable, Sendable, Codable {
    /// The UTF-8 byte range of the original text to replace (empty for an insertion).
    public var range: Range<Int>
    /// The new text.
    public var replacement: String

    /// Creates an edit.
    public init(range: Range<Int>, replacement: String) {
        self.range = range
        self.replacement = replacement
    }
}

/// Whether a fix may be applied automatically (ruff's applicability).
public enum Applicability: String, Sendable, Hashable, Codable, Comparable {
    /// Shown only; apply by hand.
    case displayOnly = "display-only"
    /// Changes what the network computes, or could not be verified: needs `--unsafe-fixes`.
    case unsafe
    /// Keeps the meaning (and is verified numerically before it is written).
    case safe

    private var rank: Int {
        switch self {
        case .displayOnly: return 0
        case .unsafe: return 1
        case .safe: return 2
        }
    }

    public static func < (a: Applicability, b: Applicability) -> Bool { a.rank < b.rank }
}

/// A proposed change that resolves a finding: byte-range edits on the original text.
public struct Fix: Hashable, Sendable {
    /// What the fix does, lowercase ("remove 'unmask' and point its consumers at 'masked'").
    public var message: String
    /// Non-overlapping edits, sorted by start.
    public var edits: [TextEdit]
    /// Whether it may be applied automatically.
    public var applicability: Applicability
    /// The numeric verification result, once the fix has been verified.
    public var verification: Verification?

    /// Creates a fix; edits are sorted by their start offset.
    public init(message: String, edits: [TextEdit], applicability: Applicability, verification: Verification? = nil) {
        self.message = message
        self.edits = edits.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        self.applicability = applicability
        self.verification = verification
    }
}

/// The outcome of numerically comparing a rewrite with the original.
public struct Verification: Hashable, Sendable {
    /// The verdict.
    public enum Status: String, Sendable, Hashable, Codable {
        case passed, failed, inconclusive, skipped
    }

    /// A place where the two networks differ.
    public struct Counterexample: Hashable, Sendable {
        /// The trial and its seed.
        public var trial: Int
        public var seed: UInt64
        /// The layer path and loop mode where the values differ.
        public var layer: String
        public var mode: String
        /// The element index (batch first).
        public var index: [Int]
        /// The two values.
        public var original: Double
        public var rewritten: Double
    }

    /// The verdict.
    public var status: Status
    /// Trials run, and the base seed.
    public var trials: Int
    public var seed: UInt64
    /// Largest absolute difference seen on valid frames.
    public var maxAbsDiff: Double
    /// Layers that the evaluator replaced by random stand-ins (upstream of the change).
    public var standIns: [String]
    /// Why the result is inconclusive or failed, if so.
    public var detail: String?
    /// The first difference found, for a failed verification.
    public var counterexample: Counterexample?
    /// How many layer values were compared.
    public var comparedLayers: Int

    /// Creates a verification result.
    public init(
        status: Status, trials: Int, seed: UInt64, maxAbsDiff: Double, standIns: [String] = [], detail: String? = nil,
        counterexample: Counterexample? = nil, comparedLayers: Int = 0
    ) {
        self.status = status
        self.trials = trials
        self.seed = seed
        self.maxAbsDiff = maxAbsDiff
        self.standIns = standIns
        self.detail = detail
        self.counterexample = counterexample
        self.comparedLayers = comparedLayers
    }
}

/// One problem found in a file (swift-syntax's `Diagnostic`, ruff's `Message`).
public struct Finding: Hashable, Sendable {
    /// The rule that found it.
    public var rule: RuleID
    /// How serious it is.
    public var severity: Severity
    /// What is wrong, lowercase, code quoted in `'…'`.
    public var message: String
    /// The file's display path.
    public var file: String
    /// The byte range the finding points at.
    public var span: Range<Int>
    /// Line and column of the start and end of `span`.
    public var start: TextLocation
    public var end: TextLocation
    /// The layer the finding is about, in path notation (`output/lm_embed_unmask`), if any.
    public var layerPath: String?
    /// Further explanation.
    public var notes: [Note]
    /// A fix, if one exists.
    public var fix: Fix?

    /// Creates a finding; line and column are derived from `source`.
    public init(
        rule: RuleID, severity: Severity, message: String, source: SourceText, span: Range<Int>,
        layerPath: String? = nil, notes: [Note] = [], fix: Fix? = nil
    ) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.file = source.path
        self.span = span
        self.start = source.location(ofByte: span.lowerBound)
        self.end = source.location(ofByte: span.upperBound)
        self.layerPath = layerPath
        self.notes = notes
        self.fix = fix
    }

    /// The deterministic report order: file, position, rule code, message.
    public static func reportOrder(_ a: Finding, _ b: Finding) -> Bool {
        (a.file, a.span.lowerBound, a.rule.code, a.message) < (b.file, b.span.lowerBound, b.rule.code, b.message)
    }
}
