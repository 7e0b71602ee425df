import Testing
@testable import SkoopModel

/// The skim that indexes big Kubernetes lists: what it captures, that splitting a list between
/// threads changes nothing (even when the guessed cut points are wrong), and its errors.
@Suite struct JSONSkimTests {
    static let pick = JSONPick.members([
        ("metadata", .members([("name", .capture(0))])),
        ("status", .members([("podIPs", .elements(.members([("ip", .capture(1))])))])),
    ])

    static func skim(_ text: String, threads: Int = 1, splittingAbove: Int = 8 << 20) throws -> JSONListSkim? {
        try JSONListSkim.skim(SharedBytes(copying: Array(text.utf8)), source: "pods.json", listMember: "items",
                              pick: pick, threads: threads, splittingAbove: splittingAbove)
    }

    static func values(_ skim: JSONListSkim, _ text: String) -> [[String]] {
        let bytes = SharedBytes(copying: Array(text.utf8))
        return skim.itemOffsets.indices.map { item in
            skim.captures(ofItem: item).map { capture in
                (JSONListSkim.string(in: bytes, capture.range) ?? nil).map { "\(capture.field):\($0)" } ?? "\(capture.field):?"
            }
        }
    }

    static func pod(_ number: Int, nested: Bool = false) -> String {
        let containers = nested ? #","spec":{"containers":[{"name":"a"},{"name":"b"}]}"# : ""
        return #"{"metadata":{"labels":{"x":"}]\"["},"name":"pod-\#(number)"}\#(containers),"status":{"podIPs":[{"ip":"10.0.0.\#(number)"},{"ip":"fd00::\#(number)"}]}}"#
    }

    @Test func capturesThePickedMembersOfEachItemAndSkipsTheRest() throws {
        let text = #"{"kind":"List","items":["# + [Self.pod(1), Self.pod(2)].joined(separator: ",\n") + #"],"metadata":{}}"#
        let skim = try #require(try Self.skim(text))
        #expect(Self.values(skim, text) == [["0:pod-1", "1:10.0.0.1", "1:fd00::1"], ["0:pod-2", "1:10.0.0.2", "1:fd00::2"]])
        let bytes = Array(text.utf8)
        #expect(skim.itemOffsets.map { bytes[$0] } == [UInt8(ascii: "{"), UInt8(ascii: "{")])
        #expect(skim.itemEnds.map { bytes[$0 - 1] } == [UInt8(ascii: "}"), UInt8(ascii: "}")])
    }

    @Test(arguments: [(",\n", false), (",", true), (", ", true), (",\n", true)])
    func splittingBetweenThreadsGivesWhatOneThreadGives(separator: String, nested: Bool) throws {
        // With "," alone the separator "},{" also occurs inside items (containers): wrong guesses.
        let text = #"{"items":["# + (0..<300).map { Self.pod($0, nested: nested) }.joined(separator: separator) + "]}"
        let one = try #require(try Self.skim(text))
        for threads in [2, 3, 8] {
            let split = try #require(try Self.skim(text, threads: threads, splittingAbove: 64))
            #expect(split == one, "\(threads) threads, separator \(separator.debugDescription), nested \(nested)")
        }
        #expect(one.itemOffsets.count == 300)
    }

    @Test func aRepeatedListMemberCountsOnceTheLastTime() throws {
        let text = #"{"items":["# + Self.pod(1) + #"],"items":["# + Self.pod(7) + "]}"
        let skim = try #require(try Self.skim(text))
        #expect(Self.values(skim, text).map { $0.first } == ["0:pod-7"])
    }

    @Test func aDocumentThatIsNotAListIsLeftToTheStrictReader() throws {
        #expect(try Self.skim(Self.pod(1)) == nil)
        #expect(try Self.skim(#"{"items":{"a":1}}"#) == nil)
        #expect(try Self.skim("[1, 2]") == nil)
    }

    @Test func aPickedMemberOfAnotherShapeIsNotedAsAMismatch() throws {
        let text = #"{"items":[{"metadata":"oops"},7]}"#
        let skim = try #require(try Self.skim(text))
        #expect(skim.captures.map(\.field) == [JSONCapture.mismatch, JSONCapture.mismatch])
    }

    @Test(arguments: [
        (#"{"items":[{"a":"never ends}]}"#, 1, JSONSyntaxError.Problem.unterminatedString),
        ("{\"items\":[\n{\"a\":[1,2}]}", 2, .unexpectedContent),
        ("{\"items\":[\n{\"a\":1}\n{\"b\":2}]}", 3, .unexpectedContent),
        (#"{"items":[{"a":1}]} trailing"#, 1, .trailingContent),
        ("{\"items\":[{\"a\":" + String(repeating: "[", count: 300), 1, .tooDeep),
        ("", 1, .emptyInput),
    ])
    func brokenStructureIsALocatedError(_ text: String, line: Int, problem: JSONSyntaxError.Problem) {
        let error = #expect(throws: JSONSyntaxError.self) { try Self.skim(text) }
        #expect(error?.problem == problem, "\(text)")
        #expect(error?.line == line, "\(text)")
        #expect(error?.source == "pods.json")
    }

    @Test func escapedStringsAndEscapedMemberNamesAreRead() throws {
        let text = #"{"items":[{"metadata":{"n\u0061me":"caf\u00e9 \"x\""}}]}"#
        let skim = try #require(try Self.skim(text))
        #expect(Self.values(skim, text) == [[#"0:café "x""#]])
    }

    /// Skipped containers are scanned 64 bytes at a time, with escapes and strings carried from
    /// one block to the next: brackets, quotes and backslash runs placed at every offset of a
    /// block must not change where a skipped member ends.
    @Test func skippedContainersEndRightWhereverTheBlocksCut() throws {
        var items: [String] = []
        var expected: [[String]] = []
        for padding in 0..<130 {
            let backslashes = String(repeating: #"\\"#, count: padding % 5)  // that many literal backslashes
            let label = String(repeating: "x", count: padding) + backslashes + #"\"]}[{\""# + String(repeating: "y", count: padding % 7)
            items.append(#"{"metadata":{"labels":{"a":"\#(label)","b":[{"c":"]"},"\\"]},"name":"pod-\#(padding)"}}"#)
            expected.append(["0:pod-\(padding)"])
        }
        let text = #"{"items":["# + items.joined(separator: ",") + "]}"
        let skim = try #require(try Self.skim(text))
        #expect(Self.values(skim, text) == expected)
        // The block scan itself finds each end (a failure would only fall back to the byte loop).
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            for item in skim.itemOffsets.indices {
                let start = skim.itemOffsets[item]
                let labels = start + #"{"metadata":{"labels":"#.utf8.count
                let name = Array(#","name":"pod-"#.utf8)
                let labelsEnd = (labels..<skim.itemEnds[item]).last {
                    Array(bytes[$0..<min($0 + name.count, skim.itemEnds[item])]) == name
                }
                #expect(labelsEnd != nil)
                for baseline in [false, true] {
                    func end(from: Int, to limit: Int, open: Int) -> Int? {
                        JSONSkimmer.containerEnd(buffer.baseAddress!, from: from, end: limit, maximumOpen: open, baseline: baseline)
                    }
                    #expect(end(from: labels, to: bytes.count, open: 10) == labelsEnd, "item \(item), baseline \(baseline)")
                    #expect(end(from: start, to: bytes.count, open: 10) == skim.itemEnds[item])
                    #expect(end(from: start, to: skim.itemEnds[item] - 1, open: 10) == nil)
                    #expect(end(from: start, to: bytes.count, open: 2) == nil)
                }
            }
        }
    }

    @Test(arguments: [
        #"{"items":[{"metadata":{"labels":{"a":"x\"}}]}"#,  // the escaped quote leaves the string open
        #"{"items":[{"metadata":{"labels":{"a":[1}}}]}"#,  // ']' expected
        #"{"items":[{"metadata":{"labels":{"a":"\\"}"#,  // the object never closes
    ])
    func aSkippedContainerThatDoesNotCloseIsStillALocatedError(_ text: String) {
        let error = #expect(throws: JSONSyntaxError.self) { try Self.skim(text) }
        #expect(error?.line == 1 && error?.source == "pods.json", "\(text)")
    }
}
