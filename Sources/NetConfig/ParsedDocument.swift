/// The file formats NetConfig reads.
public enum SourceFormat: String, Sendable, Hashable, Codable {
    case json
    case yaml

    /// The format for a file name: `.json` is JSON; `.yaml`, `.yml` and everything else is YAML.
    public static func forPath(_ path: String) -> SourceFormat {
        path.lowercased().hasSuffix(".json") ? .json : .yaml
    }
}

/// A parsed file: its text, its value tree and its comments.
public struct ParsedDocument: Sendable {
    /// The original text.
    public var source: SourceText
    /// The format it was parsed as.
    public var format: SourceFormat
    /// The root node.
    public var root: ConfigNode
    /// Byte ranges of the comments (`# …` up to the end of the line; YAML only).
    public var comments: [Range<Int>]

    /// Creates a document.
    public init(source: SourceText, format: SourceFormat, root: ConfigNode, comments: [Range<Int>]) {
        self.source = source
        self.format = format
        self.root = root
        self.comments = comments
    }
}

/// Entry point: text → positioned value tree.
public enum ConfigParser {
    /// Parses `source` as `format`, enforcing `limits`.
    ///
    /// - Throws: `ConfigError` with the byte offset of the first problem.
    public static func parse(
        _ source: SourceText, format: SourceFormat, limits: ParseLimits = .default
    ) throws(ConfigError) -> ParsedDocument {
        if source.bytes.count > limits.maxFileBytes {
            throw ConfigError(
                "file is \(source.bytes.count) bytes, more than the limit of \(limits.maxFileBytes) (--max-file-size)",
                at: 0)
        }
        if let bad = UTF8Validation.firstInvalidOffset(in: source.bytes) {
            throw ConfigError("invalid UTF-8 (byte 0x\(String(source.bytes[bad], radix: 16, uppercase: true)))", at: bad)
        }
        switch format {
        case .json:
            let root = try JSONReader.parse(source.bytes, limits: limits)
            return ParsedDocument(source: source, format: .json, root: root, comments: [])
        case .yaml:
            let (root, comments) = try YAMLReader.parse(source.bytes, limits: limits)
            return ParsedDocument(source: source, format: .yaml, root: root, comments: comments)
        }
    }
}
