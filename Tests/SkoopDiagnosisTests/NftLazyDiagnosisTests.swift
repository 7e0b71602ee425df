import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// A diagnosis skims nft.json and decodes a chain's rules when a packet first reaches it: its
/// reports must be those of the full decode, and a malformed rule must be met as before where
/// packets go, and only there.
@Suite struct NftLazyDiagnosisTests {
    static let traced = "lab-flannel-vxlan-nftables-traced"
    static let host1 = "nodes/node1/netns/host/nft.json"

    static let queries: [(String, String, String, UInt16)] = [
        (traced, "default/client", "svc/default/web-0", 80), (traced, "default/client", "svc/default/web", 80),
        (traced, "default/client", "default/web-1", 8080), (traced, "default/client", "svc/default/empty", 80),
        (traced, "default/client2", "svc/default/web", 80),
        ("lab-flannel-vxlan-nftables-dual-traced", "default/client", "svc/default/web", 80),
        ("lab-flannel-vxlan-nftables-dual-traced", "default/client2", "default/web-0", 8080),
        ("lab-basic", "default/client", "svc/default/web", 80),
    ]

    func report(_ snapshot: String, _ src: String, _ dst: String, _ port: UInt16, lazy: Bool) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: .tcp),
                                           collector: try CollectorManager(snapshot: snapshot, nftRulesOnFirstUse: lazy))
        session.diagnostor.run()
        return session.report
    }

    /// The report's JSON, keys sorted (the encoder's order varies from run to run).
    func json(_ report: DiagnosisReport) throws -> String {
        let object = try JSONSerialization.jsonObject(with: try report.jsonData())
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self)
    }

    /// The report's JSON lines that say the host's rules are unknown.
    func unknownRules(_ report: DiagnosisReport) throws -> Set<String> {
        Set(try json(report).split(separator: "\n").filter { $0.contains("Netfilter rules of host are unknown") }
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ",")) })
    }

    @Test("diagnoses through skimmed nft.json report what the full decode reports: hops, rules, suspicions",
          arguments: queries.indices)
    func sameReports(_ query: Int) throws {
        let (fixture, src, dst, port) = Self.queries[query]
        let path = Fixtures.url(fixture).path
        let lazy = try report(path, src, dst, port, lazy: true)
        let full = try report(path, src, dst, port, lazy: false)
        let (a, b) = (try json(lazy), try json(full))
        #expect(a == b, "\(zip(a.split(separator: "\n"), b.split(separator: "\n")).filter { $0 != $1 }.prefix(3).map { "\($0) | \($1)" })")
    }

    @Test("a malformed rule in a chain the packet reaches: the netns's native rules are unknown, with the full decoder's error")
    func malformedRuleReached() throws {
        let copy = try FixtureCopy(Self.traced)
        let text = String(decoding: try copy.data(Self.host1), as: UTF8.self)
        let broken = text.replacingOccurrences(of: #""chain": "service-KJIFFBIG-default/web-0/tcp/http", "handle": 64, "expr": ["#,
                                               with: #""chain": "service-KJIFFBIG-default/web-0/tcp/http", "handle": 64, "expr": 7, "x": ["#)
        #expect(broken != text)
        try copy.write(Self.host1, broken)
        let lazy = try report(copy.path, "default/client", "svc/default/web-0", 80, lazy: true)
        let full = try report(copy.path, "default/client", "svc/default/web-0", 80, lazy: false)
        let unknown = try unknownRules(full)
        #expect(!unknown.isEmpty)
        #expect(try unknownRules(lazy) == unknown)
        #expect(unknown.allSatisfy { $0.contains("nft.json:1") && $0.contains(#"a rule's \"expr\" array"#) }, "\(unknown)")
        #expect(lazy.verdict == full.verdict)
    }

    @Test("a malformed rule in a chain no packet reaches changes nothing in a diagnosis; inspect still reports it")
    func malformedRuleNotReached() throws {
        let copy = try FixtureCopy(Self.traced)
        let intact = try report(copy.path, "default/client", "svc/default/web-0", 80, lazy: true)
        let text = String(decoding: try copy.data(Self.host1), as: UTF8.self)
        let broken = text.replacingOccurrences(of: #""chain": "external-SUSTUHLJ-default/web/tcp/http", "handle": 56, "expr": ["#,
                                               with: #""chain": "external-SUSTUHLJ-default/web/tcp/http", "handle": 56, "expr": 7, "x": ["#)
        #expect(broken != text)
        try copy.write(Self.host1, broken)
        let lazy = try report(copy.path, "default/client", "svc/default/web-0", 80, lazy: true)
        #expect(try json(lazy) == json(intact))
        // The full decode refuses the file, as skoop inspect does.
        let full = try report(copy.path, "default/client", "svc/default/web-0", 80, lazy: false)
        #expect(try unknownRules(full).contains { $0.contains(#"a rule's \"expr\" array"#) })
        let error = #expect(throws: InputError.self) { try SnapshotSummary(collector: try CollectorManager(snapshot: copy.path)) }
        #expect(error?.source == Self.host1 && error?.expected.contains("a rule's \"expr\" array") == true, "\(String(describing: error))")
    }
}
