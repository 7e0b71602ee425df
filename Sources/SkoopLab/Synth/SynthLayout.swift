/// The size of a synthetic cluster (`skoop lab synth`).
public struct SynthSpec: Hashable, Sendable {
    /// Number of nodes (at most 16,384: each gets a /24 of 10.64.0.0/10).
    public var nodes: Int
    /// Number of pods, spread round-robin over the nodes (at most 250 per node).
    public var pods: Int
    /// Number of ClusterIP services (at most 65,000: 10.0.0.0/16).
    public var services: Int
    /// Endpoints per service.
    public var endpoints: Int
    /// Whether pods carry a `tier` label and every service namespace NetworkPolicies on it
    /// (`SynthLayout.policies`); off, the snapshot has no policies, as before.
    public var policies: Bool
    /// kube-proxy's mode: iptables (KUBE-* chains in iptables.txt) or nftables (table
    /// `ip kube-proxy` in nft.json, the CNI's rules alone in iptables.txt).
    public var proxy: LabProxyMode

    /// Makes a spec; `validate()` says whether it can be laid out.
    public init(nodes: Int, pods: Int, services: Int, endpoints: Int, policies: Bool = false, proxy: LabProxyMode = .iptables) {
        self.nodes = nodes
        self.pods = pods
        self.services = services
        self.endpoints = endpoints
        self.policies = policies
        self.proxy = proxy
    }

    /// A problem that keeps the spec from being laid out, or nil.
    public func validate() -> String? {
        if nodes < 1 || nodes > 16_384 { return "--nodes must be between 1 and 16384" }
        if pods < 1 { return "--pods must be at least 1" }
        if (pods + nodes - 1) / nodes > 250 { return "at most 250 pods per node fit in a node's /24" }
        if services < 0 || services > 65_000 { return "--services must be between 0 and 65000" }
        if endpoints < 1 || endpoints > pods { return "--endpoints must be between 1 and --pods" }
        return nil
    }
}

/// Names and addresses of everything in a synthetic cluster, computed (never stored), so the
/// generator, the benchmarks and the tests agree without reading the snapshot back.
///
/// Pods are dealt round-robin over the nodes; the endpoints of service `s` are the pods
/// `s·E … s·E+E-1` (modulo the pod count), so a service's backends sit on E different nodes
/// when there are at least E nodes. The last pod is the client the benchmarks diagnose from.
public struct SynthLayout: Sendable {
    /// The spec laid out.
    public let spec: SynthSpec

    /// The pod network, one /24 per node.
    public static let clusterCIDR = "10.64.0.0/10"
    /// The service network.
    public static let serviceCIDR = "10.0.0.0/16"
    /// The port every service exposes.
    public static let servicePort = 80
    /// The port every backend listens on.
    public static let targetPort = 8080
    /// Namespaces services (and their backends) are spread over.
    public static let namespaceCount = 40

    /// Lays out `spec`.
    public init(spec: SynthSpec) { self.spec = spec }

    // MARK: Nodes

    /// The name of node `n`.
    public func nodeName(_ n: Int) -> String { "node-\(pad(n, 5))" }
    /// The underlay address of node `n` (172.20.0.0/16).
    public func nodeIP(_ n: Int) -> String { "172.20.\((n + 10) >> 8).\((n + 10) & 255)" }
    /// The first three octets of node `n`'s pod subnet.
    func podNet(_ n: Int) -> String { "10.\(64 + (n >> 8)).\(n & 255)" }
    /// Node `n`'s cni0 address, its pods' gateway.
    public func bridgeIP(_ n: Int) -> String { "\(podNet(n)).1" }
    /// Node `n`'s pod subnet.
    public func podCIDR(_ n: Int) -> String { "\(podNet(n)).0/24" }
    /// The MAC of node `n`'s flannel.1 VTEP.
    func vtepMAC(_ n: Int) -> String { mac(0x0e, 1, n) }
    /// The MAC of node `n`'s uplink.
    func uplinkMAC(_ n: Int) -> String { mac(0x52, 2, n) }
    /// The MAC of node `n`'s cni0 bridge.
    func bridgeMAC(_ n: Int) -> String { mac(0x62, 3, n) }

    // MARK: Pods

    /// The node pod `p` runs on.
    public func node(ofPod p: Int) -> Int { p % spec.nodes }
    /// Pod `p`'s slot on its node (0-based).
    func slot(ofPod p: Int) -> Int { p / spec.nodes }
    /// The number of pods on node `n`.
    public func podCount(onNode n: Int) -> Int { spec.pods / spec.nodes + (n < spec.pods % spec.nodes ? 1 : 0) }
    /// The pod in `slot` of node `n`.
    public func pod(node n: Int, slot: Int) -> Int { slot * spec.nodes + n }
    /// Pod `p`'s address.
    public func podIP(_ p: Int) -> String { "\(podNet(node(ofPod: p))).\(slot(ofPod: p) + 2)" }
    /// The service pod `p` backs (its app label), or nil for a plain workload pod.
    public func service(ofPod p: Int) -> Int? {
        let group = p / spec.endpoints
        return group < spec.services ? group : nil
    }
    /// Pod `p`'s namespace.
    public func podNamespace(_ p: Int) -> String {
        service(ofPod: p).map(serviceNamespace) ?? "workloads"
    }
    /// Pod `p`'s tier label: a service's backends are web, api or db by the service's number,
    /// workload pods batch.
    public func tier(ofPod p: Int) -> String {
        service(ofPod: p).map { ["web", "api", "db"][$0 % 3] } ?? "batch"
    }
    /// Pod `p`'s name (a Deployment's ReplicaSet pod).
    public func podName(_ p: Int) -> String { "\(appName(ofPod: p))-7d4b9c\(hex(p % 4096, 3))-\(suffix(p))" }
    /// The app (Deployment) pod `p` belongs to.
    func appName(ofPod p: Int) -> String {
        service(ofPod: p).map(serviceName) ?? "worker-\(pad(p / 10, 5))"
    }
    /// The netns folder of pod `p` (containerd's naming: `cni-UUID`).
    public func netnsID(ofPod p: Int) -> String {
        let h = hex(p, 8)
        return "cni-\(h)-5a1e-4c0d-9b7f-\(hex(p &* 2_654_435_761 & 0xffff_ffff, 8))0000"
    }
    /// The host-side veth of pod `p`.
    public func vethName(ofPod p: Int) -> String { "veth\(hex(p &* 2_246_822_519 & 0xffff_ffff, 8))" }
    /// The MAC of pod `p`'s eth0.
    func podMAC(_ p: Int) -> String { mac(0x3a, 4, p) }
    /// The MAC of the host side of pod `p`'s veth.
    func vethMAC(_ p: Int) -> String { mac(0x8a, 5, p) }
    /// The client the benchmarks start from: the last pod (a workload pod when P > S·E).
    public var clientPod: Int { spec.pods - 1 }

    // MARK: Services

    /// Service `s`'s name.
    public func serviceName(_ s: Int) -> String { "svc-\(pad(s, 5))" }
    /// Service `s`'s namespace.
    public func serviceNamespace(_ s: Int) -> String { "team-\(pad(s % SynthLayout.namespaceCount, 2))" }
    /// Service `s`'s ClusterIP (10.0.0.10 onwards).
    public func clusterIP(_ s: Int) -> String { "10.0.\((s + 10) >> 8).\((s + 10) & 255)" }
    /// Service `s`'s NodePort, for every fourth service.
    public func nodePort(_ s: Int) -> Int? { s % 4 == 0 && s / 4 < 2_768 ? 30_000 + s / 4 : nil }
    /// The pods backing service `s`.
    public func endpoints(ofService s: Int) -> [Int] {
        (0..<spec.endpoints).map { (s * spec.endpoints + $0) % spec.pods }
    }

    // MARK: Policies

    /// The NetworkPolicies of every service namespace, as `kubectl get -o json` items: all
    /// ingress denied but to web pods (from any namespace) and to api pods (from web pods of the
    /// same namespace), both on the target port; db pods are reached by nobody. The workloads
    /// namespace has none.
    public func policies() -> [String] {
        guard spec.policies else { return [] }
        let namespaces = Set((0..<spec.services).map(serviceNamespace)).sorted()
        let port = "\"ports\":[{\"port\":\(SynthLayout.targetPort),\"protocol\":\"TCP\"}]"
        return namespaces.flatMap { namespace -> [String] in
            func policy(_ name: String, _ body: String) -> String {
                "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"\(name)\",\"namespace\":\"\(namespace)\"},\"spec\":\(body)}"
            }
            return [
                policy("default-deny-ingress", "{\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}"),
                policy("allow-web", "{\"podSelector\":{\"matchLabels\":{\"tier\":\"web\"}},\"ingress\":[{\"from\":[{\"namespaceSelector\":{}}],\(port)}],\"policyTypes\":[\"Ingress\"]}"),
                policy("allow-api-from-web", "{\"podSelector\":{\"matchLabels\":{\"tier\":\"api\"}},\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"tier\":\"web\"}}}],\(port)}],\"policyTypes\":[\"Ingress\"]}"),
            ]
        }
    }

    // MARK: Helpers

    func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The link-local IPv6 address of pod `p`'s host-side veth (every group at most 4 digits,
    /// for any pod number the envelope reaches).
    func vethLinkLocal(ofPod p: Int) -> String {
        "fe80::88\(hex(p & 0xff, 2)):\(hex((p >> 8) & 0xff, 2))ff:fe\(hex((p >> 16) & 0xff, 2)):\(hex(p & 0xffff, 1))"
    }

    func hex(_ value: Int, _ width: Int) -> String {
        let digits = String(value, radix: 16)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A deterministic, locally administered MAC: a prefix byte, a kind byte, 32 bits of index.
    func mac(_ prefix: Int, _ kind: Int, _ index: Int) -> String {
        let bytes = [prefix, kind, (index >> 24) & 255, (index >> 16) & 255, (index >> 8) & 255, index & 255]
        return bytes.map { hex($0, 2) }.joined(separator: ":")
    }

    /// A 5-character pod-name suffix like the ReplicaSet controller's.
    func suffix(_ p: Int) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var value = p &* 40_503 &+ 12_345, out = ""
        for _ in 0..<5 {
            out.append(alphabet[value % alphabet.count])
            value /= alphabet.count
        }
        return out
    }
}
