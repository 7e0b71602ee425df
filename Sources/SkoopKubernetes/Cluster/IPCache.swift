import SkoopModel

/// What a service address is.
public enum ServiceAddressKind: String, Hashable, Sendable {
    case clusterIP
    case externalIP
    case loadBalancer
    case nodePort
}

/// Who owns an address in the cluster.
public enum AddressOwner: Hashable, Sendable {
    /// A pod's own address (never a host-network pod: its address is its node's).
    case pod(Pod)
    /// A node address (InternalIP or ExternalIP), shared by its host-network pods.
    case node(Node)
    /// A service's cluster IP, external IP or load balancer ingress IP.
    case service(Service, ServiceAddressKind)
    /// Nothing in the cluster.
    case external

    /// The model's endpoint type for this owner.
    public var endpointType: EndpointType {
        switch self {
        case .pod: .pod
        case .node: .node
        case .service(_, let kind): kind == .loadBalancer ? .loadBalancer : .service
        case .external: .external
        }
    }
}

/// A service port reached through one of its addresses.
public struct ServiceFrontend: Hashable, Sendable {
    /// The service.
    public var service: Service
    /// The port mapping that matched.
    public var port: Service.Port
    /// How it was reached.
    public var kind: ServiceAddressKind
}

/// The address index: which pod, node or service owns an IP (IPv4 and IPv6).
public struct IPCache: Sendable {
    /// Positions in `pods`: a pod is decoded only when an address lookup returns it.
    private let podAddresses: PodAddressIndex
    private let pods: PodCatalog
    /// Positions in `nodes`: a node is decoded only when an address lookup returns it.
    private var nodesByIP: [IPAddress: Int] = [:]
    private let nodes: NodeCatalog
    /// Positions in `services`, in file order: a Service is decoded only when a lookup returns it.
    private var servicesByIP: [IPAddress: [(position: Int, kind: ServiceAddressKind)]] = [:]
    private var nodePorts: [ServiceCatalog.Entry.NodePort: [Int]] = [:]
    private let services: ServiceCatalog

    /// Indexes the objects' addresses.
    /// - Complexity: O(objects).
    init(nodes: NodeCatalog, pods: PodCatalog, services: ServiceCatalog) {
        (self.pods, self.nodes, self.services) = (pods, nodes, services)
        for (position, node) in nodes.entries.enumerated() {
            for ip in node.ipAddresses where nodesByIP[ip] == nil { nodesByIP[ip] = position }
        }
        podAddresses = pods.addressIndex()
        for (position, service) in services.entries.enumerated() {
            for ip in service.clusterIPs { servicesByIP[ip, default: []].append((position, .clusterIP)) }
            for ip in service.externalIPs { servicesByIP[ip, default: []].append((position, .externalIP)) }
            for ip in service.loadBalancerIngressIPs { servicesByIP[ip, default: []].append((position, .loadBalancer)) }
            for nodePort in service.nodePorts { nodePorts[nodePort, default: []].append(position) }
        }
    }

    /// Who owns `ip`: a pod, else a node, else a service, else nobody (external).
    /// - Complexity: O(log pods).
    public func owner(of ip: IPAddress) -> AddressOwner {
        if let pod = pod(ip: ip) { return .pod(pod) }
        if let node = node(ip: ip) { return .node(node) }
        if let first = servicesByIP[ip]?.first, let service = services.service(at: first.position) {
            return .service(service, first.kind)
        }
        return .external
    }

    /// The (non-host-network) pod owning `ip`.
    /// - Complexity: O(log pods).
    public func pod(ip: IPAddress) -> Pod? { podAddresses.position(of: ip).flatMap { pods.pod(at: $0, holding: ip) } }

    /// The node owning `ip`.
    /// - Complexity: O(1).
    public func node(ip: IPAddress) -> Node? { nodesByIP[ip].flatMap(nodes.node(at:)) }

    /// The services owning `ip` (several may share an external or load balancer IP).
    /// - Complexity: O(1).
    public func services(ip: IPAddress) -> [Service] { (servicesByIP[ip] ?? []).compactMap { services.service(at: $0.position) } }

    /// The service port a packet to `ip`:`port`/`protocol` reaches: a cluster, external or load
    /// balancer IP with that port, or a node address with that node port.
    /// - Complexity: O(services sharing the address).
    public func frontend(ip: IPAddress, port: UInt16, protocol: KubeProtocol) -> ServiceFrontend? {
        for entry in servicesByIP[ip] ?? [] {
            if let service = services.service(at: entry.position), let mapping = service.port(port, protocol: `protocol`) {
                return ServiceFrontend(service: service, port: mapping, kind: entry.kind)
            }
        }
        guard nodesByIP[ip] != nil else { return nil }
        for position in nodePorts[ServiceCatalog.Entry.NodePort(port: port, proto: `protocol`)] ?? [] {
            if let service = services.service(at: position), let mapping = service.port(nodePort: port, protocol: `protocol`) {
                return ServiceFrontend(service: service, port: mapping, kind: .nodePort)
            }
        }
        return nil
    }
}

/// Pods by their own addresses (not host-network pods, not finished ones): positions in the
/// catalogue, built from it or read from a pod index.
struct PodAddressIndex: Sendable {
    /// IPv4 addresses as `address << 32 | position`, ascending: sorted, not hashed (see
    /// ``PodNameIndex``); the first pod in file order holding an address comes first.
    var ipv4: [UInt64] = []
    var ipv6: [IPv6Address: Int] = [:]

    init(ipv4: [UInt64], ipv6: [IPv6Address: Int]) { (self.ipv4, self.ipv6) = (ipv4, ipv6) }

    init(_ pods: PodCatalog) {
        ipv4.reserveCapacity(pods.count)
        for (index, pod) in pods.entries.enumerated()
        where !pod.hostNetwork && !(pod.phase.map { Self.releasesAddress(phase: $0, texts: pods.texts) } ?? false) {
            for ip in pods.addresses[pod.addresses] {
                switch ip {
                case .v4(let v4): ipv4.append(UInt64(v4.value) << 32 | UInt64(index))
                case .v6(let v6): if ipv6[v6] == nil { ipv6[v6] = index }
                }
            }
        }
        ipv4.sort()
    }

    /// Finished pods keep their IP in status though it may already belong to a new pod.
    private static func releasesAddress(phase: CatalogText, texts: CatalogTexts) -> Bool {
        texts.equals(phase, "Succeeded" as StaticString) || texts.equals(phase, "Failed" as StaticString)
    }

    /// The position of the pod owning `ip`.
    /// - Complexity: O(log pods).
    func position(of ip: IPAddress) -> Int? {
        switch ip {
        case .v6(let v6):
            return ipv6[v6]
        case .v4(let v4):
            let low = ipv4.firstIndex(withKey: UInt64(v4.value))
            guard low < ipv4.count, ipv4[low] >> 32 == UInt64(v4.value) else { return nil }
            return Int(ipv4[low] & 0xFFFF_FFFF)
        }
    }
}
