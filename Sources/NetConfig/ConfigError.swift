/// A problem that stops a file from being read: a syntax error, invalid UTF-8, a limit that was hit.
///
/// It is rendered as one line `FILE:LINE:COL: error: message` (see `rendered(in:)`); the CLI exits with 2.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, lowercase, without a trailing period.
    public var message: String
    /// The byte offset in the file where the problem is.
    public var offset: Int
    /// Secondary information, e.g. libyaml's context ("while parsing a flow sequence at 1:4").
    public var note: String?

    /// Creates an error at a byte offset.
    public init(_ message: String, at offset: Int, note: String? = nil) {
        self.message = message
        self.offset = offset
        self.note = note
    }

    public var description: String { "error at byte \(offset): \(message)" }

    /// The one-line form `FILE:LINE:COL: error: message[ (note)]`.
    public func rendered(in source: SourceText) -> String {
        let location = source.location(ofByte: offset)
        var line = "\(source.path):\(location.line):\(location.column): error: \(message)"
        if let note { line += " (\(note))" }
        return line
    }
}
