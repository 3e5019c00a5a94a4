import Foundation
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
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(description: "\(path): error: no such file or directory")
            }
            if isDirectory.boolValue {
                guard let enumerator = manager.enumerator(atPath: path) else {
                    throw InputError(description: "\(path): error: cannot read directory")
                }
                var found: [String] = []
                while let relative = enumerator.nextObject() as? String {
                    let ext = (relative as NSString).pathExtension.lowercased()
                    guard extensions.contains(ext) else { continue }
                    let full = (path as NSString).appendingPathComponent(relative)
                    var childIsDirectory: ObjCBool = false
                    if manager.fileExists(atPath: full, isDirectory: &childIsDirectory), !childIsDirectory.boolValue {
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
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let size = attributes[.size] as? NSNumber, size.intValue > maxBytes
            {
                throw InputError(
                    description: "\(input.displayPath):1:1: error: file is \(size.intValue) bytes, more than the limit of \(maxBytes) (--max-file-size)")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw InputError(description: "\(input.displayPath): error: cannot read file")
            }
            return SourceText(path: input.displayPath, bytes: [UInt8](data))
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return SourceText(path: input.displayPath, bytes: [UInt8](data))
    }
}
