#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard input, output and error as raw file descriptors (unbuffered `write(2)`, like Foundation's
/// `FileHandle`, which the tool does not link: start-up is part of every run in a pre-commit hook).
enum Console {
    /// Writes text to standard output.
    static func out(_ text: String) { write(Array(text.utf8), to: 1) }
    /// Writes bytes to standard output.
    static func out(_ bytes: [UInt8]) { write(bytes, to: 1) }
    /// Writes text to standard error.
    static func err(_ text: String) { write(Array(text.utf8), to: 2) }
    /// Writes text to standard error or standard output.
    static func write(_ text: String, toStandardError: Bool) { write(Array(text.utf8), to: toStandardError ? 2 : 1) }

    /// Exits the process with `code`.
    static func exit(_ code: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(code)
        #elseif canImport(Musl)
        Musl.exit(code)
        #else
        Darwin.exit(code)
        #endif
    }

    /// Everything on standard input (nothing if reading it fails).
    static func readStandardInput() -> [UInt8] {
        FileSystem.readAll(from: 0, expectedSize: 0) ?? []
    }

    private static func write(_ bytes: [UInt8], to descriptor: Int32) {
        _ = writeAll(bytes, to: descriptor)
    }

    /// Writes all of `bytes` to a file descriptor (retrying short writes and interruptions); false on an error.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var written = 0
            while written < buffer.count {
                #if canImport(Glibc)
                let n = Glibc.write(descriptor, base + written, buffer.count - written)
                #elseif canImport(Musl)
                let n = Musl.write(descriptor, base + written, buffer.count - written)
                #else
                let n = Darwin.write(descriptor, base + written, buffer.count - written)
                #endif
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                written += n
            }
            return true
        }
    }
}

extension String {
    /// The string padded with spaces on the right to `width` characters (unchanged when longer).
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

/// Path helpers on plain strings (POSIX paths).
enum PathText {
    /// The folder part of a path (`.` for a bare name).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// `folder/name` (no doubled slash).
    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The extension of the last path component, lowercased (`""` for none or a leading-dot name).
    static func lowercasedExtension(of path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...]).lowercased()
    }
}
