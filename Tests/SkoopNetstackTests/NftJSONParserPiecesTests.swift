import Testing
import SkoopModel
import SkoopLab
import SkoopTestSupport
@testable import SkoopNetstack

/// A large nft.json is decoded item by item side by side: the result and every error must be
/// those of the strict, whole-document read.
@Suite("nft.json decoded in pieces: the same ruleset and the same errors as the strict read")
struct NftJSONParserPiecesTests {
    /// kube-proxy's table for 400 services (2,000 items, 1.4 MB: parse() decodes it in pieces).
    let synthetic = SyntheticCluster.nftJSON(SynthLayout(spec: SynthSpec(nodes: 4, pods: 1_000, services: 400, endpoints: 2, proxy: .nftables)))

    func strict(_ text: String) -> Result<NftRuleset, InputError> {
        Result { () throws(InputError) in try NftJSONParser.strict(Array(text.utf8), source: "n1/nft.json") }
    }

    func inPieces(_ text: String) -> Result<NftRuleset, InputError>? {
        NftJSONParser.inPieces(SharedBytes(copying: Array(text.utf8)), source: "n1/nft.json")
    }

    @Test("kernel dumps and a synthetic table decode to the same ruleset both ways")
    func sameRuleset() throws {
        #expect(synthetic.utf8.count > NftJSONParser.splittingAbove)
        for text in [synthetic, try Fixtures.text("kube-proxy-nftables/lab-basic-node1.json"),
                     try Fixtures.text("kube-proxy-nftables/overall.json")] {
            let pieces = try #require(inPieces(text))
            let whole = try strict(text).get()
            #expect(try pieces.get() == whole)
            #expect(whole.tables.reduce(0) { $0 + $1.ruleCount } > 10)
        }
    }

    @Test("escaped strings and keys, and repeated keys, read the same in place as in the strict read")
    func escapesAndRepeatedKeys() throws {
        let text = try Fixtures.text("kube-proxy-nftables/overall.json")
            .replacingOccurrences(of: #""comment": "Active ClusterIPs""#, with: #""comment": "Active \"ClusterIPs\" \u00e9\ud83d\ude00""#)
            .replacingOccurrences(of: #""chain": "filter-input""#, with: #""ch\u0061in": "filter-input""#)
            .replacingOccurrences(of: #""handle": 60,"#, with: #""handle": 1, "handle": 60,"#)
        let whole = try strict(text).get()
        #expect(try #require(inPieces(text)).get() == whole)
        let table = try #require(whole.tables.first)
        #expect(table.chains["filter-input"]?.rules.count == 2)
        #expect(table.chains["reject-chain"]?.rules.first?.handle == 60)
    }

    @Test("a table of more than 4,096 chains (its dictionary sized at once) decodes as the strict read does")
    func manyChains() throws {
        let text = SyntheticCluster.nftJSON(SynthLayout(spec: SynthSpec(nodes: 2, pods: 1_000, services: 1_500, endpoints: 2, proxy: .nftables)))
        let whole = try strict(text).get()
        let table = try #require(whole.tables.first { $0.name == "kube-proxy" })
        #expect(table.chains.count > 4_096)
        let bytes = SharedBytes(copying: Array(text.utf8))
        let skim = try #require(try JSONListSkim.skim(bytes, source: "n1/nft.json", listMember: "nftables", pick: .members([])))
        #expect(NftJSONParser.chainDeclarations(bytes.buffer, skim) == table.chains.count)
        #expect(try #require(inPieces(text)).get() == whole)
    }

    @Test("names repeated from rule to rule are shared, whatever their length, and read as their bytes")
    func sharedNames() {
        let strings = NftStrings()
        let names = ["a", "fifteen-bytes-x", "sixteen-bytes-xy", "mark-for-masquerade", "endpoint-4VNLSZTQ-team-00/svc-00000/tcp/http__10.64.0.2/8080"]
            + (0..<200).map { "endpoint-\($0)-team-00/svc-\($0 % 7)/tcp/http" }
        for _ in 0..<2 {
            for name in names {
                var copy = name
                let read = copy.withUTF8 { strings.string($0) }
                #expect(read == name)
            }
        }
    }

    @Test("a rule whose names and keys are escaped, or whose chain repeats across pieces, reads as the strict read does")
    func escapedNames() throws {
        let text = synthetic
            .replacingOccurrences(of: #""target": "mark-for-masquerade""#, with: #""target": "mark-for-m\u0061squerade""#)
            .replacingOccurrences(of: #"{"match": {"op": "==", "left""#, with: #"{"match": {"\u006fp": "==", "op": "==", "left""#)
            .replacingOccurrences(of: #""protocol": "ip", "field": "saddr""#, with: #""field": "daddr", "protocol": "ip", "f\u0069eld": "saddr""#)
        #expect(text != synthetic)
        let whole = try strict(text).get()
        #expect(try #require(inPieces(text)).get() == whole)
        #expect(whole == (try strict(synthetic).get()))
    }

    @Test("a malformed item, a syntax error or another root member leaves the pieces to the strict read")
    func malformedFallsBack() throws {
        let middle = synthetic.range(of: "{\"rule\": {\"family\": \"ip\"", options: .backwards)!
        let badFamily = synthetic.replacingCharacters(in: middle, with: "{\"rule\": {\"family\": \"ipx\"")
        let badSyntax = synthetic.replacingCharacters(in: middle, with: "{\"rule\": {\"family\" \"ip\"")
        let otherMember = synthetic.replacingOccurrences(of: "{\"nftables\": [", with: "{\"x\": tru, \"nftables\": [")
        let undeclared = synthetic.replacingOccurrences(
            of: "]}\n", with: ", {\"element\": {\"family\": \"ip\", \"table\": \"kube-proxy\", \"name\": \"nope\", \"elem\": [\"10.0.0.1\"]}}]}\n")
        let badTarget = synthetic.replacingCharacters(in: middle, with: "{\"rule\": {\"family\": 4")
        let missingComma = synthetic.replacingOccurrences(of: "}}, {\"rule\"", with: "}} {\"rule\"")
        let trailing = synthetic.replacingOccurrences(of: "]}\n", with: "]} x\n")
        let doubleComma = synthetic.replacingOccurrences(of: "}}, {\"chain\"", with: "}},, {\"chain\"")
        for text in [badFamily, badSyntax, otherMember, badTarget, missingComma, trailing, doubleComma] {
            #expect(text != synthetic)
            #expect(inPieces(text) == nil)
            let error = try #require(strict(text).failureValue)
            // parse() takes the pieces path for large files: its error is the strict one.
            let viaParse = Result { () throws(InputError) in try NftJSONParser.parse(Array(text.utf8), source: "n1/nft.json") }
            #expect(viaParse.failureValue == error)
        }
        // Gathering tables fails alike on both paths.
        let gathered = try #require(inPieces(undeclared))
        #expect(gathered.failureValue == strict(undeclared).failureValue)
        #expect(gathered.failureValue != nil)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
