import Foundation
import SkoopCollector

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
    /// The port name.
    public var portName: String { "http" }
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

    /// The standard lab: node1 (web-0, client) and node2 (web-1, client2), services web
    /// (NodePort 30080, both web pods), web-0 (only web-0), empty (no endpoints), web-lb (a
    /// LoadBalancer admitting only the external host's first address) and web-ext (an externalIP); with the
    /// asymmetric-return fault, a third node without pods (node3) that replies detour through.
    public init(scenario: LabScenario, fault: LabFault? = nil, backend: IptablesBackend = .nft,
                proxyMode: LabProxyMode = .iptables) {
        self.proxyMode = proxyMode
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
        let webPods = pods.filter { $0.labels["app"] == "web" }
        func endpoints(_ pods: [LabPod]) -> [LabEndpoint] {
            pods.map { LabEndpoint(pod: $0.name, ip: $0.ip, node: $0.node) }
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
    }

    /// The node named `name`.
    public func node(_ name: String) -> LabNode? { nodes.first { $0.name == name } }
    /// The pod named `name`.
    public func pod(_ name: String) -> LabPod? { pods.first { $0.name == name } }
    /// The pod with address `ip`.
    public func pod(ip: String) -> LabPod? { pods.first { $0.ip == ip } }
    /// The pods of a node.
    public func pods(on node: String) -> [LabPod] { pods.filter { $0.node == node } }
    /// Every node other than `name`.
    public func otherNodes(than name: String) -> [LabNode] { nodes.filter { $0.name != name } }
    /// Every netns id of the lab, underlay first.
    public var netnsIDs: [String] { ["underlay", "router", "ext"] + nodes.map(\.name) + pods.map(\.netnsID) }
}
