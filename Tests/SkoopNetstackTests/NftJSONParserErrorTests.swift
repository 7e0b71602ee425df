import Testing
import SkoopModel
@testable import SkoopNetstack

@Suite("nft.json: malformed input is an error naming the file, line and item")
struct NftJSONParserErrorTests {
    func error(_ json: String) -> InputError? {
        do {
            _ = try NftJSONParser.parse(Array(json.utf8), source: "n1/nft.json")
            return nil
        } catch {
            return error
        }
    }

    @Test func malformed() throws {
        let syntax = try #require(error("{\"nftables\": [\n{\"table\": }]}"))
        #expect(syntax.source == "n1/nft.json" && syntax.line == 2)
        let shape = try #require(error("[1, 2]"))
        #expect(shape.description.contains("expected nft -j list ruleset output"))
        let family = try #require(error("{\"nftables\": [{\"metainfo\": {}},\n {\"table\": {\"family\": \"ipx\", \"name\": \"t\"}}]}"))
        #expect(family.line == 2)
        #expect(family.description.contains("a family: ip, ip6, inet, bridge, arp or netdev (nftables[1])"))
        let rule = try #require(error(#"{"nftables": [{"rule": {"family": "ip", "table": "t", "expr": []}}]}"#))
        #expect(rule.description.contains("a rule's \"chain\" (nftables[0])"))
        let prio = try #require(error(#"{"nftables": [{"chain": {"family": "ip", "table": "t", "name": "c", "hook": "input"}}]}"#))
        #expect(prio.description.contains("a base chain's integer \"prio\""))
    }

    @Test("statements and expressions Skoop does not model are kept as unsupported, not errors")
    func unsupportedIsNotAnError() throws {
        let ruleset = try NftJSONParser.parse(Array(#"""
            {"nftables": [{"table": {"family": "inet", "name": "t", "handle": 1}},
             {"chain": {"family": "inet", "table": "t", "name": "c", "handle": 1}},
             {"rule": {"family": "inet", "table": "t", "chain": "c", "handle": 2, "expr": [
               {"match": {"op": "==", "left": {"osf": {"key": "name"}}, "right": "Linux"}}, {"synproxy": {"mss": 1460}}]}}]}
            """#.utf8), source: "nft.json")
        let rule = try #require(ruleset.table(.inet, "t")?.chains["c"]?.rules.first)
        guard case .unsupported("synproxy", _) = rule.statements[1] else {
            Issue.record("expected an unsupported statement, got \(rule.statements[1])")
            return
        }
    }
}
