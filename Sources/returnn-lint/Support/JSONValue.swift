/// A small ordered JSON value for deterministic output (keys in insertion order, stable float text).
indirect enum JSONValue: Sendable, Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case int(Int)
    /// An unsigned integer (seeds), written exactly.
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered(indent: nil) == b.rendered(indent: nil) }

    /// Renders with two-space indentation (or compactly with `indent: nil`).
    func rendered(indent: Int? = 0) -> String {
        var out = ""
        write(into: &out, level: indent)
        return out
    }

    private func write(into out: inout String, level: Int?) {
        let newline = level == nil ? "" : "\n"
        let pad = { (l: Int?) in l.map { String(repeating: "  ", count: $0) } ?? "" }
        switch self {
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (i, (key, value)) in pairs.enumerated() {
                out += pad(level.map { $0 + 1 }) + JSONValue.quote(key) + (level == nil ? ":" : ": ")
                value.write(into: &out, level: level.map { $0 + 1 })
                out += (i + 1 < pairs.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (i, item) in items.enumerated() {
                out += pad(level.map { $0 + 1 })
                item.write(into: &out, level: level.map { $0 + 1 })
                out += (i + 1 < items.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case .string(let s): out += JSONValue.quote(s)
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d):
            if d.isNaN { out += "\"nan\"" } else if d.isInfinite { out += d > 0 ? "\"inf\"" : "\"-inf\"" } else { out += "\(d)" }
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
