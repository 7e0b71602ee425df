import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// A netns of the lab-basic capture, read through the parsers into a Router.
enum LabNetns {
    static let nodes = "lab-basic/nodes"

    /// Every netns directory, as (id, path): "node1" for node1's host netns, "pod-client" for pods.
    static func all() throws -> [(id: String, path: String)] {
        var result: [(String, String)] = []
        let fm = FileManager.default
        for node in try fm.contentsOfDirectory(atPath: Fixtures.url(nodes).path).sorted() {
            for netns in try fm.contentsOfDirectory(atPath: Fixtures.url("\(nodes)/\(node)/netns").path).sorted() {
                result.append((netns == "host" ? node : netns, "\(nodes)/\(node)/netns/\(netns)/"))
            }
        }
        return result
    }

    static func router(at path: String) throws -> Router {
        func data(_ file: String) throws -> Data { try Fixtures.data(path + file) }
        let rules = try PolicyRule.parse(data("ip-rule.json"), source: "ip-rule.json")
            + PolicyRule.parse(data("ip-rule6.json"), source: "ip-rule6.json", family: .inet6)
        let routes = try Route.parse(data("ip-route.json"), source: "ip-route.json")
            + Route.parse(data("ip-route6.json"), source: "ip-route6.json", family: .inet6)
        return Router(interfaces: try NetInterface.parse(data("ip-link.json"), source: "ip-link.json"),
                      addresses: try InterfaceAddress.parse(data("ip-addr.json"), source: "ip-addr.json"),
                      rules: rules, routes: routes)
    }
}

/// One `ip -j route get` recorded in ground-truth/, with the query its file name encodes.
struct GroundTruthRouteGet: CustomTestStringConvertible, Sendable {
    var file: String
    var netnsPath: String
    var query: RouteQuery
    /// The kernel's answer, or nil when `ip route get` failed (then `error` holds its message).
    var answer: [String: String]?
    var error: String?

    var testDescription: String { file }

    static func all() throws -> [GroundTruthRouteGet] {
        let directory = Fixtures.url("lab-basic/ground-truth")
        let netns = try LabNetns.all().sorted { $0.id.count > $1.id.count }
        var result: [GroundTruthRouteGet] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        where file.hasPrefix("route-") && (file.hasSuffix(".json") || file.hasSuffix(".err")) {
            let stem = String(file.dropFirst("route-".count).dropLast(file.hasSuffix(".json") ? 5 : 4))
            guard let (id, path) = netns.first(where: { stem.hasPrefix($0.id + "-") }) else { continue }
            var words = stem.dropFirst(id.count + 1).split(separator: "-").map { $0.replacingOccurrences(of: "_", with: ":") }
            guard !words.isEmpty, let destination = IPAddress(words.removeFirst()) else { continue }
            var query = RouteQuery(destination: destination)
            while words.count >= 2 {
                let (key, value) = (words.removeFirst(), words.removeFirst())
                switch key {
                case "from": query.source = IPAddress(value)
                case "iif": query.iif = value
                case "mark": query.fwmark = UInt32(value.dropFirst(2), radix: 16) ?? UInt32(value) ?? 0
                default: break
                }
            }
            let contents = try Data(contentsOf: directory.appendingPathComponent(file))
            var entry = GroundTruthRouteGet(file: file, netnsPath: path, query: query)
            if file.hasSuffix(".err") {
                // A failed `ip route get` leaves an empty .json next to its .err.
                entry.error = String(decoding: contents, as: UTF8.self)
            } else {
                guard !contents.isEmpty,
                      let list = try JSONSerialization.jsonObject(with: contents) as? [[String: Any]],
                      let first = list.first else { continue }
                entry.answer = first.compactMapValues { $0 as? String }
            }
            result.append(entry)
        }
        return result
    }
}

@Suite struct RouterLabAgreementTests {
    static let cases = (try? GroundTruthRouteGet.all()) ?? []

    @Test func groundTruthIsThere() {
        #expect(Self.cases.count >= 20, "lab-basic/ground-truth should hold the route-get captures")
        #expect(Self.cases.contains { $0.error != nil } && Self.cases.contains { $0.query.destination.family == .inet6 })
    }

    @Test(arguments: cases) func routerAgreesWithTheKernel(_ truth: GroundTruthRouteGet) throws {
        let router = try LabNetns.router(at: truth.netnsPath)
        let result = router.lookup(truth.query)
        if let error = truth.error {
            let expected: RouteOutcome = error.contains("Invalid argument") ? .blackhole
                : error.contains("No route to host") ? .unreachable
                : error.contains("Permission denied") ? .prohibit : .noRoute
            #expect(result.outcome == expected, "\(result)")
            return
        }
        let answer = try #require(truth.answer)
        #expect(result.outcome.rawValue == (answer["type"] ?? "unicast"), "\(result)")
        #expect(result.table?.description == (answer["table"] ?? "main"), "\(result)")
        // A multipath answer is one of the branches (the kernel hashes the flow to one of them).
        let kernelBranch = RouteBranch(gateway: answer["gateway"].flatMap(IPAddress.init), oif: answer["dev"])
        #expect(result.branches.contains { $0.gateway == kernelBranch.gateway && $0.oif == kernelBranch.oif }, "\(result)")
        if result.branches.count == 1 {
            #expect(result.oif == answer["dev"] && result.gateway?.description == answer["gateway"])
        }
        if let prefsrc = answer["prefsrc"] {
            #expect(result.source?.description == prefsrc, "\(result)")
        } else if truth.query.iif != nil {
            #expect(result.source == nil)
        } else {
            #expect(result.source == truth.query.source, "the kernel prints no src when it is the given one")
        }
    }

    @Test func agreementCoversMultipathBlackholeFwmarkAndLocal() {
        let files = Self.cases.map(\.file)
        #expect(files.contains("route-node2-10.99.0.5.json"))
        #expect(files.contains("route-node2-10.98.0.1.err"))
        #expect(files.contains("route-node1-10.244.2.2-from-10.244.1.3-iif-cni0-mark-0x200.json"))
        #expect(files.contains("route-node1-192.168.56.11-from-172.30.0.10-iif-ens4.json"))
    }
}

@Suite struct RouterLabReversePathTests {
    @Test func node1ChecksPodTrafficByItsArrivalInterface() throws {
        let node1 = try LabNetns.router(at: "lab-basic/nodes/node1/netns/host/")
        // web-1 (node2) -> web-0 arrives from the underlay: its route back leaves through ens4.
        #expect(node1.reversePathCheck(packetSource: ip("10.244.2.2"), arrivedOn: "ens4", destination: ip("10.244.1.2"), mode: .strict))
        #expect(!node1.reversePathCheck(packetSource: ip("10.244.2.2"), arrivedOn: "cni0", destination: ip("10.244.1.2"), mode: .strict))
        #expect(node1.reversePathCheck(packetSource: ip("10.244.2.2"), arrivedOn: "cni0", destination: ip("10.244.1.2"), mode: .loose))
        #expect(node1.reversePathCheck(packetSource: ip("fd00:10:244:1::3"), arrivedOn: "cni0", destination: ip("fd00:10:244:2::2"), mode: .strict))
        let node2 = try LabNetns.router(at: "lab-basic/nodes/node2/netns/host/")
        #expect(!node2.reversePathCheck(packetSource: ip("10.98.0.1"), arrivedOn: "ens4", destination: ip("10.244.2.2"), mode: .loose),
                "the route back is a blackhole")
        #expect(node2.reversePathCheck(packetSource: ip("10.99.0.7"), arrivedOn: "ens4", destination: ip("10.244.2.2"), mode: .strict))
    }
}
