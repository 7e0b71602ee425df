import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

/// The set and map lookups an nft trace entry records, on kube-proxy's rules from proxier_test.go
/// (Tests/Fixtures/kube-proxy-nftables): which set, the packet's key, the element hit.
@Suite("nftables: lookups recorded in the trace")
struct NftLookupTraceTests {
    static func entries(_ source: String, _ destination: String, _ port: UInt16, proto: TransportProtocol = .tcp,
                        chain: String) throws -> [NetfilterTraceEntry] {
        try NftablesKubeProxyTests.flow(source, destination, port, proto: proto).flatMap(\.trace).filter { $0.chain == chain }
    }

    @Test func aVerdictMapHitRecordsTheMapTheKeyAndTheElement() throws {
        let services = try Self.entries("10.180.0.2", "172.30.0.41", 80, chain: "services")
        let hit = try #require(services.first { $0.rule.contains("vmap @service-ips") })
        #expect(hit.matched)
        #expect(hit.lookups == [NetfilterSetLookup(set: "service-ips", key: "172.30.0.41 . tcp . 80", element: "172.30.0.41 . tcp . 80")])
    }

    @Test func aMissRecordsTheKeyWithoutAnElement() throws {
        // UDP to a TCP-only service: no element of @service-ips has the key.
        let services = try Self.entries("10.180.0.2", "172.30.0.41", 80, proto: .udp, chain: "services")
        let miss = try #require(services.first { $0.rule.contains("vmap @service-ips") })
        #expect(!miss.matched)
        #expect(miss.lookups == [NetfilterSetLookup(set: "service-ips", key: "172.30.0.41 . udp . 80", element: nil)])
    }

    @Test func rulesThatLookNothingUpRecordNothing() throws {
        let trace = try NftablesKubeProxyTests.flow("10.180.0.2", "172.30.0.41", 80).flatMap(\.trace)
        #expect(trace.contains { $0.family != nil && $0.lookups == nil && $0.matched })
        #expect(trace.filter { $0.lookups != nil }.allSatisfy { $0.rule.contains("@") || $0.rule.contains("{") || $0.rule.contains(" map ") })
    }

    @Test func elementsAreSpelledAsNftListsThem() {
        let set = NftSet(name: "service-ips", keyTypes: [.ipv4Address, .l4proto, .port], dataTypes: [.verdict], flags: ["interval"],
                         elements: [NftElement(key: [.prefix(IPPrefix("10.0.0.0/8")!), .exact(.number(17)), .range(.number(80), .number(90))],
                                               data: .verdict(.goto("svc")))])
        #expect(NftSetText.declaration(set) == "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; flags interval }")
        #expect(NftSetText.element(set.elements.all[0], kinds: set.keyTypes) == "10.0.0.0/8 . udp . 80-90 : goto svc")
    }
}
