import SkoopModel
import SkoopNetstack
import Testing

@Suite struct RouterPolicyRuleTests {
    /// Tables: main has a default via eth0; 100 routes everything via eth1; 200 throws 10.50/16
    /// and has a default via 192.168.1.200; 300 is empty.
    static let routes = [
        Route(destination: net("0.0.0.0/0"), gateway: ip("10.0.0.1"), dev: "eth0"),
        Route(destination: net("0.0.0.0/0"), table: .numbered(100), gateway: ip("192.168.1.1"), dev: "eth1"),
        Route(type: .throw, destination: net("10.50.0.0/16"), table: .numbered(200)),
        Route(destination: net("0.0.0.0/0"), table: .numbered(200), gateway: ip("192.168.1.200"), dev: "eth1"),
        Route(destination: net("::/0"), table: .numbered(100), gateway: ip("fe80::100"), dev: "eth1", metric: 1024),
        Route(destination: net("::/0"), gateway: ip("fe80::1"), dev: "eth0", metric: 1024),
    ]

    static func router(_ rules: [PolicyRule]) -> Router {
        let defaults = PolicyRule.kernelDefaults(.inet) + PolicyRule.kernelDefaults(.inet6)
        return SampleHost.router(rules: defaults + rules, routes: routes)
    }

    func gateway(_ router: Router, _ query: RouteQuery) -> IPAddress? { router.lookup(query).gateway }

    @Test func fromAndToSelectors() {
        let router = Self.router([
            PolicyRule(priority: 10, source: net("10.0.0.0/24"), action: .lookup(.numbered(100))),
            PolicyRule(priority: 11, destination: net("172.16.0.0/12"), action: .lookup(.numbered(200))),
        ])
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("10.0.0.7"), iif: "eth0")) == ip("192.168.1.1"))
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("10.1.0.7"), iif: "eth0")) == ip("10.0.0.1"))
        #expect(gateway(router, RouteQuery(destination: ip("172.20.0.1"))) == ip("192.168.1.200"))
        // Locally generated without a source: the lookup runs with 0.0.0.0, so `from` rules do not match.
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"))) == ip("10.0.0.1"))
    }

    @Test func fwmarkWithMask() {
        let router = Self.router([PolicyRule(priority: 100, fwmark: 0x200, fwmask: 0x200, action: .lookup(.numbered(100)))])
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), fwmark: 0x200)) == ip("192.168.1.1"))
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), fwmark: 0x4200)) == ip("192.168.1.1"), "bits outside the mask are ignored")
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), fwmark: 0x100)) == ip("10.0.0.1"))
        let exact = Self.router([PolicyRule(priority: 100, fwmark: 0x200, action: .lookup(.numbered(100)))])
        #expect(gateway(exact, RouteQuery(destination: ip("8.8.8.8"), fwmark: 0x4200)) == ip("10.0.0.1"), "no mask means all 32 bits")
        let lookup = router.lookup(RouteQuery(destination: ip("8.8.8.8"), fwmark: 0x200))
        #expect(lookup.rule?.priority == 100 && lookup.table == .numbered(100))
        #expect(lookup.description == "8.8.8.8 via 192.168.1.1 dev eth1 table 100 src 192.168.1.2 mark 0x200")
    }

    @Test func notInvertsTheSelectors() {
        let router = Self.router([PolicyRule(priority: 10, invert: true, source: net("10.0.0.0/24"), action: .lookup(.numbered(100)))])
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("10.0.0.7"), iif: "eth0")) == ip("10.0.0.1"))
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("10.7.0.7"), iif: "eth0")) == ip("192.168.1.1"))
    }

    @Test func iifOifAndTosSelectors() {
        let router = Self.router([
            PolicyRule(priority: 10, iif: "eth1", action: .lookup(.numbered(100))),
            PolicyRule(priority: 11, iif: "lo", tos: 0x10, action: .lookup(.numbered(200))),
            PolicyRule(priority: 12, oif: "eth1", action: .prohibit),
        ])
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("1.1.1.1"), iif: "eth1")) == ip("192.168.1.1"))
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("1.1.1.1"), iif: "eth0")) == ip("10.0.0.1"))
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), tos: 0x10)) == ip("192.168.1.200"), "iif lo is local output")
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), source: ip("1.1.1.1"), iif: "eth0", tos: 0x10)) == ip("10.0.0.1"))
        #expect(router.lookup(RouteQuery(destination: ip("8.8.8.8"), oif: "eth1")).outcome == .prohibit)
    }

    @Test func throwContinuesWithTheNextRule() {
        let router = Self.router([PolicyRule(priority: 10, action: .lookup(.numbered(200)))])
        let thrown = router.lookup(RouteQuery(destination: ip("10.50.1.1")))
        #expect(thrown.gateway == ip("10.0.0.1") && thrown.rule?.priority == 32766 && thrown.table == .main)
        #expect(gateway(router, RouteQuery(destination: ip("10.51.1.1"))) == ip("192.168.1.200"))
    }

    @Test func emptyOrMissingTableContinues() {
        let router = Self.router([PolicyRule(priority: 10, action: .lookup(.numbered(300)))])
        #expect(router.lookup(RouteQuery(destination: ip("8.8.8.8"))).table == .main)
    }

    @Test func gotoSkipsTheRulesInBetween() {
        let router = Self.router([
            PolicyRule(priority: 10, destination: net("8.0.0.0/8"), action: .goto(30)),
            PolicyRule(priority: 20, action: .blackhole),
            PolicyRule(priority: 30, fwmark: 1, action: .lookup(.numbered(100))),
            PolicyRule(priority: 40, action: .unreachable),
            PolicyRule(priority: 50, action: .goto(5)),
        ])
        #expect(router.lookup(RouteQuery(destination: ip("9.9.9.9"))).outcome == .blackhole, "no goto: rule 20 drops")
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"), fwmark: 1)) == ip("192.168.1.1"))
        let unmatchedTarget = router.lookup(RouteQuery(destination: ip("8.8.8.8")))
        #expect(unmatchedTarget.outcome == .unreachable && unmatchedTarget.rule?.priority == 40,
                "the goto target must itself match; then evaluation continues after it")
    }

    @Test func unresolvedGotoIsSkipped() {
        let router = Self.router([PolicyRule(priority: 10, action: .goto(15)), PolicyRule(priority: 20, action: .nop)])
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"))) == ip("10.0.0.1"))
    }

    @Test func ruleActionsDrop() {
        let router = Self.router([
            PolicyRule(priority: 10, destination: net("10.4.0.0/16"), action: .blackhole),
            PolicyRule(priority: 11, destination: net("10.5.0.0/16"), action: .unreachable),
            PolicyRule(priority: 12, destination: net("10.6.0.0/16"), action: .prohibit),
        ])
        let blackhole = router.lookup(RouteQuery(destination: ip("10.4.0.1")))
        #expect(blackhole.outcome == .blackhole && blackhole.rule?.priority == 10 && blackhole.route == nil)
        #expect(blackhole.decision.rule == "10: from all to 10.4.0.0/16 blackhole")
        #expect(router.lookup(RouteQuery(destination: ip("10.5.0.1"))).outcome == .unreachable)
        #expect(router.lookup(RouteQuery(destination: ip("10.6.0.1"))).outcome == .prohibit)
    }

    @Test func suppressPrefixLengthIgnoresTheDefaultRoute() {
        let router = Self.router([
            PolicyRule(priority: 10, suppressPrefixLength: 0, action: .lookup(.main)),
            PolicyRule(priority: 11, action: .lookup(.numbered(100))),
        ])
        #expect(gateway(router, RouteQuery(destination: ip("8.8.8.8"))) == ip("192.168.1.1"))
        #expect(router.lookup(RouteQuery(destination: ip("10.0.0.9"))).rule?.priority == 10)
    }

    @Test func noRulesMeansKernelDefaultsAndRulesArePerFamily() {
        let onlyV4 = SampleHost.router(rules: [PolicyRule(priority: 5, action: .lookup(.numbered(100)))], routes: Self.routes)
        #expect(onlyV4.rules4.map(\.priority) == [5])
        #expect(onlyV4.rules6 == PolicyRule.kernelDefaults(.inet6))
        #expect(onlyV4.lookup(RouteQuery(destination: ip("2001:4860::1"))).gateway == ip("fe80::1"))
        let v6 = Self.router([PolicyRule(priority: 10, family: .inet6, fwmark: 7, action: .lookup(.numbered(100)))])
        #expect(v6.lookup(RouteQuery(destination: ip("2001:4860::1"), fwmark: 7)).gateway == ip("fe80::100"))
        #expect(v6.lookup(RouteQuery(destination: ip("8.8.8.8"), fwmark: 7)).gateway == ip("10.0.0.1"), "an IPv6 rule never applies to IPv4")
    }
}

@Suite struct RouterReversePathTests {
    let router = SampleHost.router(routes: [
        Route(destination: net("0.0.0.0/0"), gateway: ip("10.0.0.1"), dev: "eth0"),
        Route(type: .blackhole, destination: net("10.66.0.0/16")),
        Route(destination: net("::/0"), gateway: ip("fe80::1"), dev: "eth0", metric: 1024),
    ])

    @Test func strictNeedsTheRouteBackThroughTheArrivalInterface() {
        #expect(router.reversePathCheck(packetSource: ip("8.8.8.8"), arrivedOn: "eth0", destination: ip("10.0.0.2"), mode: .strict))
        #expect(!router.reversePathCheck(packetSource: ip("8.8.8.8"), arrivedOn: "eth1", destination: ip("192.168.1.2"), mode: .strict))
        #expect(router.reversePathCheck(packetSource: ip("192.168.1.50"), arrivedOn: "eth1", destination: ip("10.0.0.2"), mode: .strict))
    }

    @Test func looseNeedsAnyUnicastRouteBack() {
        #expect(router.reversePathCheck(packetSource: ip("8.8.8.8"), arrivedOn: "eth1", destination: ip("192.168.1.2"), mode: .loose))
        #expect(!router.reversePathCheck(packetSource: ip("10.66.1.1"), arrivedOn: "eth0", destination: ip("10.0.0.2"), mode: .loose))
        #expect(!router.reversePathCheck(packetSource: ip("10.0.0.2"), arrivedOn: "eth0", destination: ip("10.0.0.2"), mode: .loose),
                "our own address as a source is a martian")
        #expect(router.reversePathCheck(packetSource: ip("10.66.1.1"), arrivedOn: "eth0", destination: ip("10.0.0.2"), mode: .off))
    }

    @Test func ipv6AndNoRouteBack() {
        #expect(router.reversePathCheck(packetSource: ip("2001:4860::1"), arrivedOn: "eth0", destination: ip("2001:db8::2"), mode: .strict))
        #expect(!router.reversePathCheck(packetSource: ip("2001:4860::1"), arrivedOn: "eth1", destination: ip("2001:db8::2"), mode: .strict))
        let bare = Router(addresses: SampleHost.addresses, routes: SampleHost.kernelRoutes)
        #expect(!bare.reversePathCheck(packetSource: ip("8.8.8.8"), arrivedOn: "eth0", destination: ip("10.0.0.2"), mode: .loose))
    }
}
