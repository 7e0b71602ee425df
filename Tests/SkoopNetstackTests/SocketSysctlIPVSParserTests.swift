import Testing
import SkoopModel
import SkoopNetstack
import SkoopTestSupport

@Suite struct SocketTableParserTests {
    @Test func lab_podListenersAreParsedFromRealSSOutput() throws {
        let path = "lab-basic/nodes/node2/netns/pod-web-1/sockets.txt"
        let sockets = try SocketTableParser.parse(Fixtures.text(path), source: path)
        #expect(sockets.count == 2)
        let tcp = try #require(sockets.first { $0.proto == .tcp })
        #expect(tcp.state == "LISTEN")
        #expect(tcp.localPort == 8080)
        #expect(tcp.localAddress == nil && tcp.wildcardFamily == .inet)
        #expect(tcp.accepts(IPAddress("10.244.2.2")!, port: 8080, device: "eth0"))
        #expect(!tcp.accepts(IPAddress("10.244.2.2")!, port: 80, device: "eth0"))
        #expect(!tcp.accepts(IPAddress("fd00:10:244:2::2")!, port: 8080, device: "eth0"))
        let udp = try #require(sockets.first { $0.proto == .udp })
        #expect(udp.isListening && udp.localPort == 5353)
        #expect(udp.process?.contains("\"nc\"") == true)
    }

    @Test func boundAddressesDevicesAndIPv6AreDistinguished() throws {
        let text = """
        tcp LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:*
        tcp LISTEN 0 4096 [::]:22 [::]:*
        udp UNCONN 0 0 0.0.0.0%ens4:67 0.0.0.0:*
        tcp ESTAB 0 0 10.0.0.1:40000 10.0.0.2:443 users:(("curl",pid=1,fd=3))
        tcp LISTEN 0 128 *:9090 *:*
        """
        let sockets = try SocketTableParser.parse(text, source: "s.txt")
        #expect(sockets[0].accepts(IPAddress("127.0.0.1")!, port: 8080, device: "lo"))
        #expect(!sockets[0].accepts(IPAddress("10.0.0.1")!, port: 8080, device: "eth0"))
        #expect(sockets[1].accepts(IPAddress("10.0.0.1")!, port: 22, device: "eth0"), "dual-stack wildcard")
        #expect(sockets[2].boundDevice == "ens4")
        #expect(!sockets[2].accepts(IPAddress("10.0.0.1")!, port: 67, device: "eth0"))
        #expect(!sockets[3].isListening)
        #expect(sockets[3].peerAddress == IPAddress("10.0.0.2") && sockets[3].peerPort == 443)
        #expect(sockets[4].accepts(IPAddress("fd00::1")!, port: 9090, device: nil))
    }

    @Test(arguments: [
        ("tcp LISTEN 0 1 0.0.0.0:8080\n", 1),
        ("tcp LISTEN 0 1 0.0.0.0:8080 0.0.0.0:*\nraw UNCONN 0 0 *:1 *:*\n", 2),
        ("tcp LISTEN 0 1 0.0.0.0:99999 0.0.0.0:*", 1),
        ("tcp LISTEN 0 1 \u{0}\u{1}:1 x", 1),
    ])
    func malformedLinesNameTheirLine(_ text: String, _ line: Int) {
        #expect(throws: InputError.self) { try SocketTableParser.parse(text, source: "sockets.txt") }
        do {
            _ = try SocketTableParser.parse(text, source: "sockets.txt")
        } catch {
            #expect(error.source == "sockets.txt")
            #expect(error.line == line)
        }
    }
}

@Suite struct SysctlParserTests {
    @Test func lab_nodeSysctlsMatchWhatTheLabSet() throws {
        let path = "lab-basic/nodes/node1/netns/host/sysctl.txt"
        let sysctls = try SysctlParser.parse(Fixtures.text(path), source: path)
        #expect(sysctls.forwardingEnabled(family: .inet) == true)
        #expect(sysctls.forwardingEnabled(family: .inet6) == true)
        #expect(sysctls.bridgeCallsIPTables == true)
        #expect(sysctls.reversePathFilter(on: "ens4") != nil)
        #expect(sysctls.integer("net.ipv6.conf.ens4.accept_dad") == 0)
    }

    @Test func reversePathFilterTakesTheStricterOfAllAndInterface() throws {
        let sysctls = try SysctlParser.parse("""
            net.ipv4.conf.all.rp_filter = 0
            net.ipv4.conf.eth0.rp_filter = 2
            net.ipv4.conf.eth0/100.rp_filter = 1
            net.ipv4.ip_forward = 0
            """, source: "sysctl.txt")
        #expect(sysctls.reversePathFilter(on: "eth0") == 2)
        #expect(sysctls.reversePathFilter(on: "eth0.100") == 1)
        #expect(sysctls.reversePathFilter(on: "ens9") == 0)
        #expect(sysctls.forwardingEnabled(family: .inet) == false)
        #expect(sysctls.forwardingEnabled(family: .inet6) == nil)
    }

    @Test func lineWithoutEqualsIsAnError() {
        do {
            _ = try SysctlParser.parse("net.a = 1\nnet.b 2\n", source: "sysctl.txt")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "sysctl.txt:2: expected KEY = VALUE, found \"net.b 2\"")
        }
    }
}

@Suite struct IPVSParserTests {
    @Test func constructedInput_ipvsServicesAndWeightedRealServers() throws {
        // Constructed: this kernel has no IPVS, so the input is hand-made in ipvsadm -Sn format.
        let path = "constructed-ipvs/ipvs.txt"
        let table = try IPVSParser.parse(Fixtures.text(path), source: path)
        #expect(table.services.count == 6)
        let web = Packet(src: IPAddress("10.244.1.3")!, sport: 40000, dst: IPAddress("10.96.0.10")!, dport: 80, proto: .tcp)
        let service = try #require(table.service(for: web))
        #expect(service.scheduler == "rr")
        #expect(service.realServers.map(\.address) == [IPAddress("10.244.1.2")!, IPAddress("10.244.2.2")!])
        #expect(service.realServers.allSatisfy { $0.forwarding == .masquerade && $0.port == 8080 })
        var dns = web
        dns.dst = IPAddress("10.96.0.53")!
        dns.dport = 53
        dns.proto = .udp
        let shares = try #require(table.service(for: dns)).schedulableServers.map(\.share)
        #expect(shares == [0.75, 0.25])
        var persistent = web
        persistent.dst = IPAddress("10.96.0.30")!
        persistent.dport = 443
        #expect(table.service(for: persistent)?.persistence == 10800)
        var empty = web
        empty.dst = IPAddress("10.96.0.20")!
        #expect(table.service(for: empty)?.realServers.isEmpty == true)
        var marked = web
        marked.mark = 100
        #expect(table.service(for: marked)?.key == .firewallMark(100))
    }

    @Test func realServerBeforeItsServiceIsAnError() {
        do {
            _ = try IPVSParser.parse("-a -t 10.0.0.1:80 -r 10.1.1.1:80 -m -w 1\n", source: "ipvs.txt")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 1)
            #expect(error.expected.contains("after its virtual service"))
        }
    }

    @Test(arguments: ["-A -t 10.0.0.1 -s rr", "-X -t 10.0.0.1:80", "-A -t 10.0.0.1:80x -s rr", "-A"])
    func malformedLinesAreErrors(_ line: String) {
        #expect(throws: InputError.self) { try IPVSParser.parse(line, source: "ipvs.txt") }
    }
}
