import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopLab
@testable import SkoopNetstack

/// The byte-level fast path decodes a rule exactly as `RuleDecoder` does, or leaves it to it.
@Suite("iptables-save: fast rule decoding equals the reference")
struct IPTablesFastDecodeTests {
    /// Every rule line of `text` through both decoders: a rule the fast path returns equals the
    /// reference's, which notes nothing about it. Returns (lines, lines decoded fast).
    @discardableResult
    static func expectSameRules(_ text: String, _ name: String) -> (lines: Int, fast: Int) {
        let bytes = Array(text.utf8)
        var decoder = FastRuleDecoder()
        var lines = 0, fast = 0, start = 0, number = 0
        bytes.withUnsafeBufferPointer { buffer in
            while start <= buffer.count {
                number += 1
                var end = start
                while end < buffer.count, buffer[end] != UInt8(ascii: "\n") { end += 1 }
                defer { start = end + 1 }
                var first = start
                while first < end, buffer[first] == UInt8(ascii: " ") || buffer[first] == UInt8(ascii: "\t") { first += 1 }
                guard first < end, buffer[first] == UInt8(ascii: "-") || buffer[first] == UInt8(ascii: "[") else { continue }
                lines += 1
                let line = Substring(String(decoding: buffer[first..<end], as: UTF8.self))
                let reference = Result { () throws(InputError) in
                    try RuleDecoder.decode(line, number: number, table: "filter", source: name)
                }
                guard let rule = decoder.decode(buffer, first..<end, number: number) else { continue }
                fast += 1
                switch reference {
                case .success(let expected):
                    #expect(rule == expected.rule, "\(name):\(number): \(line)")
                    #expect(expected.notes.isEmpty, "\(name):\(number): fast path decoded a line the reference notes: \(line)")
                case .failure(let error):
                    Issue.record("\(name):\(number): fast path decoded a line the reference rejects (\(error)): \(line)")
                }
            }
        }
        return (lines, fast)
    }

    /// The whole dump read with and without the fast path: the same ruleset and warnings, or the same error.
    static func expectSameParse(_ text: String, _ name: String) {
        func outcome(fastRules: Bool) -> (result: IPTablesParseResult?, error: String?) {
            do { return (try IPTablesSaveParser.parse(text, source: name, fastRules: fastRules), nil) } catch {
                return (nil, "\(error)")
            }
        }
        #expect(outcome(fastRules: true) == outcome(fastRules: false), "\(name)")
    }

    static func fixtureDumps() throws -> [(name: String, text: String)] {
        let files = try #require(FileManager.default.enumerator(at: Fixtures.root, includingPropertiesForKeys: nil))
        var dumps: [(String, String)] = []
        for case let url as URL in files where url.lastPathComponent.hasSuffix(".txt") {
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            guard text.contains("\n-A ") || text.contains("] -A ") else { continue }
            dumps.append((url.path, text))
        }
        return dumps
    }

    @Test func everyFixtureRuleDecodesTheSameBothWays() throws {
        var lines = 0, fast = 0
        for (name, text) in try Self.fixtureDumps() {
            let counted = Self.expectSameRules(text, name)
            lines += counted.lines
            fast += counted.fast
            Self.expectSameParse(text, name)
        }
        #expect(lines > 1_000)
        // Captured dumps are mostly plain: most of their rules go the fast way.
        #expect(fast * 2 > lines, "\(fast) of \(lines)")
    }

    @Test func kubeProxyRulesAllGoTheFastWay() {
        let text = SyntheticCluster.iptablesSave(SynthLayout(spec: SynthSpec(nodes: 4, pods: 200, services: 200, endpoints: 10)))
        let counted = Self.expectSameRules(text, "synth")
        #expect(counted.lines > 6_000)
        #expect(counted.fast == counted.lines, "\(counted.fast) of \(counted.lines)")
        Self.expectSameParse(text, "synth")
    }

    /// A jump's target names the chain as the table holds it, declared or not: the same rules
    /// and the same warning both ways.
    @Test func jumpTargetsDecodeTheSameBothWays() throws {
        let text = """
            *filter
            :INPUT ACCEPT [0:0]
            :KUBE-SEP-ABCDEFGHIJKLMNOP - [0:0]
            :SHORT - [0:0]
            [1:2] -A INPUT -j KUBE-SEP-ABCDEFGHIJKLMNOP
            -A INPUT -j SHORT
            -A INPUT -g KUBE-SEP-ABCDEFGHIJKLMNOP
            -A INPUT -j KUBE-SEP-ABCDEFGHIJKLMNOQ
            -A INPUT -j "KUBE-SEP-ABCDEFGHIJKLMNOP"
            COMMIT

            """
        let parsed = try IPTablesSaveParser.parse(text, source: "t.txt")
        let rules = try #require(parsed.ruleset.table("filter")?.chain("INPUT")).rules
        #expect(rules.map(\.target) == [.jump("KUBE-SEP-ABCDEFGHIJKLMNOP"), .jump("SHORT"), .goto("KUBE-SEP-ABCDEFGHIJKLMNOP"),
                                        .jump("KUBE-SEP-ABCDEFGHIJKLMNOQ"), .jump("KUBE-SEP-ABCDEFGHIJKLMNOP")])
        #expect(parsed.warnings.map(\.line) == [8])
        Self.expectSameParse(text, "t.txt")
        Self.expectSameRules(text, "t.txt")
    }

    /// Above 20,000 rules the chains are decoded on every core: the earliest bad line is still
    /// the error, and jumps to undeclared chains are still warned about in chain order.
    @Test func decodingOnEveryCoreKeepsErrorsAndWarningsInOrder() throws {
        let text = SyntheticCluster.iptablesSave(SynthLayout(spec: SynthSpec(nodes: 4, pods: 200, services: 700, endpoints: 10)))
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.filter { $0.hasPrefix("[") }.count > ChainDecoding.parallelAbove)
        let rules = lines.indices.filter { lines[$0].hasPrefix("[") && lines[$0].hasSuffix("-j KUBE-MARK-MASQ") }
        let (early, late) = (rules[rules.count / 3], rules[rules.count * 3 / 4])
        // Jumps to missing chains in a chain near the end and one near the start.
        lines[late] = lines[late].replacingOccurrences(of: #"-j [A-Z0-9-]+$"#, with: "-j NOWHERE-LATE", options: .regularExpression)
        lines[early] = lines[early].replacingOccurrences(of: #"-j [A-Z0-9-]+$"#, with: "-j NOWHERE-EARLY", options: .regularExpression)
        let parsed = try IPTablesSaveParser.parse(lines.joined(separator: "\n"), source: "big.txt")
        #expect(parsed.warnings.map(\.line) == [early + 1, late + 1] || parsed.warnings.map(\.line) == [late + 1, early + 1])
        Self.expectSameParse(lines.joined(separator: "\n"), "big.txt")
        // Two malformed rules: the earlier line is the error, whichever worker meets it.
        lines[late] = lines[late].replacingOccurrences(of: "-j ", with: "-s 10.0.0.300 -j ")
        lines[early] = lines[early].replacingOccurrences(of: "-j ", with: "-s 10.0.0.300 -j ")
        do {
            _ = try IPTablesSaveParser.parse(lines.joined(separator: "\n"), source: "big.txt")
            Issue.record("malformed rules were accepted")
        } catch let error as InputError {
            #expect(error.line == early + 1)
        }
    }

    /// Lines altered word by word (dropped, doubled, negated, quoted, swapped): whatever the
    /// fast path accepts, it decodes as the reference does.
    @Test func alteredRulesDecodeTheSameOrFallBack() throws {
        let samples = try Self.fixtureDumps().flatMap { $0.text.split(separator: "\n") }
            .filter { $0.hasPrefix("-A ") || $0.hasPrefix("[") }
        let synth = SyntheticCluster.iptablesSave(SynthLayout(spec: SynthSpec(nodes: 2, pods: 20, services: 3, endpoints: 3)))
            .split(separator: "\n").filter { $0.hasPrefix("[") }
        var altered: [String] = []
        for line in Array(samples.prefix(400)) + synth {
            let words = line.split(separator: " ").map(String.init)
            for position in words.indices.dropFirst(2) {
                var dropped = words
                dropped.remove(at: position)
                var doubled = words
                doubled.insert(words[position], at: position)
                var negated = words
                negated.insert("!", at: position)
                var quoted = words
                quoted[position] = "\"" + words[position] + "\""
                var tabbed = words
                tabbed[position] = words[position] + "\t"
                altered += [dropped, doubled, negated, quoted, tabbed].map { $0.joined(separator: " ") }
                if position + 1 < words.count {
                    var swapped = words
                    swapped.swapAt(position, position + 1)
                    altered.append(swapped.joined(separator: " "))
                }
            }
        }
        #expect(altered.count > 1_000)
        Self.expectSameRules(altered.joined(separator: "\n"), "altered")
    }
}
