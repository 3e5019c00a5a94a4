/// How a node was written in the source; fixes render new text in the style of their neighbours.
public enum NodeStyle: String, Sendable, Hashable, Codable {
    /// JSON (any node of a `.json` file).
    case json
    /// YAML plain scalar (`abc`).
    case plain
    /// YAML `'single'` quoted scalar.
    case singleQuoted
    /// YAML `"double"` quoted scalar.
    case doubleQuoted
    /// YAML `|` block scalar.
    case literal
    /// YAML `>` block scalar.
    case folded
    /// YAML block collection (indentation).
    case block
    /// YAML flow collection (`{…}`, `[…]`).
    case flow
}

/// One node of a parsed JSON or YAML file: its value and the byte range it occupies in the source.
///
/// Mappings keep their entries in source order, duplicates included (they are reported, not dropped).
public struct ConfigNode: Sendable, Hashable {
    /// The value of a node; collections hold child nodes.
    public enum Value: Sendable, Hashable {
        case mapping([ConfigEntry])
        case sequence([ConfigNode])
        case string(String)
        case int(Int)
        case float(Double)
        case bool(Bool)
        case null
    }

    /// The value.
    public var value: Value
    /// The node's byte range in the source. Quoted scalars include their quotes; flow collections
    /// include their brackets; block collections end at the next token (libyaml's convention).
    public var span: Range<Int>
    /// How the node was written.
    public var style: NodeStyle
    /// True when the node was produced by expanding a YAML alias (`*name`); `span` is then the alias's.
    /// Fixes never edit through an alias.
    public var isAliasCopy: Bool

    /// Creates a node.
    public init(_ value: Value, span: Range<Int>, style: NodeStyle, isAliasCopy: Bool = false) {
        self.value = value
        self.span = span
        self.style = style
        self.isAliasCopy = isAliasCopy
    }
}

/// One `key: value` entry of a mapping; both sides keep their own spans.
public struct ConfigEntry: Sendable, Hashable {
    /// The key node (a string in JSON; any scalar in YAML).
    public var key: ConfigNode
    /// The value node.
    public var value: ConfigNode

    /// Creates an entry.
    public init(key: ConfigNode, value: ConfigNode) {
        self.key = key
        self.value = value
    }

    /// The byte range from the start of the key to the end of the value.
    public var span: Range<Int> {
        min(key.span.lowerBound, value.span.lowerBound)..<max(key.span.upperBound, value.span.upperBound)
    }
}

extension ConfigNode {
    /// The string, if this node is a string scalar.
    public var stringValue: String? {
        if case .string(let s) = value { return s }
        return nil
    }

    /// The integer, if this node is an integer scalar.
    public var intValue: Int? {
        if case .int(let i) = value { return i }
        return nil
    }

    /// The number as a `Double`, if this node is an integer or float scalar.
    public var numberValue: Double? {
        switch value {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    /// The boolean, if this node is a boolean scalar.
    public var boolValue: Bool? {
        if case .bool(let b) = value { return b }
        return nil
    }

    /// True for `null` / `None` / `~`.
    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// True for mappings and sequences.
    public var isCollection: Bool {
        switch value {
        case .mapping, .sequence: return true
        default: return false
        }
    }

    /// The entries, if this node is a mapping.
    public var entries: [ConfigEntry]? {
        if case .mapping(let e) = value { return e }
        return nil
    }

    /// The elements, if this node is a sequence.
    public var elements: [ConfigNode]? {
        if case .sequence(let e) = value { return e }
        return nil
    }

    /// The value of the entry whose key is the string `key` (mappings only); with duplicate keys the last
    /// one wins, as in a Python dict.
    public subscript(key: String) -> ConfigNode? {
        entry(key)?.value
    }

    /// The entry whose key is the string `key` (mappings only); the last one when the key is duplicated.
    public func entry(_ key: String) -> ConfigEntry? {
        guard case .mapping(let entries) = value else { return nil }
        // Keys of another length are skipped before comparing text (a native string's UTF-8 count is stored).
        // Indexes instead of iterating copies: an entry's copy retains both of its nodes.
        let length = key.utf8.count
        var index = entries.endIndex
        while index > entries.startIndex {
            index -= 1
            if case .string(let text) = entries[index].key.value, text.utf8.count == length, text == key {
                return entries[index]
            }
        }
        return nil
    }

    /// A short human name of the value's kind, for messages ("a mapping", "a string", …).
    public var kindDescription: String {
        switch value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .string: return "a string"
        case .int: return "an integer"
        case .float: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The value without source positions, for comparing what two files mean.
    public var plain: PlainValue {
        switch value {
        case .mapping(let entries): return .mapping(entries.map { ($0.key.plain, $0.value.plain) }.map(PlainEntry.init))
        case .sequence(let items): return .sequence(items.map(\.plain))
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        case .null: return .null
        }
    }
}

/// A position-free value tree; two files mean the same when their `PlainValue`s are equal.
public indirect enum PlainValue: Sendable, Hashable, CustomStringConvertible {
    case mapping([PlainEntry])
    case sequence([PlainValue])
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case null

    public var description: String {
        switch self {
        case .mapping(let entries): return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .sequence(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// One entry of a `PlainValue.mapping`.
public struct PlainEntry: Sendable, Hashable {
    /// The key.
    public var key: PlainValue
    /// The value.
    public var value: PlainValue

    /// Creates an entry from a key/value pair.
    public init(_ pair: (PlainValue, PlainValue)) {
        self.key = pair.0
        self.value = pair.1
    }
}
