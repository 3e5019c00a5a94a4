/// Strict UTF-8 validation with the offset of the first bad byte.
enum UTF8Validation {
    /// The byte offset of the first byte that does not start a valid UTF-8 sequence, or nil.
    static func firstInvalidOffset(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { raw in firstInvalidOffset(in: raw) }
    }

    private static func firstInvalidOffset(in bytes: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            // ASCII fast path: eight bytes at a time while none has the high bit set.
            if n - i >= 8, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var minScalar: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; scalar = UInt32(b & 0x1F); minScalar = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(b & 0x0F); minScalar = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(b & 0x07); minScalar = 0x10000
            default: return i
            }
            if i + length > n { return i }
            for k in 1..<length {
                let c = bytes[i + k]
                if c & 0xC0 != 0x80 { return i }
                scalar = (scalar << 6) | UInt32(c & 0x3F)
            }
            if scalar < minScalar || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += length
        }
        return nil
    }
}
