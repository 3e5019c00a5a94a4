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
        for path in paths {
            if path == "-" {
                result.append(InputFile(displayPath: stdinFilename ?? "-", readPath: nil))
                continue
            }
            guard let kind = FileSystem.kind(of: path) else {
                throw InputError(description: "\(path): error: no such file or directory")
            }
            if kind == .directory {
                guard let subpaths = FileSystem.subpaths(of: path) else {
                    throw InputError(description: "\(path): error: cannot read directory")
                }
                var found: [String] = []
                for relative in subpaths where extensions.contains(PathText.lowercasedExtension(of: relative)) {
                    let full = PathText.join(path, relative)
                    if FileSystem.kind(of: full) == .file {
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
            if let size = FileSystem.size(of: path), size > maxBytes {
                throw InputError(
                    description: "\(input.displayPath):1:1: error: file is \(size) bytes, more than the limit of \(maxBytes) (--max-file-size)")
            }
            guard let bytes = FileSystem.contents(of: path) else {
                throw InputError(description: "\(input.displayPath): error: cannot read file")
            }
            return SourceText(path: input.displayPath, bytes: bytes)
        }
        return SourceText(path: input.displayPath, bytes: Console.readStandardInput())
    }
}
