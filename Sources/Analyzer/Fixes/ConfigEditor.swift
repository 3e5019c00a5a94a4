import NetConfig

/// Builds byte-range edits on the original text of a config, in the style of the surrounding text (JSON,
/// YAML block or YAML flow). Nothing is re-serialised: everything outside the edits stays byte-identical.
struct ConfigEditor {
    let document: ParsedDocument
    var bytes: [UInt8] { document.source.bytes }

    init(_ document: ParsedDocument) {
        self.document = document
    }

    // MARK: - Scalars

    /// Replaces a string scalar by `text`, keeping its quoting style where the new text allows it.
    func replaceString(_ node: ConfigNode, with text: String) -> TextEdit {
        TextEdit(range: node.span, replacement: renderString(text, like: node.style))
    }

    /// A string literal in a style: JSON strings and YAML double quotes escape, single quotes double `'`,
    /// plain scalars stay plain when the text reads back as the same string.
    func renderString(_ text: String, like style: NodeStyle) -> String {
        switch style {
        case .plain where Self.isSafePlainScalar(text): return text
        case .singleQuoted: return "'" + String(text.flatMap { $0 == "'" ? ["'", "'"] : [$0] }) + "'"
        default: return Self.jsonQuoted(text)
        }
    }

    /// A double-quoted string, escaped for both JSON and YAML.
    static func jsonQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// True when a plain YAML scalar with this text would read back as this string.
    static func isSafePlainScalar(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        let forbiddenFirst: Set<Character> = ["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`", " "]
        if forbiddenFirst.contains(Character(first)) { return false }
        if text.contains(": ") || text.contains(" #") || text.hasSuffix(":") || text.hasSuffix(" ") { return false }
        if text.contains(where: { "\n\r\t,[]{}".contains($0) }) { return false }
        let lower = text.lowercased()
        let special: Set<String> = ["null", "~", "true", "false", "yes", "no", "on", "off", ".inf", "-.inf", ".nan"]
        if special.contains(lower) { return false }
        if Double(text) != nil || Int(text) != nil { return false }
        return true
    }

    // MARK: - Entries

    /// The edits that delete one entry of a mapping, with its separator (JSON/flow comma) and, when the
    /// entry has lines of its own, those whole lines.
    func deleteEntry(_ entry: ConfigEntry, from mapping: ConfigNode) -> [TextEdit]? {
        guard let entries = mapping.entries, let index = entries.firstIndex(where: { $0.key.span == entry.key.span }) else {
            return nil
        }
        guard let edits = deleteEntryEdits(entry, index: index, entries: entries, mapping: mapping) else { return nil }
        // Deleting an anchor that an alias elsewhere uses would leave the alias undefined: no edit then.
        if edits.contains(where: { mayRemoveAnchor($0.range) }) { return nil }
        return edits
    }

    /// True when `range` of a YAML document may hold an anchor (`&name`) while the document uses aliases.
    /// Textual and conservative (an `&` inside a scalar counts too): it may refuse a harmless edit, never
    /// allow a harmful one.
    func mayRemoveAnchor(_ range: Range<Int>) -> Bool {
        guard document.format == .yaml, range.lowerBound >= 0, range.upperBound <= bytes.count else { return false }
        let ampersand = UInt8(ascii: "&"), asterisk = UInt8(ascii: "*")
        guard bytes[range].contains(ampersand) else { return false }
        return bytes.contains(asterisk)
    }

    private func deleteEntryEdits(_ entry: ConfigEntry, index: Int, entries: [ConfigEntry], mapping: ConfigNode) -> [TextEdit]? {
        if mapping.style == .block {
            let range = blockEntryRange(index: index, entries: entries, mapping: mapping)
            if entries.count == 1 {
                // The only entry: leave an empty flow mapping in its place, else the mapping's key (`network:`)
                // would be left without a value, which reads as null.
                let indent = document.source.text(startOfLine(entry.key.span.lowerBound)..<entry.key.span.lowerBound)
                return [TextEdit(range: range, replacement: "\(indent){}\(lineBreak)")]
            }
            return [TextEdit(range: range, replacement: "")]
        }
        // JSON or flow style: remove the entry and one comma.
        let entryEnd = entry.value.span.upperBound
        if index + 1 < entries.count {
            // Delete from the key up to the next key (its comma and whitespace go with it), or whole lines.
            let next = entries[index + 1].key.span.lowerBound
            let lineStart = startOfLine(entry.key.span.lowerBound)
            if onlyWhitespace(lineStart..<entry.key.span.lowerBound), startOfLine(next) != startOfLine(entry.key.span.lowerBound),
                onlyWhitespace(startOfLine(next)..<next)
            {
                // The entry is on lines of its own: delete those lines (keep the next entry's line). In YAML flow
                // style, comment lines between the entry's comma and the next key belong to the next key: stop
                // after the comma's line.
                var end = startOfLine(next)
                var comma = entryEnd
                while comma < end, bytes[comma] == UInt8(ascii: " ") || bytes[comma] == UInt8(ascii: "\t") { comma += 1 }
                if comma < end, bytes[comma] == UInt8(ascii: ","), onlyWhitespace((comma + 1)..<endOfLine(comma)) {
                    end = min(end, endOfLineIncludingBreak(comma))
                }
                return [TextEdit(range: lineStart..<end, replacement: "")]
            }
            return [TextEdit(range: entry.key.span.lowerBound..<next, replacement: "")]
        }
        guard index > 0 else {
            // The only entry: leave an empty mapping.
            let open = mapping.span.lowerBound + 1
            let close = mapping.span.upperBound - 1
            guard close >= open else { return nil }
            return [TextEdit(range: open..<close, replacement: "")]
        }
        // The last entry: delete from the end of the previous value (its comma included).
        let previousEnd = entries[index - 1].value.span.upperBound
        return [TextEdit(range: previousEnd..<entryEnd, replacement: "")]
    }

    /// The byte range of a block-mapping entry: its lines from the key's line to the last line that belongs
    /// to it (comment and blank lines right before the next key stay, they usually belong to that key).
    func blockEntryRange(index: Int, entries: [ConfigEntry], mapping: ConfigNode) -> Range<Int> {
        let entry = entries[index]
        let start = startOfLine(entry.key.span.lowerBound)
        let limit: Int
        if index + 1 < entries.count {
            limit = startOfLine(entries[index + 1].key.span.lowerBound)
        } else {
            limit = max(entry.value.span.upperBound, endOfLineIncludingBreak(entry.value.span.upperBound == 0 ? 0 : entry.value.span.upperBound - 1))
        }
        // Walk back over blank and comment-only lines before `limit`, but not before the value's last line.
        var end = limit
        let valueLastLine = startOfLine(max(entry.value.span.lowerBound, entry.value.span.upperBound - 1))
        while end > start {
            let lineStart = startOfLine(end - 1)
            guard lineStart > valueLastLine else { break }
            let line = lineStart..<end
            if isBlankOrComment(line) { end = lineStart } else { break }
        }
        return start..<end
    }

    /// Inserts a new entry `key: value` before `entry` of `mapping`, in the mapping's style. `valueJSON` is the
    /// value written as flow/JSON text (valid in both formats).
    func insertEntry(key: String, valueJSON: String, before entry: ConfigEntry, in mapping: ConfigNode) -> TextEdit {
        let keyText = document.format == .json ? Self.jsonQuoted(key) : renderString(key, like: entry.key.style)
        switch mapping.style {
        case .block:
            let lineStart = startOfLine(entry.key.span.lowerBound)
            let indent = document.source.text(lineStart..<entry.key.span.lowerBound)
            return TextEdit(range: lineStart..<lineStart, replacement: "\(indent)\(keyText): \(valueJSON)\(lineBreak)")
        default:
            let keyStart = entry.key.span.lowerBound
            let lineStart = startOfLine(keyStart)
            if onlyWhitespace(lineStart..<keyStart) {
                let indent = document.source.text(lineStart..<keyStart)
                return TextEdit(range: lineStart..<lineStart, replacement: "\(indent)\(keyText): \(valueJSON),\(lineBreak)")
            }
            return TextEdit(range: keyStart..<keyStart, replacement: "\(keyText): \(valueJSON), ")
        }
    }

    /// Adds `key: value` to a layer dict (appended after its last entry, in its style).
    func addEntry(key: String, valueJSON: String, to mapping: ConfigNode) -> TextEdit? {
        guard let entries = mapping.entries, let last = entries.last else { return nil }
        let keyText = document.format == .json ? Self.jsonQuoted(key) : renderString(key, like: last.key.style)
        switch mapping.style {
        case .block:
            let lineStart = startOfLine(last.key.span.lowerBound)
            let indent = document.source.text(lineStart..<last.key.span.lowerBound)
            let insertAt = blockEntryRange(index: entries.count - 1, entries: entries, mapping: mapping).upperBound
            let needsBreak = insertAt > 0 && bytes[insertAt - 1] != UInt8(ascii: "\n")
            return TextEdit(range: insertAt..<insertAt, replacement: (needsBreak ? lineBreak : "") + "\(indent)\(keyText): \(valueJSON)\(lineBreak)")
        default:
            let valueEnd = last.value.span.upperBound
            let lastLineStart = startOfLine(last.key.span.lowerBound)
            if onlyWhitespace(lastLineStart..<last.key.span.lowerBound), startOfLine(mapping.span.upperBound - 1) != lastLineStart {
                let indent = document.source.text(lastLineStart..<last.key.span.lowerBound)
                return TextEdit(range: valueEnd..<valueEnd, replacement: ",\(lineBreak)\(indent)\(keyText): \(valueJSON)")
            }
            return TextEdit(range: valueEnd..<valueEnd, replacement: ", \(keyText): \(valueJSON)")
        }
    }

    // MARK: - Text helpers

    /// The file's line break (`\r\n` if the file uses it).
    var lineBreak: String {
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), newline > 0, bytes[newline - 1] == UInt8(ascii: "\r") {
            return "\r\n"
        }
        return "\n"
    }

    func startOfLine(_ offset: Int) -> Int {
        var i = min(max(offset, 0), bytes.count)
        while i > 0, bytes[i - 1] != UInt8(ascii: "\n") { i -= 1 }
        return i
    }

    /// The offset of the line break (or the end of the text) of the line that holds `offset`.
    func endOfLine(_ offset: Int) -> Int {
        var i = min(max(offset, 0), bytes.count)
        while i < bytes.count, bytes[i] != UInt8(ascii: "\n"), bytes[i] != UInt8(ascii: "\r") { i += 1 }
        return i
    }

    func endOfLineIncludingBreak(_ offset: Int) -> Int {
        var i = min(max(offset, 0), bytes.count)
        while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
        return min(i + 1, bytes.count)
    }

    func onlyWhitespace(_ range: Range<Int>) -> Bool {
        let clamped = max(0, range.lowerBound)..<min(bytes.count, max(range.lowerBound, range.upperBound))
        return bytes[clamped].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    func isBlankOrComment(_ range: Range<Int>) -> Bool {
        let text = bytes[max(0, range.lowerBound)..<min(bytes.count, range.upperBound)]
        guard let first = text.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return true }
        return first == UInt8(ascii: "#") || first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r")
    }
}
