import Foundation
import SkoopCollector
import SkoopModel

/// Which address families a lab's pods, nodes and services have.
public enum LabIPFamily: String, CaseIterable, Hashable, Sendable, Codable {
    /// IPv4 only (the lab as it always was).
    case ipv4
    /// IPv6 pods and services (nodes keep IPv4 too: the underlay the tunnels and tools use).
    case ipv6
    /// Both families everywhere (dual-stack Services: ipFamilies IPv4 and IPv6).
    case dual

    /// Whether pods and services have IPv4 addresses.
    public var hasIPv4: Bool { self != .ipv6 }
    /// Whether pods, nodes and services have IPv6 addresses.
    public var hasIPv6: Bool { self != .ipv4 }
    /// The families, IPv4 first.
    public var families: [AddressFamily] { (hasIPv4 ? [.inet] : []) + (hasIPv6 ? [.inet6] : []) }
}

/// The lab's IPv6 addressing: each IPv4 address a.b.c.d has the IPv6 twin fd00:a:b:c::d (the
/// decimal digits written as hex groups, so 10.244.1.2 reads fd00:10:244:1::2), a /8k prefix
/// the /(16+16k) twin (k < 4), a host /32 a /128. One plan, two families, addresses a reader can map at a glance.
public enum LabIPv6 {
    /// The IPv6 twin of an IPv4 address, canonical (RFC 5952).
    public static func address(_ ipv4: String) -> String {
        let octets = ipv4.split(separator: ".").map(String.init)
        guard octets.count == 4 else { return ipv4 }
        let text = "fd00:\(octets[0]):\(octets[1]):\(octets[2])::\(octets[3])"
        return IPAddress(text)?.description ?? text
    }

    /// The IPv6 twin of an IPv4 prefix ("10.244.1.0/24" -> "fd00:10:244:1::/64").
    public static func prefix(_ ipv4: String) -> String {
        let parts = ipv4.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]) else { return ipv4 }
        // The first three octets are the second to fourth groups; the last is the last group.
        return "\(address(String(parts[0])))/\(length == 32 ? 128 : 16 + length / 8 * 16)"
    }

    /// Calico's pod gateway: the link-local address of a veth with MAC ee:ee:ee:ee:ee:ee (EUI-64),
    /// which every cali* host veth gets by itself.
    public static let calicoGateway = "fe80::ecee:eeff:feee:eeee"
    /// The IPv6 service CIDR (kube-apiserver's second --service-cluster-ip-range).
    public static let serviceCIDR = "fd00:10:96::/112"
}

/// A lab node: its netns id, underlay address and pod CIDR.
public struct LabNode: Hashable, Sendable, Codable {
    /// The node name (also its netns id).
    public var name: String
    /// The underlay address on ens4.
    public var ip: String
    /// The third octet N of its pod CIDR 10.244.N.0/24.
    public var index: Int

    /// The pod CIDR, 10.244.N.0/24.
    public var podCIDR: String { "10.244.\(index).0/24" }
    /// The bridge gateway address, 10.244.N.1.
    public var bridgeGateway: String { "10.244.\(index).1" }
    /// The VTEP address on the VXLAN device: 10.244.N.0 (flannel) or 10.244.N.192 (calico).
    public func vtepAddress(_ scenario: LabScenario) -> String {
        scenario == .calicoVXLAN ? "10.244.\(index).192" : "10.244.\(index).0"
    }
    /// Calico's IPAM blocks of the node (a node may hold several): 10.244.N.0/26 for its pods,
    /// 10.244.N.192/26 for the VXLAN VTEP address, which Calico also allocates from the node's blocks.
    public var calicoBlocks: [String] { ["10.244.\(index).0/26", "10.244.\(index).192/26"] }
    /// What the CNI routes to this node's pods: Calico's blocks (never spec.podCIDR), else the
    /// pod CIDR; the first holds the node's pods.
    public func podRoutes(_ scenario: LabScenario) -> [String] { scenario.usesCalicoVeths ? calicoBlocks : [podCIDR] }
    /// spec.podCIDR of its Node object: for Calico, a range its IPAM does not use, as where
    /// Calico's pool differs from kubeadm's pod network CIDR (Calico ignores spec.podCIDR).
    public func nodePodCIDR(_ scenario: LabScenario) -> String {
        scenario.usesCalicoVeths ? "10.244.\(100 + index).0/24" : podCIDR
    }
    /// Calico's IPv6 blocks (/122, its default IPv6 block size): fd00:10:244:N::/122 for the pods
    /// and fd00:10:244:N::180/122 for the VTEP's IPv6 twin (fd00:10:244:N::192).
    public var calicoBlocks6: [String] {
        let base = LabIPv6.prefix(podCIDR).dropLast(3)  // "fd00:10:244:N::"
        return ["\(base)/122", "\(base)180/122"]
    }
    /// The IPv6 twin of ``podRoutes(_:)``: Calico's IPv6 blocks, else the IPv6 pod CIDR.
    public func podRoutes6(_ scenario: LabScenario) -> [String] { scenario.usesCalicoVeths ? calicoBlocks6 : [podCIDR6] }
    /// The underlay IPv6 address on ens4.
    public var ip6: String { LabIPv6.address(ip) }
    /// The IPv6 pod CIDR, fd00:10:244:N::/64.
    public var podCIDR6: String { LabIPv6.prefix(podCIDR) }
    /// The bridge's IPv6 gateway address, fd00:10:244:N::1.
    public var bridgeGateway6: String { LabIPv6.address(bridgeGateway) }
    /// The IPv6 VTEP address on the same VXLAN device (IPv6 inside, the IPv4 underlay outside).
    public func vtepAddress6(_ scenario: LabScenario) -> String { LabIPv6.address(vtepAddress(scenario)) }
    /// The fixed VTEP MAC address of the node's VXLAN device.
    public var vtepMAC: String { String(format: "0e:5c:00:00:00:%02x", index) }
}

/// A lab pod: a netns with eth0 on its node.
public struct LabPod: Hashable, Sendable, Codable {
    /// The namespace.
    public var namespace: String
    /// The pod name.
    public var name: String
    /// The node it runs on.
    public var node: String
    /// Its IPv4 address.
    public var ip: String
    /// Its IPv6 address (fd00:10:244:N::H), when the lab has IPv6.
    public var ip6: String? = nil
    /// Its labels.
    public var labels: [String: String]
    /// TCP ports it listens on.
    public var tcpPorts: [Int]

    /// The netns id: "pod-NAME".
    public var netnsID: String { "pod-\(name)" }
    /// The host-side veth name: cali + 11 hex of sha1("NAMESPACE.POD") for Calico,
    /// else veth + 8 hex of the same digest.
    public func hostVeth(_ scenario: LabScenario) -> String {
        let digest = SHA1.hex(of: "\(namespace).\(name)")
        return scenario.usesCalicoVeths ? "cali" + digest.prefix(11) : "veth" + digest.prefix(8)
    }
}

/// One backend of a service.
public struct LabEndpoint: Hashable, Sendable, Codable {
    /// The backend pod.
    public var pod: String
    /// Its address.
    public var ip: String
    /// Its node.
    public var node: String
    /// Its IPv6 address, when the lab has IPv6.
    public var ip6: String? = nil
}

/// A ClusterIP or NodePort service and its endpoints.
public struct LabService: Hashable, Sendable, Codable {
    /// The namespace.
    public var namespace: String
    /// The service name.
    public var name: String
    /// The ClusterIP.
    public var clusterIP: String
    /// The service port.
    public var port: Int
    /// The backend port.
    public var targetPort: Int
    /// The node port, when the service is a NodePort.
    public var nodePort: Int?
    /// The selector.
    public var selector: [String: String]
    /// The endpoints (empty: kube-proxy rejects the service).
    public var endpoints: [LabEndpoint]
    /// spec.externalIPs (kube-proxy answers them on every node; the lab's router routes them to one).
    public var externalIPs: [String] = []
    /// The LoadBalancer ingress IP (status.loadBalancer.ingress), when the service is a LoadBalancer.
    public var loadBalancerIP: String? = nil
    /// spec.loadBalancerSourceRanges (kube-proxy's KUBE-FW chain admits only them).
    public var sourceRanges: [String] = []
    /// The IPv6 side of a dual-stack service: ClusterIP, externalIPs, LoadBalancer IP and
    /// source ranges of that family (the endpoints carry their own IPv6 addresses).
    public var ipv6: LabServiceIPv6? = nil
    /// The port name.
    public var portName: String { "http" }

    /// The service as kube-proxy's rules of one family see it: for IPv6, its IPv6 ClusterIP,
    /// external addresses, source ranges and endpoint addresses. Nil when it has none of that family.
    public func family(_ family: AddressFamily) -> LabService? {
        guard family == .inet6 else { return self }
        guard let ipv6 else { return nil }
        var service = self
        service.clusterIP = ipv6.clusterIP
        service.externalIPs = ipv6.externalIPs
        service.loadBalancerIP = ipv6.loadBalancerIP
        service.sourceRanges = ipv6.sourceRanges
        service.endpoints = endpoints.compactMap { endpoint in
            endpoint.ip6.map { LabEndpoint(pod: endpoint.pod, ip: $0, node: endpoint.node) }
        }
        service.ipv6 = nil
        return service
    }
}

/// The IPv6 addresses of a dual-stack lab service.
public struct LabServiceIPv6: Hashable, Sendable, Codable {
    /// The IPv6 ClusterIP.
    public var clusterIP: String
    /// IPv6 externalIPs.
    public var externalIPs: [String] = []
    /// The IPv6 LoadBalancer ingress IP.
    public var loadBalancerIP: String? = nil
    /// IPv6 loadBalancerSourceRanges.
    public var sourceRanges: [String] = []
}

/// The whole lab cluster as values: what the plan builds and the k8s JSON describes.
public struct LabTopology: Hashable, Sendable, Codable {
    /// The scenario.
    public var scenario: LabScenario
    /// The fault, if any.
    public var fault: LabFault?
    /// The iptables backend kube-proxy's rules are loaded with.
    public var backend: IptablesBackend
    /// kube-proxy's mode: iptables rules, or its nftables table (the CNI's rules stay iptables).
    public var proxyMode: LabProxyMode = .iptables
    /// The address families of pods and services (nodes keep IPv4 always).
    public var ipFamily: LabIPFamily = .ipv4
    /// The nodes.
    public var nodes: [LabNode]
    /// The pods.
    public var pods: [LabPod]
    /// The services.
    public var services: [LabService]
    /// The underlay router's netns id, and its name under the snapshot's infra/.
    public static let routerName = "router"
    /// The router's underlay address.
    public static let routerIP = "192.168.56.1"
    /// The router's address on the external network.
    public static let routerExternalIP = "172.30.0.1"
    /// The external host's address.
    public static let externalIP = "172.30.0.10"
    /// A second address of the external host, outside web-lb's loadBalancerSourceRanges.
    public static let blockedExternalIP = "172.30.0.11"
    /// The LoadBalancer ingress IP of web-lb: the router spreads it over every node (ECMP).
    public static let loadBalancerIP = "192.168.100.30"
    /// The externalIP of web-ext: the router routes it to node2.
    public static let serviceExternalIP = "192.168.100.31"
    /// The cluster CIDR.
    public static let clusterCIDR = "10.244.0.0/16"
    /// The service CIDR.
    public static let serviceCIDR = "10.96.0.0/12"
    /// The IPv6 cluster CIDR.
    public static let clusterCIDR6 = LabIPv6.prefix(clusterCIDR)

    /// The standard lab: node1 (web-0, client) and node2 (web-1, client2), services web
    /// (NodePort 30080, both web pods), web-0 (only web-0), empty (no endpoints), web-lb (a
    /// LoadBalancer admitting only the external host's first address) and web-ext (an externalIP); with the
    /// asymmetric-return fault, a third node without pods (node3) that replies detour through.
    public init(scenario: LabScenario, fault: LabFault? = nil, backend: IptablesBackend = .nft,
                proxyMode: LabProxyMode = .iptables, ipFamily: LabIPFamily = .ipv4) {
        self.proxyMode = proxyMode
        self.ipFamily = ipFamily
        self.scenario = scenario
        self.fault = fault
        self.backend = backend
        nodes = [LabNode(name: "node1", ip: "192.168.56.11", index: 1),
                 LabNode(name: "node2", ip: "192.168.56.12", index: 2)]
        if fault == .asymmetricReturn { nodes.append(LabNode(name: "node3", ip: "192.168.56.13", index: 3)) }
        let listening = fault == .noListener
        pods = [
            LabPod(namespace: "default", name: "web-0", node: "node1", ip: "10.244.1.2",
                   labels: ["app": "web", "statefulset.kubernetes.io/pod-name": "web-0"], tcpPorts: [8080]),
            LabPod(namespace: "default", name: "client", node: "node1", ip: "10.244.1.3",
                   labels: ["app": "client"], tcpPorts: []),
            LabPod(namespace: "default", name: "web-1", node: "node2", ip: "10.244.2.2",
                   labels: ["app": "web", "statefulset.kubernetes.io/pod-name": "web-1"],
                   tcpPorts: listening ? [] : [8080]),
            LabPod(namespace: "default", name: "client2", node: "node2", ip: "10.244.2.3",
                   labels: ["app": "client"], tcpPorts: []),
        ]
        if ipFamily.hasIPv6 {
            for index in pods.indices { pods[index].ip6 = LabIPv6.address(pods[index].ip) }
        }
        let webPods = pods.filter { $0.labels["app"] == "web" }
        func endpoints(_ pods: [LabPod]) -> [LabEndpoint] {
            pods.map { LabEndpoint(pod: $0.name, ip: $0.ip, node: $0.node, ip6: $0.ip6) }
        }
        services = [
            LabService(namespace: "default", name: "web", clusterIP: "10.96.0.10", port: 80, targetPort: 8080,
                       nodePort: 30080, selector: ["app": "web"],
                       endpoints: fault == .serviceNoEndpoints ? [] : endpoints(webPods)),
            LabService(namespace: "default", name: "web-0", clusterIP: "10.96.0.11", port: 80, targetPort: 8080,
                       nodePort: nil, selector: ["statefulset.kubernetes.io/pod-name": "web-0"],
                       endpoints: endpoints(webPods.filter { $0.name == "web-0" })),
            LabService(namespace: "default", name: "empty", clusterIP: "10.96.0.20", port: 80, targetPort: 8080,
                       nodePort: nil, selector: ["app": "empty"], endpoints: []),
            LabService(namespace: "default", name: "web-lb", clusterIP: "10.96.0.30", port: 80, targetPort: 8080,
                       nodePort: 30081, selector: ["app": "web"], endpoints: endpoints(webPods),
                       loadBalancerIP: Self.loadBalancerIP, sourceRanges: ["\(Self.externalIP)/32"]),
            LabService(namespace: "default", name: "web-ext", clusterIP: "10.96.0.31", port: 80, targetPort: 8080,
                       nodePort: nil, selector: ["app": "web"], endpoints: endpoints(webPods),
                       externalIPs: [Self.serviceExternalIP]),
        ]
        if ipFamily.hasIPv6 {
            for index in services.indices {
                let service = services[index]
                services[index].ipv6 = LabServiceIPv6(
                    clusterIP: LabIPv6.address(service.clusterIP), externalIPs: service.externalIPs.map(LabIPv6.address),
                    loadBalancerIP: service.loadBalancerIP.map(LabIPv6.address), sourceRanges: service.sourceRanges.map(LabIPv6.prefix))
            }
        }
    }

    /// The address of a pod, node or the external host in `family` (ipv4: its `ip`).
    public func address(of name: String, family: AddressFamily) -> String? {
        let ipv4: String?
        if let pod = pod(name) {
            if family == .inet6 { return pod.ip6 }
            ipv4 = pod.ip
        } else if let node = node(name) {
            ipv4 = node.ip
        } else if name == "ext" {
            ipv4 = Self.externalIP
        } else {
            ipv4 = nil
        }
        guard let ipv4 else { return nil }
        return family == .inet6 ? (ipFamily.hasIPv6 ? LabIPv6.address(ipv4) : nil) : ipv4
    }

    /// The node named `name`.
    public func node(_ name: String) -> LabNode? { nodes.first { $0.name == name } }
    /// The pod named `name`.
    public func pod(_ name: String) -> LabPod? { pods.first { $0.name == name } }
    /// The pod with address `ip`.
    public func pod(ip: String) -> LabPod? { pods.first { $0.ip == ip || $0.ip6 == ip } }
    /// The pods of a node.
    public func pods(on node: String) -> [LabPod] { pods.filter { $0.node == node } }
    /// Every node other than `name`.
    public func otherNodes(than name: String) -> [LabNode] { nodes.filter { $0.name != name } }
    /// Every netns id of the lab, underlay first.
    public var netnsIDs: [String] { ["underlay", "router", "ext"] + nodes.map(\.name) + pods.map(\.netnsID) }
}
