#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The tiny expression language of `eval` layers and lambda activations: numbers, `True`/`False`,
/// `source(i)`, `x` (lambda activations), `+ - * / // % **`, unary `-`, `< <= > >=`, parentheses, and calls of
/// a fixed set of element-wise TensorFlow functions (`tf.exp`, `tf.where`, `tf.nn.relu`, `tf.cast`, …).
/// Anything else is unsupported: the evaluator never guesses what Python would do.
indirect enum Expression: Sendable {
    case number(Double, ValueKind)
    case source(Int)
    case variable
    case dtype(ValueKind)
    case unary(String, Expression)
    case binary(String, Expression, Expression)
    case call(String, [Expression])

    /// The kind of values an expression produces.
    enum ValueKind: Sendable {
        case float, int, bool
    }

    /// An evaluated expression: one value (broadcast) or one per element.
    struct Value {
        var values: [Double]
        var kind: ValueKind

        /// The value as `count` floats of `dtype`.
        func values(count: Int, as dtype: String) -> [Float] {
            var out = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let v = values.count == 1 ? values[0] : values[i]
                if dtype == "bool" {
                    out[i] = v != 0 ? 1 : 0
                } else if dtype.hasPrefix("int") || dtype.hasPrefix("uint") {
                    out[i] = Float(v.rounded(.towardZero))
                } else {
                    out[i] = Float(v)
                }
            }
            return out
        }

        subscript(i: Int) -> Double { values.count == 1 ? values[0] : values[i] }
    }

    // MARK: - Functions

    /// Element-wise functions of one argument by bare name (also RETURNN's activation names).
    static let unaryFunctions: [String: @Sendable (Double) -> Double] = [
        "relu": { max(0, $0) },
        "relu6": { min(max(0, $0), 6) },
        "tanh": { tanh($0) },
        "sigmoid": { 1 / (1 + exp(-$0)) },
        "exp": { exp($0) },
        "log": { log($0) },
        "abs": { abs($0) },
        "sqrt": { $0.squareRoot() },
        "square": { $0 * $0 },
        "negative": { -$0 },
        "elu": { $0 > 0 ? $0 : expm1($0) },
        "selu": { 1.0507009873554805 * ($0 > 0 ? $0 : 1.6732632423543772 * expm1($0)) },
        "gelu": { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) },
        "swish": { $0 / (1 + exp(-$0)) },
        "silu": { $0 / (1 + exp(-$0)) },
        "softplus": { $0 > 0 ? $0 + log1p(exp(-$0)) : log1p(exp($0)) },
        "softsign": { $0 / (1 + abs($0)) },
        "log_sigmoid": { $0 < 0 ? $0 - log1p(exp($0)) : -log1p(exp(-$0)) },
        "leaky_relu": { $0 > 0 ? $0 : 0.2 * $0 },
        "sign": { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) },
        "floor": { $0.rounded(.down) },
        "ceil": { $0.rounded(.up) },
        "round": { $0.rounded(.toNearestOrEven) },
        "sin": { sin($0) },
        "cos": { cos($0) },
        "erf": { erf($0) },
        "reciprocal": { 1 / $0 },
        "rsqrt": { 1 / $0.squareRoot() },
        "log1p": { log1p($0) },
        "expm1": { expm1($0) },
        "identity": { $0 },
        "stop_gradient": { $0 },
    ]

    /// Full names accepted in expressions, mapped to the function's bare name.
    static let callNames: [String: String] = {
        var names: [String: String] = [:]
        let top = ["abs", "exp", "tanh", "sigmoid", "sqrt", "square", "negative", "sign", "round", "sin", "cos", "identity",
                   "stop_gradient", "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
                   "logical_and", "logical_or", "logical_not", "where", "cast", "pow", "add", "subtract", "multiply", "divide",
                   "truediv", "floordiv", "clip_by_value", "zeros_like", "ones_like", "floor"]
        let math = ["abs", "exp", "log", "tanh", "sigmoid", "sqrt", "square", "negative", "sign", "round", "sin", "cos", "maximum",
                    "minimum", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or",
                    "logical_not", "pow", "add", "subtract", "multiply", "divide", "truediv", "floordiv", "floormod", "mod",
                    "squared_difference", "floor", "ceil", "erf", "reciprocal", "rsqrt", "log1p", "expm1", "softplus", "log_sigmoid"]
        let nn = ["relu", "relu6", "elu", "selu", "gelu", "swish", "silu", "softplus", "softsign", "sigmoid", "tanh", "leaky_relu"]
        for n in top { names["tf.\(n)"] = n }
        for n in math { names["tf.math.\(n)"] = n }
        for n in nn { names["tf.nn.\(n)"] = n }
        return names
    }()

    static let dtypeNames: [String: ValueKind] = [
        "tf.float32": .float, "tf.float64": .float, "tf.float16": .float, "tf.int32": .int, "tf.int64": .int, "tf.bool": .bool,
        "\"float32\"": .float, "\"int32\"": .int, "\"bool\"": .bool, "'float32'": .float, "'int32'": .int, "'bool'": .bool,
    ]

    // MARK: - Parsing

    /// Parses an expression; anything outside the grammar is unsupported (naming the layer).
    static func parse(_ text: String, layer: String) throws(EvaluationError) -> Expression {
        var text = text.trimmingSpaces
        if text.hasPrefix("lambda ") {
            guard let colon = text.firstIndex(of: ":") else { throw .unsupported(layer: layer, reason: "expression '\(text)' is not supported") }
            let parameter = text[text.index(text.startIndex, offsetBy: 7)..<colon].trimmingCharacters()
            guard parameter == "x" else { throw .unsupported(layer: layer, reason: "expression '\(text)' is not supported") }
            text = String(text[text.index(after: colon)...])
        }
        var parser = ExpressionParser(text: text, layer: layer)
        let expression = try parser.parseExpression()
        parser.skipSpaces()
        guard parser.atEnd else { throw parser.failure() }
        return expression
    }

    // MARK: - Evaluation

    /// Evaluates over `count` elements; `sources[i]` are the inputs broadcast to the output, `variable` the
    /// argument of a lambda activation; `used` collects the source indices read.
    func evaluate(sources: [[Float]], count: Int, variable: [Float]?, used: inout Set<Int>, layer: String) throws(EvaluationError) -> Value {
        func unsupported(_ what: String) -> EvaluationError { .unsupported(layer: layer, reason: "expression: \(what)") }
        switch self {
        case .number(let v, let kind):
            return Value(values: [v], kind: kind)
        case .source(let i):
            guard sources.indices.contains(i) else { throw .construction(layer: layer, message: "source(\(i)) does not exist (\(sources.count) inputs)") }
            used.insert(i)
            return Value(values: sources[i].map(Double.init), kind: .float)
        case .variable:
            guard let variable else { throw unsupported("'x' outside an activation") }
            return Value(values: variable.map(Double.init), kind: .float)
        case .dtype:
            throw unsupported("a dtype is only allowed as the argument of tf.cast")
        case .unary(let op, let a):
            let x = try a.evaluate(sources: sources, count: count, variable: variable, used: &used, layer: layer)
            switch op {
            case "-": return Value(values: x.values.map { -$0 }, kind: x.kind)
            default: return x
            }
        case .binary(let op, let a, let b):
            let x = try a.evaluate(sources: sources, count: count, variable: variable, used: &used, layer: layer)
            let y = try b.evaluate(sources: sources, count: count, variable: variable, used: &used, layer: layer)
            return try Expression.binary(op, x, y, count: count, layer: layer)
        case .call(let name, let arguments):
            var values: [Value] = []
            if name == "cast" {
                guard arguments.count == 2, case .dtype(let kind) = arguments[1] else { throw unsupported("tf.cast needs a tf dtype") }
                let x = try arguments[0].evaluate(sources: sources, count: count, variable: variable, used: &used, layer: layer)
                switch kind {
                case .bool: return Value(values: x.values.map { $0 != 0 ? 1 : 0 }, kind: .bool)
                case .int: return Value(values: x.values.map { $0.rounded(.towardZero) }, kind: .int)
                case .float: return Value(values: x.values, kind: .float)
                }
            }
            for argument in arguments {
                values.append(try argument.evaluate(sources: sources, count: count, variable: variable, used: &used, layer: layer))
            }
            return try Expression.call(name, values, count: count, layer: layer)
        }
    }

    static func binary(_ op: String, _ x: Value, _ y: Value, count: Int, layer: String) throws(EvaluationError) -> Value {
        let n = x.values.count == 1 && y.values.count == 1 ? 1 : count
        var out = [Double](repeating: 0, count: n)
        var kind: ValueKind = (x.kind == .float || y.kind == .float) ? .float : x.kind
        let f: (Double, Double) -> Double
        switch op {
        case "+", "add": f = { $0 + $1 }
        case "-", "subtract": f = { $0 - $1 }
        case "*", "multiply": f = { $0 * $1 }
        case "/", "truediv", "divide": f = { $0 / $1 }; kind = .float
        case "//", "floordiv": f = { ($0 / $1).rounded(.down) }
        case "%", "floormod", "mod": f = { a, b in let r = fmod(a, b); return (r != 0 && (r < 0) != (b < 0)) ? r + b : r }
        case "**", "pow": f = { pow($0, $1) }
        case "maximum": f = { max($0, $1) }
        case "minimum": f = { min($0, $1) }
        case "squared_difference": f = { ($0 - $1) * ($0 - $1) }
        case "<", "less": f = { $0 < $1 ? 1 : 0 }; kind = .bool
        case "<=", "less_equal": f = { $0 <= $1 ? 1 : 0 }; kind = .bool
        case ">", "greater": f = { $0 > $1 ? 1 : 0 }; kind = .bool
        case ">=", "greater_equal": f = { $0 >= $1 ? 1 : 0 }; kind = .bool
        case "equal": f = { $0 == $1 ? 1 : 0 }; kind = .bool
        case "not_equal": f = { $0 != $1 ? 1 : 0 }; kind = .bool
        case "logical_and": f = { ($0 != 0 && $1 != 0) ? 1 : 0 }; kind = .bool
        case "logical_or": f = { ($0 != 0 || $1 != 0) ? 1 : 0 }; kind = .bool
        default: throw .unsupported(layer: layer, reason: "expression: operator '\(op)' is not supported")
        }
        for i in 0..<n { out[i] = f(x[i], y[i]) }
        if kind == .float, x.kind == .int, y.kind == .int, op != "/" { kind = .int }
        return Value(values: out, kind: kind)
    }

    static func call(_ name: String, _ a: [Value], count: Int, layer: String) throws(EvaluationError) -> Value {
        func arity(_ n: Int) throws(EvaluationError) {
            guard a.count == n else { throw .unsupported(layer: layer, reason: "expression: \(name) with \(a.count) arguments") }
        }
        if let f = unaryFunctions[name] {
            try arity(1)
            return Value(values: a[0].values.map(f), kind: .float)
        }
        switch name {
        case "logical_not":
            try arity(1)
            return Value(values: a[0].values.map { $0 != 0 ? 0 : 1 }, kind: .bool)
        case "zeros_like", "ones_like":
            try arity(1)
            return Value(values: [Double](repeating: name == "zeros_like" ? 0 : 1, count: max(1, a[0].values.count)), kind: a[0].kind)
        case "where":
            try arity(3)
            let n = [a[0], a[1], a[2]].contains { $0.values.count != 1 } ? count : 1
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n { out[i] = a[0][i] != 0 ? a[1][i] : a[2][i] }
            return Value(values: out, kind: a[1].kind == .float || a[2].kind == .float ? .float : a[1].kind)
        case "clip_by_value":
            try arity(3)
            let n = [a[0], a[1], a[2]].contains { $0.values.count != 1 } ? count : 1
            var out = [Double](repeating: 0, count: n)
            for i in 0..<n { out[i] = min(max(a[0][i], a[1][i]), a[2][i]) }
            return Value(values: out, kind: a[0].kind)
        default:
            try arity(2)
            return try binary(name, a[0], a[1], count: count, layer: layer)
        }
    }
}

/// A recursive-descent parser of `Expression`.
struct ExpressionParser {
    let characters: [Character]
    let layer: String
    var position = 0

    init(text: String, layer: String) {
        self.characters = Array(text)
        self.layer = layer
    }

    var atEnd: Bool { position >= characters.count }

    func failure(_ detail: String? = nil) -> EvaluationError {
        var reason = "expression '\(String(characters))' is not supported"
        if let detail { reason += " (\(detail))" }
        return .unsupported(layer: layer, reason: reason)
    }

    mutating func skipSpaces() {
        while position < characters.count, characters[position] == " " || characters[position] == "\t" || characters[position] == "\n" {
            position += 1
        }
    }

    mutating func accept(_ token: String) -> Bool {
        skipSpaces()
        let chars = Array(token)
        guard position + chars.count <= characters.count, Array(characters[position..<(position + chars.count)]) == chars else { return false }
        position += chars.count
        return true
    }

    mutating func parseExpression() throws(EvaluationError) -> Expression {
        var left = try parseAdditive()
        while true {
            if accept("==") || accept("!=") { throw failure("'==' / '!=' on tensors") }
            if accept("<=") { left = .binary("<=", left, try parseAdditive()); continue }
            if accept(">=") { left = .binary(">=", left, try parseAdditive()); continue }
            if accept("<") { left = .binary("<", left, try parseAdditive()); continue }
            if accept(">") { left = .binary(">", left, try parseAdditive()); continue }
            return left
        }
    }

    mutating func parseAdditive() throws(EvaluationError) -> Expression {
        var left = try parseMultiplicative()
        while true {
            if accept("+") { left = .binary("+", left, try parseMultiplicative()); continue }
            if accept("-") { left = .binary("-", left, try parseMultiplicative()); continue }
            return left
        }
    }

    mutating func parseMultiplicative() throws(EvaluationError) -> Expression {
        var left = try parseUnary()
        while true {
            skipSpaces()
            if lookingAt("**") { return left }
            if accept("*") { left = .binary("*", left, try parseUnary()); continue }
            if accept("//") { left = .binary("//", left, try parseUnary()); continue }
            if accept("/") { left = .binary("/", left, try parseUnary()); continue }
            if accept("%") { left = .binary("%", left, try parseUnary()); continue }
            return left
        }
    }

    func lookingAt(_ token: String) -> Bool {
        let chars = Array(token)
        return position + chars.count <= characters.count && Array(characters[position..<(position + chars.count)]) == chars
    }

    mutating func parseUnary() throws(EvaluationError) -> Expression {
        if accept("-") { return .unary("-", try parseUnary()) }
        if accept("+") { return try parseUnary() }
        let base = try parseAtom()
        if accept("**") { return .binary("**", base, try parseUnary()) }
        return base
    }

    mutating func parseAtom() throws(EvaluationError) -> Expression {
        skipSpaces()
        guard position < characters.count else { throw failure("unexpected end") }
        let c = characters[position]
        if c == "(" {
            position += 1
            let inner = try parseExpression()
            guard accept(")") else { throw failure("missing ')'") }
            return inner
        }
        if c.isNumber || c == "." {
            var text = ""
            while position < characters.count, characters[position].isNumber || characters[position] == "." || characters[position] == "e"
                || ((characters[position] == "-" || characters[position] == "+") && text.last == "e")
            {
                text.append(characters[position])
                position += 1
            }
            guard let value = Double(text) else { throw failure("bad number '\(text)'") }
            let isInt = !text.contains(".") && !text.contains("e")
            return .number(value, isInt ? .int : .float)
        }
        if c == "\"" || c == "'" {
            var text = String(c)
            position += 1
            while position < characters.count, characters[position] != c {
                text.append(characters[position])
                position += 1
            }
            guard position < characters.count else { throw failure("unterminated string") }
            position += 1
            text.append(c)
            guard let kind = Expression.dtypeNames[text] else { throw failure("string \(text)") }
            return .dtype(kind)
        }
        guard c.isLetter || c == "_" else { throw failure("unexpected '\(c)'") }
        var name = ""
        while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "_"
            || characters[position] == "."
        {
            name.append(characters[position])
            position += 1
        }
        switch name {
        case "True": return .number(1, .bool)
        case "False": return .number(0, .bool)
        case "x": return .variable
        default: break
        }
        if let kind = Expression.dtypeNames[name] { return .dtype(kind) }
        guard accept("(") else { throw failure("name '\(name)'") }
        var arguments: [Expression] = []
        if !accept(")") {
            repeat {
                skipSpaces()
                // A keyword argument: only `dtype=` of tf.cast.
                let save = position
                var keyword = ""
                while position < characters.count, characters[position].isLetter || characters[position] == "_" {
                    keyword.append(characters[position])
                    position += 1
                }
                if !keyword.isEmpty, accept("="), !lookingAt("=") {
                    guard keyword == "dtype", name == "tf.cast" else { throw failure("keyword argument '\(keyword)'") }
                } else {
                    position = save
                }
                arguments.append(try parseExpression())
            } while accept(",")
            guard accept(")") else { throw failure("missing ')'") }
        }
        if name == "source" {
            guard arguments.count == 1, case .number(let v, .int) = arguments[0] else { throw failure("source() needs one integer") }
            return .source(Int(v))
        }
        guard let function = Expression.callNames[name] else { throw failure("function '\(name)'") }
        return .call(function, arguments)
    }
}

extension Substring {
    /// The text without leading and trailing spaces.
    func trimmingCharacters() -> String { String(self).trimmingSpaces }
}
