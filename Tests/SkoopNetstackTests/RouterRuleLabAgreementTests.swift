import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// One `ip -j route get` of Tests/Fixtures/lab-rules (Tests/Lab/capture-rule-fixtures.sh), with
/// the query its file name encodes, e.g. "route-r-8.8.8.8-ipproto-tcp-sport-5000-dport-22.json".
struct RuleLabRouteGet: CustomTestStringConvertible, Sendable {
    var file: String
    var query: RouteQuery
    var answer: [String: String]

    var testDescription: String { file }

    static let directory = "lab-rules/ground-truth"

    static func all() throws -> [RuleLabRouteGet] {
        var result: [RuleLabRouteGet] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: Fixtures.url(directory).path).sorted()
        where file.hasPrefix("route-r-") && file.hasSuffix(".json") {
            var words = file.dropFirst("route-r-".count).dropLast(".json".count).split(separator: "-")
                .map { $0.replacingOccurrences(of: "_", with: ":") }
            guard let destination = IPAddress(words.removeFirst()) else { continue }
            // `ip route get` asks as UDP without ports unless told, and as the caller (root) locally.
            var query = RouteQuery(destination: destination, ipProtocol: 17, sourcePort: 0, destinationPort: 0)
            while words.count >= 2 {
                let (key, value) = (words.removeFirst(), words.removeFirst())
                switch key {
                case "from": query.source = IPAddress(value)
                case "iif": query.iif = value
                case "mark": query.fwmark = UInt32(value.dropFirst(2), radix: 16) ?? 0
                case "tos": query.tos = UInt8(value.dropFirst(2), radix: 16) ?? 0
                case "ipproto": query.ipProtocol = ["tcp": 6, "udp": 17, "icmp": 1][value]
                case "sport": query.sourcePort = UInt16(value)
                case "dport": query.destinationPort = UInt16(value)
                case "uid": query.uid = UInt32(value)
                default: Issue.record("unknown key \(key) in \(file)")
                }
            }
            if query.iif == nil, query.uid == nil { query.uid = 0 }
            let list = try JSONSerialization.jsonObject(with: Fixtures.data("\(directory)/\(file)")) as? [[String: Any]]
            let answer = try #require(list?.first).compactMapValues { $0 as? String }
            result.append(RuleLabRouteGet(file: file, query: query, answer: answer))
        }
        return result
    }

    static func router() throws -> Router {
        func data(_ name: String) throws -> Data { try Fixtures.data("lab-rules/r/\(name)") }
        let rules = try PolicyRule.parse(data("ip-rule.json"), source: "ip-rule.json")
            + PolicyRule.parse(data("ip-rule6.json"), source: "ip-rule6.json", family: .inet6)
        let routes = try Route.parse(data("ip-route.json"), source: "ip-route.json")
            + Route.parse(data("ip-route6.json"), source: "ip-route6.json", family: .inet6)
        return Router(interfaces: try NetInterface.parse(data("ip-link.json"), source: "ip-link.json"),
                      addresses: try InterfaceAddress.parse(data("ip-addr.json"), source: "ip-addr.json"),
                      rules: rules, routes: routes)
    }
}

@Suite struct RouterRuleLabAgreementTests {
    static let cases = (try? RuleLabRouteGet.all()) ?? []

    @Test func groundTruthCoversEverySelector() {
        let files = Self.cases.map(\.file)
        #expect(files.count >= 30)
        for part in ["ipproto-udp-sport-1500", "uid-1500", "sport-5000-dport-22", "tos-0x30", "mark-0x1",
                     "iif-eth0-ipproto-tcp-uid-1500", "2001_db8__1-ipproto-udp-dport-53", "198.18.1.1", "192.0.2.1"] {
            #expect(files.contains { $0.contains(part) }, "\(part)")
        }
    }

    @Test(arguments: cases) func routerAgreesWithTheKernel(_ truth: RuleLabRouteGet) throws {
        let router = try RuleLabRouteGet.router()
        let result = router.lookup(truth.query)
        #expect(!result.isUncertain, "\(result.uncertainties)")
        #expect(result.outcome == .unicast, "\(result)")
        #expect(result.table?.description == (truth.answer["table"] ?? "main"), "\(result) rule \(result.rule.map { "\($0)" } ?? "-")")
        #expect(result.gateway?.description == truth.answer["gateway"], "\(result)")
        #expect(result.oif == truth.answer["dev"], "\(result)")
    }

    @Test func descriptionsAreWhatIPRuleShowPrints() throws {
        let router = try RuleLabRouteGet.router()
        for (rules, file) in [(router.rules4, "ip-rule.txt"), (router.rules6, "ip-rule6.txt")] {
            let printed = try Fixtures.text("lab-rules/r/\(file)").split(separator: "\n")
                .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
            #expect(rules.map(\.description) == printed)
        }
    }

    @Test func everySelectorWasRead() throws {
        let router = try RuleLabRouteGet.router()
        let byPriority = Dictionary(router.rules4.map { ($0.priority, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(router.rules4.allSatisfy { $0.unsupported.isEmpty })
        #expect(byPriority[100]?.ipProtocol == 6 && byPriority[100]?.destinationPorts == PortSelector(start: 80))
        #expect(byPriority[110]?.sourcePorts == PortSelector(start: 1000, end: 2000))
        #expect(byPriority[120]?.uidRange == 1000...2000)
        #expect(byPriority[126]?.iifDetached == true)
        #expect(byPriority[127]?.tunnelID == 5)
        #expect(byPriority[131]?.realms == "3/4" && byPriority[131]?.installedBy == "static")
        #expect(byPriority[160]?.action == .nop && byPriority[140]?.action == .goto(160))
        #expect(byPriority[176]?.suppressInterfaceGroup == "5" && byPriority[180]?.suppressPrefixLength == 0)
        #expect(byPriority[185]?.invert == true && byPriority[185]?.fwmask == 1)
        #expect(byPriority[1000]?.action == .lookupL3mdevTable)
        #expect(router.interfaces.first { $0.name == "eth1" }?.group == "5")
    }

    @Test func unknownUIDOfALocalPacketIsUncertain() throws {
        let router = try RuleLabRouteGet.router()
        let unknown = router.lookup(RouteQuery(destination: ip("8.8.8.8"), ipProtocol: 6, sourcePort: 40000, destinationPort: 443))
        #expect(unknown.isUncertain)
        #expect(unknown.uncertainties.first?.contains("120: from all uidrange 1000-2000 lookup 102") == true)
        #expect(unknown.uncertainties.first?.contains("uid is not known") == true)
        #expect(unknown.table == .numbered(103), "the uncertain rule is assumed not to match")
        // Forwarded packets are routed as uid 0: no uncertainty.
        let forwarded = router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("10.0.0.50"), iif: "eth0",
                                                 ipProtocol: 6, sourcePort: 40000, destinationPort: 443))
        #expect(!forwarded.isUncertain && forwarded.table == .numbered(103))
    }

    @Test func unknownProtocolAndPortsAreUncertain() throws {
        let router = try RuleLabRouteGet.router()
        let result = router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("10.0.0.50"), iif: "eth0"))
        #expect(result.uncertainties.contains { $0.contains("100: from all ipproto tcp dport 80") && $0.contains("protocol is not known") })
        #expect(result.uncertainties.contains { $0.contains("110:") && $0.contains("port is not known") })
        // A known protocol that differs decides the rule even when its ports are unknown.
        let icmp = router.lookup(RouteQuery(destination: ip("8.8.8.8"), source: ip("10.0.0.50"), iif: "eth0", ipProtocol: 1))
        #expect(!icmp.uncertainties.contains { $0.contains("100:") })
    }
}
