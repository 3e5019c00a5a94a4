#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system calls the tool makes, straight on POSIX. Foundation's `FileManager` would do the same
/// but links about a thousand protocol conformances that the Swift runtime scans at start-up, and it resolves
/// the file's owner and group names (reading /etc/passwd and /etc/group) for a size query.
enum FileSystem {
    /// What a path names, following symbolic links.
    enum Kind: Equatable {
        case file
        case directory
    }

    /// The kind of what `path` names (symbolic links followed), or nil if it does not exist or cannot be read.
    static func kind(of path: String) -> Kind? {
        guard let status = status(of: path, followingLinks: true) else { return nil }
        return isDirectory(status.st_mode) ? .directory : .file
    }

    /// The size in bytes of the file at `path` (symbolic links followed), or nil if it cannot be queried.
    static func size(of path: String) -> Int? {
        status(of: path, followingLinks: true).flatMap { Int(exactly: $0.st_size) }
    }

    /// The permission bits of the file at `path` (symbolic links followed), or nil if it cannot be queried.
    static func permissions(of path: String) -> mode_t? {
        status(of: path, followingLinks: true).map { $0.st_mode & 0o7777 }
    }

    /// Every path below `directory`, relative to it, in the order the directory lists them. Symbolic links are
    /// listed but not descended into (as `FileManager.subpathsOfDirectory` does), so a link cycle cannot loop.
    /// Nil if `directory` cannot be read; unreadable subfolders are skipped.
    static func subpaths(of directory: String) -> [String]? {
        var result: [String] = []
        guard appendSubpaths(of: directory, relative: "", into: &result) else { return nil }
        return result
    }

    /// The whole contents of the file at `path`, or nil if it cannot be opened or read.
    static func contents(of path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        let expected = fstat(fd, &status) == 0 ? max(0, Int(status.st_size)) : 0
        return readAll(from: fd, expectedSize: expected)
    }

    /// Everything readable from a file descriptor until end of file (retrying interruptions), or nil on a read
    /// error. `expectedSize` sizes the first buffer (a file's size; 0 for a pipe).
    static func readAll(from descriptor: Int32, expectedSize: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: max(expectedSize + 1, 1 << 12))
        var count = 0
        while true {
            if count == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let n = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return read(descriptor, base + count, buffer.count - count)
            }
            if n > 0 {
                count += n
            } else if n == 0 {
                bytes.removeSubrange(count...)
                return bytes
            } else if errno != EINTR {
                return nil
            }
        }
    }

    private static func appendSubpaths(of directory: String, relative: String, into result: inout [String]) -> Bool {
        guard let handle = opendir(directory) else { return false }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name == "." || name == ".." { continue }
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            result.append(childRelative)
            let child = PathText.join(directory, name)
            if let status = status(of: child, followingLinks: false), isDirectory(status.st_mode) {
                _ = appendSubpaths(of: child, relative: childRelative, into: &result)
            }
        }
        return true
    }

    private static func status(of path: String, followingLinks: Bool) -> stat? {
        var status = stat()
        let code = followingLinks ? stat(path, &status) : lstat(path, &status)
        return code == 0 ? status : nil
    }

    private static func isDirectory(_ mode: mode_t) -> Bool {
        mode & S_IFMT == S_IFDIR
    }
}
