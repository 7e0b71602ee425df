import Foundation
import Testing
import SkoopTestSupport
@testable import SkoopNetstack

/// nft's own syntax for an IPv6 DNAT with a port, as `nft list ruleset` prints it.
@Suite struct NftIPv6RuleTextTests {
    @Test("An IPv6 DNAT with a port is rendered with the address in brackets; IPv4 without")
    func ipv6DNATBracketed() throws {
        let url = Fixtures.url("lab-flannel-vxlan-nftables-dual-traced/nodes/node1/netns/host/nft.json")
        let ruleset = try NftJSONParser.parse([UInt8](try Data(contentsOf: url)), source: url.path)
        let texts = ruleset.tables.flatMap { $0.chains.values.flatMap(\.rules) }.map(NftRuleText.render)
        #expect(texts.contains("meta l4proto tcp dnat to [fd00:10:244:1::2]:8080"))
        #expect(texts.contains("meta l4proto tcp dnat to 10.244.1.2:8080"))
        #expect(!texts.contains { $0.contains("dnat to fd00") })
    }
}
