import Testing

import NetConfig

// Line:col of IR elements and of errors, proved with position markers in the input (swift-syntax style):
// `1️⃣` … `9️⃣` are removed from the text and their byte offsets recorded. Every case has multibyte
// characters (2-, 3- and 4-byte UTF-8) before the marked places, so byte offsets and scalar columns differ.

// MARK: - Markers

/// A text with its markers removed, and where they were (byte offsets into the stripped text).
private struct Marked {
    let text: String
    let offsets: [String: Int]
    let source: SourceText

    /// Strips keycap markers (`N` + U+FE0F + U+20E3) from `marked`.
    init(_ marked: String, path: String) {
        var out = String.UnicodeScalarView()
        var offsets: [String: Int] = [:]
        var byteCount = 0
        let scalars = Array(marked.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if i + 2 < scalars.count, ("0"..."9").contains(scalars[i]), scalars[i + 1] == "\u{FE0F}",
                scalars[i + 2] == "\u{20E3}"
            {
                let name = String(scalars[i])
                precondition(offsets[name] == nil, "marker \(name) used twice")
                offsets[name] = byteCount
                i += 3
                continue
            }
            out.append(scalars[i])
            byteCount += String(scalars[i]).utf8.count
            i += 1
        }
        self.text = String(out)
        self.offsets = offsets
        self.source = SourceText(path: path, text: self.text)
    }

    /// The byte offset of marker `name` ("1" for `1️⃣`).
    func offset(_ name: String) -> Int {
        guard let offset = offsets[name] else {
            Issue.record("no marker \(name)")
            return -1
        }
        return offset
    }

    /// `LINE:COL` of a byte offset.
    func location(_ offset: Int) -> String { source.location(ofByte: offset).description }

    func load() throws -> NetworkConfig { try NetworkConfig.load(source) }

    /// The error that loading the text throws, or nil.
    func loadError() -> ConfigError? {
        do {
            _ = try NetworkConfig.load(source)
            return nil
        } catch {
            return error
        }
    }
}

/// Checks that `span` starts at marker `name`, and that the marker is at `LINE:COL` (written by hand).
private func expectStart(
    _ span: Range<Int>?, at name: String, is lineColumn: String, in marked: Marked,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let span else {
        Issue.record("no span for marker \(name)", sourceLocation: sourceLocation)
        return
    }
    #expect(span.lowerBound == marked.offset(name), "marker \(name)", sourceLocation: sourceLocation)
    #expect(marked.location(span.lowerBound) == lineColumn, "marker \(name)", sourceLocation: sourceLocation)
}

private func expectError(
    _ marked: Marked, at lineColumn: String, containing substring: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = marked.loadError() else {
        Issue.record("expected an error", sourceLocation: sourceLocation)
        return
    }
    #expect(error.offset == marked.offset("1"), "\(error.message)", sourceLocation: sourceLocation)
    #expect(marked.location(error.offset) == lineColumn, "\(error.message)", sourceLocation: sourceLocation)
    #expect(error.message.contains(substring), "\(error.message)", sourceLocation: sourceLocation)
    let rendered = error.rendered(in: marked.source)
    #expect(rendered.hasPrefix("\(marked.source.path):\(lineColumn): error: "), sourceLocation: sourceLocation)
    #expect(!rendered.contains("\n"), sourceLocation: sourceLocation)
}

// MARK: - Tests

@Suite("Positions")
struct PositionTests {
    // The same network three times: layer names, class values, `from` references (string and list), a
    // `mask` reference and extern data keys, after 2-, 3- and 4-byte characters.

    @Test func json() throws {
        let marked = Marked(
            """
            {"extern_data": {"ä": {"dim": 3}, 1️⃣"daten€": {"dim": 2, "sparse": true}},
             "network": {"😀x": {"class": 2️⃣"linear", "from": 3️⃣"data:ä", "n_out": 3},
              "€out": {"class": "rec", "from": [4️⃣"😀x", "ä😀"], "unit": {
                5️⃣"ü": {"class": 6️⃣"masked_computation", "mask": 7️⃣"prev:ü", "from": 8️⃣"base:😀x",
                       "unit": {"class": 9️⃣"copy"}}}}}}
            """, path: "p.json")
        let config = try marked.load()
        let extern = try #require(config.externData.entry("daten€"))
        expectStart(extern.keySpan, at: "1", is: "1:35", in: marked)
        let first = try #require(config.network.layer(named: "😀x"))
        expectStart(first.classNode?.span, at: "2", is: "2:30", in: marked)
        expectStart(first.sources.first?.span, at: "3", is: "2:48", in: marked)
        #expect(config.document.source.text(first.sources[0].span) == "\"data:ä\"")
        let out = try #require(config.network.layer(named: "€out"))
        #expect(out.sources.map(\.raw) == ["😀x", "ä😀"])
        expectStart(out.sources.first?.span, at: "4", is: "3:37", in: marked)
        guard case .recUnit(let unit) = out.children else {
            Issue.record("no rec unit")
            return
        }
        let masked = try #require(unit.layer(named: "ü"))
        expectStart(masked.nameSpan, at: "5", is: "4:5", in: marked)
        expectStart(masked.classNode?.span, at: "6", is: "4:20", in: marked)
        let mask = try #require(masked.references.first { $0.option == "mask" })
        #expect(mask.isPrev)
        expectStart(mask.span, at: "7", is: "4:50", in: marked)
        expectStart(masked.sources.first?.span, at: "8", is: "4:68", in: marked)
        #expect(masked.sources.first?.baseLevels == 1)
        guard case .maskedUnit(let maskedUnit) = masked.children else {
            Issue.record("no masked unit")
            return
        }
        expectStart(maskedUnit.classNode?.span, at: "9", is: "5:30", in: marked)
    }

    @Test func yamlBlock() throws {
        let marked = Marked(
            """
            # Kommentar: äöü € 😀
            extern_data:
              ä: {dim: 3}
              1️⃣"daten€":
                dim: 2
            network:
              😀x:
                class: 2️⃣linear   # ä € 😀
                from: 3️⃣'data:ä'
              €out:
                class: rec
                from:
                - 4️⃣😀x
                - "ä😀"
                unit:
                  5️⃣ü:
                    class: 6️⃣masked_computation
                    mask: 7️⃣"prev:ü"  # 😀
                    from: 8️⃣base:😀x
                    unit: {class: 9️⃣copy}
            """, path: "p.yaml")
        let config = try marked.load()
        let extern = try #require(config.externData.entry("daten€"))
        expectStart(extern.keySpan, at: "1", is: "4:3", in: marked)
        let first = try #require(config.network.layer(named: "😀x"))
        expectStart(first.classNode?.span, at: "2", is: "8:12", in: marked)
        #expect(config.document.source.text(first.classNode!.span) == "linear")
        expectStart(first.sources.first?.span, at: "3", is: "9:11", in: marked)
        #expect(config.document.source.text(first.sources[0].span) == "'data:ä'")
        let out = try #require(config.network.layer(named: "€out"))
        expectStart(out.sources.first?.span, at: "4", is: "13:7", in: marked)
        guard case .recUnit(let unit) = out.children else {
            Issue.record("no rec unit")
            return
        }
        let masked = try #require(unit.layer(named: "ü"))
        expectStart(masked.nameSpan, at: "5", is: "16:7", in: marked)
        expectStart(masked.classNode?.span, at: "6", is: "17:16", in: marked)
        let mask = try #require(masked.references.first { $0.option == "mask" })
        expectStart(mask.span, at: "7", is: "18:15", in: marked)
        expectStart(masked.sources.first?.span, at: "8", is: "19:15", in: marked)
        guard case .maskedUnit(let maskedUnit) = masked.children else {
            Issue.record("no masked unit")
            return
        }
        expectStart(maskedUnit.classNode?.span, at: "9", is: "20:23", in: marked)
        // The comments are recorded where they are.
        #expect(config.document.comments.map { config.document.source.text($0) } == ["# Kommentar: äöü € 😀", "# ä € 😀", "# 😀"])
    }

    @Test func yamlFlow() throws {
        let marked = Marked(
            """
            {extern_data: {ä: {dim: 3}, 1️⃣daten€: {dim: 2}},
             network: {😀x: {class: 2️⃣"linear", from: 3️⃣data:ä},
              €out: {class: rec, from: [ä, 4️⃣'😀x'], unit: {
                5️⃣ü: {class: 6️⃣masked_computation, mask: 7️⃣prev:ü, from: 8️⃣"base:😀x",
                     unit: {class: 9️⃣copy}}}}}}
            """, path: "p.yml")
        let config = try marked.load()
        #expect(config.document.format == .yaml)
        let extern = try #require(config.externData.entry("daten€"))
        expectStart(extern.keySpan, at: "1", is: "1:29", in: marked)
        let first = try #require(config.network.layer(named: "😀x"))
        expectStart(first.classNode?.span, at: "2", is: "2:24", in: marked)
        expectStart(first.sources.first?.span, at: "3", is: "2:40", in: marked)
        #expect(first.sources.first?.raw == "data:ä")
        let out = try #require(config.network.layer(named: "€out"))
        #expect(out.sources.map(\.raw) == ["ä", "😀x"])
        expectStart(out.sources.last?.span, at: "4", is: "3:32", in: marked)
        guard case .recUnit(let unit) = out.children else {
            Issue.record("no rec unit")
            return
        }
        let masked = try #require(unit.layer(named: "ü"))
        expectStart(masked.nameSpan, at: "5", is: "4:5", in: marked)
        expectStart(masked.classNode?.span, at: "6", is: "4:16", in: marked)
        let mask = try #require(masked.references.first { $0.option == "mask" })
        expectStart(mask.span, at: "7", is: "4:42", in: marked)
        expectStart(masked.sources.first?.span, at: "8", is: "4:56", in: marked)
        guard case .maskedUnit(let maskedUnit) = masked.children else {
            Issue.record("no masked unit")
            return
        }
        expectStart(maskedUnit.classNode?.span, at: "9", is: "5:24", in: marked)
    }

    @Test func legacyNumInputsKeysPointAtTheirDeclaration() throws {
        let marked = Marked(
            """
            # ä€😀
            num_inputs: 1️⃣40
            num_outputs: {2️⃣classes: [10, 1]}
            network: {out: {class: softmax, from: data}}
            """, path: "legacy.yaml")
        let config = try marked.load()
        #expect(config.externData.origin == .numInputsOutputs)
        expectStart(config.externData.entry("classes")?.keySpan, at: "2", is: "3:15", in: marked)
        // The `data` entry of `num_inputs` is located at the `num_inputs` key (there is no `data` key).
        let data = try #require(config.externData.entry("data"))
        #expect(marked.location(data.keySpan.lowerBound) == "2:1")
        expectStart(data.node.span, at: "1", is: "2:13", in: marked)
    }

    @Test func tabsAndCRLFCountAsOneColumnAndALineBreak() throws {
        let marked = Marked("{\"network\":\t{\r\n\t\"ä\": {\"class\":\t1️⃣\"copy\"}}}", path: "tabs.json")
        let config = try marked.load()
        let layer = try #require(config.network.layer(named: "ä"))
        expectStart(layer.classNode?.span, at: "1", is: "2:17", in: marked)
    }

    // MARK: Errors

    @Test func jsonErrorAfterMultibyteText() {
        expectError(Marked("{\"network\": {\"ä€😀\": {\"class\": \"copy\"} 1️⃣\"x\": 1}}", path: "e.json"), at: "1:39", containing: "expected ',' or '}'")
        expectError(Marked("{\"a\": \"😀€1️⃣\\q\"}", path: "e.json"), at: "1:10", containing: "invalid escape '\\q'")
        expectError(Marked("{\"ä\":\n  [1, 2,\n   \"ä€😀\"1️⃣", path: "e.json"), at: "3:9", containing: "unexpected end of file")
    }

    @Test func jsonStructureErrorsPointAtTheValue() {
        expectError(Marked("{\"ä€😀\": 1, \"network\": 1️⃣[\"x\"]}", path: "e.json"), at: "1:23", containing: "'network' must be a mapping")
        expectError(Marked("  \n 1️⃣[{\"ä\": 1}]", path: "e.json"), at: "2:2", containing: "expected a mapping at the top level")
    }

    @Test func yamlErrorsAfterMultibyteText() {
        expectError(Marked("ä€😀: 1\nnetwork:\n1️⃣\tx: {}\n", path: "e.yaml"), at: "3:1", containing: "cannot start any token")
        expectError(Marked("ä€😀: [1, \"😀\"\n  1️⃣\"ä\"", path: "e.yaml"), at: "2:3", containing: "did not find expected ',' or ']'")
        expectError(Marked("ä: 😀\nnetwork:\n  1️⃣- ä€\n", path: "e.yaml"), at: "3:3", containing: "'network' must be a mapping")
        expectError(Marked("ä€😀: &a [1]\nb: 1️⃣*nope\n", path: "e.yaml"), at: "2:4", containing: "undefined alias")
    }

    @Test func invalidUTF8IsReportedAtTheBadByte() {
        var bytes = Array("{\"ä€😀\": \"".utf8)
        let badOffset = bytes.count
        bytes += [0xC3, 0x28] + Array("\"}".utf8)
        for path in ["u.json", "u.yaml"] {
            let source = SourceText(path: path, bytes: bytes)
            do {
                _ = try NetworkConfig.load(source)
                Issue.record("invalid UTF-8 accepted in \(path)")
            } catch {
                #expect(error.offset == badOffset)
                #expect(source.location(ofByte: error.offset).description == "1:10")
                #expect(error.message.contains("invalid UTF-8"))
            }
        }
    }
}

/// The line table and column checkpoints are built eight bytes at a time; they must agree with a byte-by-byte
/// reference on every offset, for line ends and multi-byte characters at every alignment.
@Suite("Line table")
struct LineTableTests {
    /// Line: line ends before `offset` (`\r\n` counts once); column: 1 + the scalars from the line start.
    static func reference(_ bytes: [UInt8], _ offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        var i = 0
        while i < offset {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            } else if byte == UInt8(ascii: "\r") {
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\n") {
                    if i + 1 == offset { break }
                    i += 1
                }
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return (line, 1 + bytes[lineStart..<offset].filter { $0 & 0xC0 != 0x80 }.count)
    }

    @Test(arguments: [0, 7, 8, 9, 255, 256, 257, 700, 3000])
    func wordAtATimeScanAgreesWithBytes(length: Int) {
        let pieces: [[UInt8]] = [Array("a".utf8), Array("ä".utf8), Array("€".utf8), Array("😀".utf8), [10], [13], [13, 10], [9], Array("~".utf8)]
        var state: UInt64 = UInt64(length) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var bytes: [UInt8] = []
        while bytes.count < length {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let piece = pieces[Int(state >> 33) % pieces.count]
            // Mostly ASCII, as real files are, so that the eight-byte fast paths are taken.
            bytes += (state >> 20) % 4 == 0 ? piece : Array("x".utf8)
        }
        let source = SourceText(path: "t", bytes: bytes)
        for offset in 0...bytes.count where offset == bytes.count || bytes[offset] & 0xC0 != 0x80 {
            let expected = Self.reference(bytes, offset)
            let got = source.location(ofByte: offset)
            #expect(got.line == expected.line && got.column == expected.column, "offset \(offset): \(got) vs \(expected)")
        }
    }
}
