import SkoopModel
import Testing

/// The shared JSON reader: values, offsets and lines, and a clear error for every kind of bad input.
@Suite struct JSONDocumentTests {
    func parse(_ text: String) throws -> JSONDocument {
        try JSONDocument(parsing: Array(text.utf8), source: "t.json")
    }

    func syntaxError(_ bytes: [UInt8]) -> JSONSyntaxError? {
        do {
            _ = try JSONDocument(parsing: bytes, source: "t.json")
            return nil
        } catch {
            return error
        }
    }

    func syntaxError(_ text: String) -> JSONSyntaxError? { syntaxError(Array(text.utf8)) }

    @Test func valuesOfEveryKind() throws {
        let document = try parse(#"{"a": [true, false, null], "n": -12.5e+3, "s": "x", "o": {}, "e": []}"#)
        let root = document.root
        #expect(root["a"]?.elements?.map(\.kind) == [.bool(true), .bool(false), .null])
        #expect(root["n"]?.number == "-12.5e+3")
        #expect(root["s"]?.string == "x")
        #expect(root["o"]?.members == [])
        #expect(root["e"]?.elements == [])
        #expect(root["missing"] == nil && root["s"]?["x"] == nil)
        #expect(root.members?.map(\.key) == ["a", "n", "s", "o", "e"])
    }

    @Test func aRepeatedKeyFindsItsLastValue() throws {
        let root = try parse(#"{"k": 1, "k": 2}"#).root
        #expect(root["k"]?.number == "2")
        #expect(root.members?.count == 2)
    }

    @Test func linesCountAlikeAcrossLFAndCRLF() throws {
        for newline in ["\n", "\r\n"] {
            let text = ["{", #"  "a": 1,"#, #"  "b": ["#, #"    "x","#, "    {}", "  ]", "}"].joined(separator: newline)
            let document = try parse(text)
            #expect(document.line(of: document.root) == 1)
            #expect(try document.line(of: #require(document.root["a"])) == 2)
            let b = try #require(document.root["b"]?.elements)
            #expect(document.line(of: b[0]) == 4 && document.line(of: b[1]) == 5)
            let error = try #require(syntaxError(text + newline + "x"))
            #expect(error.line == 8 && error.problem == .trailingContent && error.found == "x")
        }
    }

    @Test func offsetsPointAtEachValuesFirstByte() throws {
        let text = #"[1, "two", {"k": null}]"#
        let elements = try #require(try parse(text).root.elements)
        #expect(elements.map(\.offset) == [1, 4, 11])
        #expect(elements[2]["k"]?.offset == 17)
    }

    @Test func escapesAndSurrogatePairsDecode() throws {
        let root = try parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4E2D", "\ud83d\ude00", "\ud83d", "\ud83d\u0041", "\udc00x", "plain"]"#).root
        let strings = try #require(root.elements?.map(\.string))
        #expect(strings == ["a\"b\\c/d\u{08}\u{0C}\n\r\t", "é中", "😀", "\u{FFFD}", "\u{FFFD}A", "\u{FFFD}x", "plain"])
    }

    @Test func badStringsAreRefused() throws {
        let raw = try #require(syntaxError("[\"a\tb\"]"))
        #expect(raw.problem == .unexpectedContent && raw.expected == "no raw control characters in a string")
        let escape = try #require(syntaxError(#"["\q"]"#))
        #expect(escape.expected == "a valid escape sequence" && escape.offset == 2 && escape.found == #"\q"]"#)
        let hex = try #require(syntaxError(#"["\u12G4"]"#))
        #expect(hex.expected == "four hex digits after \\u")
    }

    @Test(arguments: [("0", "0"), ("-0", "-0"), ("42", "42"), ("-1.25", "-1.25"), ("6e2", "6e2"), ("1E-3", "1E-3"),
                      ("18446744073709551615", "18446744073709551615")])
    func numbersKeepTheirText(_ text: String, _ expected: String) throws {
        #expect(try parse("[\(text)]").root.elements?.first?.number == expected)
    }

    @Test(arguments: ["01", "1.", ".5", "-", "1e", "1e+", "+1", "1-2", "1.e5", "--1"])
    func malformedNumbersAreRefused(_ text: String) throws {
        let error = try #require(syntaxError("[\(text)]"))
        #expect(error.line == 1)
        #expect(error.expected == "a number" || error.expected == "a JSON value")
    }

    @Test func integersAreExact() throws {
        let values = try #require(try parse("[80, 80.0, 8e1, 80.5, 9007199254740993, 1e999]").root.elements)
        #expect(values.map(\.integer) == [80, 80, 80, nil, 9_007_199_254_740_993, nil])
        #expect(JSONValue(.string("80")).integer == nil)
    }

    @Test func nestingUpToTheLimitIsFineAndDeeperIsAnError() throws {
        let limit = JSONDocument.maximumDepth
        #expect(limit >= 200)
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try parse(deepest).root.elements?.count == 1)
        for depth in [limit + 1, 100_000] {
            let error = try #require(syntaxError(String(repeating: "[{\"a\":", count: depth / 2 + 1)))
            #expect(error.problem == .tooDeep && error.expected == "JSON nested at most \(limit) deep")
        }
    }

    @Test func truncatedInputPointsAtTheEnd() throws {
        let string = try #require(syntaxError("[\n  \"abc"))
        #expect(string.problem == .unterminatedString && string.line == 2 && string.offset == 8 && string.found == nil)
        #expect(string.inputError == InputError(source: "t.json", line: 2, expected: "a closing '\"'", found: "end of input"))
        for text in ["[1,", "{\"a\"", "{\"a\":", "[1", "[tr", "{\"a\": 1", "[\"\\"] {
            let error = try #require(syntaxError(text), "\(text)")
            #expect(error.problem == .truncated && error.offset == text.utf8.count && error.found == nil, "\(text)")
        }
    }

    @Test func trailingGarbageIsNamed() throws {
        let error = try #require(syntaxError("[]\nRTNETLINK answers: Invalid argument\nmore"))
        #expect(error.problem == .trailingContent && error.line == 2)
        #expect(error.expected == "the end of the JSON document" && error.found == "RTNETLINK answers: Invalid argument")
        #expect(error.description == "t.json:2: expected the end of the JSON document, found \"RTNETLINK answers: Invalid argument\"")
        #expect(syntaxError("{} {}")?.problem == .trailingContent)
    }

    @Test func unexpectedContentIsNamedWithItsExcerpt() throws {
        let comma = try #require(syntaxError("{\"a\": 1 \"b\": 2}"))
        #expect(comma.problem == .unexpectedContent && comma.expected == "',' or '}' in an object" && comma.found == "\"b\": 2}")
        #expect(syntaxError("{1: 2}")?.expected == "a quoted member name")
        #expect(syntaxError("{\"a\" 2}")?.expected == "':' after a member name")
        #expect(syntaxError("[1 2]")?.expected == "',' or ']' in an array")
        #expect(syntaxError("[nul]")?.expected == "a JSON value")
        #expect(syntaxError("[1,]")?.expected == "a JSON value")
    }

    @Test func invalidUTF8InStringsBecomesReplacementCharacters() throws {
        let bytes: [UInt8] = Array("[\"eth".utf8) + [0xFF, 0xC3] + Array("0\"]".utf8)
        let document = try JSONDocument(parsing: bytes, source: "t.json")
        #expect(document.root.elements?.first?.string == "eth\u{FFFD}\u{FFFD}0")
        let outside = try #require(syntaxError([UInt8(ascii: "["), 0xFF, UInt8(ascii: "]")]))
        #expect(outside.problem == .unexpectedContent && outside.line == 1 && outside.expected == "a JSON value")
    }

    @Test(arguments: ["", " ", "\n\r\n\t "])
    func emptyInputIsNamedOnLineOne(_ text: String) throws {
        let error = try #require(syntaxError(text))
        #expect(error.problem == .emptyInput && error.line == 1 && error.found == nil)
        #expect(error.inputError == InputError(source: "t.json", line: 1, expected: "a JSON document", found: "empty input"))
    }

    @Test func excerptsStopAtTheLineEndAndKeepCharactersWhole() throws {
        let document = try parse("[\"é\",\r\n 1]")
        #expect(document.excerpt(at: 0) == "[\"é\",")
        #expect(document.excerpt(at: document.bytes.count) == nil)
        let long = try parse("[\"x" + String(repeating: "é", count: 60) + "\"]")
        let excerpt = try #require(long.excerpt(at: 0))
        #expect(excerpt.utf8.count <= 80 && !excerpt.contains("\u{FFFD}"))
    }

    @Test func pathsLeadFromTheRootToAnOffset() throws {
        let document = try parse("{\"items\": [\n  {\"a\": 1},\n  {\"a\": {\"b.c\": [true, \"x\"]}}\n]}")
        let x = try #require(document.root["items"]?.elements?[1]["a"]?["b.c"]?.elements?[1])
        #expect(document.root.path(to: x.offset) == [.key("items"), .index(1), .key("a"), .key("b.c"), .index(1)])
        #expect(document.line(of: x) == 3)
        #expect(document.root.path(to: document.root.offset) == [])
        #expect(document.root.path(to: 1) == nil)  // the key "items" is not a value
    }

    @Test func summariesDescribeValuesForMessages() {
        #expect(JSONValue(.string("lo")).summary == "\"lo\"")
        #expect(JSONValue(.number("1.5")).summary == "1.5")
        #expect(JSONValue(.bool(false)).summary == "false")
        #expect(JSONValue(.null).summary == "null")
        #expect(JSONValue(.object([])).summary == "an object" && JSONValue(.array([])).typeName == "an array")
    }

    @Test func streamingHandsOutEachElementAndKeepsTheRestOfTheRoot() throws {
        let text = "{\"kind\": \"List\",\n \"items\": [1, {\"a\": [2]},\n \"x\"], \"more\": true}"
        var seen: [(JSONValue.Kind, Int)] = []
        let document = try JSONDocument(parsing: Array(text.utf8), source: "t.json", streamingElementsOf: "items") {
            seen.append(($0.kind, $1))
        }
        #expect(seen.map(\.1) == [0, 1, 2])
        #expect(seen.first?.0 == .number("1") && seen.last?.0 == .string("x"))
        #expect(document.root["items"]?.elements?.isEmpty == true)
        #expect(document.root["kind"]?.string == "List" && document.root["more"]?.bool == true)
        #expect(document.line(at: text.utf8.count - 5) == 3)
        // A document that is not an object is read whole; a syntax error is located as usual.
        #expect(try JSONDocument(parsing: Array("[1]".utf8), source: "t.json", streamingElementsOf: "items") { _, _ in }
                    .root.elements?.count == 1)
        #expect(throws: JSONSyntaxError.self) {
            try JSONDocument(parsing: Array("{\"items\": [1,\n2".utf8), source: "t.json", streamingElementsOf: "items") { _, _ in }
        }
    }
}
