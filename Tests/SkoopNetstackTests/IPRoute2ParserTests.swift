import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// The lab-basic capture: what Tests/Lab/capture-fixtures.sh configured, read back through the parsers.
@Suite struct IPRoute2LabFixtureTests {
    static let node1 = "lab-basic/nodes/node1/netns/host/"
    static let node2 = "lab-basic/nodes/node2/netns/host/"
    static let client = "lab-basic/nodes/node1/netns/pod-client/"

    @Test func linksOfNode1() throws {
        let links = try NetInterface.parse(Fixtures.data(Self.node1 + "ip-link.json"), source: "ip-link.json")
        #expect(links.map(\.name) == ["lo", "ens4", "cni0", "veth5c1a9e02", "vethb7d34f10"])
        let lo = try #require(links.first { $0.name == "lo" })
        #expect(lo.isLoopback && lo.kind == nil && lo.mtu == 65536)
        let ens4 = try #require(links.first { $0.name == "ens4" })
        #expect(ens4.kind == "veth" && ens4.peerIndex == 3 && ens4.peerNetnsID == 0 && ens4.index == 2)
        #expect(ens4.operState == "UP" && ens4.isUp && ens4.hasCarrier && ens4.address?.split(separator: ":").count == 6)
        let cni0 = try #require(links.first { $0.name == "cni0" })
        #expect(cni0.kind == "bridge" && cni0.bridge?.nfCallIptables == false && cni0.bridge?.vlanFiltering == false)
        let port = try #require(links.first { $0.name == "veth5c1a9e02" })
        #expect(port.master == "cni0" && port.slaveKind == "bridge" && port.peerIndex == 2 && port.peerNetnsID == 1)
        #expect(port.bridgePort == BridgePortInfo(state: "forwarding", hairpin: true, learning: true, flood: true,
                                                  isolated: false, proxyARP: false))
        #expect(links.first { $0.name == "vethb7d34f10" }?.bridgePort?.hairpin == false)
    }

    @Test func addressesOfPodClient() throws {
        let addresses = try InterfaceAddress.parse(Fixtures.data(Self.client + "ip-addr.json"), source: "ip-addr.json")
        #expect(addresses.map(\.local.description) == ["127.0.0.1", "::1", "10.244.1.3", "fd00:10:244:1::3",
                                                       "fe80::2c4d:feff:feea:1332"])
        let v4 = try #require(addresses.first { $0.local == IPAddress("10.244.1.3") })
        #expect(v4.interface == "eth0" && v4.interfaceIndex == 2 && v4.prefixLength == 24 && v4.scope == .global)
        #expect(v4.family == .inet && v4.subnet == IPPrefix("10.244.1.0/24"))
        #expect(addresses.first { $0.local == IPAddress("127.0.0.1") }?.scope == .host)
        #expect(addresses.last?.scope == .link && addresses.last?.family == .inet6)
    }

    @Test func routesOfNode2IncludeBlackholeMultipathAndIPv6() throws {
        let routes = try Route.parse(Fixtures.data(Self.node2 + "ip-route.json"), source: "ip-route.json")
        let blackhole = try #require(routes.first { $0.type == .blackhole })
        #expect(blackhole.destination == IPPrefix("10.98.0.0/24") && blackhole.table == .main && blackhole.dev == nil)
        let ecmp = try #require(routes.first { $0.destination == IPPrefix("10.99.0.0/24") })
        #expect(ecmp.multipath == [Nexthop(gateway: IPAddress("192.168.56.1"), dev: "ens4", weight: 1),
                                   Nexthop(gateway: IPAddress("192.168.56.11"), dev: "ens4", weight: 2)])
        let defaults = routes.filter { $0.destination.length == 0 }
        #expect(defaults.map(\.family) == [.inet, .inet6])
        #expect(defaults.map { $0.gateway?.description } == ["192.168.56.1", "fd00:192:168:56::1"])
        #expect(defaults.last?.metric == 1024)
        let connected = try #require(routes.first { $0.destination == IPPrefix("10.244.2.0/24") })
        #expect(connected.dev == "cni0" && connected.scope == .link && connected.protocolName == "kernel"
                && connected.preferredSource == IPAddress("10.244.2.1") && connected.gateway == nil)
        let local = try #require(routes.first { $0.destination == IPPrefix("192.168.56.12/32") })
        #expect(local.type == .local && local.table == .local && local.scope == .host)
        #expect(routes.contains { $0.type == .broadcast && $0.destination == IPPrefix("192.168.56.255") })
        #expect(routes.contains { $0.type == .anycast && $0.destination == IPPrefix("fd00:10:244:2::/128") })
        #expect(routes.contains { $0.type == .multicast && $0.destination == IPPrefix("ff00::/8") })
        #expect(ecmp.description == "10.99.0.0/24 nexthop via 192.168.56.1 dev ens4 weight 1 nexthop via 192.168.56.11 dev ens4 weight 2")
    }

    @Test func routeInNumberedTableAndIPv6Only() throws {
        let routes = try Route.parse(Fixtures.data(Self.node1 + "ip-route.json"), source: "ip-route.json")
        let table100 = routes.filter { $0.table == .numbered(100) }
        #expect(table100.map(\.description) == ["10.244.2.0/24 via 192.168.56.1 dev ens4 table 100",
                                                "fd00:10:244:2::/64 via fd00:192:168:56::1 dev ens4 table 100 metric 1024"])
        let v6 = try Route.parse(Fixtures.data(Self.node1 + "ip-route6.json"), source: "ip-route6.json", family: .inet6)
        #expect(!v6.isEmpty && v6.allSatisfy { $0.family == .inet6 })
    }

    @Test func rulesOfNode1HaveTheFwmarkRule() throws {
        let rules = try PolicyRule.parse(Fixtures.data(Self.node1 + "ip-rule.json"), source: "ip-rule.json")
        #expect(rules.map(\.priority) == [0, 100, 32766, 32767])
        #expect(rules[1] == PolicyRule(priority: 100, fwmark: 0x200, fwmask: 0x200, action: .lookup(.numbered(100))))
        #expect(rules[1].description == "100: from all fwmark 0x200/0x200 lookup 100")
        #expect(rules.map(\.action) == [.lookup(.local), .lookup(.numbered(100)), .lookup(.main), .lookup(.default)])
        let v6 = try PolicyRule.parse(Fixtures.data(Self.node1 + "ip-rule6.json"), source: "ip-rule6.json", family: .inet6)
        #expect(v6.map(\.priority) == [0, 100, 32766] && v6.allSatisfy { $0.family == .inet6 })
    }

    @Test func neighboursOfNode1() throws {
        let neighbours = try Neighbor.parse(Fixtures.data(Self.node1 + "ip-neigh.json"), source: "ip-neigh.json")
        #expect(neighbours.count == 9)
        // MACs change on every capture: check them against node2's own interface instead.
        let node2Links = try NetInterface.parse(Fixtures.data(Self.node2 + "ip-link.json"), source: "ip-link.json")
        let gateway = try #require(neighbours.first { $0.destination == IPAddress("192.168.56.12") })
        #expect(gateway.dev == "ens4" && gateway.states == ["REACHABLE"])
        #expect(gateway.lladdr != nil && gateway.lladdr == node2Links.first { $0.name == "ens4" }?.address)
        #expect(gateway.isResolved && !gateway.isRouter)
        #expect(neighbours.first { $0.destination == IPAddress("fd00:192:168:56::12") }?.isRouter == true)
        #expect(neighbours.first { $0.destination == IPAddress("fe80::2c4d:feff:feea:1332") }?.states == ["STALE"])
    }

    @Test func fdbOfNode1() throws {
        let entries = try FDBEntry.parse(Fixtures.data(Self.node1 + "bridge-fdb.json"), source: "bridge-fdb.json")
        // web-0's MAC, learned on its bridge port (MACs change per capture: read it from web-0's netns).
        let web0 = try NetInterface.parse(Fixtures.data("lab-basic/nodes/node1/netns/pod-web-0/ip-link.json"), source: "l")
        let web0MAC = try #require(web0.first { $0.name == "eth0" }?.address)
        let learned = try #require(entries.first { $0.mac == web0MAC })
        #expect(learned.ifname == "veth5c1a9e02" && learned.master == "cni0" && learned.state == "" && !learned.isSelf)
        let links = try NetInterface.parse(Fixtures.data(Self.node1 + "ip-link.json"), source: "l")
        let portMAC = try #require(links.first { $0.name == "veth5c1a9e02" }?.address)
        #expect(entries.first { $0.mac == portMAC && $0.master == "cni0" }?.isPermanent == true)
        #expect(entries.contains { $0.ifname == "ens4" && $0.isSelf && $0.mac == "33:33:00:00:00:01" })
    }
}

/// Shapes the lab does not have, from real iproute2 6.1 output captured in a scratch netns.
@Suite struct IPRoute2CapturedShapeTests {
    @Test func vxlanAndInSameNetnsVethPeer() throws {
        let json = #"""
        [{"ifindex":3,"link":"va","ifname":"vb","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"operstate":"UP","address":"ae:62:8a:3e:b6:9b","linkinfo":{"info_kind":"veth"}},
         {"ifindex":5,"ifname":"vx0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"operstate":"UNKNOWN","address":"5e:6d:81:24:f8:98","linkinfo":{"info_kind":"vxlan","info_data":{"id":42,"local":"10.1.0.1","link":"va","port_range":{"low":0,"high":0},"port":4789,"learning":false,"ttl":0,"df":"unset","ageing":300,"udp_csum":true}}}]
        """#
        let links = try NetInterface.parse(Data(json.utf8), source: "links")
        #expect(links[0].peerName == "va" && links[0].peerIndex == nil)
        #expect(links[1].vxlan == VXLANInfo(id: 42, port: 4789, local: IPAddress("10.1.0.1"), underlayDevice: "va",
                                            learning: false))
        #expect(links[1].operState == "UNKNOWN" && links[1].mtu == 1450)
    }

    @Test func ruleSelectorsNotGotoAndActions() throws {
        let json = #"""
        [{"priority":10,"not":null,"src":"10.1.0.0","srclen":24,"dst":"10.2.0.0","dstlen":16,"tos":"0x10","fwmark":"0x1","fwmask":"0xff","iif":"va","oif":"vb","table":"200"},
         {"priority":20,"src":"10.3.0.0","srclen":16,"goto":32766},
         {"priority":30,"src":"all","dst":"10.4.0.0","dstlen":16,"action":"blackhole"},
         {"priority":31,"src":"all","dst":"10.5.0.0","dstlen":16,"action":"unreachable"},
         {"priority":32,"src":"all","dst":"10.6.0.0","dstlen":16,"action":"prohibit"},
         {"priority":33,"src":"all","fwmark":"0x10","table":"201"},
         {"priority":34,"src":"10.7.0.1","table":"main","suppress_prefixlen":0}]
        """#
        let rules = try PolicyRule.parse(Data(json.utf8), source: "rules")
        #expect(rules[0] == PolicyRule(priority: 10, invert: true, source: IPPrefix("10.1.0.0/24"),
                                       destination: IPPrefix("10.2.0.0/16"), fwmark: 1, fwmask: 0xff, iif: "va",
                                       oif: "vb", tos: 0x10, action: .lookup(.numbered(200))))
        #expect(rules[0].description == "10: not from 10.1.0.0/24 to 10.2.0.0/16 tos 0x10 fwmark 0x1/0xff iif va oif vb lookup 200")
        #expect(rules[1].action == .goto(32766))
        #expect(rules[2...4].map(\.action) == [.blackhole, .unreachable, .prohibit])
        #expect(rules[5].fwmark == 0x10 && rules[5].fwmask == .max)
        #expect(rules[6].source == IPPrefix("10.7.0.1/32") && rules[6].suppressPrefixLength == 0)
    }

    @Test func routeTypesOnlinkTosAndV6Unreachable() throws {
        let json = #"""
        [{"type":"throw","dst":"10.52.0.0/16","table":"200","flags":[]},
         {"type":"unreachable","dst":"10.50.0.0/16","flags":[]},
         {"type":"prohibit","dst":"10.51.0.0/16","flags":[]},
         {"dst":"10.53.0.0/16","gateway":"10.9.9.9","dev":"va","flags":["onlink"]},
         {"dst":"10.54.0.0/16","dev":"va","scope":"link","prefsrc":"10.1.0.1","metric":50,"flags":[]},
         {"dst":"10.55.0.0/16","tos":"0x10","dev":"va","scope":"link","flags":[]},
         {"type":"unreachable","dst":"default","dev":"lo","metric":1024,"flags":[],"pref":"medium"},
         {"dst":"10.61.0.0/16","dev":"va","table":"default","protocol":"static","metric":5,"flags":[]}]
        """#
        let routes = try Route.parse(Data(json.utf8), source: "routes")
        #expect(routes.map(\.type) == [.throw, .unreachable, .prohibit, .unicast, .unicast, .unicast, .unreachable, .unicast])
        #expect(routes[0].table == .numbered(200))
        #expect(routes[3].nexthops.first?.isOnlink == true)
        #expect(routes[4].metric == 50 && routes[4].preferredSource == IPAddress("10.1.0.1"))
        #expect(routes[5].tos == 0x10)
        #expect(routes[6].destination == IPPrefix("::/0") && routes[6].family == .inet6)
        #expect(routes[7].table == .default && routes[7].protocolName == "static")
        #expect(routes[3].description == "10.53.0.0/16 via 10.9.9.9 dev va onlink")
    }

    @Test func neighbourStatesAndVxlanFdb() throws {
        let neigh = #"[{"dst":"10.1.0.8","dev":"va","state":["FAILED"]},{"dst":"10.1.0.9","dev":"va","lladdr":"02:00:00:00:00:09","router":null,"state":["REACHABLE"]},{"dst":"10.1.0.7","dev":"va","lladdr":"02:00:00:00:00:07","state":["PERMANENT"]}]"#
        let entries = try Neighbor.parse(Data(neigh.utf8), source: "neigh")
        #expect(entries[0].isFailed && !entries[0].isResolved && entries[0].lladdr == nil)
        #expect(entries[1].isRouter && entries[2].states == ["PERMANENT"])
        let fdb = #"[{"mac":"02:11:22:33:44:55","ifname":"vx0","dst":"10.1.0.99","flags":["self"],"state":"permanent"},{"mac":"02:11:22:33:44:66","ifname":"va","vlan":1,"flags":[],"master":"br0","state":"static"}]"#
        let forwarding = try FDBEntry.parse(Data(fdb.utf8), source: "fdb")
        #expect(forwarding[0].dst == IPAddress("10.1.0.99") && forwarding[0].isSelf && forwarding[0].isPermanent)
        #expect(forwarding[1].vlan == 1 && forwarding[1].master == "br0")
    }
}
