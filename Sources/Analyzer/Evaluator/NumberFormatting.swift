#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Double {
    /// The number as C's `%.<digits>g` prints it (`0.000123`, `1.23e-05`), without Foundation.
    public func formatted(significantDigits digits: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let written = withVaList([self]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.\(max(0, digits))g", arguments) }
        }
        guard written > 0 else { return "\(self)" }
        return String(decoding: buffer.prefix(Int(min(written, 63))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
