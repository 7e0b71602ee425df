import SkoopModel
import SkoopNetstack
import Testing

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func net(_ text: String) -> IPPrefix { IPPrefix(text)! }

/// A host with eth0 10.0.0.2/24 (+ a secondary), eth1 192.168.1.2/24, lo, IPv6 on eth0.
enum SampleHost {
    static let addresses = [
        InterfaceAddress(interface: "lo", interfaceIndex: 1, local: ip("127.0.0.1"), prefixLength: 8, scope: .host),
        InterfaceAddress(interface: "lo", interfaceIndex: 1, local: ip("::1"), prefixLength: 128, scope: .host),
        InterfaceAddress(interface: "eth0", interfaceIndex: 2, local: ip("10.0.0.2"), prefixLength: 24),
        InterfaceAddress(interface: "eth0", interfaceIndex: 2, local: ip("10.0.0.3"), prefixLength: 24, secondary: true),
        InterfaceAddress(interface: "eth0", interfaceIndex: 2, local: ip("2001:db8::2"), prefixLength: 64),
        InterfaceAddress(interface: "eth0", interfaceIndex: 2, local: ip("fe80::2"), prefixLength: 64, scope: .link),
        InterfaceAddress(interface: "eth1", interfaceIndex: 3, local: ip("192.168.1.2"), prefixLength: 24),
    ]
    static let interfaces = [
        NetInterface(index: 1, name: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"], linkType: "loopback"),
        NetInterface(index: 2, name: "eth0"), NetInterface(index: 3, name: "eth1"),
    ]
    /// The kernel's own routes for those addresses.
    static let kernelRoutes = [
        Route(destination: net("10.0.0.0/24"), dev: "eth0", protocolName: "kernel", scope: .link, preferredSource: ip("10.0.0.2")),
        Route(destination: net("192.168.1.0/24"), dev: "eth1", protocolName: "kernel", scope: .link, preferredSource: ip("192.168.1.2")),
        Route(type: .local, destination: net("10.0.0.2"), table: .local, dev: "eth0", scope: .host, preferredSource: ip("10.0.0.2")),
        Route(type: .local, destination: net("10.0.0.3"), table: .local, dev: "eth0", scope: .host, preferredSource: ip("10.0.0.2")),
        Route(type: .broadcast, destination: net("10.0.0.255"), table: .local, dev: "eth0", scope: .link, preferredSource: ip("10.0.0.2")),
        Route(type: .local, destination: net("127.0.0.0/8"), table: .local, dev: "lo", scope: .host, preferredSource: ip("127.0.0.1")),
        Route(type: .local, destination: net("192.168.1.2"), table: .local, dev: "eth1", scope: .host, preferredSource: ip("192.168.1.2")),
        Route(destination: net("2001:db8::/64"), dev: "eth0", protocolName: "kernel", metric: 256),
        Route(destination: IPPrefix("fe80::/64")!, dev: "eth0", metric: 256),
        Route(type: .local, destination: net("2001:db8::2"), table: .local, dev: "eth0"),
        Route(type: .local, destination: net("::1"), table: .local, dev: "lo"),
    ]

    static func router(rules: [PolicyRule] = [], routes: [Route]) -> Router {
        Router(interfaces: interfaces, addresses: addresses, rules: rules, routes: kernelRoutes + routes)
    }
}

@Suite struct RouterRouteTypeTests {
    let router = SampleHost.router(routes: [
        Route(destination: net("0.0.0.0/0"), gateway: ip("10.0.0.1"), dev: "eth0"),
        Route(type: .blackhole, destination: net("10.9.0.0/16")),
        Route(type: .unreachable, destination: net("10.10.0.0/16")),
        Route(type: .prohibit, destination: net("10.11.0.0/16")),
        Route(destination: net("10.12.0.0/16"), gateway: ip("192.168.1.1"), dev: "eth1", metric: 20),
        Route(destination: net("10.12.0.0/16"), gateway: ip("10.0.0.1"), dev: "eth0", metric: 10),
        Route(destination: net("10.12.5.0/24"), gateway: ip("192.168.1.254"), dev: "eth1", metric: 100),
        Route(destination: net("10.13.0.0/16"), tos: 0x10, gateway: ip("192.168.1.1"), dev: "eth1"),
        Route(destination: net("10.13.0.0/16"), gateway: ip("10.0.0.1"), dev: "eth0"),
        Route(destination: net("10.14.0.0/16"), gateway: ip("172.16.0.1"), dev: "eth1", flags: ["onlink"]),
        Route(destination: net("::/0"), gateway: ip("fe80::1"), dev: "eth0", metric: 1024),
        Route(type: .unreachable, destination: net("2001:db8:dead::/48"), dev: "lo", metric: 1024),
    ])

    @Test func unicastViaDefaultGatewayPicksSource() {
        let result = router.lookup(RouteQuery(destination: ip("8.8.8.8")))
        #expect(result.outcome == .unicast && result.oif == "eth0" && result.gateway == ip("10.0.0.1"))
        #expect(result.source == ip("10.0.0.2"), "the primary address, not the secondary 10.0.0.3")
        #expect(result.table == .main && result.route?.destination == net("0.0.0.0/0"))
        #expect(result.rule?.priority == 32766)
        #expect(result.description == "8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.2")
        #expect(result.decision == RouteDecision(destination: "8.8.8.8", rule: "32766: from all lookup main", table: "main",
                                                 route: "default via 10.0.0.1 dev eth0", outcome: "unicast",
                                                 outInterface: "eth0", gateway: "10.0.0.1", preferredSource: "10.0.0.2"))
    }

    @Test func connectedRouteUsesPrefsrc() {
        let result = router.lookup(RouteQuery(destination: ip("192.168.1.77")))
        #expect(result.outcome == .unicast && result.oif == "eth1" && result.gateway == nil && result.source == ip("192.168.1.2"))
    }

    @Test func ownAddressesAreLocalDeliveryThroughLo() {
        for address in ["10.0.0.2", "10.0.0.3", "192.168.1.2", "127.0.0.5"] {
            let result = router.lookup(RouteQuery(destination: ip(address), iif: "eth0"))
            #expect(result.outcome == .local && result.oif == "lo" && result.table == .local && result.rule?.priority == 0)
            #expect(result.source == nil, "forwarded/received packets keep their own source")
        }
        let fromHere = router.lookup(RouteQuery(destination: ip("192.168.1.2")))
        #expect(fromHere.source == ip("192.168.1.2") && fromHere.description == "local 192.168.1.2 dev lo table local src 192.168.1.2")
    }

    @Test func broadcastBlackholeUnreachableProhibit() {
        #expect(router.lookup(RouteQuery(destination: ip("10.0.0.255"))).outcome == .broadcast)
        #expect(router.lookup(RouteQuery(destination: ip("255.255.255.255"))).outcome == .broadcast)
        let blackhole = router.lookup(RouteQuery(destination: ip("10.9.1.1"), iif: "eth1"))
        #expect(blackhole.outcome == .blackhole && blackhole.oif == nil && blackhole.route?.type == .blackhole)
        #expect(blackhole.decision.outcome == "blackhole" && blackhole.decision.route == "blackhole 10.9.0.0/16")
        #expect(router.lookup(RouteQuery(destination: ip("10.10.1.1"))).outcome == .unreachable)
        #expect(router.lookup(RouteQuery(destination: ip("10.11.1.1"))).outcome == .prohibit)
    }

    @Test func longestPrefixThenLowestMetric() {
        let metric = router.lookup(RouteQuery(destination: ip("10.12.1.1")))
        #expect(metric.gateway == ip("10.0.0.1") && metric.route?.metric == 10)
        let longer = router.lookup(RouteQuery(destination: ip("10.12.5.1")))
        #expect(longer.gateway == ip("192.168.1.254"), "a /24 beats /16 routes whatever their metric")
    }

    @Test func tosSelectsTheTosRoute() {
        #expect(router.lookup(RouteQuery(destination: ip("10.13.0.1"), tos: 0x10)).oif == "eth1")
        #expect(router.lookup(RouteQuery(destination: ip("10.13.0.1"))).oif == "eth0")
        #expect(router.lookup(RouteQuery(destination: ip("10.13.0.1"), tos: 0x08)).oif == "eth0")
    }

    @Test func onlinkGatewayOutsideAnySubnet() {
        let result = router.lookup(RouteQuery(destination: ip("10.14.0.9")))
        #expect(result.outcome == .unicast && result.gateway == ip("172.16.0.1") && result.oif == "eth1")
        #expect(result.route?.nexthops.first?.isOnlink == true && result.source == ip("192.168.1.2"))
    }

    @Test func oifRestrictsTheRoutesConsidered() {
        let bound = router.lookup(RouteQuery(destination: ip("10.12.1.1"), oif: "eth1"))
        #expect(bound.gateway == ip("192.168.1.1"), "the metric-20 route is the one on eth1")
        let assumed = router.lookup(RouteQuery(destination: ip("172.20.0.1"), oif: "eth1"))
        #expect(assumed.outcome == .unicast && assumed.oif == "eth1" && assumed.source == ip("192.168.1.2"))
    }

    @Test func ipv6RoutingAndSource() {
        let out = router.lookup(RouteQuery(destination: ip("2001:db8:1::5")))
        #expect(out.outcome == .unicast && out.gateway == ip("fe80::1") && out.oif == "eth0")
        #expect(out.source == ip("2001:db8::2") && out.rule?.family == .inet6)
        let onLink = router.lookup(RouteQuery(destination: ip("2001:db8::9")))
        #expect(onLink.gateway == nil && onLink.route?.metric == 256 && onLink.source == ip("2001:db8::2"))
        let linkLocal = router.lookup(RouteQuery(destination: ip("fe80::9")))
        #expect(linkLocal.oif == "eth0" && linkLocal.source == ip("fe80::2"))
        #expect(router.lookup(RouteQuery(destination: ip("2001:db8::2"), iif: "eth0")).outcome == .local)
        #expect(router.lookup(RouteQuery(destination: ip("2001:db8:dead::1"))).outcome == .unreachable)
        #expect(router.lookup(RouteQuery(destination: ip("::1"))).source == ip("::1"))
    }

    @Test func noRouteAtAll() {
        let bare = Router(addresses: SampleHost.addresses, routes: SampleHost.kernelRoutes)
        let result = bare.lookup(RouteQuery(destination: ip("8.8.8.8")))
        #expect(result.outcome == .noRoute && result.branches.isEmpty && result.route == nil && result.table == nil)
        #expect(result.decision.outcome == "no route")
        #expect(bare.lookup(RouteQuery(destination: ip("2606:4700::1"))).outcome == .noRoute)
    }

    @Test func duplicateRoutesFromBothDumpsCollapse() {
        let twice = Router(routes: SampleHost.kernelRoutes + SampleHost.kernelRoutes)
        #expect(twice.routes.count == SampleHost.kernelRoutes.count)
        #expect(twice.rules4.map(\.priority) == [0, 32766, 32767] && twice.rules6.map(\.priority) == [0, 32766])
    }
}

@Suite struct RouterMultipathTests {
    @Test func everyNexthopIsABranch() {
        let router = SampleHost.router(routes: [
            Route(destination: net("10.99.0.0/24"), multipath: [
                Nexthop(gateway: ip("10.0.0.1"), dev: "eth0", weight: 1),
                Nexthop(gateway: ip("192.168.1.1"), dev: "eth1", weight: 2),
                Nexthop(gateway: ip("192.168.1.9"), dev: "eth1", weight: 1, flags: ["dead"]),
            ]),
        ])
        let result = router.lookup(RouteQuery(destination: ip("10.99.0.5")))
        #expect(result.outcome == .unicast)
        #expect(result.branches == [RouteBranch(gateway: ip("10.0.0.1"), oif: "eth0", weight: 1),
                                    RouteBranch(gateway: ip("192.168.1.1"), oif: "eth1", weight: 2)])
        #expect(result.description == "10.99.0.5 nexthop via 10.0.0.1 dev eth0 weight 1 nexthop via 192.168.1.1 dev eth1 weight 2 src 10.0.0.2")
        let bound = router.lookup(RouteQuery(destination: ip("10.99.0.5"), oif: "eth1"))
        #expect(bound.branches.map(\.gateway) == [ip("192.168.1.1")])
    }
}
