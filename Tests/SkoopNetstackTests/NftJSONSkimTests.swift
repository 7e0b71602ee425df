import Testing
import SkoopModel
import SkoopLab
import SkoopTestSupport
@testable import SkoopNetstack

/// The read a diagnosis uses: nft.json's structure now, each chain's rules when first walked.
@Suite("nft.json skimmed: the full decoder's ruleset and errors, rules decoded on first use")
struct NftJSONSkimTests {
    let synthetic = SyntheticCluster.nftJSON(SynthLayout(spec: SynthSpec(nodes: 4, pods: 1_000, services: 400, endpoints: 2, proxy: .nftables)))

    func skim(_ text: String, source: String = "n1/nft.json") -> Result<NftRuleset, InputError> {
        Result { () throws(InputError) in try NftJSONParser.skim(SharedBytes(copying: Array(text.utf8)), source: source) }
    }

    func full(_ text: String) -> Result<NftRuleset, InputError> {
        Result { () throws(InputError) in try NftJSONParser.parse(Array(text.utf8), source: "n1/nft.json", splittingAbove: .max) }
    }

    /// `text` with `find` replaced in the last rule of kube-proxy's `services` chain.
    func breakingServicesRule(_ text: String, _ find: String, _ replacement: String) throws -> String {
        let anchor = try #require(text.range(of: #"{"rule": {"family": "ip", "table": "kube-proxy", "chain": "services""#, options: .backwards))
        let expr = try #require(text.range(of: find, range: anchor.upperBound..<text.endIndex))
        return text.replacingCharacters(in: expr, with: replacement)
    }

    static let fixtures = [
        "kube-proxy-nftables/lab-basic-node1.json", "kube-proxy-nftables/overall.json", "kube-proxy-nftables/synth-3n-5s-kernel.json",
        "lab-flannel-vxlan-nftables-traced/nodes/node1/netns/host/nft.json",
        "lab-flannel-vxlan-nftables-dual-traced/nodes/node2/netns/host/nft.json", "lab-bridge-netdev/br/nft.json",
    ]

    @Test("kernel dumps decode to the full decoder's ruleset", arguments: fixtures)
    func sameRulesetAsFullDecode(_ fixture: String) throws {
        let text = try Fixtures.text(fixture)
        let skimmed = try skim(text).get()
        #expect(skimmed == (try full(text).get()))
        #expect(skimmed.ruleCount == (try full(text).get()).ruleCount)
    }

    @Test("kube-proxy's table at 400 services: same ruleset, chains decoded only when asked for and shared by copies")
    func syntheticTable() throws {
        let skimmed = try skim(synthetic).get()
        let table = try #require(skimmed.table(.ip, "kube-proxy"))
        let chain = try #require(table.chains["services"])
        guard case .skimmed(let file, let position) = chain.storage else {
            Issue.record("the chain's rules were decoded while skimming")
            return
        }
        #expect(chain.ruleCount == (try chain.decodedRules.get()).count)
        // A copy reads the same decoding (the cache answers).
        #expect(try file.rules(position).get() == chain.rules)
        #expect(skimmed == (try full(synthetic).get()))
    }

    @Test("errors outside rules are the full decoder's, whatever they are")
    func structuralErrors() throws {
        let chainItem = try #require(synthetic.range(of: "{\"chain\": {\"family\": \"ip\""))
        let set = try #require(synthetic.range(of: "{\"map\": {\"family\": \"ip\""))
        let cases = [
            synthetic.replacingCharacters(in: chainItem, with: "{\"chain\": {\"family\": \"ipx\""),
            synthetic.replacingCharacters(in: chainItem, with: "{\"chain\": {\"family\" \"ip\""),
            synthetic.replacingCharacters(in: set, with: "{\"map\": {\"family\": 4"),
            synthetic.replacingOccurrences(of: "{\"nftables\": [", with: "{\"x\": tru, \"nftables\": ["),
            synthetic.replacingOccurrences(of: "]}\n", with: ", {\"element\": {\"family\": \"ip\", \"table\": \"kube-proxy\", \"name\": \"nope\", \"elem\": [\"10.0.0.1\"]}}]}\n"),
            String(synthetic.dropLast(4)),
        ]
        for text in cases {
            let error = try #require(full(text).failureValue)
            #expect(skim(text).failureValue == error)
        }
    }

    @Test("a malformed rule is the full decoder's error when its chain is decoded, and only then", arguments: [
        (#""expr": ["#, #""expr": 7, "x": ["#),
        (#""expr": ["#, #""expr": [{"match": 1}, "#),
        (#""expr": ["#, #""expr": [tru, "#),
    ])
    func malformedRule(_ find: String, _ replacement: String) throws {
        // A few lines into the file.
        let broken = try breakingServicesRule("\n\n" + synthetic, find, replacement)
        let error = try #require(full(broken).failureValue)
        let skimmed = try skim(broken).get()
        let table = try #require(skimmed.table(.ip, "kube-proxy"))
        #expect(table.chains["nat-prerouting"].map { (try? $0.decodedRules.get()) != nil } == true)
        #expect(table.chains["services"]?.decodedRules.failureValue == error)
        #expect((error.line ?? 0) >= 3)
    }

    @Test("an engine names the file it was given: identical files share one skim")
    func errorsNameEachFile() throws {
        let broken = try breakingServicesRule(synthetic, #""expr": ["#, #""expr": 7, "x": ["#)
        var ruleset = try skim(broken, source: "n1/nft.json").get()
        ruleset.source = "n2/nft.json"
        let engine = NftEngine(ruleset: ruleset)
        let table = try #require(ruleset.table(.ip, "kube-proxy"))
        let packet = Packet(src: IPAddress("10.0.0.1")!, sport: 1234, dst: IPAddress("10.0.0.2")!, dport: 80, proto: .tcp)
        let walk = engine.unreadable(try #require(table.chains["services"]?.decodedRules.failureValue), Walk(context: PacketContext(packet: packet)))
        let warning = try #require(NftEngine.unreadableRules(in: [walk.outcome(.accept)]))
        #expect(warning.hasPrefix("n2/nft.json:"), "\(warning)")
    }
}
