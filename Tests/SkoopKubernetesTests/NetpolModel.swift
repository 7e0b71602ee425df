import Foundation
import SkoopKubernetes
import SkoopModel

/// The upstream e2e NetworkPolicy model (kubernetes test/e2e/network/netpol): namespaces x, y, z
/// holding pods a, b, c labelled pod=NAME, each serving ports 80 and 81 over TCP, UDP and SCTP
/// with container ports named serve-PORT-PROTOCOL. Policies are given as the API's JSON.
struct NetpolModel {
    static let namespaces = ["x", "y", "z"]
    static let podNames = ["a", "b", "c"]

    /// The pod's address: 10.0.NS.POD (x=1, a=1).
    static func address(_ pod: String) -> IPAddress {
        let parts = pod.split(separator: "/").map(String.init)
        let ns = namespaces.firstIndex(of: parts[0])! + 1
        let name = podNames.firstIndex(of: parts[1])! + 1
        return IPAddress("10.0.\(ns).\(name)")!
    }

    static func podJSON(_ qualified: String, labels: [String: String]) -> String {
        let parts = qualified.split(separator: "/").map(String.init)
        var containers: [String] = []
        for proto in ["TCP", "UDP", "SCTP"] {
            for port in [80, 81] {
                containers.append("""
                {"name":"cont-\(port)-\(proto.lowercased())","ports":[{"containerPort":\(port),"name":"serve-\(port)-\(proto.lowercased())","protocol":"\(proto)"}]}
                """)
            }
        }
        let labelText = labels.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        return """
        {"metadata":{"namespace":"\(parts[0])","name":"\(parts[1])","labels":{\(labelText)}},
         "spec":{"nodeName":"n1","containers":[\(containers.joined(separator: ","))]},
         "status":{"phase":"Running","podIP":"\(address(qualified))","podIPs":[{"ip":"\(address(qualified))"}]}}
        """
    }

    /// A NetworkPolicy object in `namespace` with `spec` (JSON text).
    static func policy(_ namespace: String, _ name: String, _ spec: String) -> String {
        "{\"metadata\":{\"namespace\":\"\(namespace)\",\"name\":\"\(name)\"},\"spec\":\(spec)}"
    }

    let cluster: ClusterState

    /// The model with `policies`; `podLabels` and `namespaceLabels` add labels (the "updated" tests).
    init(policies: [String], podLabels: [String: [String: String]] = [:], namespaceLabels: [String: [String: String]] = [:],
         admin: [String] = [], baseline: [String] = []) throws {
        var pods: [String] = []
        for ns in Self.namespaces {
            for name in Self.podNames {
                let qualified = "\(ns)/\(name)"
                pods.append(Self.podJSON(qualified, labels: ["pod": name].merging(podLabels[qualified] ?? [:]) { $1 }))
            }
        }
        func list(_ items: [String]) -> Data { Data("{\"kind\":\"List\",\"items\":[\(items.joined(separator: ","))]}".utf8) }
        let decodedPolicies = try KubernetesJSON.networkPolicies(list(policies), source: "policies.json")
        let decodedPods = try KubernetesJSON.pods(list(pods), source: "pods.json")
        let namespaces = Self.namespaces.map { Namespace(name: $0, labels: namespaceLabels[$0] ?? [:]) }
        let adminPolicies = try KubernetesJSON.adminNetworkPolicies(list(admin), source: "anp.json")
            + KubernetesJSON.baselineAdminNetworkPolicies(list(baseline), source: "banp.json")
        cluster = ClusterState(pods: decodedPods, networkPolicies: decodedPolicies, namespaces: namespaces)
            .with(adminNetworkPolicies: adminPolicies)
    }

    /// The decision for one pod pair.
    func decide(_ from: String, _ to: String, port: UInt16, protocol proto: TransportProtocol = .tcp) -> PolicyDecision {
        cluster.evaluateNetworkPolicies(PolicyFlow(source: cluster.policyFlowEnd(ip: Self.address(from)),
                                                   destination: cluster.policyFlowEnd(ip: Self.address(to)),
                                                   port: port, protocol: proto))
    }

    /// The cells where the decision differs from `expected`, as "x/a->y/b: expected allow" lines
    /// (loopback ignored, as upstream does).
    func differences(_ expected: Reachability, port: UInt16, protocol proto: TransportProtocol = .tcp) -> [String] {
        var found: [String] = []
        for from in expected.pods {
            for to in expected.pods where from != to {
                let want = expected.allowed(from, to)
                if decide(from, to, port: port, protocol: proto).allowed != want {
                    found.append("\(from)->\(to) \(proto.rawValue)/\(port): expected \(want ? "allow" : "deny")")
                }
            }
        }
        return found
    }
}

/// An expected truth table, built like upstream's Reachability: everything allowed, then
/// patterns ("x/a", "x/*", "*/*") set to allow or deny, later settings winning.
struct Reachability {
    let pods: [String]
    private var settings: [(from: String, to: String, allowed: Bool)] = []

    init(_ pods: String...) { self.pods = pods }

    /// ExpectPeer / Expect / ExpectAllIngress / ExpectAllEgress in one form.
    func expect(_ from: String, _ to: String, _ allowed: Bool) -> Reachability {
        var copy = self
        copy.settings.append((from, to, allowed))
        return copy
    }

    func allowed(_ from: String, _ to: String) -> Bool {
        var result = true
        for setting in settings where Self.matches(setting.from, from) && Self.matches(setting.to, to) {
            result = setting.allowed
        }
        return result
    }

    private static func matches(_ pattern: String, _ pod: String) -> Bool {
        let want = pattern.split(separator: "/")
        let have = pod.split(separator: "/")
        return zip(want, have).allSatisfy { $0 == "*" || $0 == $1 }
    }
}
