import Testing
@testable import SkoopModel

/// Values read in place must be exactly what the strict reader reads: the same bytes accepted
/// and refused, and the same answers for every member, element, string and number.
@Suite struct JSONSpanTests {
    static let accepted = [
        #"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
        #"{"k": 1, "k": 2}"#,
        #"{"s": "tab\tquote\"slash\/u\u00e9\ud83d\ude00 lone \ud800 x", "e": ""}"#,
        #"{"k\u0065y": "escaped key"}"#,
        #"[-0, 0.5, 1e3, -2E-2, 12345678901234567890, 8e1, 80.0]"#,
        " [ ] ", #" { } "#, #""plain""#, "0", "-1", "true", "null",
        #"{"nftables": [{"rule": {"family": "ip", "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.0.0.1"}}]}}]}"#,
    ]
    static let refused = [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "1e", "-", "+1", "1-2", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"short \\u12\"", "\"raw \n newline\"", "[1 2]", "[1] [2]", "{\"a\":1}}",
        "[" + String(repeating: "[", count: 250) + String(repeating: "]", count: 251),
    ]

    static func span(_ text: String, depth: Int = 0, _ body: (JSONSpan?) -> Void) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { body(JSONSpan.checked($0, 0..<bytes.count, depth: depth)) }
    }

    /// Every answer of `span` against `value`, all the way down.
    static func expectSame(_ span: JSONSpan, _ value: JSONValue) {
        #expect(span.offset == value.offset)
        #expect(span.string == value.string)
        #expect(span.number == value.number)
        #expect(span.integer == value.integer)
        #expect(span.bool == value.bool)
        #expect(span.isNull == value.isNull)
        #expect(span.summary == value.summary)
        #expect(span.elements?.count == value.elements?.count)
        #expect(span.elementCount == value.elements?.count)
        for (inner, element) in zip(span.elements ?? [], value.elements ?? []) { expectSame(inner, element) }
        #expect(span.firstElement?.offset == value.elements?.first?.offset)
        #expect(span.firstMember?.key == value.members?.first?.key)
        #expect(span.firstMember?.count == (value.members?.isEmpty == false ? value.members?.count : nil))
        #expect(span.isEmptyObject == (value.members?.isEmpty == true))
        for member in value.members ?? [] {
            let found = span[member.key]
            #expect(found != nil)
            if let found, let last = value[member.key] { expectSame(found, last) }
        }
        #expect(span["absent"] == nil)
        var walked: [(String, Int)] = []
        span.forEachMember { key, member in walked.append((String(decoding: key, as: UTF8.self), member.offset)) }
        #expect(walked.map(\.0) == (value.members ?? []).map(\.key))
        #expect(walked.map(\.1) == (value.members ?? []).map(\.value.offset))
        let plain = span.plainStringBytes.map { String(decoding: $0, as: UTF8.self) }
        #expect(plain == nil || plain == value.string)
        let keys = (value.members ?? []).map(\.key) + ["absent"]
        for (found, key) in zip(span.values(of: keys), keys) { #expect(found?.offset == value[key]?.offset) }
    }

    @Test("accepts what the strict reader reads, and answers the same")
    func sameAnswers() throws {
        for text in Self.accepted {
            let value = try JSONDocument(parsing: Array(text.utf8), source: "t").root
            Self.span(text) { span in
                #expect(span != nil, "\(text)")
                if let span { Self.expectSame(span, value) }
            }
        }
    }

    @Test("a string's bytes are given in place only when it has no escapes")
    func plainStringBytes() {
        Self.span(#"["plain text", "esc\u0061ped", 1]"#) { span in
            let elements = span?.elements ?? []
            #expect(elements.count == 3)
            #expect(elements.first?.plainStringBytes.map { String(decoding: $0, as: UTF8.self) } == "plain text")
            #expect(elements.dropFirst().first?.plainStringBytes == nil)
            #expect(elements.last?.plainStringBytes == nil)
        }
    }

    @Test("refuses what the strict reader refuses, nesting limit included")
    func sameRefusals() {
        for text in Self.refused {
            #expect((try? JSONDocument(parsing: Array(text.utf8), source: "t")) == nil, "\(text)")
            Self.span(text) { #expect($0 == nil, "\(text)") }
        }
        // 199 open inside 1 already open is within the limit of 200; inside 2 it is not.
        let nested = String(repeating: "[", count: 199) + String(repeating: "]", count: 199)
        Self.span(nested, depth: 1) { #expect($0 != nil) }
        Self.span(nested, depth: 2) { #expect($0 == nil) }
    }
}
