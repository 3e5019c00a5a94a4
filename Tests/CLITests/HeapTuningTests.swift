#if os(Linux)
import Foundation
import Testing

// The CLI marks its heap for transparent huge pages (`Support/HeapTuning.swift`): observed on a running process
// through /proc/PID/smaps, while `check -` waits for standard input.

@Suite("Heap tuning")
struct HeapTuningTests {
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("returnn-lint")

    /// The kernel has transparent huge pages (`madvise` fails with EINVAL without them).
    static let kernelHasHugePages = FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")

    /// Whether a mapping of process `pid` carries the `hg` flag (MADV_HUGEPAGE), or nil while smaps is unreadable.
    static func hasHugePageAdvice(pid: Int32) -> Bool? {
        // /proc files report size 0, so they are read to the end rather than by their size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd(), !data.isEmpty else { return nil }
        let smaps = String(decoding: data, as: UTF8.self)
        return smaps.split(separator: "\n").contains { $0.hasPrefix("VmFlags:") && $0.split(separator: " ").contains("hg") }
    }

    @Test(.enabled(if: kernelHasHugePages))
    func heapIsAdvisedForHugePages() throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["check", "-", "--stdin-filename", "x.json"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The process blocks reading standard input until it is closed, so its mappings can be read at leisure;
        // the loop only waits for the exec and the start of `main` (at most 10 s, then the test fails).
        var advised = false
        for _ in 0..<1000 where !advised {
            advised = Self.hasHugePageAdvice(pid: process.processIdentifier) ?? false
            if !advised { usleep(10_000) }
        }
        try input.fileHandleForWriting.write(contentsOf: Data("{}".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(advised, "no mapping of the running CLI carries the MADV_HUGEPAGE flag")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }
}
#endif
