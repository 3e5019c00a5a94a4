/// Bounds that keep parsing fast and memory-safe on hostile input; each one has a clear error when hit.
public struct ParseLimits: Sendable, Hashable {
    /// Largest accepted file, in bytes.
    public var maxFileBytes: Int
    /// Deepest accepted nesting of mappings and sequences.
    public var maxNestingDepth: Int
    /// Most nodes that YAML aliases may copy in total (an alias bomb hits this quickly).
    public var maxAliasExpansion: Int
    /// Most layers in one file, counted over all nested networks.
    public var maxLayers: Int

    /// The defaults: 64 MiB, depth 200, 100 000 alias-copied nodes, 200 000 layers.
    public static let `default` = ParseLimits(
        maxFileBytes: 64 << 20, maxNestingDepth: 200, maxAliasExpansion: 100_000, maxLayers: 200_000)

    /// Creates limits.
    public init(maxFileBytes: Int, maxNestingDepth: Int, maxAliasExpansion: Int, maxLayers: Int) {
        self.maxFileBytes = maxFileBytes
        self.maxNestingDepth = maxNestingDepth
        self.maxAliasExpansion = maxAliasExpansion
        self.maxLayers = maxLayers
    }
}
