/// A strict RFC 8259 JSON reader that produces a positioned `ConfigNode` tree.
///
/// Nesting is handled with an explicit stack, so hostile input (100 000 open brackets) yields a
/// `ConfigError` at the bracket that exceeded `ParseLimits.maxNestingDepth` instead of a stack overflow.
/// Duplicate keys are kept, in source order; they are reported later by a rule.
enum JSONReader {
    /// Parses `bytes` (valid UTF-8, an optional BOM first) as one JSON value, enforcing `limits`.
    static func parse(_ bytes: [UInt8], limits: ParseLimits) throws(ConfigError) -> ConfigNode {
        var parser = JSONParser(bytes: bytes, maxDepth: limits.maxNestingDepth)
        return try parser.parseDocument()
    }
}

// MARK: - Byte constants

private extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let star = UInt8(ascii: "*")
    static let hash = UInt8(ascii: "#")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")

    var isDigit: Bool { self >= .zero && self <= .nine }
    var isJSONWhitespace: Bool { self == .space || self == .lineFeed || self == .carriageReturn || self == .tab }
    /// ASCII letters, digits and `_`: the characters of a bare word such as `true` or `NaN`.
    var isWordCharacter: Bool {
        (self >= 0x61 && self <= 0x7A) || (self >= 0x41 && self <= 0x5A) || isDigit || self == 0x5F
    }
    var isLetter: Bool { (self >= 0x61 && self <= 0x7A) || (self >= 0x41 && self <= 0x5A) || self == 0x5F }
    /// The value of an ASCII hex digit, or nil.
    var hexValue: UInt32? {
        switch self {
        case 0x30...0x39: return UInt32(self - 0x30)
        case 0x41...0x46: return UInt32(self - 0x41 + 10)
        case 0x61...0x66: return UInt32(self - 0x61 + 10)
        default: return nil
        }
    }
}

// MARK: - Parser

/// The parser state: the bytes, a cursor and the stack of open containers.
private struct JSONParser {
    /// An open `{…}` or `[…]` whose children are being collected.
    struct Frame {
        /// Offset of the opening bracket.
        let start: Int
        let isObject: Bool
        var elements: [ConfigNode] = []
        var entries: [ConfigEntry] = []
        /// The key read for the entry whose value is being parsed (objects only).
        var pendingKey: ConfigNode?
    }

    let bytes: [UInt8]
    let count: Int
    let maxDepth: Int
    var index = 0
    var stack: [Frame] = []

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.count = bytes.count
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(ConfigError) -> ConfigNode {
        if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        if index >= count { throw ConfigError("empty file", at: 0) }

        let root: ConfigNode
        valueLoop: while true {
            // A value starts at `index` (after whitespace).
            skipWhitespace()
            guard index < count else { throw unexpected(at: index, expected: "a value") }
            var node: ConfigNode
            switch bytes[index] {
            case .openBrace:
                try push(isObject: true)
                skipWhitespace()
                if index < count, bytes[index] == .closeBrace {
                    index += 1
                    node = popNode()
                } else {
                    try parseKeyAndColon()
                    continue valueLoop
                }
            case .openBracket:
                try push(isObject: false)
                skipWhitespace()
                if index < count, bytes[index] == .closeBracket {
                    index += 1
                    node = popNode()
                } else {
                    continue valueLoop
                }
            default:
                node = try parseScalar()
            }

            // `node` is complete: hand it to the open container, closing containers as they end.
            while true {
                guard !stack.isEmpty else {
                    root = node
                    break valueLoop
                }
                let top = stack.count - 1
                skipWhitespace()
                if stack[top].isObject {
                    guard let key = stack[top].pendingKey else {
                        throw ConfigError("internal error: object value without a key", at: node.span.lowerBound)
                    }
                    stack[top].pendingKey = nil
                    stack[top].entries.append(ConfigEntry(key: key, value: node))
                    if index < count, bytes[index] == .comma {
                        let comma = index
                        index += 1
                        skipWhitespace()
                        if index < count, bytes[index] == .closeBrace {
                            throw ConfigError("trailing comma before '}'", at: comma)
                        }
                        try parseKeyAndColon()
                        continue valueLoop
                    } else if index < count, bytes[index] == .closeBrace {
                        index += 1
                        node = popNode()
                    } else {
                        throw unexpected(at: index, expected: "',' or '}' after object entry")
                    }
                } else {
                    stack[top].elements.append(node)
                    if index < count, bytes[index] == .comma {
                        let comma = index
                        index += 1
                        skipWhitespace()
                        if index < count, bytes[index] == .closeBracket {
                            throw ConfigError("trailing comma before ']'", at: comma)
                        }
                        continue valueLoop
                    } else if index < count, bytes[index] == .closeBracket {
                        index += 1
                        node = popNode()
                    } else {
                        throw unexpected(at: index, expected: "',' or ']' after list element")
                    }
                }
            }
        }

        skipWhitespace()
        if index < count {
            if let comment = commentError(at: index) { throw comment }
            throw ConfigError("unexpected content after the JSON value", at: index)
        }
        return root
    }

    // MARK: Containers

    /// Opens the container whose bracket is at `index`, enforcing the nesting limit.
    mutating func push(isObject: Bool) throws(ConfigError) {
        if stack.count >= maxDepth {
            throw ConfigError("nesting deeper than \(maxDepth) levels (--max-nesting)", at: index)
        }
        stack.append(Frame(start: index, isObject: isObject))
        index += 1
    }

    /// Closes the innermost container; `index` is just past its closing bracket.
    mutating func popNode() -> ConfigNode {
        guard let frame = stack.popLast() else {
            return ConfigNode(.null, span: index..<index, style: .json)  // unreachable: callers push first
        }
        let value: ConfigNode.Value = frame.isObject ? .mapping(frame.entries) : .sequence(frame.elements)
        return ConfigNode(value, span: frame.start..<index, style: .json)
    }

    /// Reads `"key" :` into the innermost (object) frame; `index` is at the key, after whitespace.
    mutating func parseKeyAndColon() throws(ConfigError) {
        guard index < count, bytes[index] == .quote else { throw keyError(at: index) }
        let key = try parseString()
        skipWhitespace()
        guard index < count, bytes[index] == .colon else {
            throw unexpected(at: index, expected: "':' after object key")
        }
        index += 1
        stack[stack.count - 1].pendingKey = key
    }

    // MARK: Scalars

    mutating func parseScalar() throws(ConfigError) -> ConfigNode {
        let byte = bytes[index]
        if byte == .quote { return try parseString() }
        if byte == .minus || byte.isDigit { return try parseNumber() }
        if byte.isLetter { return try parseWord() }
        if let comment = commentError(at: index) { throw comment }
        var message = "unexpected character \(describeCharacter(at: index))"
        switch byte {
        case .apostrophe:
            message += "; JSON strings need double quotes"
        case .plus:
            message += "; JSON numbers cannot start with '+'"
        case .dot where index + 1 < count && bytes[index + 1].isDigit:
            message += "; JSON numbers need a digit before '.'"
        default:
            message += "; expected a value"
        }
        throw ConfigError(message, at: index)
    }

    /// `true`, `false`, `null`, or an error naming the bare word.
    mutating func parseWord() throws(ConfigError) -> ConfigNode {
        let start = index
        var end = index
        while end < count, bytes[end].isWordCharacter { end += 1 }
        let word = bytes[start..<end]
        // Compared as integers: `true` and `null` are four bytes, `false` five.
        func packed() -> UInt64 { word.reduce(0) { $0 << 8 | UInt64($1) } }
        let value: ConfigNode.Value
        if word.count == 4, packed() == 0x7472_7565 {  // true
            value = .bool(true)
        } else if word.count == 5, packed() == 0x66_616C_7365 {  // false
            value = .bool(false)
        } else if word.count == 4, packed() == 0x6E75_6C6C {  // null
            value = .null
        } else {
            throw wordError(String(decoding: word, as: UTF8.self), at: start)
        }
        index = end
        return ConfigNode(value, span: start..<end, style: .json)
    }

    func wordError(_ word: String, at offset: Int) -> ConfigError {
        switch word {
        case "NaN":
            return ConfigError(#""NaN" is not valid JSON; write {"$float": "nan"}"#, at: offset)
        case "Infinity":
            return ConfigError(#""Infinity" is not valid JSON; write {"$float": "inf"}"#, at: offset)
        case "True":
            return ConfigError("'True' is not valid JSON; write true", at: offset)
        case "False":
            return ConfigError("'False' is not valid JSON; write false", at: offset)
        case "None":
            return ConfigError("'None' is not valid JSON; write null", at: offset)
        default:
            return ConfigError("unexpected word '\(abbreviated(word))'; JSON strings need double quotes", at: offset)
        }
    }

    mutating func parseNumber() throws(ConfigError) -> ConfigNode {
        let start = index
        var i = index
        let negative = bytes[i] == .minus
        if negative {
            i += 1
            if i < count, bytes[i].isLetter {
                var end = i
                while end < count, bytes[end].isWordCharacter { end += 1 }
                if bytes[i..<end].elementsEqual("Infinity".utf8) {
                    throw ConfigError(#""-Infinity" is not valid JSON; write {"$float": "-inf"}"#, at: start)
                }
            }
        }
        guard i < count, bytes[i].isDigit else {
            throw ConfigError("expected a digit after '-'", at: i)
        }
        let digitsStart = i
        if bytes[i] == .zero {
            i += 1
            if i < count, bytes[i].isDigit {
                throw ConfigError("leading zeros are not allowed in JSON numbers", at: start)
            }
        } else {
            while i < count, bytes[i].isDigit { i += 1 }
        }
        let digitsEnd = i
        var isInteger = true
        if i < count, bytes[i] == .dot {
            isInteger = false
            i += 1
            guard i < count, bytes[i].isDigit else {
                throw ConfigError("expected a digit after '.' in number", at: i)
            }
            while i < count, bytes[i].isDigit { i += 1 }
        }
        if i < count, bytes[i] == 0x65 || bytes[i] == 0x45 {  // e E
            isInteger = false
            i += 1
            if i < count, bytes[i] == .plus || bytes[i] == .minus { i += 1 }
            guard i < count, bytes[i].isDigit else {
                throw ConfigError("expected a digit in the exponent of number", at: i)
            }
            while i < count, bytes[i].isDigit { i += 1 }
        }
        index = i
        let span = start..<i

        if isInteger, let value = integerValue(digits: digitsStart..<digitsEnd, negative: negative) {
            return ConfigNode(.int(value), span: span, style: .json)
        }
        // Short numbers fit in a small (allocation-free) String; Double(_:) rounds correctly.
        let text = String(decoding: bytes[span], as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw ConfigError("number out of range", at: start)
        }
        return ConfigNode(.float(double), span: span, style: .json)
    }

    /// The digits as an `Int`, or nil when they do not fit.
    func integerValue(digits: Range<Int>, negative: Bool) -> Int? {
        // Accumulate negatively so that Int.min fits.
        var value = 0
        for i in digits {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int(bytes[i] &- .zero))
            if overflow1 || overflow2 { return nil }
            value = next
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// Reads a string starting at the `"` at `index`; the span includes both quotes.
    mutating func parseString() throws(ConfigError) -> ConfigNode {
        let open = index
        // Fast path: no escapes, decode the slice directly. The scan reads through a buffer pointer (no bounds
        // check per byte; `i < count` bounds it).
        let count = self.count
        var i = bytes.withUnsafeBufferPointer { buffer in
            var i = open + 1
            // Eight bytes at a time up to the first byte that ends the fast path (see `stopBytes`).
            while count - i >= 8 {
                let word = UInt64(littleEndian: UnsafeRawBufferPointer(buffer).loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let stops = Self.stopBytes(word)
                if stops != 0 { return i + stops.trailingZeroBitCount / 8 }
                i += 8
            }
            while i < count {
                let byte = buffer[i]
                if byte == .quote || byte == .backslash || byte < 0x20 { break }
                i += 1
            }
            return i
        }
        guard i < count else { throw unterminatedString(at: open) }
        let stop = bytes[i]
        if stop == .quote {
            index = i + 1
            let text = String(decoding: bytes[(open + 1)..<i], as: UTF8.self)
            return ConfigNode(.string(text), span: open..<index, style: .json)
        }
        if stop < 0x20 { throw controlCharacterError(stop, at: i) }

        // Slow path: copy runs and decoded escapes into a byte buffer.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(i - open + 16)
        buffer.append(contentsOf: bytes[(open + 1)..<i])
        while i < count {
            let byte = bytes[i]
            if byte == .quote {
                index = i + 1
                return ConfigNode(.string(String(decoding: buffer, as: UTF8.self)), span: open..<index, style: .json)
            }
            if byte == .backslash {
                i = try decodeEscape(at: i, stringStart: open, into: &buffer)
            } else if byte < 0x20 {
                throw controlCharacterError(byte, at: i)
            } else {
                let runStart = i
                while i < count {
                    let b = bytes[i]
                    if b == .quote || b == .backslash || b < 0x20 { break }
                    i += 1
                }
                buffer.append(contentsOf: bytes[runStart..<i])
            }
        }
        throw unterminatedString(at: open)
    }

    /// Decodes the escape whose backslash is at `backslash`; returns the offset just past it.
    func decodeEscape(at backslash: Int, stringStart: Int, into buffer: inout [UInt8]) throws(ConfigError) -> Int {
        guard backslash + 1 < count else { throw unterminatedString(at: stringStart) }
        let byte = bytes[backslash + 1]
        switch byte {
        case .quote, .backslash, .slash: buffer.append(byte)
        case 0x62: buffer.append(0x08)  // \b
        case 0x66: buffer.append(0x0C)  // \f
        case 0x6E: buffer.append(0x0A)  // \n
        case 0x72: buffer.append(0x0D)  // \r
        case 0x74: buffer.append(0x09)  // \t
        case 0x75:  // \u
            let first = try hexQuad(at: backslash)
            if (0xDC00...0xDFFF).contains(first) {
                throw unpairedSurrogate(first, at: backslash)
            }
            if (0xD800...0xDBFF).contains(first) {
                let next = backslash + 6
                guard next + 1 < count, bytes[next] == .backslash, bytes[next + 1] == 0x75 else {
                    throw unpairedSurrogate(first, at: backslash)
                }
                let second = try hexQuad(at: next)
                guard (0xDC00...0xDFFF).contains(second) else {
                    throw unpairedSurrogate(first, at: backslash)
                }
                let scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                appendUTF8(scalar, to: &buffer)
                return backslash + 12
            }
            appendUTF8(first, to: &buffer)
            return backslash + 6
        default:
            let shown: String
            if byte >= 0x20 && byte < 0x7F {
                shown = "'\\\(Character(Unicode.Scalar(byte)))'"
            } else {
                shown = "'\\' followed by \(describeCharacter(at: backslash + 1))"
            }
            throw ConfigError(
                #"invalid escape \#(shown) in string; valid escapes are \" \\ \/ \b \f \n \r \t \uXXXX"#,
                at: backslash)
        }
        return backslash + 2
    }

    /// The 4 hex digits after the `\u` whose backslash is at `backslash`.
    func hexQuad(at backslash: Int) throws(ConfigError) -> UInt32 {
        var value: UInt32 = 0
        for k in 2..<6 {
            guard backslash + k < count, let digit = bytes[backslash + k].hexValue else {
                throw ConfigError(#"invalid escape in string: \u needs 4 hex digits"#, at: backslash)
            }
            value = value << 4 | digit
        }
        return value
    }

    func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | (scalar >> 6)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | (scalar >> 12)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            buffer.append(UInt8(0xF0 | ((scalar >> 18) & 0x07)))
            buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    // MARK: Whitespace

    mutating func skipWhitespace() {
        while index < count, bytes[index].isJSONWhitespace {
            index += 1
            // After a line feed, the indentation is skipped eight spaces at a time.
            if bytes[index - 1] == .lineFeed { skipIndentation() }
        }
    }

    mutating func skipIndentation() {
        let spaces: UInt64 = 0x2020_2020_2020_2020
        let count = self.count
        index = bytes.withUnsafeBytes { buffer in
            var i = index
            while count - i >= 8, buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self) == spaces { i += 8 }
            return i
        }
    }

    /// Marks (high bit) the bytes of a little-endian word that end a string's fast path: `"`, `\` and control
    /// characters. Bytes above the first marked one may be marked wrongly; the lowest mark is always right.
    static func stopBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & high }
        let quotes = zeroBytes(word ^ (ones &* UInt64(UInt8.quote)))
        let backslashes = zeroBytes(word ^ (ones &* UInt64(UInt8.backslash)))
        let controls = (word &- ones &* 0x20) & ~word & high
        return quotes | backslashes | controls
    }

    // MARK: Errors

    func unterminatedString(at open: Int) -> ConfigError {
        ConfigError("unterminated string: end of file before the closing '\"'", at: open)
    }

    func unpairedSurrogate(_ value: UInt32, at offset: Int) -> ConfigError {
        ConfigError("unpaired surrogate \\u\(hex4(value)) in string", at: offset)
    }

    func controlCharacterError(_ byte: UInt8, at offset: Int) -> ConfigError {
        let escape: String
        switch byte {
        case 0x08: escape = "\\b"
        case 0x09: escape = "\\t"
        case 0x0A: escape = "\\n"
        case 0x0C: escape = "\\f"
        case 0x0D: escape = "\\r"
        default: escape = "\\u" + hex4(UInt32(byte)).lowercased()
        }
        return ConfigError("control character U+\(hex4(UInt32(byte))) in string; escape it as \(escape)", at: offset)
    }

    /// The error for something that is not a `"` where an object key must be.
    func keyError(at offset: Int) -> ConfigError {
        if offset >= count { return unexpected(at: offset, expected: "a string key") }
        if let comment = commentError(at: offset) { return comment }
        let byte = bytes[offset]
        if byte == .apostrophe {
            return ConfigError("expected a string key; single quotes are not JSON, use double quotes", at: offset)
        }
        if byte.isLetter {
            var end = offset
            while end < count, bytes[end].isWordCharacter { end += 1 }
            let word = abbreviated(String(decoding: bytes[offset..<end], as: UTF8.self))
            return ConfigError("expected a string key, found unquoted '\(word)'; keys need double quotes", at: offset)
        }
        return ConfigError("expected a string key, found \(describeCharacter(at: offset))", at: offset)
    }

    /// "expected X, found Y", or an end-of-file error naming the innermost unclosed bracket.
    func unexpected(at offset: Int, expected: String) -> ConfigError {
        if offset >= count {
            var note: String?
            if let frame = stack.last {
                let location = SourceText(path: "", bytes: bytes).location(ofByte: frame.start)
                note = "'\(frame.isObject ? "{" : "[")' at \(location) is not closed"
            }
            return ConfigError("unexpected end of file; expected \(expected)", at: offset, note: note)
        }
        if let comment = commentError(at: offset) { return comment }
        return ConfigError("expected \(expected), found \(describeCharacter(at: offset))", at: offset)
    }

    /// An error if a `//`, `/*` or `#` comment starts at `offset`.
    func commentError(at offset: Int) -> ConfigError? {
        guard offset < count else { return nil }
        let byte = bytes[offset]
        let isComment = byte == .hash
            || (byte == .slash && offset + 1 < count && (bytes[offset + 1] == .slash || bytes[offset + 1] == .star))
        return isComment ? ConfigError("comments are not allowed in JSON", at: offset) : nil
    }

    /// The character at `offset` for a message: `'x'` for printable ASCII, `'ä' (U+00E4)` beyond, `U+0000` for controls.
    func describeCharacter(at offset: Int) -> String {
        guard offset < count else { return "end of file" }
        let lead = bytes[offset]
        if lead >= 0x20 && lead < 0x7F { return "'\(Character(Unicode.Scalar(lead)))'" }
        if lead < 0x80 { return "U+\(hex4(UInt32(lead)))" }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        let end = min(count, offset + length)
        guard let scalar = String(decoding: bytes[offset..<end], as: UTF8.self).unicodeScalars.first else {
            return "byte 0x\(String(lead, radix: 16, uppercase: true))"
        }
        let code = hex4(scalar.value)
        if scalar.properties.isWhitespace || scalar.properties.generalCategory == .format
            || scalar.properties.generalCategory == .control {
            return "U+\(code)"
        }
        return "'\(Character(scalar))' (U+\(code))"
    }

    func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count >= 4 ? digits : String(repeating: "0", count: 4 - digits.count) + digits
    }

    func abbreviated(_ word: String) -> String {
        word.count <= 24 ? word : String(word.prefix(24)) + "…"
    }
}
