import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically: the new bytes go to a temporary file in the same folder, which then replaces the
/// original with `rename(2)`; the original's permission bits are kept. A failure (or a kill) at any point
/// leaves either the old or the new file, never a partial one.
enum AtomicWriter {
    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    /// Test hook: when this environment variable is set, the write stops after the temporary file is written
    /// and before the rename, as if the process had been killed there.
    static let failBeforeRenameVariable = "RETURNN_LINT_TEST_FAIL_BEFORE_RENAME"

    private static let serial = SerialCounter()

    static func nextSerial() -> Int { serial.next() }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let folder = PathText.folder(of: path)
        // A short name: the original's name plus a suffix could exceed the file system's 255-byte limit.
        let temporary = PathText.join(folder, ".returnn-lint-\(getpid())-\(nextSerial()).tmp")
        let mode = FileSystem.permissions(of: path) ?? 0o644
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw WriteError(description: "\(path): error: cannot create a temporary file next to it (\(String(cString: strerror(errno))))") }
        let ok = Console.writeAll(bytes, to: fd)
        let synced = fsync(fd) == 0
        close(fd)
        guard ok, synced else {
            unlink(temporary)
            throw WriteError(description: "\(path): error: cannot write the fixed file (\(String(cString: strerror(errno))))")
        }
        _ = chmod(temporary, mode)
        if getenv(failBeforeRenameVariable) != nil {
            throw WriteError(description: "\(path): error: write interrupted before rename (test hook)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "\(path): error: cannot replace the file (\(reason))")
        }
    }
}

/// A thread-safe counter for unique temporary file names within one process.
final class SerialCounter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        value.withLock { value in
            value += 1
            return value
        }
    }
}
