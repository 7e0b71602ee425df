import Foundation
import SkoopTUI
import Testing

@Suite("TUI escape sequences curses did not decode")
struct EscapeSequenceTests {
    @Test func cursorAndEditingKeysOfAMismatchedTerm() {
        #expect(EscapeSequence.keys(after: "[1~") == [.home], "tmux's Home under TERM=xterm-256color")
        #expect(EscapeSequence.keys(after: "[4~") == [.end])
        #expect(EscapeSequence.keys(after: "OH") == [.home])
        #expect(EscapeSequence.keys(after: "[5~") == [.pageUp])
        #expect(EscapeSequence.keys(after: "[1;5C") == [.right])
        #expect(EscapeSequence.keys(after: "[Z") == [.backTab])
        #expect(EscapeSequence.keys(after: "[200~").isEmpty, "a sequence the TUI does not use is dropped, not typed")
        #expect(EscapeSequence.keys(after: "") == [.escape])
        #expect(EscapeSequence.keys(after: "x") == [.escape, .char("x")])
    }

    @Test func sequencesEndAtTheirFinalCharacter() {
        #expect(EscapeSequence.isIncomplete(""))
        #expect(EscapeSequence.isIncomplete("["))
        #expect(EscapeSequence.isIncomplete("[1"))
        #expect(!EscapeSequence.isIncomplete("[1~"))
        #expect(EscapeSequence.isIncomplete("O"))
        #expect(!EscapeSequence.isIncomplete("OH"))
        #expect(!EscapeSequence.isIncomplete("x"))
    }
}

extension DailyUseTests {
    @Test func searchMatchesTheRowAsShown() {
        var state = demoState()
        state.press(.char("r"), .char("/"))
        state.type("dropped at node")
        state.press(.enter)
        #expect(state.treeText[state.selectedTreeIndex] == "    └─▸ ✖ dropped at node node-b  ✖ FATAL")
    }
}

@Suite("TUI keys documented")
struct KeyDocumentationTests {
    /// README's "Keys:" paragraph.
    func readmeKeys() throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "Keys: "))
        let end = try #require(text.range(of: "Screenshots are made by", range: start.upperBound..<text.endIndex))
        return String(text[start.lowerBound..<end.lowerBound])
    }

    @Test func readmeNamesEveryCharacterKeyOfEveryScreen() throws {
        let keys = try readmeKeys()
        for screen in [Screen.start, .main, .rules, .suspicions, .edits, .diff] {
            for binding in KeyTable.bindings(for: screen) {
                for case .char(let character) in binding.keys where !"1234 ".contains(character) {
                    #expect(keys.contains("`\(character)`") || keys.contains("`\(character)diag"), "README's Keys paragraph lacks `\(character)` (\(binding.description))")
                }
            }
        }
        #expect(keys.contains("`1`-`4`") && keys.contains("space"))
    }
}
