/// A 1-based line and column in a source file; the column counts Unicode scalars from the line start.
///
/// This is the one place where positions for humans are defined: byte offsets are the truth everywhere
/// else, and `SourceText.location(ofByte:)` derives a `TextLocation` from them. A leading UTF-8 byte
/// order mark is not counted (as in ruff).
public struct TextLocation: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// Line number, starting at 1.
    public var line: Int
    /// Column number, starting at 1, counted in Unicode scalars (SARIF `unicodeCodePoints`).
    public var column: Int

    /// Creates a location from a 1-based line and a 1-based scalar column.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: TextLocation, b: TextLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// The bytes of one input file with a line table that converts byte offsets to `TextLocation`s.
public struct SourceText: Sendable {
    /// The name shown in diagnostics (a path, or the `--stdin-filename`).
    public let path: String
    /// The file's bytes, exactly as read.
    public let bytes: [UInt8]
    /// Byte offset of the first byte of each line (line 1 starts at offset 0).
    public let lineStarts: [Int]
    /// `scalarsBefore[k]` is the number of scalars (UTF-8 lead bytes) in `bytes[0 ..< k * scalarStride]`, so
    /// that a column on a very long line (a minified file) costs at most two strides of counting.
    private let scalarsBefore: [Int]
    private static let scalarStride = 256

    /// Creates a source text and indexes its line starts (`\n`, `\r\n` and lone `\r` end a line).
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        var scalars = [0]
        scalars.reserveCapacity(bytes.count / Self.scalarStride + 1)
        bytes.withUnsafeBytes { buffer in
            let count = buffer.count
            var index = 0
            while index < count {
                // Eight bytes at a time: skipped while none is below 0x0E (line ends are `\n` and `\r`), and
                // their `\n`s taken from a bit mask while they hold no `\r` (pretty-printed files have a line
                // end every few words).
                if count - index >= 8 {
                    let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    if (word &- 0x0E0E_0E0E_0E0E_0E0E) & ~word & 0x8080_8080_8080_8080 == 0 {
                        index += 8
                        continue
                    }
                    if Self.bytesEqual(word, to: 0x0D) == 0 {
                        var newlines = Self.bytesEqual(word, to: 0x0A)
                        while newlines != 0 {
                            starts.append(index + newlines.trailingZeroBitCount / 8 + 1)
                            newlines &= newlines &- 1
                        }
                        index += 8
                        continue
                    }
                }
                let byte = buffer[index]
                if byte == UInt8(ascii: "\n") {
                    starts.append(index + 1)
                } else if byte == UInt8(ascii: "\r") {
                    if index + 1 < count, buffer[index + 1] == UInt8(ascii: "\n") { index += 1 }
                    starts.append(index + 1)
                }
                index += 1
            }
            // A checkpoint after every full stride of bytes; continuation bytes (10xxxxxx) counted eight at a time.
            var running = 0
            var offset = 0
            while offset + Self.scalarStride <= count {
                var continuations = 0
                for word in stride(from: offset, to: offset + Self.scalarStride, by: 8) {
                    let w = buffer.loadUnaligned(fromByteOffset: word, as: UInt64.self)
                    // ASCII words (nearly all) have no continuation byte and skip the population count.
                    if w & 0x8080_8080_8080_8080 != 0 {
                        continuations &+= (w & ~(w << 1) & 0x8080_8080_8080_8080).nonzeroBitCount
                    }
                }
                running += Self.scalarStride - continuations
                scalars.append(running)
                offset += Self.scalarStride
            }
        }
        self.lineStarts = starts
        self.scalarsBefore = scalars
    }

    /// A mask with the high bit set in exactly the bytes of `word` that equal `byte` (no false positives).
    private static func bytesEqual(_ word: UInt64, to byte: UInt8) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let x = word ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
        return ~(((x & low7) &+ low7) | x | low7)
    }

    /// The number of scalars (UTF-8 lead bytes) in `bytes[range]`.
    private func scalarCount(_ range: Range<Int>) -> Int {
        let stride = Self.scalarStride
        func scan(_ r: Range<Int>) -> Int {
            var n = 0
            for i in r where bytes[i] & 0xC0 != 0x80 { n += 1 }
            return n
        }
        let firstCheckpoint = (range.lowerBound + stride - 1) / stride
        let lastCheckpoint = range.upperBound / stride
        guard firstCheckpoint < lastCheckpoint else { return scan(range) }
        return scan(range.lowerBound..<firstCheckpoint * stride) + scalarsBefore[lastCheckpoint] - scalarsBefore[firstCheckpoint]
            + scan(lastCheckpoint * stride..<range.upperBound)
    }

    /// Creates a source text from a Swift string (its UTF-8 bytes).
    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The 1-based line and scalar column of a byte offset (clamped to the text).
    public func location(ofByte offset: Int) -> TextLocation {
        let offset = max(0, min(offset, bytes.count))
        // Binary search for the last line start <= offset.
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        var index = lineStarts[low]
        if low == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF, offset >= 3 {
            index = 3
        }
        // Every byte that is not a UTF-8 continuation byte starts a scalar.
        return TextLocation(line: low + 1, column: 1 + scalarCount(index..<max(index, offset)))
    }

    /// The byte range of the whole line that contains `offset`, without its line terminator.
    public func lineRange(containing offset: Int) -> Range<Int> {
        let line = location(ofByte: offset).line
        return lineRange(line: line)
    }

    /// The byte range of a 1-based line, without its line terminator.
    public func lineRange(line: Int) -> Range<Int> {
        guard line >= 1, line <= lineStarts.count else { return bytes.count..<bytes.count }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] : bytes.count
        while end > start, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return start..<end
    }

    /// The text of a byte range, decoded as UTF-8 (invalid sequences become U+FFFD).
    public func text(_ range: Range<Int>) -> String {
        let lower = max(0, min(range.lowerBound, bytes.count))
        let upper = max(lower, min(range.upperBound, bytes.count))
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }
}
