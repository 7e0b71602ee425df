import Testing
import SkoopModel
@testable import SkoopNetstack

@Suite("Netfilter engine: NAT rewrites, marks and branches")
struct NetfilterNATTests {
    @Test("DNAT rewrites address and port (first of a range, noted); the nat table then stops")
    func dnat() throws {
        let engine = try NF.engine("""
        *nat
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -d 10.96.0.1 -p tcp -j DNAT --to-destination 10.244.1.3-10.244.1.4:8443-8445 --random
        -A PREROUTING -j DNAT --to-destination 10.9.9.9
        COMMIT
        """)
        let outcomes = engine.traverse(hook: .prerouting, packet: NF.context("10.0.0.1", 1000, "10.96.0.1", 443))
        #expect(outcomes.count == 1)
        #expect(outcomes[0].packet == Packet(src: IPAddress("10.0.0.1")!, sport: 1000, dst: IPAddress("10.244.1.3")!, dport: 8443, proto: .tcp))
        #expect(outcomes[0].trace.count == 1)
        #expect(outcomes[0].trace[0].verdict == "DNAT")
        #expect(outcomes[0].trace[0].note?.contains("first address and port assumed") == true)
        #expect(outcomes[0].context.natStatus == [.dnat])
    }

    @Test("SNAT, MASQUERADE with the out interface's address and --to-ports, REDIRECT")
    func snatMasqueradeRedirect() throws {
        let engine = try NF.engine("""
        *nat
        :PREROUTING ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A PREROUTING -p tcp -j REDIRECT --to-ports 15001
        -A OUTPUT -p tcp -j REDIRECT --to-ports 15001
        -A POSTROUTING -o eth0 -j SNAT --to-source 192.168.1.1:2000 --random-fully
        -A POSTROUTING -p tcp -j MASQUERADE --to-ports 20000-30000
        -A POSTROUTING -j MASQUERADE
        COMMIT
        """)
        let snat = engine.traverse(hook: .postrouting, packet: NF.context("10.0.0.1", 1000, "8.8.8.8", 53, out: "eth0"))
        #expect(snat[0].packet.src == IPAddress("192.168.1.1"))
        #expect(snat[0].packet.sport == 2000)
        #expect(snat[0].trace[0].note?.contains("--random-fully") == true)

        var masq = NF.context("10.0.0.1", 1000, "8.8.8.8", 53, out: "eth1")
        masq.interfaceAddress = { $0 == "eth1" ? IPAddress("172.16.0.1") : nil }
        let masqueraded = engine.traverse(hook: .postrouting, packet: masq)
        #expect(masqueraded[0].packet.src == IPAddress("172.16.0.1"))
        #expect(masqueraded[0].packet.sport == 20000)
        #expect(masqueraded[0].trace.map(\.verdict) == ["NOMATCH", "MASQUERADE"])
        #expect(masqueraded[0].flags.isEmpty)

        let unknown = engine.traverse(hook: .postrouting, packet: NF.context("10.0.0.1", "8.8.8.8", proto: .icmp, out: "eth9"))
        #expect(unknown[0].packet.src == IPAddress("10.0.0.1"))
        #expect(unknown[0].flags == .uncertain)
        #expect(unknown[0].warnings.first?.contains("eth9") == true)

        var inbound = NF.context("10.0.0.1", 1000, "10.0.0.2", 80, in: "eth1")
        inbound.interfaceAddress = { $0 == "eth1" ? IPAddress("10.0.0.2") : nil }
        let redirected = engine.traverse(hook: .prerouting, packet: inbound)
        #expect(redirected[0].packet.dst == IPAddress("10.0.0.2"))
        #expect(redirected[0].packet.dport == 15001)
        let local = engine.traverse(hook: .output, packet: NF.context("10.0.0.1", 1000, "10.0.0.2", 80))
        #expect(local[0].packet.dst == IPAddress("127.0.0.1"))
        #expect(local[0].trace[0].verdict == "REDIRECT")
    }

    @Test("nat tables see only the first packet of a tracked connection")
    func natOnlyFirstPacket() throws {
        let engine = try NF.engine("""
        *raw
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -p udp -j CT --notrack
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -j DNAT --to-destination 10.9.9.9
        COMMIT
        """)
        let first = engine.traverse(hook: .prerouting, packet: NF.context("1.1.1.1", 1, "2.2.2.2", 2))
        #expect(first[0].packet.dst == IPAddress("10.9.9.9"))
        var later = NF.context("1.1.1.1", 1, "2.2.2.2", 2)
        later.isFirstPacket = false
        #expect(engine.traverse(hook: .prerouting, packet: later)[0].packet.dst == IPAddress("2.2.2.2"))
        var reply = NF.context("1.1.1.1", 1, "2.2.2.2", 2)
        reply.direction = .reply
        let replied = engine.traverse(hook: .prerouting, packet: reply)
        #expect(replied[0].packet.dst == IPAddress("2.2.2.2"))
        #expect(replied[0].trace.last?.verdict == "SKIP")
        let untracked = engine.traverse(hook: .prerouting, packet: NF.context("1.1.1.1", 1, "2.2.2.2", 2, proto: .udp))
        #expect(untracked[0].packet.dst == IPAddress("2.2.2.2"))
        #expect(untracked[0].context.untracked)
        #expect(untracked[0].trace.first?.verdict == "NOTRACK")
    }

    @Test("MARK and CONNMARK arithmetic: mark = (mark & ~mask) ^ value, read by later rules")
    func marks() throws {
        let engine = try NF.engine("""
        *mangle
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -j MARK --set-xmark 0x10/0xffffffff
        -A PREROUTING -j MARK --or-mark 0x4000
        -A PREROUTING -j MARK --xor-mark 0x1
        -A PREROUTING -j MARK --and-mark 0xff00
        -A PREROUTING -j MARK --set-mark 0x20/0xf0
        -A PREROUTING -j CONNMARK --save-mark --nfmask 0xffff --ctmask 0xff
        -A PREROUTING -j CONNMARK --set-xmark 0x100/0x100
        -A PREROUTING -j MARK --set-xmark 0x0/0xffffffff
        -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xf00 --ctmask 0xf00
        -A PREROUTING -m mark --mark 0x100 -j DROP
        COMMIT
        """)
        let outcomes = engine.traverse(hook: .prerouting, packet: NF.context("1.1.1.1", "2.2.2.2", mark: 0xffff_0000))
        // 0xffff0000 -> 0x10 -> 0x4010 -> 0x4011 -> 0x4000 -> 0x4020; ct: (0 & ~0xff) ^ (0x4020 & 0xffff) = 0x4020
        // ct -> 0x4120; mark -> 0 -> (0 & ~0xf00) ^ (0x4120 & 0xf00) = 0x100 -> DROP.
        #expect(outcomes.map(\.verdict) == [.drop])
        #expect(outcomes[0].packet.mark == 0x100)
        #expect(outcomes[0].context.conntrackMark == 0x4120)
        #expect(outcomes[0].trace.map(\.verdict) == ["MARK", "MARK", "MARK", "MARK", "MARK", "CONNMARK", "CONNMARK", "MARK", "CONNMARK", "DROP"])
        #expect(outcomes[0].trace[1].note == "mark 0x10 -> 0x4010")
    }

    @Test("a statistic probability ladder gives one outcome per backend with its share")
    func probabilityLadder() throws {
        let engine = try NF.engine("""
        *nat
        :PREROUTING ACCEPT [0:0]
        :SVC - [0:0]
        -A PREROUTING -d 10.96.0.1 -j SVC
        -A SVC -m statistic --mode random --probability 0.33333333349 -j DNAT --to-destination 10.244.0.1
        -A SVC -m statistic --mode random --probability 0.50000000000 -j DNAT --to-destination 10.244.0.2
        -A SVC -j DNAT --to-destination 10.244.0.3
        COMMIT
        """)
        let outcomes = engine.traverse(hook: .prerouting, packet: NF.context("10.0.0.1", 1, "10.96.0.1", 80))
        #expect(outcomes.map { $0.packet.dst.description } == ["10.244.0.1", "10.244.0.2", "10.244.0.3"])
        for outcome in outcomes { #expect(abs(outcome.probability - 1.0 / 3) < 1e-6) }
        #expect(abs(outcomes.map(\.probability).reduce(0, +) - 1) < 1e-9)
        #expect(outcomes.allSatisfy { $0.flags.isEmpty })
        #expect(outcomes[2].trace.filter { !$0.matched }.count == 2)
    }

    @Test("nth ladders branch like probabilities; recent hits are affinity branches")
    func nthAndRecent() throws {
        let engine = try NF.engine("""
        *nat
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -m recent --rcheck --seconds 10800 --reap --name SEP1 --mask 255.255.255.255 --rsource -j DNAT --to-destination 10.244.0.1
        -A PREROUTING -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination 10.244.0.1
        -A PREROUTING -j DNAT --to-destination 10.244.0.2
        COMMIT
        """)
        let outcomes = engine.traverse(hook: .prerouting, packet: NF.context("10.0.0.1", 1, "10.96.0.1", 80))
        #expect(outcomes.count == 3)
        #expect(outcomes[0].flags == .affinity)
        #expect(outcomes[0].packet.dst == IPAddress("10.244.0.1"))
        #expect(outcomes[0].probability == 1)
        #expect(outcomes[1].flags.isEmpty && outcomes[1].probability == 0.5 && outcomes[1].packet.dst == IPAddress("10.244.0.1"))
        #expect(outcomes[2].flags.isEmpty && outcomes[2].probability == 0.5 && outcomes[2].packet.dst == IPAddress("10.244.0.2"))
    }
}

@Suite("NAT target ranges")
struct NetfilterNATRangeTests {
    @Test("--to-destination spellings", arguments: [
        ("10.0.0.1", "10.0.0.1", "10.0.0.1", nil as PortRange?),
        ("10.0.0.1:8080", "10.0.0.1", "10.0.0.1", PortRange(8080)),
        ("10.0.0.1-10.0.0.4:80-90", "10.0.0.1", "10.0.0.4", PortRange(80, 90)),
        ("[fd00::1]:80", "fd00::1", "fd00::1", PortRange(80)),
        ("fd00::1", "fd00::1", "fd00::1", nil),
    ])
    func parses(text: String, low: String, high: String, ports: PortRange?) throws {
        let range = try #require(NATRange(text))
        #expect(range.low == IPAddress(low))
        #expect(range.high == IPAddress(high))
        #expect(range.ports == ports)
    }

    @Test("ports only, and rejects", arguments: ["", "10.0.0.1:", "10.0.0.1:x", "[fd00::1", "nonsense"])
    func rejects(text: String) {
        #expect(NATRange(text) == nil)
        #expect(NATRange(":8080")?.ports == PortRange(8080))
        #expect(NATRange(":8080")?.low == nil)
    }

    @Test("ip6tables DNAT rewrites an IPv6 destination")
    func ipv6() throws {
        let engine = try NF.engine("""
        # Generated by ip6tables-save v1.8.9 on Thu Nov 26 22:36:28 2026
        *nat
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -d fd00:96::a/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00:10:244:1::2]:8080
        COMMIT
        """)
        #expect(engine.ruleset.family == .inet6)
        let outcomes = engine.traverse(hook: .prerouting, packet: NF.context("fd00:10:244:2::3", 4000, "fd00:96::a", 80))
        #expect(outcomes.map(\.packet.dst) == [IPAddress("fd00:10:244:1::2")!])
        #expect(outcomes.map(\.packet.dport) == [8080])
    }
}
