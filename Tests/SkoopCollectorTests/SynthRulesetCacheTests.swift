import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
@testable import SkoopLab

/// Identical rulesets (kube-proxy's, on every node) are parsed once and shared.
@Suite struct SynthRulesetCacheTests {
    @Test func identicalBytesAreParsedOnceAndWarningsNameEachFile() throws {
        let cache = ParsedRulesetCache()
        let text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOWHERE\nCOMMIT\n"
        var parses = 0
        func load(_ content: String, _ source: String) throws -> IPTablesParseResult {
            try cache.result(for: Data(content.utf8), source: source) { () throws(InputError) -> IPTablesParseResult in
                parses += 1
                do { return try IPTablesSaveParser.parse(content, source: source) } catch let error as InputError { throw error } catch {
                    throw InputError(source: source, expected: "rules", found: "\(error)")
                }
            }
        }
        let first = try load(text, "a/iptables.txt")
        let second = try load(text, "b/iptables.txt")
        #expect(parses == 1)
        #expect(first.ruleset == second.ruleset)
        #expect(first.warnings.map(\.source) == ["a/iptables.txt"])
        #expect(second.warnings.map(\.source) == ["b/iptables.txt"])
        _ = try load(text.replacingOccurrences(of: "INPUT -j", with: "INPUT -p tcp -j"), "c/iptables.txt")
        #expect(parses == 2)
    }

    @Test func sampledHashSeesSizeAndContent() {
        let big = Data(repeating: 65, count: 100_000)
        var changed = big
        changed[0] = 66
        #expect(ParsedRulesetCache.sampledHash(big) == ParsedRulesetCache.sampledHash(Data(repeating: 65, count: 100_000)))
        #expect(ParsedRulesetCache.sampledHash(big) != ParsedRulesetCache.sampledHash(changed))
        #expect(ParsedRulesetCache.sampledHash(big) != ParsedRulesetCache.sampledHash(Data(repeating: 65, count: 100_001)))
    }

    @Test func nodesOfASyntheticClusterShareOneParsedRuleset() throws {
        let (directory, _) = try SynthTests.generate(SynthSpec(nodes: 3, pods: 6, services: 4, endpoints: 2))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let collector = try CollectorManager(snapshot: directory)
        let a = try collector.netns(node: "node-00000", id: "host")
        let b = try collector.netns(node: "node-00002", id: "host")
        #expect(a.iptables != nil)
        #expect(a.iptables == b.iptables)
    }
}

/// The parser's fast paths (byte-level lines, counters, tokens) read exactly what the general ones did.
@Suite struct SynthParserFastPathTests {
    func counters(_ prefix: String) throws -> Counters? {
        let text = "*filter\n:INPUT ACCEPT [0:0]\n\(prefix) -A INPUT -s 10.0.0.1/32 -m comment --comment \"a \\\"b\\\" c\" -j ACCEPT\r\nCOMMIT\n"
        return try IPTablesSaveParser.parse(text, source: "t").ruleset.tables.first?.chains.first?.rules.first?.counters
    }

    @Test func countersPlainAndUnusualSpellings() throws {
        #expect(try counters("[12:3456]") == Counters(packets: 12, bytes: 3456))
        #expect(try counters("[9999999999999999999:0]") == Counters(packets: 9_999_999_999_999_999_999, bytes: 0))
        #expect(try counters("[+1:2]") == Counters(packets: 1, bytes: 2))
        #expect(try counters("[1::2]") == Counters(packets: 1, bytes: 2))
        #expect(throws: (any Error).self) { try counters("[99999999999999999999:0]") }
        #expect(throws: (any Error).self) { try counters("[1:]") }
    }

    @Test func quotedWordsAndCRLFLines() throws {
        let text = "*filter\r\n:INPUT ACCEPT [0:0]\r\n[0:0] -A INPUT -m comment --comment \"caf\u{E9} \\\"x\\\"\" -j ACCEPT\r\nCOMMIT\r\n"
        let rule = try #require(try IPTablesSaveParser.parse(text, source: "t").ruleset.tables.first?.chains.first?.rules.first)
        #expect(rule.text == "-A INPUT -m comment --comment \"caf\u{E9} \\\"x\\\"\" -j ACCEPT")
        #expect(rule.matches.contains { match in
            if case .comment(let text) = match.kind { return text == "caf\u{E9} \"x\"" }
            return false
        })
    }
}
