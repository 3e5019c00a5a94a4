import Foundation
import Testing

// Malformed inputs through the built `returnn-lint` binary: each must exit with 2 (not a signal) and print
// exactly one line `FILE:LINE:COL: error: …` on standard error, at the right position. Plus the CLI's exit
// codes for the other cases (no findings, findings, --exit-zero, unknown paths, usage errors, stdin).

// MARK: - Running the binary

private enum BadInputCLI {
    /// The built binary: next to the test runner (`.build/<triple>/debug/returnn-lintPackageTests.xctest`).
    static let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("returnn-lint")

    /// A fresh temporary directory for this process's input files.
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("returnn-lint-bad-input-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    struct Result {
        var status: Int32
        var reason: Process.TerminationReason
        var stdout: String
        var stderr: String

        var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
    }

    /// Runs the binary with `arguments` in `directory`, feeding `stdin` (if any) on standard input.
    static func run(_ arguments: [String], stdin: [UInt8]? = nil) throws -> Result {
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent("\(id).out")
        let errURL = directory.appendingPathComponent("\(id).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        var inURL: URL?
        if let stdin {
            let url = directory.appendingPathComponent("\(id).in")
            try Data(stdin).write(to: url)
            process.standardInput = try FileHandle(forReadingFrom: url)
            inURL = url
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer { if let inURL { try? FileManager.default.removeItem(at: inURL) } }
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return Result(
            status: process.terminationStatus, reason: process.terminationReason,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Removes the folder that `write` made for `path`.
    static func remove(_ path: String) {
        guard let folder = path.split(separator: "/").first else { return }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(String(folder)))
    }

    /// Writes `bytes` to a new file named `name` (in its own folder) and returns its path relative to `directory`.
    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let folder = UUID().uuidString
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        try Data(bytes).write(to: directory.appendingPathComponent(folder).appendingPathComponent(name))
        return folder + "/" + name
    }
}

// MARK: - Cases

/// A malformed input: `1️⃣` in `text` marks the expected error position (it is removed before writing).
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var file: String
    var bytes: [UInt8]
    /// Expected `LINE:COL` of the error.
    var location: String
    /// A part of the expected message.
    var message: String

    var testDescription: String { name }

    /// A case written as text with a `1️⃣` marker at the expected error position.
    init(_ name: String, _ file: String, _ marked: String, _ message: String) {
        let marker = "1️⃣"
        let parts = marked.components(separatedBy: marker)
        precondition(parts.count == 2, "\(name): exactly one marker")
        self.init(name, file, bytes: Array((parts[0] + parts[1]).utf8), errorAt: parts[0].utf8.count, message)
    }

    /// A case given as bytes, with the expected error byte offset.
    init(_ name: String, _ file: String, bytes: [UInt8], errorAt offset: Int, _ message: String) {
        self.name = name
        self.file = file
        self.bytes = bytes
        self.message = message
        self.location = Self.location(ofByte: offset, in: bytes)
    }

    /// `LINE:COL` counted by hand here (not through NetConfig): lines end at `\n`; columns count UTF-8 lead
    /// bytes (one per scalar); a leading byte order mark is not a column.
    static func location(ofByte offset: Int, in bytes: [UInt8]) -> String {
        var line = 1
        var column = 1
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) && offset >= 3 ? 3 : 0
        if start > offset { start = 0 }
        for byte in bytes[start..<offset] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return "\(line):\(column)"
    }
}

private let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
private let depth = 100_000

private let badInputs: [BadInput] = [
    // JSON: truncation at several points.
    BadInput("json truncated after '{'", "t.json", "{1️⃣", "unexpected end of file"),
    BadInput("json truncated in a key", "t.json", "{1️⃣\"netw", "unterminated string"),
    BadInput("json truncated after ':'", "t.json", "{\"network\":1️⃣", "unexpected end of file"),
    BadInput("json truncated in a layer", "t.json", "{\"network\": {\"ä\": {\"class\": \"copy\"1️⃣", "unexpected end of file"),
    BadInput("json truncated in a number", "t.json", "{\"a\": 1.1️⃣", "expected a digit"),
    BadInput("json truncated in an escape", "t.json", "{\"a\": 1️⃣\"x\\", "unterminated string"),
    BadInput("json truncated in a list", "t.json", "{\"network\": {\"a\": {\"from\": [\"x\",\n  1️⃣", "unexpected end of file"),
    // JSON: bad escapes and strings.
    BadInput("json invalid escape", "t.json", "{\"network\": {\"a\": {\"class\": \"co1️⃣\\qpy\"}}}", "invalid escape '\\q'"),
    BadInput("json short unicode escape", "t.json", "{\"a\": \"€1️⃣\\u12G4\"}", "\\u needs 4 hex digits"),
    BadInput("json unpaired surrogate", "t.json", "{\"a\": \"1️⃣\\uD800\"}", "unpaired surrogate"),
    BadInput("json raw tab in a string", "t.json", "{\"a\": \"x1️⃣\ty\"}", "control character U+0009"),
    BadInput("json single quotes", "t.json", "{1️⃣'a': 1}", "single quotes"),
    // JSON: other syntax.
    BadInput("json trailing comma", "t.json", "{\"a\": 11️⃣,}", "trailing comma before '}'"),
    BadInput("json NaN", "t.json", "{\"a\": 1️⃣NaN}", "\"NaN\" is not valid JSON"),
    BadInput("json -Infinity", "t.json", "{\"a\": 1️⃣-Infinity}", "is not valid JSON"),
    BadInput("json comment", "t.json", "{\n  1️⃣// no comments\n}", "comments are not allowed"),
    BadInput("json leading zero", "t.json", "{\"a\": 1️⃣01}", "leading zeros"),
    BadInput("json missing comma", "t.json", "{\"a\": 1 1️⃣\"b\": 2}", "expected ',' or '}'"),
    BadInput("json trailing garbage", "t.json", "{} 1️⃣x", "unexpected content after the JSON value"),
    // Empty, wrong shapes.
    BadInput("json empty file", "t.json", "1️⃣", "empty file"),
    BadInput("json whitespace only", "t.json", "1️⃣  \n \n", "empty file"),
    BadInput("json top-level list", "t.json", "\n 1️⃣[{\"class\": \"copy\"}]", "expected a mapping at the top level"),
    BadInput("json network is a list", "t.json", "{\"ä€😀\": 1, \"network\": 1️⃣[\"x\"]}", "'network' must be a mapping"),
    BadInput("json network is a string", "t.json", "{\"extern_data\": {}, \"network\": 1️⃣\"x\"}", "'network' must be a mapping"),
    BadInput("json config without network", "t.json", "1️⃣{\"extern_data\": {\"data\": {\"dim\": 3}}}", "config has no 'network' entry"),
    // Encoding.
    BadInput("json invalid UTF-8 byte", "t.json", bytes: Array("{\"ä\": \"".utf8) + [0xFF] + Array("\"}".utf8), errorAt: 8, "invalid UTF-8 (byte 0xFF)"),
    BadInput("json truncated UTF-8 sequence at the end", "t.json", bytes: Array("{\"a\": \"".utf8) + [0xC3], errorAt: 7, "invalid UTF-8"),
    BadInput("json overlong UTF-8", "t.json", bytes: Array("{\"a\": \"".utf8) + [0xC0, 0xAF, 0x22, 0x7D], errorAt: 7, "invalid UTF-8"),
    BadInput("json UTF-8 encoded surrogate", "t.json", bytes: Array("{\"a\": \"".utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D], errorAt: 7, "invalid UTF-8"),
    BadInput("json BOM then a list", "t.json", bytes: bom + Array("[1]".utf8), errorAt: 3, "expected a mapping at the top level"),
    BadInput("json BOM only", "t.json", bytes: bom, errorAt: 0, "empty file"),
    // Deep nesting: the error is at the first bracket past the default limit of 200.
    BadInput("json 100k-deep lists", "t.json", bytes: Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8), errorAt: 200, "nesting deeper than 200 levels"),
    BadInput("json 100k-deep objects", "t.json", bytes: Array((String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)).utf8), errorAt: 200 * 5, "nesting deeper than 200 levels"),

    // YAML: tabs, truncation, escapes.
    BadInput("yaml tab as indentation", "t.yaml", "network:\n1️⃣\tlayer: {}\n", "found character that cannot start any token"),
    BadInput("yaml tab in nested indentation", "t.yaml", "network:\n  lin:\n1️⃣\t  class: linear\n", "cannot start any token"),
    BadInput("yaml truncated flow collection", "t.yaml", "network: {ä: [1, 2€1️⃣", "did not find expected ',' or ']'"),
    BadInput("yaml truncated quoted scalar", "t.yaml", "a: \"abc1️⃣", "found unexpected end of stream"),
    BadInput("yaml truncated after a key", "t.yaml", "network:\n  l: [1,\n1️⃣", "did not find expected node content"),
    BadInput("yaml bad escape", "t.yaml", "a: \"x1️⃣\\qy\"\n", "found unknown escape character"),
    BadInput("yaml bad hex escape", "t.yaml", "network:\n  x: {class: copy}\n  \"y\": {class: \"c\\x1️⃣ZZ\"}\n", "did not find expected hexdecimal number"),
    BadInput("yaml wrong indentation", "t.yaml", "a:\n  b: 1\n 1️⃣c: 2\n", "did not find expected key"),
    BadInput("yaml mapping value in a plain scalar", "t.yaml", "a: b1️⃣: c\n", "mapping values are not allowed"),
    BadInput("yaml reserved indicator", "t.yaml", "a: 1️⃣@x\n", "cannot start any token"),
    BadInput("yaml bad !!int", "t.yaml", "a: 1️⃣!!int abc\n", "invalid !!int value"),
    BadInput("yaml undefined alias", "t.yaml", "network:\n  a: 1️⃣*nope\n", "undefined alias '*nope'"),
    BadInput("yaml two documents", "t.yaml", "a: 1\n1️⃣---\nb: 2\n", "multiple YAML documents"),
    // YAML: alias bomb (ten times ten, nine levels); the 8th `*d` crosses 100 000 copied nodes.
    BadInput("yaml alias bomb", "t.yaml", """
        a: &a ["x","x","x","x","x","x","x","x","x","x"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,1️⃣*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
        """, "possible alias bomb"),
    BadInput("yaml 100k-deep flow lists", "t.yaml", bytes: Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8), errorAt: 200, "nesting deeper than 200 levels"),
    BadInput("yaml 100k-deep block lists", "t.yaml", bytes: Array((String(repeating: "- ", count: depth) + "x\n").utf8), errorAt: 400, "nesting deeper than 200 levels"),
    // YAML: encoding, empty, shapes.
    BadInput("yaml invalid UTF-8", "t.yaml", bytes: Array("a: \"ä".utf8) + [0xFF] + Array("\"\n".utf8), errorAt: 6, "invalid UTF-8 (byte 0xFF)"),
    BadInput("yaml truncated UTF-8 at the end", "t.yml", bytes: Array("a: \"".utf8) + [0xC3], errorAt: 4, "invalid UTF-8"),
    BadInput("yaml empty file", "t.yaml", "1️⃣", "empty file"),
    BadInput("yaml only a comment", "t.yaml", "1️⃣# nothing here\n", "empty file"),
    BadInput("yaml top-level list", "t.yaml", "1️⃣- a\n- b\n", "expected a mapping at the top level"),
    BadInput("yaml network is a list", "t.yaml", "ä: 😀\nnetwork:\n  1️⃣- a\n", "'network' must be a mapping"),
    BadInput("yaml network is a number", "t.yml", "network: 1️⃣5\n", "'network' must be a mapping"),
    BadInput("yaml BOM then truncated", "t.yaml", bytes: bom + Array("network: [\n".utf8), errorAt: 3 + 11, "did not find expected node content"),
]

// MARK: - Tests

@Suite("Bad input through the CLI")
struct BadInputTests {
    @Test func theBinaryIsBuiltNextToTheTests() {
        #expect(
            FileManager.default.isExecutableFile(atPath: BadInputCLI.binary.path),
            "no executable at \(BadInputCLI.binary.path)")
    }

    @Test func thereAreAtLeast30Cases() {
        #expect(badInputs.count >= 30)
        #expect(Set(badInputs.map(\.name)).count == badInputs.count)
    }

    @Test(arguments: badInputs)
    func exitsWith2AndOneErrorLine(_ input: BadInput) throws {
        let path = try BadInputCLI.write(input.bytes, name: input.file)
        defer { BadInputCLI.remove(path) }
        let result = try BadInputCLI.run(["check", path])
        #expect(result.reason == .exit, "terminated by signal \(result.status)")
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        let line = String(result.stderrLines.first ?? "")
        let prefix = "\(path):\(input.location): error: "
        #expect(line.hasPrefix(prefix), "expected \(prefix)…, got \(line)")
        #expect(line.contains(input.message), "\(line)")
        #expect(!result.stdout.contains("RL0"), "no findings for an unreadable file: \(result.stdout)")
    }

    @Test func anErrorIsNotReportedAsAllChecksPassed() throws {
        let path = try BadInputCLI.write(Array("{".utf8), name: "t.json")
        defer { BadInputCLI.remove(path) }
        let result = try BadInputCLI.run(["check", path])
        #expect(result.status == 2)
        #expect(!result.stdout.contains("All checks passed."))
    }

    @Test func oneBadFileAmongGoodOnesStillExits2AndReportsTheOthers() throws {
        let good = try BadInputCLI.write(Array("{\"network\": {\"a\": {\"class\": \"sofmax\"}}}".utf8), name: "good.json")
        defer { BadInputCLI.remove(good) }
        let bad = try BadInputCLI.write(Array("network: [".utf8), name: "bad.yaml")
        defer { BadInputCLI.remove(bad) }
        let result = try BadInputCLI.run(["check", good, bad])
        #expect(result.status == 2)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("\(bad):1:11: error: "))
        #expect(result.stdout.contains("\(good):1:29: RL003 unknown layer class 'sofmax'"))
    }

    @Test func duplicateKeysAreAFindingNotAnError() throws {
        for (name, text, location) in [
            ("d.json", "{\"network\": {\"a\": {\"class\": \"copy\"}, \"a\": {\"class\": \"copy\"}}}", "1:38"),
            ("d.yaml", "network:\n  a: {class: copy}\n  a: {class: copy}\n", "3:3"),
        ] {
            let path = try BadInputCLI.write(Array(text.utf8), name: name)
            defer { BadInputCLI.remove(path) }
            let result = try BadInputCLI.run(["check", path])
            #expect(result.reason == .exit)
            #expect(result.status == 1)
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("\(path):\(location): RL004 duplicate key 'a'"), "\(result.stdout)")
        }
    }

    @Test func aByteOrderMarkBeforeAValidFileIsFine() throws {
        let path = try BadInputCLI.write(bom + Array("{\"network\": {\"a\": {\"class\": \"copy\"}}}".utf8), name: "bom.json")
        defer { BadInputCLI.remove(path) }
        let result = try BadInputCLI.run(["check", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("All checks passed."))
    }

    @Test func aLowerNestingLimitIsHonouredAndTheBoundIsChecked() throws {
        let deep = Array(("{\"network\": {\"a\": {\"class\": \"copy\", \"x\": " + String(repeating: "[", count: 50)
            + String(repeating: "]", count: 50) + "}}}").utf8)
        let path = try BadInputCLI.write(deep, name: "deep.json")
        defer { BadInputCLI.remove(path) }
        #expect(try BadInputCLI.run(["check", path]).status == 0)
        let limited = try BadInputCLI.run(["check", "--max-nesting", "20", path])
        #expect(limited.status == 2)
        // Depth 1 is the root object; the 21st level is the 18th '[' at byte offset 41 + 17.
        #expect(limited.stderr == "\(path):1:59: error: nesting deeper than 20 levels (--max-nesting)\n")
        #expect(try BadInputCLI.run(["check", "--max-nesting", "10000", path]).status == 0)
    }
}

@Suite("CLI exit codes")
struct CLIExitCodeTests {
    static let clean = "extern_data: {data: {dim: 3}}\nnetwork:\n  out: {class: copy, from: data}\n"
    static let withFinding = "network:\n  out: {class: sofmax, from: data}\n"

    @Test func noFindingsExits0() throws {
        let path = try BadInputCLI.write(Array(Self.clean.utf8), name: "clean.yaml")
        defer { BadInputCLI.remove(path) }
        let result = try BadInputCLI.run(["check", path])
        #expect(result.status == 0)
        #expect(result.stdout == "All checks passed.\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func findingsExit1AndExitZeroExits0() throws {
        let path = try BadInputCLI.write(Array(Self.withFinding.utf8), name: "finding.yaml")
        defer { BadInputCLI.remove(path) }
        let result = try BadInputCLI.run(["check", path])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("\(path):2:16: RL003 unknown layer class 'sofmax' in layer 'out' [unknown-class]\n"))
        let zero = try BadInputCLI.run(["check", "--exit-zero", path])
        #expect(zero.status == 0)
        #expect(zero.stdout == result.stdout)
        // An input error still exits 2 with --exit-zero.
        let bad = try BadInputCLI.write(Array("{".utf8), name: "bad.json")
        defer { BadInputCLI.remove(bad) }
        #expect(try BadInputCLI.run(["check", "--exit-zero", bad]).status == 2)
    }

    @Test func directoriesAreSearchedForConfigFiles() throws {
        let first = try BadInputCLI.write(Array(Self.withFinding.utf8), name: "a.yml")
        defer { BadInputCLI.remove(first) }
        let folder = String(first.split(separator: "/")[0])
        try Data("not a config".utf8).write(to: BadInputCLI.directory.appendingPathComponent(folder).appendingPathComponent("notes.txt"))
        let result = try BadInputCLI.run(["check", folder])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("\(folder)/a.yml:2:16: RL003"))
    }

    @Test func directorySearchGoesDownSubfoldersFollowsFileLinksButNotFolderLinks() throws {
        // JSON text, which the YAML reader also takes.
        let text = #"{"network": {"out": {"class": "sofmax", "from": "data"}}}"#
        let first = try BadInputCLI.write(Array(text.utf8), name: "a.json")
        defer { BadInputCLI.remove(first) }
        let folder = String(first.split(separator: "/")[0])
        let root = BadInputCLI.directory.appendingPathComponent(folder)
        let manager = FileManager.default
        for sub in ["sub/deeper", ".hidden", "folder.json"] {
            try manager.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for name in ["sub/b.yaml", "sub/deeper/C.JSON", ".hidden/c.yml", "folder.json/inner.json"] {
            try Data(text.utf8).write(to: root.appendingPathComponent(name))
        }
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("link.json").path, withDestinationPath: "a.json")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("linked-folder").path, withDestinationPath: "sub")
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("broken.json").path, withDestinationPath: "nowhere")
        let result = try BadInputCLI.run(["check", folder])
        #expect(result.status == 1)
        let reported = result.stdout.split(separator: "\n")
            .compactMap { $0.split(separator: ":").first.map(String.init) }.filter { $0.hasPrefix(folder) }
        // Sorted, each file once: the link to a file counts, the link to a folder is not searched (no
        // linked-folder/b.yaml), the broken link and the folder named *.json are skipped.
        #expect(reported == ["a.json", ".hidden/c.yml", "folder.json/inner.json", "link.json", "sub/b.yaml", "sub/deeper/C.JSON"]
            .map { "\(folder)/\($0)" }.sorted())
    }

    @Test func unknownPathExits2() throws {
        let result = try BadInputCLI.run(["check", "no/such/file.yaml"])
        #expect(result.reason == .exit)
        #expect(result.status == 2)
        #expect(result.stderr == "no/such/file.yaml: error: no such file or directory\n")
    }

    @Test(arguments: [
        ["check", "--no-such-option", "x.yaml"],
        ["check", "--output-format", "xml", "x.yaml"],
        ["check", "--select", "RL999", "x.yaml"],
        ["check", "--max-nesting", "10001", "x.yaml"],
        ["check", "--max-nesting", "0", "x.yaml"],
        ["check", "--max-layers=-5", "x.yaml"],
        ["check", "--max-file-size", "0", "x.yaml"],
        ["check", "--max-alias-expansion", "0", "x.yaml"],
        ["check"],
        ["dims", "--max-nesting", "20000", "x.yaml"],
        ["no-such-subcommand-or-file"],
    ])
    func usageErrorsExit2(_ arguments: [String]) throws {
        let result = try BadInputCLI.run(arguments)
        #expect(result.reason == .exit)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: ") || result.stderr.contains("error:"), "\(result.stderr)")
    }

    /// `check` is the default subcommand: arguments that do not start with a subcommand or a root flag go to it.
    @Test func checkIsTheDefaultSubcommand() throws {
        let path = try BadInputCLI.write(Array(Self.withFinding.utf8), name: "default-subcommand.yaml")
        let explicit = try BadInputCLI.run(["check", "--output-format", "json", path])
        let implicit = try BadInputCLI.run(["--output-format", "json", path])
        #expect(explicit.status == 1)
        #expect(implicit.status == explicit.status)
        #expect(implicit.stdout == explicit.stdout)
        #expect(try BadInputCLI.run([path]).stdout.contains("RL003 unknown layer class 'sofmax'"))
        // Root words still reach the root command.
        let version = try BadInputCLI.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("0."))
        let help = try BadInputCLI.run(["help", "dims"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: returnn-lint dims"), "\(help.stdout)")
        let rule = try BadInputCLI.run(["rule", "RL003"])
        #expect(rule.status == 0 && rule.stdout.contains("RL003"))
    }

    @Test func limitBoundsAreNamedInTheMessage() throws {
        let result = try BadInputCLI.run(["check", "--max-nesting", "10001", "x.yaml"])
        #expect(result.stderr.hasPrefix("Error: --max-nesting must be at most 10000"))
        let zero = try BadInputCLI.run(["check", "--max-layers", "0", "x.yaml"])
        #expect(zero.stderr.hasPrefix("Error: --max-layers must be a positive number, got 0"))
    }

    @Test func stdinWithAYAMLFilename() throws {
        // Not JSON: this only parses as YAML.
        let result = try BadInputCLI.run(["check", "-", "--stdin-filename", "x.yaml"], stdin: Array(Self.withFinding.utf8))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("x.yaml:2:16: RL003 unknown layer class 'sofmax'"))
        let clean = try BadInputCLI.run(["check", "-", "--stdin-filename", "x.yaml"], stdin: Array(Self.clean.utf8))
        #expect(clean.status == 0)
        // The same text named .json is read as JSON, and fails there.
        let asJSON = try BadInputCLI.run(["check", "-", "--stdin-filename", "x.json"], stdin: Array(Self.clean.utf8))
        #expect(asJSON.status == 2)
        #expect(asJSON.stderr.hasPrefix("x.json:1:1: error: "))
    }

    /// The README's demo: one structural finding (RL001 with a suggestion), and a loop plan from `dims`.
    @Test func readmeDemoFixture() throws {
        let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/demo/transducer.yaml").path
        let structural = try BadInputCLI.run(["check", "--select", "RL0", demo])
        #expect(structural.status == 1)
        #expect(
            structural.stdout.hasPrefix(
                "\(demo):43:31: RL001 layer 'lm_embed_unmasked' does not exist in the unit of rec layer 'output' [unknown-reference]\n"))
        #expect(structural.stdout.contains("  note: did you mean 'lm_embed_unmask'?\n"))
        #expect(structural.stdout.hasSuffix("Found 1 finding.\n"))
        let dims = try BadInputCLI.run(["dims", demo])
        #expect(dims.status == 0, "\(dims.stderr)")
        #expect(dims.stdout.contains("lm_masked:masked:time"))
    }

    @Test func stdinErrorsNameTheStdinFilename() throws {
        let result = try BadInputCLI.run(["check", "-", "--stdin-filename", "conf/x.yaml"], stdin: Array("a: [\n".utf8))
        #expect(result.status == 2)
        #expect(result.stderr == "conf/x.yaml:2:1: error: did not find expected node content (while parsing a flow node at 2:1)\n")
    }
}
