import Foundation
import SkoopModel
import SkoopNetstack
import Testing

/// Rules this kernel or its iproute2 (6.1) cannot produce, written as `ip -j rule show` prints them
/// (dscp and flowlabel need iproute2 6.12+, port masks 6.15+, l3mdev lookups need a vrf device,
/// which this kernel lacks), and malformed rule input.
@Suite struct RouterRuleConstructedTests {
    static let routes = [
        Route(destination: net("0.0.0.0/0"), gateway: ip("10.0.0.1"), dev: "eth0"),
        Route(destination: net("0.0.0.0/0"), table: .numbered(100), gateway: ip("192.168.1.1"), dev: "eth1"),
        Route(destination: net("0.0.0.0/0"), table: .numbered(10), gateway: ip("10.2.0.1"), dev: "eth2"),
        Route(destination: net("::/0"), table: .numbered(100), gateway: ip("fe80::100"), dev: "eth1", metric: 1024),
        Route(destination: net("::/0"), gateway: ip("fe80::1"), dev: "eth0", metric: 1024),
    ]

    static func rules(_ json: String, family: AddressFamily = .inet) throws -> [PolicyRule] {
        try PolicyRule.parse(Data(json.utf8), source: "ip-rule.json", family: family) + PolicyRule.kernelDefaults(family)
    }

    static func router(_ rules: [PolicyRule], interfaces: [NetInterface]? = nil) -> Router {
        Router(interfaces: interfaces ?? [NetInterface(index: 1, name: "lo", flags: ["LOOPBACK", "UP"]),
                                          NetInterface(index: 2, name: "eth0"), NetInterface(index: 3, name: "eth1")],
               rules: rules, routes: routes)
    }

    @Test func constructedInput_l3mdevLooksUpTheTableOfTheVRF() throws {
        let links = """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"link_type":"loopback"},
         {"ifindex":2,"ifname":"eth0","flags":["UP"]},
         {"ifindex":5,"ifname":"blue","flags":["UP"],"linkinfo":{"info_kind":"vrf","info_data":{"table":10}}},
         {"ifindex":6,"ifname":"eth2","flags":["UP"],"master":"blue","linkinfo":{"info_slave_kind":"vrf"}}]
        """
        let interfaces = try NetInterface.parse(Data(links.utf8), source: "ip-link.json")
        #expect(interfaces.first { $0.name == "blue" }?.vrfTable == 10)
        let router = Self.router(try Self.rules(#"[{"priority":1000,"src":"all","l3mdev":null}]"#), interfaces: interfaces)
        let enslaved = router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("10.2.0.9"), iif: "eth2"))
        #expect(enslaved.table == .numbered(10) && enslaved.gateway == ip("10.2.0.1") && !enslaved.isUncertain)
        let plain = router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("10.0.0.9"), iif: "eth0"))
        #expect(plain.table == .main && !plain.isUncertain, "no VRF on the path: the l3mdev rule does not match")

        let noTable = interfaces.map { link in
            var copy = link
            copy.vrfTable = nil
            return copy
        }
        let unknown = Self.router(try Self.rules(#"[{"priority":1000,"src":"all","l3mdev":null}]"#), interfaces: noTable)
            .lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("10.2.0.9"), iif: "eth2"))
        #expect(unknown.isUncertain && unknown.uncertainties[0].contains("table of VRF blue was not collected"), "\(unknown) \(unknown.uncertainties) \(noTable)")
    }

    @Test func constructedInput_dscpWithAndWithoutMask() throws {
        let router = Self.router(try Self.rules("""
            [{"priority":10,"src":"all","table":"100","dscp":"AF42"},
             {"priority":11,"src":"all","table":"100","dscp":"16","dscp_mask":"0x30"}]
            """))
        #expect(router.rules4[1].dscp == 36 && router.rules4[2].dscpMask == 0x30)
        func table(_ tos: UInt8) -> RouteTable? { router.lookup(RouteQuery(destination: ip("8.8.8.8"), tos: tos)).table }
        #expect(table(0x90) == .numbered(100), "AF42 is DSCP 36, TOS byte 0x90")
        #expect(table(0x91) == .numbered(100), "ECN bits are not part of the DSCP")
        #expect(table(0x50) == .numbered(100), "DSCP 20 & 0x30 == 16")
        #expect(table(0x80) == .main)
        #expect(table(0) == .main)
        #expect(router.rules4[1].description == "10: from all lookup 100 dscp 36")
    }

    @Test func constructedInput_flowLabelIsUncertainUnlessKnown() throws {
        let router = Self.router(try Self.rules(
            #"[{"priority":10,"src":"all","table":"100","flowlabel":"0x12345","flowlabel_mask":"0xfffff"}]"#, family: .inet6))
        let unknown = router.lookup(RouteQuery(destination: ip("2001:db8::1")))
        #expect(unknown.isUncertain && unknown.gateway == ip("fe80::1"))
        #expect(router.lookup(RouteQuery(destination: ip("2001:db8::1"), flowLabel: 0x12345)).gateway == ip("fe80::100"))
        #expect(router.lookup(RouteQuery(destination: ip("2001:db8::1"), flowLabel: 0x12346)).gateway == ip("fe80::1"))
    }

    @Test func constructedInput_portUnderAMask() throws {
        let router = Self.router(try Self.rules(
            #"[{"priority":10,"src":"all","ipproto":"tcp","dport":256,"dport_mask":"0xff00","table":"100"}]"#))
        func table(_ port: UInt16) -> RouteTable? {
            router.lookup(RouteQuery(destination: ip("8.8.8.8"), ipProtocol: 6, sourcePort: 1, destinationPort: port)).table
        }
        #expect(table(0x1ff) == .numbered(100) && table(0x100) == .numbered(100))
        #expect(table(0x2ff) == .main)
        #expect(router.rules4[1].description == "10: from all ipproto tcp dport 0x100/0xff00 lookup 100")
    }

    @Test func anUnknownKeyOrActionMakesTheRuleUncertainNotSilent() throws {
        let router = Self.router(try Self.rules("""
            [{"priority":10,"src":"all","table":"100","future_selector":"x"},
             {"priority":11,"src":"all","masquerade":null}]
            """))
        let result = router.lookup(RouteQuery(destination: ip("8.8.8.8")))
        #expect(result.table == .main)
        #expect(result.uncertainties.count == 2)
        #expect(result.uncertainties[0].contains("future_selector") && result.uncertainties[0].contains("assumed not to"))
        #expect(result.uncertainties[1].contains("masquerade"))
    }

    @Test func suppressIfgroupNeedsTheDevicesGroup() throws {
        let rules = try Self.rules(#"[{"priority":10,"src":"all","table":"100","suppress_ifgroup":"5"}]"#)
        let unknown = Self.router(rules).lookup(RouteQuery(destination: ip("8.8.8.8")))
        #expect(unknown.isUncertain && unknown.table == .numbered(100))
        var eth1 = NetInterface(index: 3, name: "eth1")
        eth1.group = "5"
        let known = Self.router(rules, interfaces: [NetInterface(index: 2, name: "eth0"), eth1]).lookup(RouteQuery(destination: ip("8.8.8.8")))
        #expect(!known.isUncertain && known.table == .main, "eth1 is in group 5: table 100's answer is ignored")
    }

    /// Measured on this kernel: `suppress_prefixlength 0` does not skip a blackhole, unreachable or
    /// prohibit default route (the lookup ends with its error before the suppressor is asked).
    @Test func errorRoutesAreNeverSuppressed() throws {
        let router = Router(rules: [PolicyRule(priority: 100, suppressPrefixLength: 0, action: .lookup(.main)),
                                    PolicyRule(priority: 200, action: .lookup(.numbered(100)))],
                            routes: [Route(type: .blackhole, destination: net("0.0.0.0/0")),
                                     Route(destination: net("0.0.0.0/0"), table: .numbered(100), gateway: ip("192.168.1.1"), dev: "eth1")])
        #expect(router.lookup(RouteQuery(destination: ip("8.8.8.8"))).outcome == .blackhole)
    }

    @Test func tunnelIDIsDecidedExceptOnTunnelDevices() throws {
        let rules = try Self.rules(#"[{"priority":10,"src":"all","tun_id":5,"table":"100"}]"#)
        let interfaces = [NetInterface(index: 2, name: "eth0"), NetInterface(index: 4, name: "vx0", kind: "vxlan")]
        let router = Self.router(rules, interfaces: interfaces)
        #expect(!router.lookup(RouteQuery(destination: ip("8.8.8.8"))).isUncertain)
        #expect(!router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("1.1.1.1"), iif: "eth0")).isUncertain)
        #expect(router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("1.1.1.1"), iif: "vx0")).isUncertain)
        #expect(router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("1.1.1.1"), iif: "vx0", tunnelID: 5)).table == .numbered(100))
    }

    @Test func malformedSelectorsNameTheKey() {
        for (json, key) in [(#"[{"priority":1,"src":"all","uid_start":2000,"uid_end":1000,"table":"100"}]"#, "uid_end"),
                            (#"[{"priority":1,"src":"all","dport":70000,"table":"100"}]"#, "dport"),
                            (#"[{"priority":1,"src":"all","sport_start":9,"sport_end":3,"table":"100"}]"#, "sport_end"),
                            (#"[{"priority":1,"src":"all"}]"#, "action")] {
            #expect {
                _ = try PolicyRule.parse(Data(json.utf8), source: "ip-rule.json")
            } throws: { error in
                "\(error)".contains("\"\(key)\"") && "\(error)".contains("ip-rule.json")
            }
        }
    }
}
