import Testing
@testable import NetConfig

// MARK: - Helpers

private func parse(_ text: String, limits: ParseLimits = .default) throws(ConfigError) -> ConfigNode {
    try JSONReader.parse(Array(text.utf8), limits: limits)
}

/// `"LINE:COL-LINE:COL"` of a span (the end is the location of the exclusive upper bound).
private func position(_ span: Range<Int>, in text: String) -> String {
    let source = SourceText(path: "t.json", text: text)
    return "\(source.location(ofByte: span.lowerBound))-\(source.location(ofByte: span.upperBound))"
}

/// The byte offset of the `nth` (0-based) occurrence of `marker` in `text`.
private func offset(of marker: String, in text: String, nth: Int = 0) -> Int {
    let haystack = Array(text.utf8)
    let needle = Array(marker.utf8)
    var found = 0
    var i = 0
    while i + needle.count <= haystack.count {
        if Array(haystack[i..<(i + needle.count)]) == needle {
            if found == nth { return i }
            found += 1
        }
        i += 1
    }
    return -1
}

/// The error thrown for `text`, or nil when it parses.
private func parseError(_ text: String, limits: ParseLimits = .default) -> ConfigError? {
    parseError(bytes: Array(text.utf8), limits: limits)
}

private func parseError(bytes: [UInt8], limits: ParseLimits = .default) -> ConfigError? {
    do throws(ConfigError) {
        _ = try JSONReader.parse(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Asserts that `text` fails at `line:column` with a message containing `substring`.
private func expectError(
    _ text: String, at line: Int, _ column: Int, _ substring: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = parseError(text) else {
        Issue.record("expected an error for \(text.debugDescription)", sourceLocation: sourceLocation)
        return
    }
    let location = SourceText(path: "t.json", text: text).location(ofByte: error.offset)
    #expect(
        location == TextLocation(line: line, column: column),
        "error \(error.message.debugDescription) at \(location)", sourceLocation: sourceLocation)
    #expect(
        error.message.contains(substring), "message was \(error.message.debugDescription)",
        sourceLocation: sourceLocation)
    #expect(!error.message.hasSuffix("."), sourceLocation: sourceLocation)
}

// MARK: - Spans and structure

@Suite("JSONReader")
struct JSONReaderTests {
    @Test func spansOfKeysValuesAndCollections() throws {
        let text = """
            {
              "ä€😀": {"k": [1, -2.5e3, "x\\ty"]},
              "list": [],
              "obj": {}
            }
            """
        let root = try parse(text)
        #expect(root.span == 0..<text.utf8.count)
        #expect(position(root.span, in: text) == "1:1-5:2")
        #expect(root.style == .json)

        let entries = try #require(root.entries)
        #expect(entries.map { $0.key.stringValue } == ["ä€😀", "list", "obj"])

        // The multibyte key: 11 bytes with quotes, 5 scalars.
        let key = entries[0].key
        #expect(key.span.lowerBound == offset(of: "\"ä€😀\"", in: text))
        #expect(key.span.count == 11)
        #expect(position(key.span, in: text) == "2:3-2:8")

        let inner = entries[0].value
        #expect(position(inner.span, in: text) == "2:10-2:36")
        #expect(inner.span.lowerBound == offset(of: "{\"k\"", in: text))
        let innerEntry = try #require(inner.entries?.first)
        #expect(position(innerEntry.key.span, in: text) == "2:11-2:14")
        #expect(position(innerEntry.span, in: text) == "2:11-2:35")

        let list = innerEntry.value
        #expect(position(list.span, in: text) == "2:16-2:35")
        let items = try #require(list.elements)
        #expect(items.count == 3)
        #expect(position(items[0].span, in: text) == "2:17-2:18")
        #expect(position(items[1].span, in: text) == "2:20-2:26")
        #expect(position(items[2].span, in: text) == "2:28-2:34")
        #expect(items[2].stringValue == "x\ty")
        #expect(items.allSatisfy { $0.style == .json && !$0.isAliasCopy })

        #expect(position(entries[1].key.span, in: text) == "3:3-3:9")
        #expect(position(entries[1].value.span, in: text) == "3:11-3:13")
        #expect(entries[1].value.elements == [])
        #expect(position(entries[2].key.span, in: text) == "4:3-4:8")
        #expect(position(entries[2].value.span, in: text) == "4:10-4:12")
        #expect(entries[2].value.entries == [])
    }

    @Test func spansAfterMultibyteValuesOnOneLine() throws {
        let text = #"["😀😀", "ü", true, null, 12]"#
        let items = try #require(try parse(text).elements)
        #expect(items.map { position($0.span, in: text) } == ["1:2-1:6", "1:8-1:11", "1:13-1:17", "1:19-1:23", "1:25-1:27"])
        #expect(items[0].span == 1..<11)
        #expect(items[1].span == 13..<17)
    }

    @Test func byteOrderMarkIsSkippedAndSpansStayInFileBytes() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8)
        let root = try JSONReader.parse(bytes, limits: .default)
        #expect(root.span == 3..<bytes.count)
        let entry = try #require(root.entries?.first)
        #expect(entry.key.span == 4..<7)
        #expect(entry.value.span == 9..<10)
        let source = SourceText(path: "t.json", bytes: bytes)
        #expect(source.location(ofByte: root.span.lowerBound) == TextLocation(line: 1, column: 1))
        #expect(source.location(ofByte: entry.value.span.lowerBound) == TextLocation(line: 1, column: 7))
    }

    @Test func byteOrderMarkAloneIsAnEmptyFile() {
        let error = parseError(bytes: [0xEF, 0xBB, 0xBF, 0x20, 0x0A])
        #expect(error == ConfigError("empty file", at: 0))
    }

    @Test func keyOrderAndDuplicateKeysAreKept() throws {
        let text = #"{"z": 1, "a": 2, "m": 3, "a": 4, "z": 5}"#
        let root = try parse(text)
        let entries = try #require(root.entries)
        #expect(entries.map { $0.key.stringValue } == ["z", "a", "m", "a", "z"])
        #expect(entries.map { $0.value.intValue } == [1, 2, 3, 4, 5])
        // The duplicates keep their own spans.
        #expect(entries[1].key.span.lowerBound == offset(of: "\"a\"", in: text, nth: 0))
        #expect(entries[3].key.span.lowerBound == offset(of: "\"a\"", in: text, nth: 1))
    }

    @Test func whitespaceKinds() throws {
        let root = try parse(" \t\r\n[\t1 ,\r\n2\n]\r\n ")
        #expect(root.elements?.compactMap(\.intValue) == [1, 2])
        #expect(root.span == 4..<14)
    }

    @Test func topLevelScalarsParse() throws {
        #expect(try parse(#"  "x"  "#).stringValue == "x")
        #expect(try parse("42").intValue == 42)
        #expect(try parse("\nnull\n").isNull)
        #expect(try parse("false").boolValue == false)
        #expect(try parse("true").span == 0..<4)
    }

    @Test func integrationThroughConfigParser() throws {
        let document = try ConfigParser.parse(SourceText(path: "x.json", text: #"{"a": [true]}"#), format: .json)
        #expect(document.format == .json)
        #expect(document.comments.isEmpty)
        #expect(document.root["a"]?.elements?.first?.boolValue == true)
    }

    // MARK: - Values

    @Test func integers() throws {
        #expect(try parse("0").value == .int(0))
        #expect(try parse("-7").value == .int(-7))
        #expect(try parse("1234567890").value == .int(1_234_567_890))
        #expect(try parse("9223372036854775807").value == .int(Int.max))
        #expect(try parse("-9223372036854775808").value == .int(Int.min))
    }

    @Test func bigIntegersBecomeFloats() throws {
        #expect(try parse("9223372036854775808").value == .float(9_223_372_036_854_775_808.0))
        #expect(try parse("-9223372036854775809").value == .float(-9_223_372_036_854_775_809.0))
        #expect(try parse("123456789012345678901234567890").value == .float(1.2345678901234568e29))
    }

    @Test func floatsAndExponents() throws {
        #expect(try parse("1.5").value == .float(1.5))
        #expect(try parse("-0.25").value == .float(-0.25))
        #expect(try parse("1e3").value == .float(1000))
        #expect(try parse("1E+3").value == .float(1000))
        #expect(try parse("2.5e-3").value == .float(0.0025))
        #expect(try parse("0.1").value == .float(0.1))
        #expect(try parse("1.0").value == .float(1.0))
        #expect(try parse("1e-400").value == .float(0))
        #expect(try parse("1.7976931348623157e308").value == .float(.greatestFiniteMagnitude))
    }

    @Test func negativeZero() throws {
        let float = try #require(try parse("-0.0").numberValue)
        #expect(float == 0 && float.sign == .minus)
        let exponent = try #require(try parse("-0e0").numberValue)
        #expect(exponent.sign == .minus)
        // Without a fraction or exponent it is the integer 0 (as Python's json reads it).
        #expect(try parse("-0").value == .int(0))
    }

    @Test func simpleEscapes() throws {
        let node = try parse(#""\"\\\/\b\f\n\r\t""#)
        #expect(node.stringValue == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(node.span == 0..<18)
    }

    @Test func unicodeEscapes() throws {
        #expect(try parse(#""\u00e4\u20AC\u0041""#).stringValue == "ä€A")
        #expect(try parse(#""\u0000""#).stringValue == "\u{0}")
        #expect(try parse(#""\uFFFF""#).stringValue == "\u{FFFF}")
    }

    @Test func surrogatePairs() throws {
        #expect(try parse(#""\ud83d\ude00""#).stringValue == "😀")
        #expect(try parse(#""a\uD83D\uDE00b\uDBFF\uDFFF""#).stringValue == "a😀b\u{10FFFF}")
    }

    @Test func rawMultibyteAndEscapesMixed() throws {
        let text = #"["ä€😀", "x\nä😀\"y", "plain ascii"]"#
        let items = try #require(try parse(text).elements)
        #expect(items.map(\.stringValue) == ["ä€😀", "x\nä😀\"y", "plain ascii"])
        #expect(position(items[1].span, in: text) == "1:9-1:19")
    }

    @Test func literals() throws {
        let items = try #require(try parse("[true,false,null]").elements)
        #expect(items.map(\.value) == [.bool(true), .bool(false), .null])
        #expect(items.map(\.span) == [1..<5, 6..<11, 12..<16])
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let limits = ParseLimits(maxFileBytes: 1 << 20, maxNestingDepth: 3, maxAliasExpansion: 10, maxLayers: 10)
        let root = try parse(#"[{"a": [1]}]"#, limits: limits)
        #expect(root.elements?.first?["a"]?.elements?.first?.intValue == 1)
        let error = parseError(#"[{"a": [[1]]}]"#, limits: limits)
        #expect(error == ConfigError("nesting deeper than 3 levels (--max-nesting)", at: 8))
    }

    @Test func defaultDepthOf200IsAccepted() throws {
        let text = String(repeating: "[", count: 200) + "7" + String(repeating: "]", count: 200)
        var node = try parse(text)
        var depth = 0
        while let first = node.elements?.first {
            node = first
            depth += 1
        }
        #expect(depth == 200)
        #expect(node.intValue == 7)
    }

    @Test func largeDocument() throws {
        var text = "{\"layers\": {"
        for i in 0..<50_000 {
            if i > 0 { text += ",\n" }
            text += "\"layer\(i)\": {\"class\": \"linear\", \"n_out\": \(i), \"dropout\": 0.1, \"from\": [\"l\(i)\"]}"
        }
        text += "}}"
        let root = try parse(text)
        let layers = try #require(root["layers"]?.entries)
        #expect(layers.count == 50_000)
        #expect(layers[49_999].value["n_out"]?.intValue == 49_999)
        let source = SourceText(path: "t.json", text: text)
        #expect(source.location(ofByte: layers[49_999].key.span.lowerBound) == TextLocation(line: 50_000, column: 1))
    }

    // MARK: - Malformed input

    @Test func truncatedInput() {
        expectError(#"{"a": [1, 2"#, at: 1, 12, "unexpected end of file; expected ',' or ']' after list element")
        expectError(#"{"a""#, at: 1, 5, "unexpected end of file; expected ':' after object key")
        expectError(#"{"a":"#, at: 1, 6, "unexpected end of file; expected a value")
        expectError(#""abc"#, at: 1, 1, "unterminated string")
        expectError("[1,", at: 1, 4, "unexpected end of file; expected a value")
        expectError("{", at: 1, 2, "expected a string key")
        expectError(#"{"a": 1"#, at: 1, 8, "expected ',' or '}' after object entry")
        expectError(#"["ab\"#, at: 1, 2, "unterminated string")
        expectError("-", at: 1, 2, "expected a digit after '-'")
        expectError("tr", at: 1, 1, "unexpected word 'tr'")
    }

    @Test func endOfFileNotesTheUnclosedBracket() throws {
        let text = "{\n  \"a\": [1,\n    2"
        let error = try #require(parseError(text))
        #expect(error.note == "'[' at 2:8 is not closed")
        #expect(error.rendered(in: SourceText(path: "f.json", text: text))
            == "f.json:3:6: error: unexpected end of file; expected ',' or ']' after list element ('[' at 2:8 is not closed)")
    }

    @Test func everyTruncationFailsWithoutTrapping() throws {
        let text = #"{"a": [1, -2.5e-3, "x\u00e4\ud83d\ude00y", {"b": null}], "c": true, "d": "ä€😀"}"#
        #expect(try parse(text).entries?.count == 3)
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count {
            let error = parseError(bytes: Array(bytes[0..<length]))
            #expect(error != nil, "prefix of \(length) bytes parsed")
            #expect((error?.offset ?? -1) <= length)
        }
    }

    @Test func mutatedInputNeverTraps() {
        let text = #"{"net": {"l": {"class": "linear", "from": ["data"], "n_out": 10, "x": [1.5e3, -0, "\u00e4\n"]}}}"#
        let original = Array(text.utf8)
        let alphabet = Array(#"{}[]:,"\\/u0123456789eE.+-tfn xa"#.utf8) + [0x00, 0x09, 0xC3, 0xA4, 0xF0, 0xFF]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var failures = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0...next(3) {
                let position = next(bytes.count)
                switch next(3) {
                case 0: bytes[position] = alphabet[next(alphabet.count)]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[next(alphabet.count)], at: position)
                }
            }
            if let error = parseError(bytes: bytes) {
                failures += 1
                #expect(error.offset >= 0 && error.offset <= bytes.count)
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures > 1000)
    }

    @Test func trailingCommas() {
        expectError(#"{"a": 1,}"#, at: 1, 8, "trailing comma before '}'")
        expectError("[1, 2, ]", at: 1, 6, "trailing comma before ']'")
        expectError("{\r\n  \"a\": 1,\r\n}", at: 2, 9, "trailing comma before '}'")
    }

    @Test func malformedNumbers() {
        expectError("[01]", at: 1, 2, "leading zeros are not allowed")
        expectError("[-012]", at: 1, 2, "leading zeros are not allowed")
        expectError("[+1]", at: 1, 2, "'+'")
        expectError("[.5]", at: 1, 2, "digit before '.'")
        expectError("[5.]", at: 1, 4, "expected a digit after '.'")
        expectError("[1e]", at: 1, 4, "exponent")
        expectError("[1e+]", at: 1, 5, "exponent")
        expectError("[-]", at: 1, 3, "expected a digit after '-'")
        expectError("1e400", at: 1, 1, "number out of range")
        expectError("[1, -1e999]", at: 1, 5, "number out of range")
        expectError("[1.5.2]", at: 1, 5, "expected ',' or ']' after list element, found '.'")
    }

    @Test func badEscapes() {
        expectError(#""\x""#, at: 1, 2, #"invalid escape '\x'"#)
        expectError(#"["ok", "ä\a"]"#, at: 1, 10, #"invalid escape '\a'"#)
        expectError(#""\u12""#, at: 1, 2, "4 hex digits")
        expectError(#""\u12"#, at: 1, 2, "4 hex digits")
        expectError(#""\uZZZZ""#, at: 1, 2, "4 hex digits")
        expectError(#""\ud800""#, at: 1, 2, #"unpaired surrogate \uD800"#)
        expectError(#""ab\udc00""#, at: 1, 4, #"unpaired surrogate \uDC00"#)
        expectError(#""\ud83d\u0041""#, at: 1, 2, "unpaired surrogate")
        expectError(#""\ud83dx""#, at: 1, 2, "unpaired surrogate")
        expectError(#""\ud83d\u12""#, at: 1, 8, "4 hex digits")
    }

    @Test func rawControlCharactersInStrings() {
        expectError("\"a\tb\"", at: 1, 3, #"control character U+0009 in string; escape it as \t"#)
        expectError("[\"ab\ncd\"]", at: 1, 5, #"control character U+000A in string; escape it as \n"#)
        expectError("\"x\\n\u{1}\"", at: 1, 5, #"control character U+0001 in string; escape it as \u0001"#)
    }

    @Test func singleQuotesAndUnquotedKeys() {
        expectError("{'a': 1}", at: 1, 2, "expected a string key; single quotes are not JSON")
        expectError("['a']", at: 1, 2, "unexpected character '''; JSON strings need double quotes")
        expectError("{a: 1}", at: 1, 2, "expected a string key, found unquoted 'a'")
        expectError("{1: 2}", at: 1, 2, "expected a string key, found '1'")
        expectError(#"{"a": 1, b: 2}"#, at: 1, 10, "expected a string key")
        expectError(#"{"ä€😀": x}"#, at: 1, 9, "unexpected word 'x'")
    }

    @Test func nanAndInfinity() {
        expectError(#"{"x": NaN}"#, at: 1, 7, #""NaN" is not valid JSON; write {"$float": "nan"}"#)
        expectError("[Infinity]", at: 1, 2, #""Infinity" is not valid JSON; write {"$float": "inf"}"#)
        expectError("[1, -Infinity]", at: 1, 5, #""-Infinity" is not valid JSON; write {"$float": "-inf"}"#)
        expectError("[True]", at: 1, 2, "'True' is not valid JSON; write true")
        expectError("None", at: 1, 1, "'None' is not valid JSON; write null")
    }

    @Test func emptyAndWhitespaceOnlyFiles() {
        #expect(parseError("") == ConfigError("empty file", at: 0))
        #expect(parseError(" \n\t\r\n ") == ConfigError("empty file", at: 0))
        expectError("\n\n   ", at: 1, 1, "empty file")
    }

    @Test func trailingGarbage() {
        expectError("{} x", at: 1, 4, "unexpected content after the JSON value")
        expectError("[1]]", at: 1, 4, "unexpected content after the JSON value")
        expectError("{}\n{}", at: 2, 1, "unexpected content after the JSON value")
        expectError("1 2", at: 1, 3, "unexpected content after the JSON value")
    }

    @Test func missingSeparators() {
        expectError("[1 2]", at: 1, 4, "expected ',' or ']' after list element, found '2'")
        expectError("[1}", at: 1, 3, "expected ',' or ']' after list element, found '}'")
        expectError(#"{"a" 1}"#, at: 1, 6, "expected ':' after object key, found '1'")
        expectError(#"{"a": 1 "b": 2}"#, at: 1, 9, "expected ',' or '}' after object entry")
        expectError(#"{"a": }"#, at: 1, 7, "unexpected character '}'; expected a value")
        expectError("[,1]", at: 1, 2, "unexpected character ','")
        expectError("[\u{A0}1]", at: 1, 2, "unexpected character U+00A0")
        expectError("[tru]", at: 1, 2, "unexpected word 'tru'")
        expectError("[nullx]", at: 1, 2, "unexpected word 'nullx'")
    }

    @Test func comments() {
        expectError("// x\n{}", at: 1, 1, "comments are not allowed in JSON")
        expectError("# x\n{}", at: 1, 1, "comments are not allowed in JSON")
        expectError("{\"a\": 1 /* c */}", at: 1, 9, "comments are not allowed in JSON")
        expectError("[1, // c\n2]", at: 1, 5, "comments are not allowed in JSON")
        expectError("{} # done", at: 1, 4, "comments are not allowed in JSON")
        expectError("{# k\n}", at: 1, 2, "comments are not allowed in JSON")
    }

    @Test func hundredThousandDeepNestingIsAnErrorNotACrash() {
        let arrays = String(repeating: "[", count: 100_000)
        expectError(arrays, at: 1, 201, "nesting deeper than 200 levels (--max-nesting)")
        #expect(parseError(arrays)?.offset == 200)

        let objects = String(repeating: #"{"a":"#, count: 100_000)
        let error = parseError(objects)
        #expect(error == ConfigError("nesting deeper than 200 levels (--max-nesting)", at: 200 * 5))

        let closed = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(parseError(closed)?.offset == 200)
    }

    @Test func invalidUTF8BytesDoNotTrap() {
        // ConfigParser rejects these first, but the reader must still not trap.
        let error = parseError(bytes: [0x5B, 0xFF, 0x5D])
        #expect(error?.offset == 1)
        #expect(error?.message.hasPrefix("unexpected character") == true)
        let inString = parseError(bytes: [0x22, 0xC3])
        #expect(inString?.offset == 0)
    }

    /// Strings are scanned eight bytes at a time: a quote, an escape or a control character at every position of
    /// a word, after every prefix length, ends the string exactly where a byte-by-byte scan would.
    @Test(arguments: 0..<20)
    func wordAtATimeStringScan(prefixLength: Int) {
        let prefix = String(repeating: "ab€", count: prefixLength / 3) + String(repeating: "x", count: prefixLength % 3)
        // A plain string, then one with an escape and more text after the word boundary.
        let plain = "{\"k\": \"\(prefix)\", \"next\": 1}"
        let node = try? parse(plain)
        #expect(node?.entry("k")?.value.stringValue == prefix)
        #expect(node?.entry("next") != nil)
        let escaped = "{\"k\": \"\(prefix)\\n\(prefix)tail\"}"
        #expect((try? parse(escaped))?.entry("k")?.value.stringValue == prefix + "\n" + prefix + "tail")
        // A raw tab (a control character) is an error at its own offset.
        let control = "{\"k\": \"\(prefix)\t\(prefix)\"}"
        let error = parseError(control)
        #expect(error?.offset == 7 + prefix.utf8.count, "\(String(describing: error))")
        // Bytes of 0x80 and above next to a stop byte do not hide it or stop early.
        let high = "{\"k\": \"\(prefix)é\\\"é\"}"
        #expect((try? parse(high))?.entry("k")?.value.stringValue == prefix + "é\"é")
    }
}
