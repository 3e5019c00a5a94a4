/// A reference to a layer as written in a layer option (`from`, `mask`, `masked_from`, …), parsed into parts.
///
/// RETURNN resolves names in this order (`TFNetwork.get_layer`, `_SubnetworkRecCell.get_layer`):
/// `base:` prefixes go to the parent network (repeatable), then `prev:` (rec units), then `data`,
/// `data:KEY`, `:i`, and finally a plain name or a sub-layer path `x/y`.
public struct LayerRef: Sendable, Hashable, CustomStringConvertible {
    /// What the reference names once its prefixes are stripped.
    public enum Target: Sendable, Hashable {
        /// A layer in the resolved network; more than one component is a sub-layer path (`x/y`).
        case layer([String])
        /// `data` (nil key: the network's default input) or `data:KEY` (`data:source` in a rec unit).
        case data(key: String?)
        /// `:i`, the step index inside a rec loop.
        case stepIndex
        /// `extra.NAME:x` or `extra:x`, an extra network (rare; not resolved by the linter).
        case extra(String)
    }

    /// The text exactly as written.
    public var raw: String
    /// The byte range of the string node in the source (including quotes).
    public var span: Range<Int>
    /// The option the reference was found in (`from`, `mask`, …; `target` for `layer:` targets).
    public var option: String
    /// How many `base:` prefixes lead the name.
    public var baseLevels: Int
    /// True for `prev:x`: the value of `x` at the previous step.
    public var isPrev: Bool
    /// The name after the prefixes.
    public var target: Target

    /// Parses a reference string; never fails (an odd name is a `.layer` with that name).
    public init(parsing raw: String, span: Range<Int>, option: String) {
        self.raw = raw
        self.span = span
        self.option = option
        // Most references are plain layer names: no prefix, no path (checked on bytes, without substrings).
        let isPlainName = { (byte: UInt8) in byte != UInt8(ascii: ":") && byte != UInt8(ascii: "/") }
        let plain = raw.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(isPlainName) } ?? raw.utf8.allSatisfy(isPlainName)
        if plain {
            baseLevels = 0
            isPrev = false
            target = raw == "data" ? .data(key: nil) : .layer([raw])
            return
        }
        var rest = Substring(raw)
        var levels = 0
        while rest.hasPrefix("base:") {
            rest = rest.dropFirst(5)
            levels += 1
        }
        var prev = false
        if rest.hasPrefix("prev:") {
            rest = rest.dropFirst(5)
            prev = true
        }
        self.baseLevels = levels
        self.isPrev = prev
        if rest == "data" {
            target = .data(key: nil)
        } else if rest.hasPrefix("data:") {
            target = .data(key: String(rest.dropFirst(5)))
        } else if rest == ":i" {
            target = .stepIndex
        } else if rest.hasPrefix("extra"), let colon = rest.firstIndex(of: ":"),
            rest[rest.startIndex..<colon] == "extra" || rest[rest.startIndex..<colon].hasPrefix("extra.")
        {
            target = .extra(String(rest))
        } else {
            target = .layer(rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init))
        }
    }

    /// The first path component of a layer reference (`x` for `x/y`), or nil for other targets.
    public var rootName: String? {
        if case .layer(let path) = target { return path.first }
        return nil
    }

    /// True for `data:source` (the rec layer's input frame inside a rec unit).
    public var isDataSource: Bool { target == .data(key: "source") }

    public var description: String { raw }
}
