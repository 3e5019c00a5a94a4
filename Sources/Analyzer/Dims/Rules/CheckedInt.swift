/// Integer arithmetic for dim sizes that reports overflow as nil instead of trapping: sizes come from input files,
/// and a config with absurd sizes (2^62 filters, 2^63 dims) must yield an unknown size, never a crash.
enum CheckedInt {
    /// `a + b`, or nil on overflow.
    static func add(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// `a - b`, or nil on overflow.
    static func sub(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// `a * b`, or nil on overflow.
    static func mul(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// The product of all values (1 for none), or nil on overflow.
    static func product<Values: Sequence<Int>>(_ values: Values) -> Int? {
        var result = 1
        for value in values {
            guard let next = mul(result, value) else { return nil }
            result = next
        }
        return result
    }

    /// `-a`, saturating at `Int.max` for `Int.min` (whose negation does not exist).
    static func negated(_ a: Int) -> Int { a == Int.min ? Int.max : -a }

    /// `|a|`, saturating at `Int.max` for `Int.min`.
    static func magnitude(_ a: Int) -> Int { a == Int.min ? Int.max : abs(a) }

    /// Python's `a // b` (rounding toward negative infinity); nil for `b == 0` or overflow (`Int.min // -1`).
    static func floorDiv(_ a: Int, _ b: Int) -> Int? {
        guard b != 0 else { return nil }
        let (q, overflow) = a.dividedReportingOverflow(by: b)
        if overflow { return nil }
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `⌈a / b⌉` as Python's `-(-a // b)`; nil for `b == 0` or overflow.
    static func ceilDiv(_ a: Int, _ b: Int) -> Int? {
        guard a != Int.min, let q = floorDiv(-a, b), q != Int.min else { return nil }
        return -q
    }
}
