import Testing
@testable import SkoopCollector
@testable import SkoopLab

/// Ground truth helpers for traced probes: conntrack tuples and monitor failures.
@Suite struct GroundTruthTraceTests {
    /// `conntrack -L` on both nodes of a flannel-vxlan lab after ext -> NodePort 30080, masqueraded by node1.
    static let conntrack = """
        tcp      6 119 TIME_WAIT src=172.30.0.10 dst=192.168.56.11 sport=23457 dport=30080 src=10.244.2.2 dst=10.244.1.0 sport=8080 dport=12632 [ASSURED] mark=0 use=1
        udp      17 29 src=192.168.56.12 dst=192.168.56.11 sport=59567 dport=8472 [UNREPLIED] src=192.168.56.11 dst=192.168.56.12 sport=8472 dport=59567 mark=0 use=1
        tcp      6 119 TIME_WAIT src=10.244.1.0 dst=10.244.2.2 sport=12632 dport=8080 src=10.244.2.2 dst=10.244.1.0 sport=8080 dport=12632 [ASSURED] mark=0 use=1
        tcp      6 119 TIME_WAIT src=10.244.1.3 dst=10.96.0.10 sport=40000 dport=80 src=10.244.2.2 dst=10.244.1.3 sport=8080 dport=40000 [ASSURED] mark=0 use=1
        """

    @Test("conntrack lines give (original, reply) tuples")
    func entries() {
        let entries = GroundTruth.conntrackEntries(Self.conntrack)
        #expect(entries.count == 4)
        #expect(entries[0].0 == LabTuple(src: "172.30.0.10", dst: "192.168.56.11", sport: 23457, dport: 30080))
        #expect(entries[0].1 == LabTuple(src: "10.244.2.2", dst: "10.244.1.0", sport: 8080, dport: 12632))
        #expect(entries[1].1.sport == 8472)
    }

    @Test("the connection's tuples follow DNAT and masquerade from node to node, and nothing else")
    func chain() {
        let tuples = GroundTruth.chain(GroundTruth.conntrackEntries(Self.conntrack), sourcePort: 23457,
                                       destination: "192.168.56.11", port: 30080)
        #expect(tuples.map(\.description) == [
            "172.30.0.10:23457 > 192.168.56.11:30080",  // as sent
            "172.30.0.10:23457 > 10.244.2.2:8080",      // after node1's DNAT (FORWARD)
            "10.244.1.0:12632 > 10.244.2.2:8080",       // after node1's masquerade, as node2 sees it
        ])
        #expect(GroundTruth.chain(GroundTruth.conntrackEntries(Self.conntrack), sourcePort: 1, destination: "x", port: 2).isEmpty)
    }

    @Test("PACKET lines give each rule hit its packet; a monitor that quit early marks the trace lost")
    func packetsAndFailures() throws {
        let text = """
            PACKET: 2 991e4127 IN=flannel.1 MACSRC=e:5c:0:0:0:2 MACPROTO=0800 SRC=10.244.2.2 DST=10.244.1.3 LEN=60 TOS=0x0 TTL=63 ID=0 DF SPORT=8080 DPORT=23456 SYN ACK 
             TRACE: 2 991e4127 raw:PREROUTING:rule:0x2:CONTINUE  -4 -t raw -A PREROUTING -p tcp -j TRACE
             TRACE: 2 991e4127 nat:KUBE-POSTROUTING:rule:0x17:0xfffffffb  -4 -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
            """
        let lines = try XtablesTraceParser.parse(text, source: "t")
        let packet = try #require(lines[0].packet)
        #expect(packet.isSYNACK && !packet.isSYN && packet.inInterface == "flannel.1" && packet.ipID == "0")
        #expect(packet.tuple == LabTuple(src: "10.244.2.2", dst: "10.244.1.3", sport: 8080, dport: 23456))
        #expect(lines[1].monitorVerdict == "0xfffffffb" && lines[1].packet == packet)
        #expect(GroundTruth.traceFailure(text) == nil)
        #expect(GroundTruth.traceFailure(text + "\ncannot trace: xtables-monitor exited before it was stopped\n") != nil)
    }
}
