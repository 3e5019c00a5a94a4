import Foundation
import NetConfig

/// Paths of the project's shared reference material (`../shared`, read in place, never copied).
enum SharedFiles {
    /// The package root (two levels above this file's folder).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` next to the package root.
    static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The project's own `fixtures` folder.
    static let fixtures: URL = packageRoot.appendingPathComponent("fixtures")

    /// Sorted file paths in a folder with a suffix.
    static func files(in folder: URL, suffix: String) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { folder.appendingPathComponent($0) }
    }

    /// Loads a config file into the IR.
    static func load(_ url: URL) throws -> NetworkConfig {
        let data = try Data(contentsOf: url)
        return try NetworkConfig.load(SourceText(path: url.path, bytes: [UInt8](data)))
    }

    /// Parses a JSON file with Foundation (goldens only).
    static func json(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
