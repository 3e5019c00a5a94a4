#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NetConfig

/// One input to lint: a file on disk or standard input.
struct InputFile: Sendable {
    /// The path shown in reports.
    var displayPath: String
    /// The path to read, or nil for standard input.
    var readPath: String?
}

/// Errors that stop before analysis: unreadable paths and the like. Rendered as one line, exit 2.
struct InputError: Error, CustomStringConvertible {
    var description: String
}

/// Finds the files to lint: files as given, directories searched for `*.json`, `*.yaml`, `*.yml`.
enum InputDiscovery {
    static let extensions: Set<String> = ["json", "yaml", "yml"]

    /// The inputs for the given paths, in a deterministic order (directories sorted).
    static func inputs(for paths: [String], stdinFilename: String?) throws -> [InputFile] {
        var result: [InputFile] = []
        let manager = FileManager.default
        for path in paths {
            if path == "-" {
                result.append(InputFile(displayPath: stdinFilename ?? "-", readPath: nil))
                continue
            }
            var isDirectory = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(description: "\(path): error: no such file or directory")
            }
            if isDirectory {
                guard let subpaths = try? manager.subpathsOfDirectory(atPath: path) else {
                    throw InputError(description: "\(path): error: cannot read directory")
                }
                var found: [String] = []
                for relative in subpaths where extensions.contains(PathText.lowercasedExtension(of: relative)) {
                    let full = PathText.join(path, relative)
                    var childIsDirectory = false
                    if manager.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory {
                        found.append(full)
                    }
                }
                result += found.sorted().map { InputFile(displayPath: $0, readPath: $0) }
            } else {
                result.append(InputFile(displayPath: path, readPath: path))
            }
        }
        return result
    }

    /// Reads an input's bytes, refusing files larger than `maxBytes` before reading them whole.
    static func read(_ input: InputFile, maxBytes: Int) throws -> SourceText {
        if let path = input.readPath {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = Self.integer(attributes[.size]), size > maxBytes {
                throw InputError(
                    description: "\(input.displayPath):1:1: error: file is \(size) bytes, more than the limit of \(maxBytes) (--max-file-size)")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw InputError(description: "\(input.displayPath): error: cannot read file")
            }
            return SourceText(path: input.displayPath, bytes: [UInt8](data))
        }
        return SourceText(path: input.displayPath, bytes: Console.readStandardInput())
    }

    /// A file attribute number (FoundationEssentials gives `UInt`, Foundation an `NSNumber`-backed `Int`).
    static func integer(_ value: Any?) -> Int? {
        switch value {
        case let n as Int: return n
        case let n as UInt: return Int(exactly: n)
        case let n as UInt64: return Int(exactly: n)
        case let n as Int64: return Int(exactly: n)
        default: return nil
        }
    }
}
