import Testing

@testable import NetConfig

// MARK: - Helpers

/// A parsed YAML text with its source, for span and location checks.
private struct Parsed {
    let source: SourceText
    let root: ConfigNode
    let comments: [Range<Int>]

    /// `LINE:COL` of a byte offset.
    func location(_ offset: Int) -> String { source.location(ofByte: offset).description }

    /// `LINE:COL-LINE:COL` of a node's span.
    func where_(_ node: ConfigNode) -> String {
        "\(location(node.span.lowerBound))-\(location(node.span.upperBound))"
    }

    /// The source text of a node's span.
    func text(_ node: ConfigNode) -> String { source.text(node.span) }

    /// The source text of every comment.
    var commentTexts: [String] { comments.map { source.text($0) } }
}

private func parse(_ text: String, limits: ParseLimits = .default) throws -> Parsed {
    let source = SourceText(path: "test.yaml", text: text)
    let (root, comments) = try YAMLReader.parse(source.bytes, limits: limits)
    return Parsed(source: source, root: root, comments: comments)
}

/// The error for `text` and its `LINE:COL`, or nil when it parses.
private func failure(_ text: String, limits: ParseLimits = .default) -> (error: ConfigError, location: String)? {
    let source = SourceText(path: "test.yaml", text: text)
    do {
        _ = try YAMLReader.parse(source.bytes, limits: limits)
        return nil
    } catch {
        return (error, source.location(ofByte: error.offset).description)
    }
}

private func keys(_ node: ConfigNode?) -> [String] {
    (node?.entries ?? []).map { $0.key.stringValue ?? "<\($0.key.kindDescription)>" }
}

/// Every node of a tree (iteratively), for checks that must hold everywhere.
private func allNodes(_ root: ConfigNode) -> [ConfigNode] {
    var result: [ConfigNode] = []
    var pending = [root]
    while let node = pending.popLast() {
        result.append(node)
        switch node.value {
        case .sequence(let items): pending.append(contentsOf: items)
        case .mapping(let entries):
            for entry in entries {
                pending.append(entry.key)
                pending.append(entry.value)
            }
        default: break
        }
    }
    return result
}

// MARK: - Spans

@Suite struct YAMLReaderSpanTests {
    @Test func multibyteKeysAndValuesOnTheSameLine() throws {
        let doc = try parse("ä: ü\nkey: \"välue\"\n€uro: [ü, 'x', {ö: 2}]\n")
        let entries = try #require(doc.root.entries)
        #expect(entries.count == 3)

        #expect(doc.where_(entries[0].key) == "1:1-1:2")
        #expect(doc.text(entries[0].key) == "ä")
        #expect(doc.where_(entries[0].value) == "1:4-1:5")
        #expect(doc.text(entries[0].value) == "ü")
        #expect(entries[0].value.span == 4..<6)  // byte offsets, not scalar indices

        #expect(doc.where_(entries[1].value) == "2:6-2:13")
        #expect(doc.text(entries[1].value) == "\"välue\"")
        #expect(entries[1].value.style == .doubleQuoted)
        #expect(entries[1].value.stringValue == "välue")

        let list = entries[2].value
        #expect(doc.text(entries[2].key) == "€uro")
        #expect(doc.where_(list) == "3:7-3:23")
        #expect(doc.text(list) == "[ü, 'x', {ö: 2}]")
        #expect(list.style == .flow)
        let items = try #require(list.elements)
        #expect(doc.where_(items[0]) == "3:8-3:9")
        #expect(doc.text(items[1]) == "'x'")
        #expect(items[1].style == .singleQuoted)
        #expect(doc.where_(items[2]) == "3:16-3:22")
        #expect(doc.text(items[2]) == "{ö: 2}")
        #expect(items[2].style == .flow)
        #expect(doc.where_(try #require(items[2].entries?.first?.key)) == "3:17-3:18")
    }

    /// libyaml ends a block collection at the next token (on a later line); our spans end with the last child,
    /// so that deleting the last entry of a nested mapping cannot reach into the next key's line.
    @Test func blockCollectionsEndWithTheirLastChild() throws {
        let doc = try parse("net:\n  a: 1\n  b:\n    - x\n    - y\nother: 2\n")
        #expect(doc.root.style == .block)
        #expect(doc.where_(doc.root) == "1:1-6:9")
        let net = try #require(doc.root["net"])
        #expect(net.style == .block)
        #expect(doc.where_(net) == "2:3-5:8")
        let list = try #require(net["b"])
        #expect(list.style == .block)
        #expect(doc.where_(list) == "4:5-5:8")
        #expect(list.elements?.map { doc.where_($0) } == ["4:7-4:8", "5:7-5:8"])
        #expect(doc.where_(try #require(doc.root.entry("other")).key) == "6:1-6:6")
    }

    @Test func blockScalarStylesAndSpans() throws {
        let doc = try parse("a: |\n  line 1\n  line 2\nb: >-\n  folded\n  text\nc: plain\n")
        let a = try #require(doc.root["a"])
        #expect(a.style == .literal)
        #expect(a.stringValue == "line 1\nline 2\n")
        #expect(doc.where_(a) == "1:4-4:1")
        let b = try #require(doc.root["b"])
        #expect(b.style == .folded)
        #expect(b.stringValue == "folded text")
        #expect(doc.root["c"]?.style == .plain)
    }

    @Test func byteOrderMarkIsNotCountedByLibyamlButSpansStayExact() throws {
        let doc = try parse("\u{FEFF}a: ü\nb: [1, \"é\"]\n")
        let entries = try #require(doc.root.entries)
        #expect(entries[0].key.span == 3..<4)
        #expect(doc.where_(entries[0].key) == "1:1-1:2")
        #expect(doc.text(entries[0].value) == "ü")
        #expect(doc.where_(entries[0].value) == "1:4-1:5")
        #expect(doc.text(entries[1].value) == "[1, \"é\"]")
        #expect(doc.where_(entries[1].value) == "2:4-2:12")
        #expect(doc.root.span.lowerBound == 3)
    }

    @Test func byteOrderMarkBeforeDocumentMarker() throws {
        let doc = try parse("\u{FEFF}---\nk: v\n")
        #expect(doc.text(try #require(doc.root.entry("k")).value) == "v")
        #expect(doc.where_(try #require(doc.root["k"])) == "2:4-2:5")
    }

    @Test func crlfLineEndingsKeepSpansExact() throws {
        let doc = try parse("a: 1\r\nb: 'ü'\r\nc:\r\n  - x\r\n  - [2, \"é\"]\r\nd: |\r\n  t\r\n")
        #expect(doc.where_(try #require(doc.root.entry("b")).key) == "2:1-2:2")
        let b = try #require(doc.root["b"])
        #expect(doc.text(b) == "'ü'")
        #expect(doc.where_(b) == "2:4-2:7")
        let c = try #require(doc.root["c"]?.elements)
        #expect(doc.text(c[0]) == "x")
        #expect(doc.where_(c[0]) == "4:5-4:6")
        #expect(doc.text(c[1]) == "[2, \"é\"]")
        #expect(doc.where_(c[1]) == "5:5-5:13")
        let d = try #require(doc.root["d"])
        #expect(d.stringValue == "t\n")
        #expect(doc.location(d.span.lowerBound) == "6:4")
    }

    @Test func unicodeLineBreaksInsideScalarsKeepLaterSpansExact() throws {
        // libyaml treats NEL and LS as line breaks; its index still counts one per scalar.
        let doc = try parse("k: \"x\u{2028}y\u{85}z\"\nc: d\n\u{00E4}: [\u{00FC}, \"\u{1F600}\"]\n")
        #expect(doc.text(try #require(doc.root["k"])) == "\"x\u{2028}y\u{85}z\"")
        #expect(doc.text(try #require(doc.root["c"])) == "d")
        let list = try #require(doc.root["ä"]?.elements)
        #expect(doc.text(list[1]) == "\"\u{1F600}\"")
    }

    @Test func everyScalarSpanSlicesBackToItsTextInALongMultibyteFile() throws {
        // Long enough to cross many checkpoints of the scalar-offset table.
        var text = ""
        for index in 0..<300 {
            text += "k\(index)ä😀: \"v\(index)ü€\" # ç\(index)\n"
        }
        let doc = try parse(text)
        let entries = try #require(doc.root.entries)
        #expect(entries.count == 300)
        for (index, entry) in entries.enumerated() {
            #expect(doc.text(entry.key) == "k\(index)ä😀")
            #expect(doc.text(entry.value) == "\"v\(index)ü€\"")
            #expect(doc.location(entry.key.span.lowerBound) == "\(index + 1):1")
        }
        #expect(doc.commentTexts.count == 300)
        #expect(doc.commentTexts.last == "# ç299")
    }

    @Test func scalarOffsetTableMatchesBruteForceInAnyOrder() {
        let text = String(repeating: "aä€😀\n", count: 100) + "end"
        let bytes = Array(text.utf8)
        var expected: [Int] = []
        var offset = 0
        for scalar in text.unicodeScalars {
            expected.append(offset)
            offset += UTF8.width(scalar)
        }
        expected.append(offset)
        bytes.withUnsafeBufferPointer { buffer in
            var table = ScalarOffsetTable(bytes: buffer)
            let order = Array(expected.indices) + expected.indices.reversed() + [7, 400, 3, 399, 0, 250]
            for index in order {
                #expect(table.byteOffset(ofScalar: index) == expected[index])
            }
            #expect(table.byteOffset(ofScalar: expected.count + 10) == bytes.count)
        }
    }
}

// MARK: - Values

@Suite struct YAMLReaderValueTests {
    static let plainCases: [(String, PlainValue)] = [
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null),
        ("nULL", .string("nULL")), ("None", .string("None")),
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)), ("tRUE", .string("tRUE")),
        ("false", .bool(false)), ("False", .bool(false)), ("FALSE", .bool(false)),
        ("yes", .bool(true)), ("Yes", .bool(true)), ("YES", .bool(true)),
        ("no", .bool(false)), ("No", .bool(false)), ("NO", .bool(false)),
        ("on", .bool(true)), ("On", .bool(true)), ("ON", .bool(true)),
        ("off", .bool(false)), ("Off", .bool(false)), ("OFF", .bool(false)),
        ("y", .string("y")), ("n", .string("n")), ("yEs", .string("yEs")),
        ("0", .int(0)), ("42", .int(42)), ("-17", .int(-17)), ("+5", .int(5)), ("007", .int(7)),
        ("1_000", .int(1000)), ("0x1F", .int(31)), ("0xff", .int(255)), ("-0x10", .int(-16)),
        ("0o17", .int(15)), ("0x_1", .int(1)),
        ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
        ("9223372036854775808", .float(9_223_372_036_854_775_808)),
        ("99999999999999999999", .float(1e20)),
        ("0x10000000000000000", .float(18_446_744_073_709_551_616)),
        ("1.5", .float(1.5)), ("-2.", .float(-2)), (".5", .float(0.5)), ("+.25", .float(0.25)),
        ("1e3", .float(1000)), ("1.5E-3", .float(0.0015)), ("6.02e+23", .float(6.02e23)),
        ("3.0", .float(3)), ("-0.0", .float(-0.0)),
        (".inf", .float(.infinity)), (".Inf", .float(.infinity)), (".INF", .float(.infinity)),
        ("-.inf", .float(-.infinity)), ("+.inf", .float(.infinity)),
        ("0x", .string("0x")), ("0o8", .string("0o8")), ("1e", .string("1e")), ("1.2.3", .string("1.2.3")),
        ("-x", .string("-x")), ("+", .string("+")), (".", .string(".")), ("_1", .string("_1")),
        ("0b101", .string("0b101")),
        ("12:30", .string("12:30")), ("inf", .string("inf")), ("nan", .string("nan")),
        (".iNf", .string(".iNf")), ("1_000.5", .string("1_000.5")), ("abc", .string("abc")),
        ("Yes please", .string("Yes please")), ("1 2", .string("1 2")), ("lstm_1", .string("lstm_1")),
    ]

    @Test(arguments: plainCases)
    func plainScalarResolution(text: String, expected: PlainValue) throws {
        let doc = try parse("v: \(text)\n")
        let value = try #require(doc.root["v"])
        #expect(value.plain == expected, "\(text)")
        #expect(value.style == .plain)
    }

    @Test(arguments: [".nan", ".NaN", ".NAN"])
    func notANumber(text: String) throws {
        let value = try #require(try parse("v: \(text)").root["v"]?.numberValue)
        #expect(value.isNaN)
    }

    static let otherCases: [(String, PlainValue)] = [
        ("'true'", .string("true")), ("\"1\"", .string("1")), ("'~'", .string("~")), ("\"\"", .string("")),
        ("'null'", .string("null")), ("\"0x10\"", .string("0x10")),
        ("|\n  123\n", .string("123\n")), (">\n  yes\n", .string("yes\n")),
        ("!!str 123", .string("123")), ("!!str true", .string("true")), ("!!str", .string("")),
        ("!!int '42'", .int(42)), ("!!int 0x10", .int(16)), ("!!int -1_0", .int(-10)),
        ("!!float 1", .float(1)), ("!!float '2.5'", .float(2.5)), ("!!float .inf", .float(.infinity)),
        ("!!bool yes", .bool(true)), ("!!bool 'off'", .bool(false)), ("!!bool True", .bool(true)),
        ("!!null ''", .null), ("!!null ~", .null), ("!!null", .null),
        ("!custom 12", .string("12")), ("! 12", .string("12")), ("!!python/name:x true", .string("true")),
        ("!!python/tuple [1, 2]", .sequence([.int(1), .int(2)])),
        ("!!omap {a: 1}", .mapping([PlainEntry((.string("a"), .int(1)))])),
        ("[]", .sequence([])), ("{}", .mapping([])),
    ]

    @Test(arguments: otherCases)
    func quotedBlockAndTaggedScalars(text: String, expected: PlainValue) throws {
        let doc = try parse("v: \(text)\n")
        #expect(doc.root["v"]?.plain == expected, "\(text)")
    }

    @Test func keyOrderIsSourceOrder() throws {
        let doc = try parse("zeta: 1\nalpha: 2\nmid: {y: 1, b: 2, x: 3}\n")
        #expect(keys(doc.root) == ["zeta", "alpha", "mid"])
        #expect(keys(doc.root["mid"]) == ["y", "b", "x"])
    }

    @Test func duplicateKeysAreKept() throws {
        let doc = try parse("a: 1\nb: 2\na: 3\nm: {k: x, k: y}\n")
        let entries = try #require(doc.root.entries)
        #expect(keys(doc.root) == ["a", "b", "a", "m"])
        #expect(entries[0].value.intValue == 1)
        #expect(entries[2].value.intValue == 3)
        #expect(entries[0].key.span != entries[2].key.span)
        #expect(doc.location(entries[2].key.span.lowerBound) == "3:1")
        #expect(doc.root["m"]?.entries?.map { $0.value.stringValue } == ["x", "y"])
    }

    @Test func nonStringKeysAreResolvedToo() throws {
        let doc = try parse("1: one\ntrue: yes\n~: nothing\n")
        #expect(doc.root.entries?.map(\.key.plain) == [.int(1), .bool(true), .null])
    }

    @Test func rootMayBeAnyNode() throws {
        #expect(try parse("[1, 2]").root.plain == .sequence([.int(1), .int(2)]))
        #expect(try parse("hello").root.plain == .string("hello"))
        #expect(try parse("---\n").root.plain == .null)
    }

    @Test func throughConfigParser() throws {
        let source = SourceText(path: "net.yaml", text: "network: {out: {class: softmax}} # c\n")
        let document = try ConfigParser.parse(source, format: .yaml)
        #expect(document.root["network"]?["out"]?["class"]?.stringValue == "softmax")
        #expect(document.comments.map { source.text($0) } == ["# c"])
    }
}

// MARK: - Anchors, aliases, merge keys

@Suite struct YAMLReaderAliasTests {
    @Test func aliasCopiesTheAnchoredNode() throws {
        let doc = try parse("base: &b {x: 1, y: [2, 3]}\ncopy: *b\n")
        let base = try #require(doc.root["base"])
        let copy = try #require(doc.root["copy"])
        #expect(copy.plain == base.plain)
        #expect(copy.style == .flow)
        #expect(doc.text(copy) == "*b")
        #expect(doc.where_(copy) == "2:7-2:9")
        #expect(allNodes(copy).allSatisfy { $0.isAliasCopy })
        #expect(allNodes(base).allSatisfy { !$0.isAliasCopy })
        #expect(doc.text(base) == "&b {x: 1, y: [2, 3]}")  // the event span includes the anchor
        // Children keep their original spans.
        let copiedX = try #require(copy.entries?.first)
        let originalX = try #require(base.entries?.first)
        #expect(copiedX.key.span == originalX.key.span)
        #expect(copiedX.value.span == originalX.value.span)
        #expect(doc.location(copiedX.value.span.lowerBound) == "1:14")
    }

    @Test func scalarAliasAndRepeatedUse() throws {
        let doc = try parse("a: &s hello\nb: *s\nc: [*s, *s]\n")
        let b = try #require(doc.root["b"])
        #expect(b.stringValue == "hello")
        #expect(b.isAliasCopy)
        #expect(doc.text(b) == "*s")
        let c = try #require(doc.root["c"]?.elements)
        #expect(c.map { doc.where_($0) } == ["3:5-3:7", "3:9-3:11"])
        #expect(c.allSatisfy { $0.isAliasCopy && $0.stringValue == "hello" })
        #expect(doc.root["a"]?.isAliasCopy == false)
    }

    @Test func duplicateAnchorsAreFineAndTheLaterWins() throws {
        let doc = try parse("a: &x 1\nb: &x 2\nc: *x\n")
        #expect(doc.root["c"]?.intValue == 2)
    }

    @Test func anInnerAnchorDefinedLaterWins() throws {
        // As in PyYAML: the most recent anchor in text order is the inner one.
        let doc = try parse("a: &x [&x 1]\nb: *x\n")
        #expect(doc.root["b"]?.plain == .int(1))
    }

    @Test func nestedAliasesAreMarkedThroughout() throws {
        let doc = try parse("a: &a {k: v}\nb: &b [*a, *a]\nc: *b\n")
        let c = try #require(doc.root["c"])
        let kv = PlainValue.mapping([PlainEntry((.string("k"), .string("v")))])
        #expect(c.plain == .sequence([kv, kv]))
        #expect(allNodes(c).allSatisfy { $0.isAliasCopy })
        #expect(doc.text(c) == "*b")
    }

    @Test func mergeKeyMergesMissingEntries() throws {
        let doc = try parse(
            "base: &base {class: linear, n_out: 10, activation: relu}\nlayer:\n  <<: *base\n  n_out: 20\n")
        let layer = try #require(doc.root["layer"])
        #expect(keys(layer) == ["class", "activation", "n_out"])
        #expect(layer["n_out"]?.intValue == 20)
        #expect(layer["n_out"]?.isAliasCopy == false)
        #expect(layer["class"]?.stringValue == "linear")
        #expect(layer["class"]?.isAliasCopy == true)
        #expect(layer.entries?.contains { $0.key.stringValue == "<<" } == false)
    }

    @Test func mergeKeyWithAListPrefersEarlierMappings() throws {
        let doc = try parse("a: &a {x: 1}\nb: &b {x: 2, y: 3}\nc:\n  <<: [*a, *b]\n  z: 4\n")
        let c = try #require(doc.root["c"])
        #expect(c["x"]?.intValue == 1)
        #expect(c["y"]?.intValue == 3)
        #expect(c["z"]?.intValue == 4)
        #expect(c.entries?.count == 3)
    }

    @Test func mergeOfAnInlineMappingKeepsRealSpans() throws {
        let doc = try parse("c: {<<: {p: 1}, q: 2}\n")
        let c = try #require(doc.root["c"])
        #expect(keys(c) == ["p", "q"])
        let p = try #require(c.entry("p"))
        #expect(!p.value.isAliasCopy)
        #expect(doc.where_(p.value) == "1:13-1:14")
    }

    @Test func quotedMergeKeyIsAnOrdinaryKey() throws {
        let doc = try parse("a: &a {x: 1}\nb:\n  '<<': *a\n")
        #expect(keys(doc.root["b"]) == ["<<"])
    }

    @Test func aliasExpansionWithinTheLimit() throws {
        let limits = ParseLimits(maxFileBytes: 1 << 20, maxNestingDepth: 10, maxAliasExpansion: 6, maxLayers: 10)
        let doc = try parse("a: &a [1, 2]\nb: *a\nc: *a\n", limits: limits)
        #expect(doc.root["c"]?.elements?.count == 2)
        let failed = try #require(failure("a: &a [1, 2]\nb: *a\nc: *a\nd: *a\n", limits: limits))
        #expect(failed.location == "4:4")
        #expect(failed.error.message.contains("alias expansion exceeds 6 nodes"))
    }
}

// MARK: - Comments

@Suite struct YAMLReaderCommentTests {
    @Test func commentsAreFoundOutsideScalars() throws {
        let text = """
            # full line
            a: b # trailing
            c: "x # not" # yes
            d: 'y # no'
            e: f#g
            h: |  # header
              text # not a comment
              # also not
            i: [1, 2] # flow
            j: k\t# after tab
            k: plain
              continued # end
            l: *x1
            """
        let doc = try parse("x: &x1 1\n" + text + "\n")
        #expect(
            doc.commentTexts == ["# full line", "# trailing", "# yes", "# header", "# flow", "# after tab", "# end"])
        #expect(doc.root["e"]?.stringValue == "f#g")
        #expect(doc.root["c"]?.stringValue == "x # not")
        #expect(doc.root["h"]?.stringValue == "text # not a comment\n# also not\n")
        #expect(doc.root["k"]?.stringValue == "plain continued")
        #expect(doc.location(try #require(doc.comments.first).lowerBound) == "2:1")
    }

    @Test func hashesInsideMultiLineQuotedScalarsAreNotComments() throws {
        let doc = try parse("a: \"first\n  # not 1\n  last\" # real\nb: 'x\n  # not 2\n  y'\nc: [1, # in flow\n  2]\n")
        #expect(doc.commentTexts == ["# real", "# in flow"])
        #expect(doc.root["a"]?.stringValue == "first # not 1 last")
        #expect(doc.root["c"]?.plain == .sequence([.int(1), .int(2)]))
    }

    @Test func commentsExcludeTheLineBreak() throws {
        let doc = try parse("a: 1 # c\r\nb: 2 #\r\n# last")
        #expect(doc.commentTexts == ["# c", "#", "# last"])
        #expect(doc.comments[0] == 5..<8)
    }

    @Test func commentRightAfterAByteOrderMark() throws {
        let doc = try parse("\u{FEFF}# head\na: 1\n")
        #expect(doc.comments == [3..<9])
    }

    @Test func commentsBetweenTagAndBlockScalar() throws {
        let doc = try parse("a: !!str # tagged\n  |\n    body # no\n")
        #expect(doc.commentTexts == ["# tagged"])
        #expect(doc.root["a"]?.stringValue == "body # no\n")
    }
}

// MARK: - Errors

@Suite struct YAMLReaderErrorTests {
    /// Malformed input, the expected `LINE:COL`, a message substring and an optional note.
    static let cases: [(String, String, String, String?)] = [
        ("a:\n  b: 1\n c: 2\n", "3:2", "did not find expected key", "while parsing a block mapping at 1:1"),
        ("a:\n\tb: 1\n", "2:1", "found character that cannot start any token",
         "while scanning for the next token at 2:1"),
        ("a:\n  b:\n\tc: 1\n", "3:1", "found character that cannot start any token", nil),
        ("a: [1, 2\nb: 3", "2:2", "did not find expected ',' or ']'", "while parsing a flow sequence at 1:4"),
        ("[1, 2\n", "2:1", "did not find expected ',' or ']'", "while parsing a flow sequence at 1:1"),
        ("a: {x: 1\n", "2:1", "did not find expected ',' or '}'", "while parsing a flow mapping at 1:4"),
        ("a: {x: 1, y: [2]\nb: 3\n", "2:1", "did not find expected ',' or '}'", "while parsing a flow mapping at 1:4"),
        ("a: \"abc\n", "2:1", "found unexpected end of stream", "while scanning a quoted scalar at 1:4"),
        ("a: 'abc\nb: 1\n", "3:1", "found unexpected end of stream", "while scanning a quoted scalar at 1:4"),
        ("key: value: x\n", "1:11", "mapping values are not allowed in this context", nil),
        ("a: [1, 2]]\n", "1:10", "did not find expected key", "while parsing a block mapping at 1:1"),
        ("a: b\n- c\n", "2:1", "did not find expected key", nil),
        ("a: \"\\q\"\n", "1:5", "found unknown escape character", "while parsing a quoted scalar at 1:4"),
        ("!e!x 1\n", "1:1", "found undefined tag handle", "while parsing a node at 1:1"),
        ("a: *nope\n", "1:4", "undefined alias '*nope'", nil),
        ("a: &x [*x]\n", "1:8", "recursive aliases are not supported", nil),
        ("", "1:1", "empty file", nil),
        ("# only a comment\n", "1:1", "empty file", nil),
        ("\n   \n", "1:1", "empty file", nil),
        ("\u{FEFF}", "1:1", "empty file", nil),
        ("a: 1\n---\nb: 2\n", "2:1", "multiple YAML documents are not supported", nil),
        ("a: 1\n...\n---\nb: 2\n", "3:1", "multiple YAML documents are not supported", nil),
        ("a: 1\n...\nb: 2\n", "3:1", "did not find expected <document start>", nil),
        ("--- 1\n--- [\n", "2:1", "multiple YAML documents are not supported", nil),
        ("v: !!int abc\n", "1:4", "invalid !!int value 'abc'", nil),
        ("v: !!int 1.5\n", "1:4", "invalid !!int value '1.5'", nil),
        ("v: !!float x1\n", "1:4", "invalid !!float value 'x1'", nil),
        ("v: !!bool maybe\n", "1:4", "invalid !!bool value 'maybe'", nil),
        ("v: !!null 0\n", "1:4", "invalid !!null value '0'", nil),
        ("ä: [ü, \"x\"\nb: 1", "2:1", "did not find expected ',' or ']'", "while parsing a flow sequence at 1:4"),
        ("\u{FEFF}a: [1\n", "2:1", "did not find expected ',' or ']'", "while parsing a flow sequence at 1:4"),
        ("ü: 1\r\nä: [1\r\n", "3:1", "did not find expected ',' or ']'", "while parsing a flow sequence at 2:4"),
        ("a: \"x\u{01}\"\n", "1:6", "control characters are not allowed (0x01)", nil),
        ("a: 1\n<<: 2\n", "2:5", "expected a mapping or list of mappings for merging, but found an integer", nil),
        ("a: {<<: [{x: 1}, 2]}\n", "1:18", "expected a mapping for merging, but found an integer", nil),
    ]

    @Test(arguments: cases)
    func malformedInput(text: String, location: String, message: String, note: String?) throws {
        let failed = try #require(failure(text), "\(text.debugDescription) should not parse")
        #expect(failed.location == location, "\(text.debugDescription)")
        #expect(failed.error.message.contains(message), "\(failed.error.message)")
        if let note { #expect(failed.error.note == note) }
        let first = try #require(failed.error.message.unicodeScalars.first)
        #expect(!("A"..."Z").contains(first))
    }

    @Test func aliasBombFailsFast() throws {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        let failed = try #require(failure(text))
        #expect(
            failed.error.message
                == "alias expansion exceeds 100000 nodes (--max-alias-expansion); possible alias bomb")
        // a: 10 nodes, b: 91, c: 820, d: 7381, e: 66430; the first *e in f pushes the total past 100 000.
        // Failing at the first alias past the budget (not after expanding it) is what makes it fast.
        #expect(failed.location == "6:8")
    }

    @Test func deepFlowNestingFailsFastAtTheLimit() throws {
        let text = String(repeating: "[", count: 100_000)
        let failed = try #require(failure(text))
        #expect(failed.error.message == "nesting deeper than 200 levels (--max-nesting)")
        // Failing at the 201st bracket (not after reading all 100 000) is what makes it fast.
        #expect(failed.location == "1:201")
    }

    @Test func deepFlowMappingNesting() throws {
        let failed = try #require(failure(String(repeating: "{a: ", count: 100_000)))
        #expect(failed.error.message == "nesting deeper than 200 levels (--max-nesting)")
        #expect(failed.location == "1:801")
    }

    @Test func deepBlockNestingFailsAtTheLimit() throws {
        let failed = try #require(failure(String(repeating: "- ", count: 100_000) + "x\n"))
        #expect(failed.error.message == "nesting deeper than 200 levels (--max-nesting)")
        #expect(failed.location == "1:401")

        var indented = ""
        for level in 0..<300 { indented += String(repeating: " ", count: level) + "k:\n" }
        let block = try #require(failure(indented))
        #expect(block.error.message == "nesting deeper than 200 levels (--max-nesting)")
        #expect(block.location == "201:201")  // the mapping that starts at the 201st key
    }

    @Test func nestingAtTheLimitIsAccepted() throws {
        let limits = ParseLimits(maxFileBytes: 1 << 20, maxNestingDepth: 3, maxAliasExpansion: 100, maxLayers: 10)
        #expect(try parse("[[[1]]]", limits: limits).root.elements?.count == 1)
        #expect(failure("[[[[1]]]]", limits: limits)?.location == "1:4")
    }

    @Test func aliasesCannotNestDeeperThanTheLimit() throws {
        let limits = ParseLimits(maxFileBytes: 1 << 20, maxNestingDepth: 3, maxAliasExpansion: 100, maxLayers: 10)
        let failed = try #require(failure("a: &a [[1]]\nb: [[*a]]\n", limits: limits))
        #expect(failed.error.message == "nesting deeper than 3 levels (--max-nesting)")
        #expect(failed.location == "2:6")
    }
}
