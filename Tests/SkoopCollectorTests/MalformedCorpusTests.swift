import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

/// Every committed input under Tests/Fixtures/malformed, in place of the file kind it targets,
/// and JSON nested 100,000 levels deep in every JSON file: a clear error naming the file (and
/// line), or a snapshot read with warnings — never a crash, a stack overflow or a hang.
@Suite struct MalformedCorpusTests {
    static let host = "nodes/node1/netns/host/"
    static let ipJSON = ["ip-link.json", "ip-addr.json", "ip-route.json", "ip-rule.json", "ip-neigh.json", "bridge-fdb.json"].map { host + $0 }
    static let k8sJSON = ["k8s/pods.json", "k8s/services.json", "k8s/nodes.json", "k8s/endpointslices.json", "k8s/networkpolicies.json"]

    /// Corpus file → the snapshot files it replaces, and the line the error names (0: the line of the
    /// offending field, which varies by file kind; nil: the snapshot is read, with warnings).
    static let cases: [(corpus: String, targets: [String], failsAtLine: Int?)] = [
        ("json/object-for-array.json", ipJSON, 1), ("json/scalar.json", ipJSON + k8sJSON, 1),
        ("json/wrong-field-types.json", ipJSON, 0), ("json/number-overflow.json", ipJSON, 1),
        ("json/bad-escapes.json", ipJSON + k8sJSON, 1),
        ("k8s/items-not-array.json", k8sJSON, 1), ("k8s/wrong-field-types.json", k8sJSON, 1),
        ("k8s/wrong-kind.json", k8sJSON, 1),
        ("iptables/duplicate-chain.txt", [host + "iptables.txt"], 6),
        ("iptables/rule-in-undeclared-chain.txt", [host + "iptables.txt"], 3),
        ("iptables/unknown-table.txt", [host + "iptables.txt"], 1),
        ("iptables/unbalanced-quotes.txt", [host + "iptables.txt"], 3),
        ("ipset/duplicate-set.txt", [host + "ipset.txt"], 2), ("ipset/member-of-missing-set.txt", [host + "ipset.txt"], 1),
        ("ipset/bad-member.txt", [host + "ipset.txt"], 2),
        ("text/sockets-wrong-columns.txt", [host + "sockets.txt"], 1), ("text/sysctl-no-equals.txt", [host + "sysctl.txt"], 2),
        ("text/ipvs-bad-lines.txt", [host + "ipvs.txt"], 1),
        ("snapshot/wrong-version.json", ["snapshot.json"], 3), ("snapshot/wrong-field-types.json", ["snapshot.json"], 4),
        ("snapshot/missing-version.json", ["snapshot.json"], 1), ("snapshot/array-not-object.json", ["snapshot.json"], 1),
        ("snapshot/trailing-comma.json", ["snapshot.json"], 4),
        ("iptables/jump-missing-chain.txt", [host + "iptables.txt"], nil), ("iptables/jump-cycle.txt", [host + "iptables.txt"], nil),
    ]

    @Test(arguments: cases.indices)
    func corpusInputIsAClearErrorOrReadWithWarnings(_ index: Int) throws {
        let (corpus, targets, failsAtLine) = Self.cases[index]
        let data = try MalformedCorpus.data(corpus)
        for target in targets {
            let snapshot = try ScratchSnapshot()
            try snapshot.write(target, data)
            let outcome = snapshot.read()
            expectCleanOutcome(outcome, file: target)
            if let failsAtLine {
                let error = try #require(outcome.failure, "\(corpus) as \(target) must be an error")
                #expect(failsAtLine == 0 ? (error.line ?? 0) >= 1 : error.line == failsAtLine, "\(corpus) as \(target): \(error)")
            }
        }
    }

    @Test func aJumpToAMissingChainIsAWarningAndTheRestIsRead() throws {
        let snapshot = try ScratchSnapshot()
        try snapshot.write(Self.host + "iptables.txt", try MalformedCorpus.data("iptables/jump-missing-chain.txt"))
        let host = try #require(try snapshot.read().get().nodes.first?.netns.first)
        #expect(host.warnings.filter { $0.contains("KUBE-NOWHERE") || $0.contains("KUBE-ALSO-MISSING") }.count == 2, "\(host.warnings)")
    }

    @Test func snapshotJSONErrorsNameTheLineAndWhatWasExpected() throws {
        let expectations = [
            "snapshot/wrong-field-types.json": #"snapshot.json:4: expected "kubeProxyMode": a string or null, found "["iptables"]""#,
            "snapshot/wrong-version.json": #"snapshot.json:3: expected "version": 1, found "2""#,
            "snapshot/missing-version.json": #"snapshot.json:1: expected a "version" member (a JSON object like {"version": 1}), found "{""#,
        ]
        for (corpus, description) in expectations {
            let snapshot = try ScratchSnapshot()
            try snapshot.write("snapshot.json", try MalformedCorpus.data(corpus))
            let error = try #require(snapshot.read().failure, "\(corpus) must be an error")
            #expect(error.description == description)
        }
    }

    @Test func snapshotJSONWithUnknownMembersAndNullsIsRead() throws {
        let snapshot = try ScratchSnapshot()
        let text = #"{"version": 1.0, "cni": "calico", "mode": null, "collectedBy": {"tool": "future"}}"#
        try snapshot.write("snapshot.json", Data(text.utf8))
        let hints = try snapshot.read().get().hints
        #expect(hints == SnapshotHints(cni: "calico"))
    }

    @Test(arguments: ["[", "{\"a\":", "[{\"items\":"])
    func jsonNestedAHundredThousandLevelsIsAnError(_ opener: String) throws {
        let deep = Data(String(repeating: opener, count: 100_000).utf8)
        for target in Self.ipJSON + Self.k8sJSON + ["snapshot.json"] {
            let snapshot = try ScratchSnapshot()
            try snapshot.write(target, deep)
            let outcome = snapshot.read()
            expectCleanOutcome(outcome, file: target)
            let error = try #require(outcome.failure, "\(target) nested 100,000 deep must be an error")
            #expect(error.expected.contains("at most 200"), "\(error)")
            #expect(error.line == 1, "\(error)")
        }
    }
}
