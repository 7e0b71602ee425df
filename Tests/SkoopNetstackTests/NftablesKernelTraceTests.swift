import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

/// Real TCP connections through the proxier_test.go rule set in a netns, traced with
/// `nft monitor trace` (Tests/Lab/capture-nft-fixtures.sh): how each ended and the verdict of
/// every rule the first packet matched must be what Skoop simulates, rule by rule.
@Suite("nftables: Skoop's traces agree with nft monitor trace of real packets")
struct NftablesKernelTraceTests {
    @Test("first packet: same outcome, same matched rules and policies, in order", arguments: [
        ("clusterip", "10.180.0.2", "172.30.0.41", UInt16(80)),
        ("clusterip-wrong-port", "10.180.0.2", "172.30.0.41", 443),
        ("no-endpoints", "10.180.0.2", "172.30.0.46", 80),
        ("unallocated-clusterip", "10.180.0.2", "172.30.0.50", 80),
        ("hairpin", "10.180.0.1", "172.30.0.41", 80),
        ("external-nodeport", "203.0.113.2", "192.168.0.2", 3003),
    ])
    func agrees(flow: String, source: String, destination: String, port: UInt16) throws {
        let capture = try Fixtures.text("kube-proxy-nftables/ground-truth/\(flow).txt")
        let result = try #require(capture.split(separator: "\n").first).replacingOccurrences(of: "result: ", with: "")
        // The first packet's lines: up to the next packet entering PREROUTING.
        var firstPacket: [String] = []
        var entries = 0
        for line in capture.split(separator: "\n").dropFirst() {
            if line.contains("filter-prerouting-pre-dnat packet:") {
                entries += 1
                if entries > 1 { break }
            }
            firstPacket.append(String(line))
        }
        let outcomes = try NftablesKubeProxyTests.flow(source, destination, port)
        #expect(outcomes.count == 1)
        let outcome = try #require(outcomes.first)
        let expected = switch result {
        case "connected": "accept"
        case "refused": "reject"
        default: "drop"
        }
        let simulated = switch outcome.verdict {
        case .accept: "accept"
        case .reject: "reject"
        case .drop: "drop"
        }
        #expect(simulated == expected)
        let real = NftTraceText.monitorLines(firstPacket.joined(separator: "\n"))
        #expect(real.count >= 4)
        #expect(NftTraceText.render(outcome.trace) == real)
    }
}
