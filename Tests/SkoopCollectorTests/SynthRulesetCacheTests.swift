import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector

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
