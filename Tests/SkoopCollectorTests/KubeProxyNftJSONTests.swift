import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
@testable import SkoopLab

@Suite("Synthetic clusters: kube-proxy's nftables table written as nft -j list ruleset prints it")
struct KubeProxyNftJSONTests {
    let layout = SynthLayout(spec: SynthSpec(nodes: 3, pods: 30, services: 5, endpoints: 2, proxy: .nftables))

    /// `items` of `{"nftables": [...]}` with set and map elements sorted: the kernel lists a hash
    /// set's elements in its own order.
    static func normalized(_ bytes: Data) throws -> [NSDictionary] {
        let root = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        let items = try #require(root["nftables"] as? [[String: Any]])
        return try items.map { item in
            var item = item
            for kind in ["set", "map"] {
                guard var body = item[kind] as? [String: Any], let elements = body["elem"] as? [Any] else { continue }
                let keyed = try elements.map { (try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]), $0) }
                body["elem"] = keyed.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1)
                item[kind] = body
            }
            return item as NSDictionary
        }
    }

    @Test("equals the kernel's dump after nft -f of the same services' rules (nft 1.0.6; fixture synth-3n-5s-kernel.json)")
    func equalsTheKernelsDump() throws {
        // Captured: KubeProxyNftRules.nftText of these services loaded with `nft -f` in a fresh
        // netns, then `nft -j list ruleset`.
        let kernel = try Fixtures.data("kube-proxy-nftables/synth-3n-5s-kernel.json")
        let ours = Data(SyntheticCluster.nftJSON(layout).utf8)
        let expected = try Self.normalized(kernel), written = try Self.normalized(ours)
        #expect(written.count == expected.count)
        for (a, b) in zip(written, expected) where a != b {
            Issue.record("written \(a)\n   kernel \(b)")
        }
    }

    @Test("decodes into every service's chains and DNATs")
    func decodes() throws {
        let ruleset = try NftJSONParser.parse(Array(SyntheticCluster.nftJSON(layout).utf8), source: "nft.json")
        let table = try #require(ruleset.tables.first { $0.name == "kube-proxy" })
        // 16 fixed chains, per service a service chain and two endpoint chains, an external chain for NodePorts.
        let nodePorts = (0..<5).filter { layout.nodePort($0) != nil }.count
        #expect(table.chains.count == 16 + 5 * 3 + nodePorts)
        #expect(table.sets["service-ips"]?.elements.all.count == 5)
        #expect(table.sets["nodeport-ips"]?.elements.all.count == 3)
    }
}
