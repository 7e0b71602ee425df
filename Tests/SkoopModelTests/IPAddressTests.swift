import Testing
import SkoopModel

@Suite struct IPAddressTests {
    @Test(arguments: ["10.244.1.2", "0.0.0.0", "255.255.255.255", "192.168.56.11"])
    func ipv4RoundTrips(_ text: String) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.description == text)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 ", "1.2.3.4/24"])
    func ipv4RejectsMalformedText(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: [
        ("fd00::1", "fd00::1"), ("::", "::"), ("::1", "::1"), ("FE80::A:B", "fe80::a:b"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("::ffff:10.0.0.1", "::ffff:a00:1"), ("fd00:10:244:1::2", "fd00:10:244:1::2"),
    ])
    func ipv6ParsesAndPrintsCanonically(_ input: String, _ canonical: String) throws {
        let address = try #require(IPv6Address(input))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
    }

    @Test(arguments: ["", ":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1:2:3:4:5:6:7", "fe80::1%eth0", "1:"])
    func ipv6RejectsMalformedText(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func prefixContainment() throws {
        let pods = try #require(IPPrefix("10.244.0.0/16"))
        #expect(pods.contains(IPAddress("10.244.1.2")!))
        #expect(!pods.contains(IPAddress("10.245.0.1")!))
        #expect(!pods.contains(IPAddress("fd00::1")!))
        #expect(pods.contains(IPPrefix("10.244.1.0/24")!))
        #expect(!IPPrefix("10.244.1.0/24")!.contains(pods))
        let hostBits = try #require(IPPrefix("10.244.1.7/24"))
        #expect(hostBits.network == IPAddress("10.244.1.0"))
        #expect(IPPrefix("default")!.contains(IPAddress("8.8.8.8")!))
        #expect(IPPrefix("default", defaultFamily: .inet6)!.contains(IPAddress("2001:db8::1")!))
        let v6 = try #require(IPPrefix("fd00:10:244:1::/64"))
        #expect(v6.contains(IPAddress("fd00:10:244:1::2")!))
        #expect(!v6.contains(IPAddress("fd00:10:244:2::2")!))
        #expect(IPPrefix("10.0.0.1")!.isHost)
        #expect(IPPrefix("10.0.0.0/33") == nil)
        #expect(IPPrefix("10.0.0.0/") == nil)
    }

    @Test func terminalSafeNeutralizesEscapes() {
        #expect(TerminalSafe.strip("web\u{1B}]52;c;AAAA\u{07}") == "web^[]52;c;AAAA^G")
        #expect(TerminalSafe.strip("plain-name") == "plain-name")
        #expect(TerminalSafe.strip("a\u{9B}b") == "a?b")
    }

    @Test func inputErrorNamesPlaceAndExpectation() {
        let error = InputError(source: "nodes/n1/netns/host/iptables.txt", line: 7, expected: "a rule or chain", found: "garbage\u{1B}[2J")
        #expect(error.description == "nodes/n1/netns/host/iptables.txt:7: expected a rule or chain, found \"garbage^[[2J\"")
    }
}
