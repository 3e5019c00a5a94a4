/// RETURNN's dim math (`Dim.__add__`, `__radd__`, `sub_left`, `sub_right`, `ceildiv_right`, `__mul__`;
/// `returnn/tensor/_dim_extra.py`), on our name-identified dims.
///
/// RETURNN names a derived dim after its operands (`_math_get_dim_via_bin_op`): `-1+time`, `time+-1`,
/// `⌈time/2⌉`, `(1+time)+1`, `a*b`; an operand is parenthesised when its name has one of ` +-/`, and a
/// constant operand is written as its value. Because our dims are identified by name, the same names give
/// the same "which dims are the same dim" structure as RETURNN's dim cache. The simplifications RETURNN
/// applies (adding constants into an existing constant term, `(x+k)-k = x`, `⌈⌈x/a⌉/b⌉ = ⌈x/(a*b)⌉`,
/// `x+0 = x`) are reproduced by parsing the operands back out of a derived dim's name.
enum DimMath {
    /// An operand of dim math: a dim or an integer constant (RETURNN's constant static dim).
    enum Term: Equatable {
        case dim(Dim)
        case constant(Int)

        var size: Int? {
            switch self {
            case .dim(let d): return d.size
            case .constant(let v): return v
            }
        }

        var isConstant: Bool {
            if case .constant = self { return true }
            return false
        }

        /// RETURNN's `_get_description(dim, brackets=True)`.
        var operandName: String {
            switch self {
            case .constant(let v): return String(v)
            case .dim(let d): return DimMath.bracketed(d.name)
            }
        }

        static func == (a: Term, b: Term) -> Bool {
            switch (a, b) {
            case (.constant(let x), .constant(let y)): return x == y
            case (.dim(let x), .dim(let y)): return x == y
            default: return false
            }
        }
    }

    /// A name as an operand: parenthesised when it has one of ` +-/` (RETURNN's `_get_description`).
    static func bracketed(_ name: String) -> String {
        name.contains(where: { "+-/ ".contains($0) }) ? "(\(name))" : name
    }

    // MARK: - Operations

    /// `dim + other` (`Dim.__add__`).
    static func add(_ dim: Dim, _ other: Term) -> Dim {
        if other == .constant(0) { return dim }
        let size = dim.size.flatMap { a in other.size.flatMap { CheckedInt.add(a, $0) } }
        if let found = findMatchingAdditive(start: dim, other: other, right: true) { return sized(found, size, from: dim) }
        return binary([.dim(dim), other], op: "add")
    }

    /// `other + dim` (`Dim.__radd__`).
    static func radd(_ other: Term, _ dim: Dim) -> Dim {
        if other == .constant(0) { return dim }
        let size = dim.size.flatMap { a in other.size.flatMap { CheckedInt.add(a, $0) } }
        if let found = findMatchingAdditive(start: dim, other: other, right: false) { return sized(found, size, from: dim) }
        return binary([other, .dim(dim)], op: "add")
    }

    /// `dim - k` (`Dim.sub_right`).
    static func subRight(_ dim: Dim, _ k: Int) -> Dim {
        if k == 0 { return dim }
        if let (op, inputs) = parse(dim), op == "add", inputs.count == 2, inputs[1] == .constant(k), case .dim(let d) = inputs[0] {
            return sized(d, dim.size.flatMap { CheckedInt.sub($0, k) }, from: dim)
        }
        return add(dim, .constant(CheckedInt.negated(k)))
    }

    /// `(-k) + dim` (`Dim.sub_left`).
    static func subLeft(_ dim: Dim, _ k: Int) -> Dim {
        if k == 0 { return dim }
        if let (op, inputs) = parse(dim), op == "add", inputs.count == 2, inputs[0] == .constant(k), case .dim(let d) = inputs[1] {
            return sized(d, dim.size.flatMap { CheckedInt.sub($0, k) }, from: dim)
        }
        return radd(.constant(CheckedInt.negated(k)), dim)
    }

    /// `⌈dim/k⌉` (`Dim.ceildiv_right`).
    static func ceildivRight(_ dim: Dim, _ k: Int) -> Dim {
        if k == 1 { return dim }
        let size = dim.size.flatMap { k == 0 ? 0 : CheckedInt.ceilDiv($0, k) }
        if let (op, inputs) = parse(dim), inputs.count == 2 {
            if op == "mul", inputs[1] == .constant(k), case .dim(let d) = inputs[0] { return sized(d, size, from: dim) }
            if op == "ceildiv", case .dim(let d) = inputs[0], case .constant(let c) = inputs[1] {
                if let ck = CheckedInt.mul(c, k) { return sized(ceildivRight(d, ck), size, from: dim) }
            }
        }
        return binary([.dim(dim), .constant(k)], op: "ceildiv")
    }

    /// `dim // k` (`Dim.__floordiv__`).
    static func floordiv(_ dim: Dim, _ k: Int) -> Dim {
        if k == 1 { return dim }
        let size = dim.size.flatMap { k == 0 ? 0 : CheckedInt.floorDiv($0, k) }
        if let (op, inputs) = parse(dim), inputs.count == 2 {
            if op == "mul", inputs[1] == .constant(k), case .dim(let d) = inputs[0] { return sized(d, size, from: dim) }
            if op == "floordiv", case .dim(let d) = inputs[0], case .constant(let c) = inputs[1] {
                if let ck = CheckedInt.mul(c, k) { return sized(floordiv(d, ck), size, from: dim) }
            }
        }
        return binary([.dim(dim), .constant(k)], op: "floordiv")
    }

    /// A simplified result with the size computed from the real operands (names read back from a derived
    /// dim's name carry no size) and the kind of the dim it was computed from.
    private static func sized(_ result: Dim, _ size: Int?, from input: Dim) -> Dim {
        var copy = result
        copy.size = size
        if copy.kind != .batch { copy.kind = input.kind == .batch ? .spatial : input.kind }
        return copy
    }

    /// `a * b` for two dims (`Dim.__mul__`; used by merge_dims and window's feature merge).
    static func mul(_ a: Dim, _ b: Dim) -> Dim {
        if b.size == 1, isConstantName(b.name) { return a }
        return binary([.dim(a), .dim(b)], op: "mul")
    }

    /// `dim * k` (`Dim.__mul__` with an integer).
    static func mulConstant(_ dim: Dim, _ k: Int) -> Dim {
        if k == 1 { return dim }
        return binary([.dim(dim), .constant(k)], op: "mul")
    }

    /// `k * dim` (`Dim.__rmul__`).
    static func rmul(_ k: Int, _ dim: Dim) -> Dim {
        if k == 1 { return dim }
        if let (op, inputs) = parse(dim), op == "mul", inputs.count == 2, case .constant(let c) = inputs[0], case .dim(let d) = inputs[1], let kc = CheckedInt.mul(k, c) {
            return binary([.constant(kc), .dim(d)], op: "mul")
        }
        return binary([.constant(k), .dim(dim)], op: "mul")
    }

    /// A sum of dims as RETURNN's `sum(dims)`/`a + b + …` builds it (left fold of `__add__`).
    static func sum(_ dims: [Dim]) -> Dim? {
        guard var result = dims.first else { return nil }
        for dim in dims.dropFirst() { result = add(result, .dim(dim)) }
        return result
    }

    // MARK: - Internals

    private static let opStrings: [String: String] = [
        "add": "+", "mul": "*", "floordiv": "//", "truediv": "/", "ceildiv": "/",
    ]

    /// `_math_get_dim_via_bin_op`: a new derived dim named after its operands.
    static func binary(_ terms: [Term], op: String) -> Dim {
        let sizes = terms.map(\.size)
        var size: Int?
        if sizes.allSatisfy({ $0 != nil }) {
            let values = sizes.compactMap { $0 }
            size = values.dropFirst().reduce(values[0] as Int?) { partial, b in
                guard let a = partial else { return nil }
                switch op {
                case "add": return CheckedInt.add(a, b)
                case "mul": return CheckedInt.mul(a, b)
                case "ceildiv": return b == 0 ? 0 : CheckedInt.ceilDiv(a, b)
                default: return b == 0 ? 0 : CheckedInt.floorDiv(a, b)
                }
            }
        }
        let dims = terms.compactMap { term -> Dim? in
            if case .dim(let d) = term { return d }
            return nil
        }
        if dims.isEmpty, let size { return constantDim(size) }
        var name = terms.map(\.operandName).joined(separator: opStrings[op] ?? "+")
        if op == "ceildiv" { name = "⌈\(name)⌉" }
        let kind: Dim.Kind = dims.contains { $0.kind == .batch } ? .spatial : (dims.contains { $0.kind == .feature } ? .feature : .spatial)
        // `_representative_tag`: prefer user dims, then dynamic ones, then any.
        let candidates = dims.contains { !$0.autoGenerated } ? dims.filter { !$0.autoGenerated } : dims
        let representative = candidates.first { $0.isDynamic } ?? candidates.first
        // `derived_from_tag` is the representative; for a dynamic one we keep its root, because
        // `get_same_derived_base` follows the chain through every dynamic dim and our chain only knows the
        // dims of the templates at hand.
        var derivedFrom = representative?.name
        if let representative, representative.isDynamic, let root = representative.derivedFrom { derivedFrom = root }
        return Dim(kind: kind, name: name, size: size, autoGenerated: true, derivedFrom: derivedFrom)
    }

    /// A constant static dim (`_make_constant_static_dim`), as it appears when dim math folds constants.
    static func constantDim(_ value: Int) -> Dim {
        Dim(kind: .spatial, name: "unnamed_dim_\(value)", size: value)
    }

    private static func isConstantName(_ name: String) -> Bool { name.hasPrefix("unnamed_") }

    /// `_MathFindMatchingAdditive.search_and_maybe_replace`, for constant operands and `x + x`.
    private static func findMatchingAdditive(start: Dim, other: Term, right: Bool) -> Dim? {
        var current: Term = .dim(start)
        var history: [Term] = []
        var depth = 0
        while true {
            if var result = checkAdditive(current, other: other, right: right) {
                if depth > 0, result == .constant(0), let last = history.popLast() { result = last }
                for h in history.reversed() {
                    result = .dim(binary(right ? [h, result] : [result, h], op: "add"))
                }
                switch result {
                case .dim(let d): return d
                case .constant(let v): return constantDim(v)
                }
            }
            depth += 1
            if depth > 2 { return nil }
            guard case .dim(let d) = current, let (op, inputs) = parse(d), op == "add", inputs.count == 2 else { return nil }
            current = inputs[right ? 1 : 0]
            history.append(inputs[right ? 0 : 1])
        }
    }

    private static func checkAdditive(_ candidate: Term, other: Term, right: Bool) -> Term? {
        switch other {
        case .constant(let k):
            if case .constant(let c) = candidate { return CheckedInt.add(c, k).map { .constant($0) } }
            return nil
        case .dim(let o):
            if case .dim(let c) = candidate, c == o { return .dim(rmul(2, c)) }
            return nil
        }
    }

    /// The operation and operands of a derived dim, read back from its name; nil for a plain dim.
    static func parse(_ dim: Dim) -> (String, [Term])? {
        let name = dim.name
        if name.hasPrefix("⌈"), name.hasSuffix("⌉") {
            let inner = String(name.dropFirst().dropLast())
            guard let parts = splitTopLevel(inner, separator: "/"), parts.count == 2 else { return nil }
            return ("ceildiv", [term(parts[0], parent: dim), term(parts[1], parent: dim)])
        }
        for (op, separator) in [("add", "+"), ("floordiv", "//"), ("mul", "*")] {
            if let parts = splitTopLevel(name, separator: separator), parts.count == 2 {
                return (op, [term(parts[0], parent: dim), term(parts[1], parent: dim)])
            }
        }
        return nil
    }

    /// Splits at the separator occurrences outside parentheses and brackets; nil if there are none or an
    /// operand is empty or not balanced.
    private static func splitTopLevel(_ text: String, separator: String) -> [String]? {
        let chars = Array(text)
        let sep = Array(separator)
        var depth = 0
        var parts: [String] = []
        var current: [Character] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "(" || c == "⌈" { depth += 1 }
            if c == ")" || c == "⌉" { depth -= 1 }
            if depth < 0 { return nil }
            if depth == 0, i + sep.count <= chars.count, Array(chars[i..<(i + sep.count)]) == sep,
                !(separator == "/" && i + 1 < chars.count && chars[i + 1] == "/"), !current.isEmpty
            {
                parts.append(String(current))
                current = []
                i += sep.count
                continue
            }
            current.append(c)
            i += 1
        }
        guard depth == 0, !current.isEmpty, !parts.isEmpty else { return nil }
        parts.append(String(current))
        return parts
    }

    /// An operand read from a name: an integer constant, or a dim (parentheses removed) of the parent's kind.
    private static func term(_ text: String, parent: Dim) -> Term {
        if let value = Int(text) { return .constant(value) }
        var name = text
        if name.hasPrefix("("), name.hasSuffix(")") { name = String(name.dropFirst().dropLast()) }
        // A dynamic operand of a dynamic dim shares its root (`derived_from_tag` chain).
        let root = parent.isDynamic && parent.derivedFrom != name ? parent.derivedFrom : nil
        return .dim(Dim(kind: parent.kind, name: name, size: nil, derivedFrom: root))
    }
}
