import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

/// Every file kind of a snapshot, damaged every generic way: the reader gives a clear error
/// naming the file, or reads what it can — never a crash or a hang.
@Suite struct MalformedFileKindTests {
    static let jsonFiles = [
        "snapshot.json", "k8s/nodes.json", "k8s/pods.json", "k8s/services.json", "k8s/endpointslices.json",
        "k8s/networkpolicies.json", "k8s/configmaps.json",
        "nodes/node1/netns/host/ip-link.json", "nodes/node1/netns/host/ip-addr.json",
        "nodes/node1/netns/host/ip-route.json", "nodes/node1/netns/host/ip-route6.json",
        "nodes/node1/netns/host/ip-rule.json", "nodes/node1/netns/host/ip-rule6.json",
        "nodes/node1/netns/host/ip-neigh.json", "nodes/node1/netns/host/bridge-fdb.json",
    ]
    static let textFiles = [
        "nodes/node1/netns/host/iptables.txt", "nodes/node2/netns/host/iptables.txt",
        "nodes/node1/netns/host/ip6tables.txt", "nodes/node1/netns/host/ipset.txt",
        "nodes/node1/netns/host/sockets.txt", "nodes/node1/netns/host/sysctl.txt",
        "nodes/node1/netns/host/ipvs.txt", "nodes/node1/netns/host/iptables-backend.txt",
    ]
    static let allFiles = jsonFiles + textFiles

    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case empty, truncatedMidLine, binaryGarbage, invalidUTF8, tenMegabyteLine, nulBytes, crlf
        var testDescription: String { rawValue }
    }

    /// The damaged content of `file` (its original is `original`).
    static func damaged(_ original: Data, _ damage: Damage) throws -> Data {
        switch damage {
        case .empty: return Data()
        case .truncatedMidLine:
            // Cut inside a line: halfway, then forward past the next newline's predecessor.
            var cut = original.count / 2
            while cut > 1, original[cut - 1] == UInt8(ascii: "\n") { cut -= 1 }
            return original.prefix(cut)
        case .binaryGarbage: return try MalformedCorpus.data("binary-garbage.bin")
        case .invalidUTF8: return original.prefix(original.count / 2) + (try MalformedCorpus.data("invalid-utf8.txt"))
        case .tenMegabyteLine: return Data(repeating: UInt8(ascii: "x"), count: 10 << 20)
        case .nulBytes: return Data(original.map { $0 == UInt8(ascii: " ") ? 0 : $0 })
        case .crlf: return Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
        }
    }

    @Test(arguments: allFiles, Damage.allCases)
    func damagedFileIsAClearErrorOrReadAround(_ file: String, _ damage: Damage) throws {
        let snapshot = try ScratchSnapshot()
        let original = try Self.original(file, in: snapshot)
        try snapshot.write(file, try Self.damaged(original, damage))
        let outcome = snapshot.read()
        expectCleanOutcome(outcome, file: file)
        let isJSON = Self.jsonFiles.contains(file)
        let mustFail = switch damage {
        case .empty, .truncatedMidLine: isJSON
        case .binaryGarbage, .invalidUTF8: true
        case .tenMegabyteLine: file != Self.backend
        case .nulBytes, .crlf: false
        }
        switch damage {
        case _ where mustFail:
            let error = try #require(outcome.failure, "\(damage) \(file) must be an error")
            let notUTF8 = !isJSON && (damage == .binaryGarbage || damage == .invalidUTF8)
            if notUTF8 {
                #expect(error.expected == "UTF-8 text")
            } else {
                #expect(error.line != nil, "\(error)")
            }
        case .crlf:
            // Windows line endings read exactly like the original.
            let damagedSummary = try outcome.get()
            let originalSnapshot = try ScratchSnapshot()
            try originalSnapshot.write(file, original)
            let originalSummary = try originalSnapshot.read().get()
            #expect(Self.counts(damagedSummary) == Self.counts(originalSummary))
        default:
            break
        }
    }

    static let backend = "nodes/node1/netns/host/iptables-backend.txt"

    /// The fixture's content of `file`; node1 has no IPVS, so the constructed IPVS dump stands in.
    static func original(_ file: String, in snapshot: ScratchSnapshot) throws -> Data {
        if let data = try? snapshot.data(file) { return data }
        let ipvs = try Fixtures.data("constructed-ipvs/ipvs.txt")
        try snapshot.write(file, ipvs)
        return ipvs
    }

    /// Everything the summary counts, per netns.
    static func counts(_ summary: SnapshotSummary) -> [String] {
        summary.nodes.flatMap { node in
            node.netns.map { "\(node.name)/\($0.id) if\($0.interfaces) r\($0.routes) pr\($0.rules) ipt\($0.iptablesRules) set\($0.ipsets) vs\($0.ipvsServices) ss\($0.listeningSockets) \($0.iptablesBackend ?? "-") \($0.addresses)" }
        }
    }
}
