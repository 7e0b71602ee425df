import Testing
import SkoopModel
@testable import SkoopNetstack

/// One rule `-A INPUT <options> -j DROP` against one packet: does it drop?
struct MatchCase: CustomTestStringConvertible, Sendable {
    let options: String
    let context: PacketContext
    let drops: Bool
    var testDescription: String { "\(options) on \(context.packet) -> \(drops ? "match" : "no match")" }
}

private func tcp(_ src: String = "10.0.0.1", _ sport: UInt16 = 40000, _ dst: String = "10.96.0.10", _ dport: UInt16 = 80,
                 mark: UInt32 = 0, in inInterface: String? = "eth0", out: String? = nil,
                 _ change: (inout PacketContext) -> Void = { _ in }) -> PacketContext {
    var context = NF.context(src, sport, dst, dport, proto: .tcp, mark: mark, in: inInterface, out: out)
    change(&context)
    return context
}

private let cases: [MatchCase] = [
    MatchCase(options: "-s 10.0.0.0/8", context: tcp(), drops: true),
    MatchCase(options: "! -s 10.0.0.0/8", context: tcp(), drops: false),
    MatchCase(options: "-d 10.96.0.10/32", context: tcp(), drops: true),
    MatchCase(options: "-d 10.96.0.11/32", context: tcp(), drops: false),
    MatchCase(options: "-i eth+", context: tcp(), drops: true),
    MatchCase(options: "-i eth1", context: tcp(), drops: false),
    MatchCase(options: "! -i lo", context: tcp(), drops: true),
    MatchCase(options: "-o cni0", context: tcp(out: "cni0"), drops: true),
    MatchCase(options: "-o cni0", context: tcp(), drops: false),
    MatchCase(options: "-p tcp", context: tcp(), drops: true),
    MatchCase(options: "-p udp", context: tcp(), drops: false),
    MatchCase(options: "! -p udp", context: tcp(), drops: true),
    MatchCase(options: "-p all", context: tcp(), drops: true),
    MatchCase(options: "-p tcp -m tcp --dport 80", context: tcp(), drops: true),
    MatchCase(options: "-p tcp -m tcp ! --dport 80", context: tcp(), drops: false),
    MatchCase(options: "-p tcp -m tcp --sport 30000:50000", context: tcp(), drops: true),
    MatchCase(options: "-p tcp -m tcp --dport 81:90", context: tcp(), drops: false),
    MatchCase(options: "-p tcp -m tcp --syn", context: tcp(), drops: true),
    MatchCase(options: "-p tcp -m tcp --syn", context: tcp { $0.isFirstPacket = false }, drops: false),
    MatchCase(options: "-p tcp -m tcp --tcp-flags SYN,ACK ACK", context: tcp { $0.tcpFlags = [.ack, .psh] }, drops: true),
    MatchCase(options: "-p tcp -m multiport --dports 22,80:90", context: tcp(), drops: true),
    MatchCase(options: "-p tcp -m multiport --sports 22,80:90", context: tcp(), drops: false),
    MatchCase(options: "-p tcp -m multiport --ports 40000", context: tcp(), drops: true),
    MatchCase(options: "-p icmp -m icmp --icmp-type 8", context: NF.context("1.1.1.1", "2.2.2.2", proto: .icmp), drops: true),
    MatchCase(options: "-p icmp -m icmp --icmp-type echo-reply", context: NF.context("1.1.1.1", "2.2.2.2", proto: .icmp), drops: false),
    MatchCase(options: "-p icmp -m icmp --icmp-type 3/3",
              context: { var c = NF.context("1.1.1.1", "2.2.2.2", proto: .icmp); c.icmpType = 3; c.icmpCode = 3; return c }(), drops: true),
    MatchCase(options: "-m mark --mark 0x4000/0x4000", context: tcp(mark: 0x4001), drops: true),
    MatchCase(options: "-m mark ! --mark 0x4000/0x4000", context: tcp(mark: 0x4001), drops: false),
    MatchCase(options: "-m mark --mark 0x1", context: tcp(mark: 0x11), drops: false),
    MatchCase(options: "-m connmark --mark 0x2/0xf", context: tcp { $0.conntrackMark = 0x12 }, drops: true),
    MatchCase(options: "-m comment --comment \"anything at all\"", context: tcp(), drops: true),
    MatchCase(options: "-m conntrack --ctstate NEW", context: tcp(), drops: true),
    MatchCase(options: "-m conntrack --ctstate RELATED,ESTABLISHED", context: tcp(), drops: false),
    MatchCase(options: "-m conntrack --ctstate RELATED,ESTABLISHED", context: tcp { $0.direction = .reply; $0.isFirstPacket = false }, drops: true),
    MatchCase(options: "-m conntrack --ctstate ESTABLISHED", context: tcp { $0.isFirstPacket = false }, drops: true),
    MatchCase(options: "-m conntrack --ctstate INVALID", context: tcp(), drops: false),
    // ICMP over IPv6 is protocol 58 with echo types 128/129.
    MatchCase(options: "-p ipv6-icmp", context: NF.context("fd00::1", "fd00::2", proto: .icmp), drops: true),
    MatchCase(options: "-p icmp", context: NF.context("fd00::1", "fd00::2", proto: .icmp), drops: false),
    MatchCase(options: "-p ipv6-icmp -m icmp6 --icmpv6-type echo-request", context: NF.context("fd00::1", "fd00::2", proto: .icmp), drops: true),
    MatchCase(options: "-p ipv6-icmp -m icmp6 --icmpv6-type echo-reply",
              context: { var c = NF.context("fd00::1", "fd00::2", proto: .icmp); c.direction = .reply; c.isFirstPacket = false; return c }(), drops: true),
    // An ICMP error about the connection is RELATED, in either direction; an echo is not.
    MatchCase(options: "-m conntrack --ctstate RELATED",
              context: { var c = NF.context("1.1.1.1", "2.2.2.2", proto: .icmp); c.icmpType = 3; c.direction = .reply; c.isFirstPacket = false; return c }(), drops: true),
    MatchCase(options: "-m conntrack --ctstate RELATED",
              context: { var c = NF.context("1.1.1.1", "2.2.2.2", proto: .icmp); c.icmpType = 8; return c }(), drops: false),
    MatchCase(options: "-m conntrack --ctstate INVALID",
              context: { var c = NF.context("1.1.1.1", "2.2.2.2", proto: .tcp); c.direction = .reply; c.isFirstPacket = false; c.replyWithoutRequest = true; return c }(), drops: true),
    MatchCase(options: "-m conntrack ! --ctstate INVALID", context: tcp(), drops: true),
    MatchCase(options: "-m conntrack --ctstate DNAT", context: tcp { $0.natStatus = [.dnat] }, drops: true),
    MatchCase(options: "-m conntrack --ctstate UNTRACKED", context: tcp { $0.untracked = true }, drops: true),
    MatchCase(options: "-m state --state NEW", context: tcp { $0.untracked = true }, drops: false),
    MatchCase(options: "-m iprange --src-range 10.0.0.0-10.0.0.5", context: tcp(), drops: true),
    MatchCase(options: "-m iprange ! --dst-range 10.96.0.1-10.96.0.20", context: tcp(), drops: false),
    MatchCase(options: "-m physdev --physdev-in veth+", context: tcp { $0.physdevIn = "veth12" }, drops: true),
    MatchCase(options: "-m physdev --physdev-in veth+", context: tcp(), drops: false),
    MatchCase(options: "-m physdev --physdev-is-bridged", context: tcp { $0.physdevIn = "a"; $0.physdevOut = "b" }, drops: true),
    MatchCase(options: "-m physdev ! --physdev-is-bridged", context: tcp(), drops: true),
    MatchCase(options: "-m physdev --physdev-out veth1 --physdev-is-out", context: tcp { $0.physdevOut = "veth1" }, drops: true),
    MatchCase(options: "-m rpfilter", context: tcp { $0.reversePathValid = false }, drops: false),
    MatchCase(options: "-m rpfilter --invert", context: tcp { $0.reversePathValid = false }, drops: true),
    MatchCase(options: "-m length --length 0:100", context: tcp { $0.length = 60 }, drops: true),
    MatchCase(options: "-m length ! --length 0:100", context: tcp { $0.length = 60 }, drops: false),
    MatchCase(options: "-m mac --mac-source AA:BB:CC:DD:EE:FF", context: tcp { $0.sourceMAC = "aa:bb:cc:dd:ee:ff" }, drops: true),
    MatchCase(options: "-m addrtype --dst-type LOCAL", context: tcp { $0.addressType = PacketContext.addressTypes([IPAddress("10.96.0.10")!: .local]) }, drops: true),
    MatchCase(options: "-m addrtype ! --dst-type LOCAL", context: tcp { $0.addressType = PacketContext.addressTypes([:]) }, drops: true),
    MatchCase(options: "-m addrtype --src-type UNICAST,BROADCAST", context: tcp { $0.addressType = PacketContext.addressTypes([:]) }, drops: true),
    MatchCase(options: "-m addrtype --dst-type LOCAL --limit-iface-in",
              context: tcp { $0.addressType = PacketContext.addressTypes([:], byInterface: ["eth0": [IPAddress("10.96.0.10")!: .local]]) }, drops: true),
    MatchCase(options: "-m addrtype --dst-type LOCAL --limit-iface-in",
              context: tcp(in: "eth1") { $0.addressType = PacketContext.addressTypes([:], byInterface: ["eth0": [IPAddress("10.96.0.10")!: .local], "eth1": [:]]) }, drops: false),
    MatchCase(options: "-m set --match-set SVC dst,dst", context: tcp(), drops: true),
    MatchCase(options: "-m set ! --match-set SVC dst,dst", context: tcp(), drops: false),
    MatchCase(options: "-m set --match-set SVC src,dst", context: tcp(), drops: false),
    MatchCase(options: "-m statistic --mode random --probability 1.0", context: tcp(), drops: true),
    MatchCase(options: "-m statistic --mode random --probability 0.0", context: tcp(), drops: false),
    MatchCase(options: "-m recent --set --name X --rsource", context: tcp(), drops: true),
]

@Suite("Netfilter engine: every match, with negation")
struct NetfilterMatchTests {
    @Test("one rule, one packet", arguments: cases)
    func match(_ test: MatchCase) throws {
        let engine = try NF.engine(NF.input("-A INPUT \(test.options) -j DROP"),
                                   ipsets: "create SVC hash:ip,port family inet\nadd SVC 10.96.0.10,tcp:80\n")
        let outcomes = engine.traverse(hook: .input, packet: test.context)
        try #require(outcomes.count == 1)
        #expect(outcomes[0].verdict == (test.drops ? .drop : .accept))
        #expect(outcomes[0].flags.isEmpty)
        #expect(outcomes[0].trace.first?.matched == test.drops)
    }

    @Test("matches whose input the caller did not supply explore both outcomes", arguments: [
        "-m addrtype --dst-type LOCAL", "-m rpfilter", "-m mac --mac-source 00:00:00:00:00:01",
        "-m set --match-set MISSING dst",
    ])
    func unknownInputs(options: String) throws {
        let engine = try NF.engine(NF.input("-A INPUT \(options) -j DROP"))
        let outcomes = engine.traverse(hook: .input, packet: tcp())
        #expect(Set(outcomes.map(\.verdict)) == [.drop, .accept])
        #expect(outcomes.allSatisfy { $0.flags == .uncertain && !$0.warnings.isEmpty })
    }

    @Test("the conntrack assumption is written in the trace")
    func conntrackNote() throws {
        let engine = try NF.engine(NF.input("-A INPUT -m conntrack --ctstate NEW -j ACCEPT"))
        let first = engine.traverse(hook: .input, packet: tcp())
        #expect(first[0].trace[0].note == "conntrack state NEW assumed (first packet of the connection)")
        let reply = engine.traverse(hook: .input, packet: tcp { $0.direction = .reply })
        #expect(reply[0].trace[0].matched == false)
        #expect(reply[0].trace[0].note == "conntrack state ESTABLISHED assumed (reply direction)")
    }
}
