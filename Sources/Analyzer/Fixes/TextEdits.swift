/// Applies byte-range edits to a text: everything outside the edited ranges is copied byte for byte.
public enum TextEdits {
    /// True when no two edits overlap (touching ranges are fine; two insertions at one offset are not).
    public static func areDisjoint(_ edits: [TextEdit]) -> Bool {
        let sorted = edits.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            if a.range.upperBound > b.range.lowerBound { return false }
            if a.range.isEmpty && b.range.isEmpty && a.range.lowerBound == b.range.lowerBound { return false }
        }
        return true
    }

    /// The text with `edits` applied; nil when they overlap or fall outside the text.
    public static func apply(_ edits: [TextEdit], to bytes: [UInt8]) -> [UInt8]? {
        guard areDisjoint(edits) else { return nil }
        let sorted = edits.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + sorted.reduce(0) { $0 + $1.replacement.utf8.count })
        var cursor = 0
        for edit in sorted {
            guard edit.range.lowerBound >= cursor, edit.range.upperBound <= bytes.count else { return nil }
            out.append(contentsOf: bytes[cursor..<edit.range.lowerBound])
            out.append(contentsOf: Array(edit.replacement.utf8))
            cursor = edit.range.upperBound
        }
        out.append(contentsOf: bytes[cursor...])
        return out
    }
}
