internal import CYAML

/// Reads YAML into a positioned `ConfigNode` tree through libyaml's event API.
///
/// This file is the only place that sees libyaml marks. They are 0-based and count Unicode scalars;
/// every mark is converted to a byte offset here, through `ScalarOffsetTable`. libyaml's reader strips
/// a leading UTF-8 byte order mark without counting it, so scalar index 0 is byte 3 in such files.
///
/// The tree is built iteratively from events with an explicit stack, so hostile nesting fails with a
/// `ConfigError` as soon as `ParseLimits.maxNestingDepth` is exceeded, never with a stack overflow.
enum YAMLReader {
    /// Returns the root node and the byte ranges of all comments.
    static func parse(_ bytes: [UInt8], limits: ParseLimits) throws(ConfigError) -> (ConfigNode, [Range<Int>]) {
        // libyaml asserts on a NULL input pointer, which an empty array may have.
        if bytes.isEmpty { throw ConfigError("empty file", at: 0) }
        // libyaml keeps a pointer to the input: the buffer must stay valid for the whole parse.
        let outcome = bytes.withUnsafeBufferPointer { buffer -> Result<(ConfigNode, [Range<Int>]), ConfigError> in
            do throws(ConfigError) {
                var reader = YAMLEventReader(bytes: buffer, source: bytes, limits: limits)
                return .success(try reader.run())
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}

// MARK: - Scalar index → byte offset

/// Converts libyaml's scalar indices to byte offsets in valid UTF-8 input.
///
/// An ASCII file needs no table. Otherwise the byte offset of every 64th scalar is stored, and a lookup
/// walks forward from that checkpoint, or from the previous lookup when it is close (marks arrive
/// almost in order), so memory stays at one `Int` per 64 scalars. It borrows `bytes`: use it only
/// while that buffer is valid.
struct ScalarOffsetTable {
    /// Bytes before scalar index 0: 3 for a leading byte order mark (libyaml skips it), else 0.
    let base: Int
    private let bytes: UnsafeBufferPointer<UInt8>
    private let isASCII: Bool
    private var checkpoints: [Int] = []
    private var cursorScalar = 0
    private var cursorByte: Int
    private static let stride = 64

    /// Indexes `bytes`, which must be valid UTF-8.
    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        let count = bytes.count
        base = count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        cursorByte = base
        var ascii = true
        var index = base
        while index < count {
            if bytes[index] >= 0x80 { ascii = false; break }
            index += 1
        }
        isASCII = ascii
        guard !ascii else { return }
        checkpoints.reserveCapacity((count - base) / Self.stride + 1)
        var scalar = 0
        index = base
        while index < count {
            if scalar % Self.stride == 0 { checkpoints.append(index) }
            index += Self.width(ofLeadByte: bytes[index])
            scalar += 1
        }
    }

    /// The byte offset of the scalar with libyaml index `index`, clamped to the input.
    mutating func byteOffset(ofScalar index: Int) -> Int {
        let count = bytes.count
        if index <= 0 { return min(base, count) }
        if isASCII { return min(base + index, count) }
        var scalar: Int
        var byte: Int
        if index >= cursorScalar, index - cursorScalar < Self.stride {
            scalar = cursorScalar
            byte = cursorByte
        } else {
            let checkpoint = min(index / Self.stride, checkpoints.count - 1)
            guard checkpoint >= 0 else { return min(base, count) }
            scalar = checkpoint * Self.stride
            byte = checkpoints[checkpoint]
        }
        while scalar < index, byte < count {
            byte += Self.width(ofLeadByte: bytes[byte])
            scalar += 1
        }
        byte = min(byte, count)
        cursorScalar = scalar
        cursorByte = byte
        return byte
    }

    /// The length of the UTF-8 sequence that starts with `byte` (1 for stray continuation bytes).
    @inline(__always)
    private static func width(ofLeadByte byte: UInt8) -> Int {
        if byte < 0xC0 { return 1 }
        if byte < 0xE0 { return 2 }
        if byte < 0xF0 { return 3 }
        return 4
    }
}

// MARK: - Event reader

/// One open collection while its events are read.
private struct YAMLFrame {
    enum Kind { case sequence, mapping }

    let kind: Kind
    let id: Int
    let start: Int
    let style: NodeStyle
    let anchor: String?
    var items: [ConfigNode] = []
    var entries: [ConfigEntry] = []
    var pendingKey: ConfigNode?
    var pendingKeyIsMerge = false
    /// Indices into `entries` of `<<` merge entries.
    var mergeEntries: [Int] = []
    /// Nodes in this subtree, the collection itself included (alias copies count in full).
    var nodeCount = 1
    /// Nesting levels of this subtree: 1 for a collection of scalars.
    var height = 1
}

/// A finished anchored node, with what an alias to it costs.
private struct YAMLAnchoredNode {
    var node: ConfigNode
    var nodeCount: Int
    var height: Int
    /// The node with `isAliasCopy` set throughout, made on first use.
    var marked: ConfigNode?
}

private enum YAMLAnchor {
    /// The anchored collection is still being read (an alias to it would be recursive).
    case open(frameID: Int)
    case complete(YAMLAnchoredNode)
}

/// Pulls libyaml events and builds the tree with an explicit stack.
private struct YAMLEventReader {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The same bytes, for rendering note locations.
    let source: [UInt8]
    let limits: ParseLimits
    var offsets: ScalarOffsetTable
    var stack: [YAMLFrame] = []
    var root: ConfigNode?
    var documentCount = 0
    var anchors: [String: YAMLAnchor] = [:]
    var nextFrameID = 0
    var aliasExpansion = 0
    /// Byte ranges of scalar and alias text, where `#` does not start a comment (in source order).
    var nonComment: [Range<Int>] = []

    init(bytes: UnsafeBufferPointer<UInt8>, source: [UInt8], limits: ParseLimits) {
        self.bytes = bytes
        self.source = source
        self.limits = limits
        self.offsets = ScalarOffsetTable(bytes: bytes)
    }

    mutating func run() throws(ConfigError) -> (ConfigNode, [Range<Int>]) {
        guard let input = bytes.baseAddress else { throw ConfigError("empty file", at: 0) }
        // Heap-allocated so it never moves: libyaml's string reader keeps a pointer to the parser.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw ConfigError("out of memory while starting the YAML parser", at: 0)
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_input_string(parser, input, bytes.count)
        // No yaml_parser_set_encoding: with an explicit encoding libyaml keeps a leading byte order mark
        // as a character in column 0, and then rejects `---` and the indentation of line 2.

        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else { throw libyamlError(parser.pointee) }
            defer { yaml_event_delete(&event) }
            if try handle(event) { break }
        }
        guard let root else { throw ConfigError("empty file", at: 0) }
        return (root, collectComments())
    }

    /// Handles one event; returns true at the end of the stream.
    private mutating func handle(_ event: yaml_event_t) throws(ConfigError) -> Bool {
        switch event.type {
        case YAML_SCALAR_EVENT:
            try scalar(event)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try open(
                .sequence, at: offsets.byteOffset(ofScalar: event.start_mark.index),
                style: data.style == YAML_FLOW_SEQUENCE_STYLE ? .flow : .block, anchor: Self.string(data.anchor))
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try open(
                .mapping, at: offsets.byteOffset(ofScalar: event.start_mark.index),
                style: data.style == YAML_FLOW_MAPPING_STYLE ? .flow : .block, anchor: Self.string(data.anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try close(at: offsets.byteOffset(ofScalar: event.end_mark.index))
        case YAML_ALIAS_EVENT:
            let start = offsets.byteOffset(ofScalar: event.start_mark.index)
            let end = max(start, offsets.byteOffset(ofScalar: event.end_mark.index))
            try alias(Self.string(event.data.alias.anchor) ?? "", span: start..<end)
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > 1 {
                throw ConfigError(
                    "multiple YAML documents are not supported",
                    at: offsets.byteOffset(ofScalar: event.start_mark.index))
            }
        case YAML_STREAM_END_EVENT:
            return true
        default:
            break  // stream start, document end
        }
        return false
    }

    // MARK: Nodes

    private mutating func scalar(_ event: yaml_event_t) throws(ConfigError) {
        let data = event.data.scalar
        let start = offsets.byteOffset(ofScalar: event.start_mark.index)
        let end = max(start, offsets.byteOffset(ofScalar: event.end_mark.index))
        let span = start..<end
        let text = UnsafeBufferPointer<UInt8>(start: data.value, count: data.value == nil ? 0 : data.length)
        let style: NodeStyle
        switch data.style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: style = .literal
        case YAML_FOLDED_SCALAR_STYLE: style = .folded
        default: style = .plain
        }
        let tag = Self.string(data.tag)
        let value: ConfigNode.Value
        var isMergeKey = false
        if let tag {
            guard let resolved = YAMLScalarResolver.resolve(text, tag: tag) else {
                let shortTag = tag.hasPrefix(YAMLScalarResolver.yamlTagPrefix)
                    ? "!!" + tag.dropFirst(YAMLScalarResolver.yamlTagPrefix.count) : tag
                throw ConfigError("invalid \(shortTag) value '\(Self.excerpt(text))'", at: start)
            }
            value = resolved
            isMergeKey = tag == YAMLScalarResolver.yamlTagPrefix + "merge"
        } else if style == .plain {
            value = YAMLScalarResolver.resolvePlain(text)
            isMergeKey = text.count == 2 && text[0] == UInt8(ascii: "<") && text[1] == UInt8(ascii: "<")
        } else {
            value = .string(String(decoding: text, as: UTF8.self))
        }
        let node = ConfigNode(value, span: span, style: style)
        let contentStart = scalarContentStart(span, isBlock: style == .literal || style == .folded)
        if contentStart < end { nonComment.append(contentStart..<end) }
        if let anchor = Self.string(data.anchor) {
            anchors[anchor] = .complete(YAMLAnchoredNode(node: node, nodeCount: 1, height: 0))
        }
        try attach(node, nodeCount: 1, height: 0, isMergeKey: isMergeKey)
    }

    private mutating func open(
        _ kind: YAMLFrame.Kind, at start: Int, style: NodeStyle, anchor: String?
    ) throws(ConfigError) {
        if stack.count >= limits.maxNestingDepth {
            throw ConfigError("nesting deeper than \(limits.maxNestingDepth) levels (--max-nesting)", at: start)
        }
        nextFrameID += 1
        if let anchor { anchors[anchor] = .open(frameID: nextFrameID) }
        stack.append(YAMLFrame(kind: kind, id: nextFrameID, start: start, style: style, anchor: anchor))
    }

    private mutating func close(at end: Int) throws(ConfigError) {
        guard var frame = stack.popLast() else { return }
        let value: ConfigNode.Value
        switch frame.kind {
        case .sequence:
            value = .sequence(frame.items)
        case .mapping:
            if let key = frame.pendingKey {  // libyaml always pairs keys with values; be safe anyway
                let at = key.span.upperBound
                frame.entries.append(ConfigEntry(key: key, value: ConfigNode(.null, span: at..<at, style: .plain)))
            }
            if frame.mergeEntries.isEmpty {
                value = .mapping(frame.entries)
            } else {
                value = .mapping(try Self.merged(frame.entries, merging: frame.mergeEntries))
            }
        }
        // libyaml ends a block collection at the next token (the next key of an outer mapping, after its
        // indentation), so its end mark lies on a later line: a block collection ends with its last child.
        var end = end
        if frame.style == .block {
            switch value {
            case .mapping(let entries): if let last = entries.last { end = max(last.key.span.upperBound, last.value.span.upperBound) }
            case .sequence(let items): if let last = items.last { end = last.span.upperBound }
            default: break
            }
        }
        let node = ConfigNode(value, span: frame.start..<max(frame.start, end), style: frame.style)
        if let name = frame.anchor, case .open(let id) = anchors[name], id == frame.id {
            anchors[name] = .complete(YAMLAnchoredNode(node: node, nodeCount: frame.nodeCount, height: frame.height))
        }
        try attach(node, nodeCount: frame.nodeCount, height: frame.height, isMergeKey: false)
    }

    private mutating func alias(_ name: String, span: Range<Int>) throws(ConfigError) {
        nonComment.append(span)
        guard let anchor = anchors[name] else {
            throw ConfigError("undefined alias '*\(name)'", at: span.lowerBound)
        }
        guard case .complete(var anchored) = anchor else {
            throw ConfigError(
                "alias '*\(name)' refers to a node that contains it (recursive aliases are not supported)",
                at: span.lowerBound)
        }
        let (total, overflow) = aliasExpansion.addingReportingOverflow(anchored.nodeCount)
        if overflow || total > limits.maxAliasExpansion {
            throw ConfigError(
                "alias expansion exceeds \(limits.maxAliasExpansion) nodes (--max-alias-expansion); "
                    + "possible alias bomb",
                at: span.lowerBound)
        }
        aliasExpansion = total
        if stack.count + anchored.height > limits.maxNestingDepth {
            throw ConfigError(
                "nesting deeper than \(limits.maxNestingDepth) levels (--max-nesting)", at: span.lowerBound,
                note: "through alias '*\(name)'")
        }
        let marked: ConfigNode
        if let cached = anchored.marked {
            marked = cached
        } else {
            marked = Self.markedAsAliasCopy(anchored.node)
            anchored.marked = marked
            anchors[name] = .complete(anchored)
        }
        var copy = marked
        copy.span = span
        try attach(copy, nodeCount: anchored.nodeCount, height: anchored.height, isMergeKey: false)
    }

    /// Adds a finished node to the open collection, or makes it the root.
    private mutating func attach(
        _ node: ConfigNode, nodeCount: Int, height: Int, isMergeKey: Bool
    ) throws(ConfigError) {
        let top = stack.count - 1
        guard top >= 0 else {
            if root == nil { root = node }
            return
        }
        stack[top].nodeCount += nodeCount
        stack[top].height = max(stack[top].height, height + 1)
        switch stack[top].kind {
        case .sequence:
            stack[top].items.append(node)
        case .mapping:
            if let key = stack[top].pendingKey {
                if stack[top].pendingKeyIsMerge { stack[top].mergeEntries.append(stack[top].entries.count) }
                stack[top].entries.append(ConfigEntry(key: key, value: node))
                stack[top].pendingKey = nil
                stack[top].pendingKeyIsMerge = false
            } else {
                stack[top].pendingKey = node
                stack[top].pendingKeyIsMerge = isMergeKey
            }
        }
    }

    // MARK: Merge keys and alias copies

    /// Replaces each `<<` entry by the entries it merges, as PyYAML does: keys written in the mapping
    /// itself win, then later `<<` entries over earlier ones, and in a list earlier mappings over later ones.
    private static func merged(
        _ entries: [ConfigEntry], merging mergeIndices: [Int]
    ) throws(ConfigError) -> [ConfigEntry] {
        var isMerge = [Bool](repeating: false, count: entries.count)
        for index in mergeIndices { isMerge[index] = true }
        // Candidates in PyYAML's order (a list's mappings reversed); the last occurrence of a key wins.
        var candidates: [(slot: Int, entry: ConfigEntry)] = []
        for index in mergeIndices {
            let value = entries[index].value
            switch value.value {
            case .mapping(let sourceEntries):
                for entry in sourceEntries { candidates.append((index, entry)) }
            case .sequence(let items):
                for item in items {
                    guard case .mapping = item.value else {
                        throw ConfigError(
                            "expected a mapping for merging, but found \(item.kindDescription)",
                            at: item.span.lowerBound)
                    }
                }
                for item in items.reversed() {
                    for entry in item.entries ?? [] { candidates.append((index, entry)) }
                }
            default:
                throw ConfigError(
                    "expected a mapping or list of mappings for merging, but found \(value.kindDescription)",
                    at: value.span.lowerBound)
            }
        }
        var seen = Set<PlainValue>()
        for (index, entry) in entries.enumerated() where !isMerge[index] { seen.insert(entry.key.plain) }
        var keep = [Bool](repeating: false, count: candidates.count)
        for index in candidates.indices.reversed() where seen.insert(candidates[index].entry.key.plain).inserted {
            keep[index] = true
        }
        var result: [ConfigEntry] = []
        result.reserveCapacity(entries.count + candidates.count)
        var next = 0
        for (index, entry) in entries.enumerated() {
            guard isMerge[index] else {
                result.append(entry)
                continue
            }
            while next < candidates.count, candidates[next].slot == index {
                if keep[next] { result.append(candidates[next].entry) }
                next += 1
            }
        }
        return result
    }

    /// The node with `isAliasCopy` set on it and on every descendant (iterative, any depth).
    static func markedAsAliasCopy(_ root: ConfigNode) -> ConfigNode {
        struct Work {
            var node: ConfigNode
            var children: [ConfigNode]
            var next = 0
            var done: [ConfigNode] = []
        }
        func children(of node: ConfigNode) -> [ConfigNode]? {
            switch node.value {
            case .sequence(let items): return items
            case .mapping(let entries):
                var flat: [ConfigNode] = []
                flat.reserveCapacity(entries.count * 2)
                for entry in entries {
                    flat.append(entry.key)
                    flat.append(entry.value)
                }
                return flat
            default: return nil
            }
        }
        guard let rootChildren = children(of: root) else {
            var copy = root
            copy.isAliasCopy = true
            return copy
        }
        var stack = [Work(node: root, children: rootChildren)]
        while let top = stack.indices.last {
            if stack[top].next < stack[top].children.count {
                let child = stack[top].children[stack[top].next]
                stack[top].next += 1
                if let grandchildren = children(of: child) {
                    stack.append(Work(node: child, children: grandchildren))
                } else {
                    var copy = child
                    copy.isAliasCopy = true
                    stack[top].done.append(copy)
                }
                continue
            }
            let work = stack.removeLast()
            var node = work.node
            node.isAliasCopy = true
            if case .mapping = node.value {
                var entries: [ConfigEntry] = []
                entries.reserveCapacity(work.done.count / 2)
                var index = 0
                while index + 1 < work.done.count {
                    entries.append(ConfigEntry(key: work.done[index], value: work.done[index + 1]))
                    index += 2
                }
                node.value = .mapping(entries)
            } else {
                node.value = .sequence(work.done)
            }
            guard let parent = stack.indices.last else { return node }
            stack[parent].done.append(node)
        }
        return root  // unreachable: the loop returns when the root is finished
    }

    // MARK: Comments

    /// Where a scalar's own text starts inside its event span: after its tag and anchor, and for block
    /// scalars after the header line (`|-  # comment`), whose comment is a real comment.
    private func scalarContentStart(_ span: Range<Int>, isBlock: Bool) -> Int {
        var index = span.lowerBound
        let end = span.upperBound
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "!"), UInt8(ascii: "&"):
                while index < end, !Self.isSpaceOrBreak(bytes[index]) { index += 1 }
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: "#") where index > span.lowerBound:
                while index < end, !Self.isBreak(bytes[index]) { index += 1 }
            case UInt8(ascii: "|"), UInt8(ascii: ">"):
                guard isBlock else { return index }
                while index < end, !Self.isBreak(bytes[index]) { index += 1 }
                return index
            default:
                return index
            }
        }
        return index
    }

    /// `#` at a line start or after a space or tab, outside scalar and alias text, up to the line end.
    private func collectComments() -> [Range<Int>] {
        var excluded = nonComment
        if !zip(excluded, excluded.dropFirst()).allSatisfy({ $0.lowerBound <= $1.lowerBound }) {
            excluded.sort { $0.lowerBound < $1.lowerBound }
        }
        var comments: [Range<Int>] = []
        let count = bytes.count
        let first = offsets.base
        var next = 0
        var index = first
        while index < count {
            guard bytes[index] == UInt8(ascii: "#") else {
                index += 1
                continue
            }
            let before = index > first ? bytes[index - 1] : UInt8(ascii: "\n")
            if before == UInt8(ascii: " ") || before == UInt8(ascii: "\t") || Self.isBreak(before) {
                while next < excluded.count, excluded[next].upperBound <= index { next += 1 }
                if next >= excluded.count || excluded[next].lowerBound > index {
                    var end = index
                    while end < count, !Self.isBreak(bytes[end]) { end += 1 }
                    comments.append(index..<end)
                    index = end
                    continue
                }
            }
            index += 1
        }
        return comments
    }

    @inline(__always)
    private static func isBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    @inline(__always)
    private static func isSpaceOrBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || isBreak(byte)
    }

    // MARK: Errors

    /// libyaml's error as a `ConfigError`: the problem at its position, the context as the note.
    private mutating func libyamlError(_ parser: yaml_parser_t) -> ConfigError {
        let problem = Self.lowercasedFirst(parser.problem.map { String(cString: $0) } ?? "invalid YAML")
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return ConfigError("out of memory while parsing YAML", at: 0)
        case YAML_READER_ERROR:
            // The reader reports a byte offset into the input (a byte order mark included).
            var message = problem
            if parser.problem_value >= 0 {
                let hex = String(parser.problem_value, radix: 16, uppercase: true)
                message += " (0x\(hex.count < 2 ? "0" + hex : hex))"
            }
            return ConfigError(message, at: min(max(0, parser.problem_offset), bytes.count))
        default:
            let offset = offsets.byteOffset(ofScalar: parser.problem_mark.index)
            var note: String?
            if let context = parser.context {
                let contextOffset = offsets.byteOffset(ofScalar: parser.context_mark.index)
                let location = SourceText(path: "", bytes: source).location(ofByte: contextOffset)
                note = "\(Self.lowercasedFirst(String(cString: context))) at \(location)"
            }
            return ConfigError(problem, at: offset, note: note)
        }
    }

    // MARK: Helpers

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.utf8.first, first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else { return text }
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    /// At most 40 bytes of a scalar for a message, cut at a character boundary.
    private static func excerpt(_ text: UnsafeBufferPointer<UInt8>) -> String {
        guard text.count > 40 else { return String(decoding: text, as: UTF8.self) }
        var end = 40
        while end > 0, text[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: text[0..<end]), as: UTF8.self) + "…"
    }
}

// MARK: - Scalar resolution

/// Resolves YAML scalar text to values: YAML 1.1 booleans, YAML 1.2-style numbers and nulls.
enum YAMLScalarResolver {
    static let yamlTagPrefix = "tag:yaml.org,2002:"

    /// The value of an untagged plain scalar.
    static func resolvePlain(_ text: UnsafeBufferPointer<UInt8>) -> ConfigNode.Value {
        guard let first = text.first else { return .null }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            if let number = number(text) { return number }
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"),
            UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"),
            UInt8(ascii: "O"):
            if text.count <= 5 {
                if isNull(text) { return .null }
                if let bool = bool(text) { return .bool(bool) }
            }
        default:
            break
        }
        return .string(String(decoding: text, as: UTF8.self))
    }

    /// The value of a scalar with an explicit tag (libyaml expands `!!x` to `tag:yaml.org,2002:x`);
    /// nil when the text does not fit a core tag. Unknown tags keep the text as a string.
    static func resolve(_ text: UnsafeBufferPointer<UInt8>, tag: String) -> ConfigNode.Value? {
        guard tag.hasPrefix(yamlTagPrefix) else { return .string(String(decoding: text, as: UTF8.self)) }
        switch tag.dropFirst(yamlTagPrefix.count) {
        case "int":
            return integer(text)
        case "float":
            if let value = float(text) { return .float(value) }
            switch integer(text) {
            case .int(let value): return .float(Double(value))
            case .float(let value): return .float(value)
            default: return nil
            }
        case "bool":
            return bool(text).map(ConfigNode.Value.bool)
        case "null":
            return text.isEmpty || isNull(text) ? .null : nil
        default:
            return .string(String(decoding: text, as: UTF8.self))
        }
    }

    private static func equals(_ text: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard text.count == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { text.elementsEqual($0) }
    }

    private static func isNull(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        equals(text, "~") || equals(text, "null") || equals(text, "Null") || equals(text, "NULL")
    }

    private static func bool(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch text.count {
        case 2:
            if equals(text, "on") || equals(text, "On") || equals(text, "ON") { return true }
            if equals(text, "no") || equals(text, "No") || equals(text, "NO") { return false }
        case 3:
            if equals(text, "yes") || equals(text, "Yes") || equals(text, "YES") { return true }
            if equals(text, "off") || equals(text, "Off") || equals(text, "OFF") { return false }
        case 4:
            if equals(text, "true") || equals(text, "True") || equals(text, "TRUE") { return true }
        case 5:
            if equals(text, "false") || equals(text, "False") || equals(text, "FALSE") { return false }
        default:
            break
        }
        return nil
    }

    private static func number(_ text: UnsafeBufferPointer<UInt8>) -> ConfigNode.Value? {
        if let value = integer(text) { return value }
        if let value = float(text) { return .float(value) }
        return nil
    }

    /// `[-+]?[0-9][0-9_]*`, `[-+]?0x[0-9a-fA-F_]+`, `[-+]?0o[0-7_]+`; `.float` when it does not fit `Int`.
    static func integer(_ text: UnsafeBufferPointer<UInt8>) -> ConfigNode.Value? {
        let count = text.count
        var index = 0
        var negative = false
        if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < count else { return nil }
        var radix = 10
        if text[index] == UInt8(ascii: "0"), index + 1 < count {
            if text[index + 1] == UInt8(ascii: "x") {
                radix = 16
                index += 2
            } else if text[index + 1] == UInt8(ascii: "o") {
                radix = 8
                index += 2
            }
        }
        // A decimal number starts with a digit; after a prefix, underscores may come first.
        if radix == 10, digit(text[index], radix: 10) == nil { return nil }
        var value = 0
        var overflow = false
        var approximate = 0.0
        var sawDigit = false
        while index < count {
            let byte = text[index]
            index += 1
            if byte == UInt8(ascii: "_") { continue }
            guard let digit = digit(byte, radix: radix) else { return nil }
            sawDigit = true
            approximate = approximate * Double(radix) + Double(digit)
            if !overflow {
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
                let (next, overflow2) =
                    negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
                if overflow1 || overflow2 { overflow = true } else { value = next }
            }
        }
        guard sawDigit else { return nil }
        if !overflow { return .int(value) }
        if radix == 10 {
            // Correctly rounded: let the standard library parse the digits.
            var digits = negative ? "-" : ""
            for byte in text where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits.unicodeScalars.append(Unicode.Scalar(byte))
            }
            if let exact = Double(digits) { return .float(exact) }
        }
        return .float(negative ? -approximate : approximate)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan` (three spellings each).
    static func float(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = text.count
        var index = 0
        var negative = false
        if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        let rest = UnsafeBufferPointer(rebasing: text[index...])
        if equals(rest, ".inf") || equals(rest, ".Inf") || equals(rest, ".INF") {
            return negative ? -.infinity : .infinity
        }
        if index == 0, equals(rest, ".nan") || equals(rest, ".NaN") || equals(rest, ".NAN") { return .nan }
        func digits() -> Int {
            let start = index
            while index < count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }
        let integerDigits = digits()
        var fractionDigits = 0
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            fractionDigits = digits()
            if integerDigits == 0, fractionDigits == 0 { return nil }
        } else if integerDigits == 0 {
            return nil
        }
        if index < count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { return nil }
        }
        guard index == count else { return nil }
        return Double(String(decoding: text, as: UTF8.self))
    }

    @inline(__always)
    private static func digit(_ byte: UInt8, radix: Int) -> Int? {
        let value: Int
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return value < radix ? value : nil
    }
}
