import Foundation
import Testing
import SkoopModel

/// The JSON contract of a trace entry: `lookups` is optional, so entries written before it
/// existed still read, and entries without lookups do not grow the key.
@Suite struct NetfilterTraceEntryJSONTests {
    @Test func entriesWithoutLookupsReadAndWriteWithoutTheKey() throws {
        let old = #"{"hook":"FORWARD","table":"filter","chain":"FORWARD","rule":"-A FORWARD -j DROP","matched":true,"verdict":"DROP"}"#
        let entry = try JSONDecoder().decode(NetfilterTraceEntry.self, from: Data(old.utf8))
        #expect(entry.lookups == nil)
        let written = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        #expect(!written.contains("lookups"))
    }

    @Test func lookupsRoundTrip() throws {
        var entry = NetfilterTraceEntry(hook: "PREROUTING", table: "kube-proxy", chain: "services",
                                        rule: "ip daddr . meta l4proto . th dport vmap @service-ips", matched: true, verdict: "GOTO")
        entry.family = "ip"
        entry.handle = 50
        entry.lookups = [NetfilterSetLookup(set: "service-ips", key: "10.96.0.10 . tcp . 80", element: "10.96.0.10 . tcp . 80"),
                         NetfilterSetLookup(set: nil, key: "1", element: nil)]
        let data = try JSONEncoder().encode(entry)
        #expect(try JSONDecoder().decode(NetfilterTraceEntry.self, from: data) == entry)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let lookups = try #require(object["lookups"] as? [[String: Any]])
        #expect(lookups[0]["set"] as? String == "service-ips")
        #expect(lookups[1]["element"] == nil, "a miss has no element key")
    }
}
