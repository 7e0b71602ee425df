import SkoopKubernetes
import SkoopModel
import Testing

@Suite("ClusterState and IPCache")
struct ClusterStateTests {
    let cluster: ClusterState

    init() throws { cluster = try SampleCluster.load() }

    private func ip(_ text: String) -> IPAddress { SampleCluster.ip(text) }

    @Test func addressesResolveToTheirOwners() {
        let cache = cluster.ipCache
        #expect(cache.owner(of: ip("10.244.1.10")) == .pod(cluster.pod(namespace: "default", name: "web-0")!))
        #expect(cache.owner(of: ip("fd00:10:244:1::a")).endpointType == .pod)
        #expect(cache.owner(of: ip("192.168.0.11")) == .node(cluster.node(named: "node1")!))
        #expect(cache.owner(of: ip("203.0.113.11")) == .node(cluster.node(named: "node1")!))
        #expect(cache.owner(of: ip("fd00:192:168::12")) == .node(cluster.node(named: "node2")!))
        let api = cluster.service(namespace: "prod", name: "api")!
        #expect(cache.owner(of: ip("10.96.0.20")) == .service(api, .clusterIP))
        #expect(cache.owner(of: ip("198.51.100.7")) == .service(api, .loadBalancer))
        #expect(cache.owner(of: ip("198.51.100.7")).endpointType == .loadBalancer)
        #expect(cache.owner(of: ip("198.51.100.8")) == .service(api, .externalIP))
        #expect(cache.owner(of: ip("fd00:96::10")).endpointType == .service)
        #expect(cache.owner(of: ip("8.8.8.8")) == .external)
    }

    @Test func hostNetworkPodsShareTheirNodesAddress() throws {
        #expect(cluster.ipCache.pod(ip: ip("192.168.0.11")) == nil)
        #expect(try cluster.resolve("192.168.0.11") == .node(cluster.node(named: "node1")!))
        let byName = try cluster.resolve("kube-system/node-exporter-x7k2p")
        guard case .pod(let pod) = byName else { Issue.record("expected a pod, got \(byName)"); return }
        #expect(pod.hostNetwork)
        #expect(byName.address() == ip("192.168.0.11"))
    }

    @Test func podsOfANodeAndServicesSelectingAPod() {
        #expect(cluster.pods(onNode: "node1").map(\.qualifiedName)
            == ["default/web-0", "default/client", "dev/tool", "kube-system/node-exporter-x7k2p"])
        let web0 = cluster.pod(namespace: "default", name: "web-0")!
        #expect(cluster.services(selecting: web0).map(\.name) == ["web", "headless"])
        #expect(cluster.services(selecting: cluster.pod(namespace: "dev", name: "tool")!).isEmpty)
    }

    @Test func endpointsMergeSlicesPerServiceWithoutDuplicates() {
        let web = cluster.service(namespace: "default", name: "web")!
        let endpoints = cluster.endpoints(of: web)
        #expect(endpoints.map(\.ip.description) == ["10.244.1.10", "10.244.2.10", "fd00:10:244:1::a"])
        #expect(endpoints.map(\.ready) == [true, false, true])
        #expect(endpoints.map(\.nodeName) == ["node1", "node2", "node1"])
    }

    @Test func coreEndpointsAreTheFallbackOnlyWithoutSlices() {
        let legacy = cluster.service(namespace: "default", name: "legacy")!
        let endpoints = cluster.endpoints(of: legacy)
        #expect(endpoints.map(\.ip.description) == ["10.244.1.10", "10.244.2.10"])
        #expect(endpoints.map(\.ready) == [true, false])
        #expect(endpoints.map(\.serving) == [true, false])
        // The stale core Endpoints of "web" (10.9.9.9) lose to its slices.
        let web = cluster.service(namespace: "default", name: "web")!
        #expect(!cluster.endpoints(of: web).contains { $0.ip == ip("10.9.9.9") })
    }

    @Test func backendsResolvePortsFromSlicesAndNamedTargetPorts() throws {
        let web = cluster.service(namespace: "default", name: "web")!
        let http = try #require(web.port(80, protocol: .tcp))
        let backends = cluster.backends(of: web, port: http)
        #expect(backends.map(\.port) == [8080, 8081, 8080])
        #expect(backends.map { $0.pod?.name } == ["web-0", "web-1", "web-0"])
        let web1 = cluster.pod(namespace: "default", name: "web-1")!
        #expect(cluster.targetPort(of: http, on: web1) == 8081)
        let legacy = cluster.service(namespace: "default", name: "legacy")!
        #expect(cluster.backends(of: legacy, port: legacy.ports[0]).map(\.port) == [8080, 8080])
    }

    @Test func frontendsMatchServiceAddressesAndNodePortsOnEveryNodeAddress() {
        let clusterIP = cluster.serviceFrontend(ip: ip("10.96.0.10"), port: 80, protocol: .tcp)
        #expect(clusterIP?.service.name == "web" && clusterIP?.kind == .clusterIP && clusterIP?.port.name == "http")
        #expect(cluster.serviceFrontend(ip: ip("10.96.0.10"), port: 81, protocol: .tcp) == nil)
        #expect(cluster.serviceFrontend(ip: ip("10.96.0.10"), port: 80, protocol: .udp) == nil)
        #expect(cluster.serviceFrontend(ip: ip("fd00:96::10"), port: 9090, protocol: .tcp)?.port.name == "metrics")
        let udp = cluster.serviceFrontend(ip: ip("198.51.100.7"), port: 53, protocol: .udp)
        #expect(udp?.service.name == "api" && udp?.kind == .loadBalancer)
        #expect(cluster.serviceFrontend(ip: ip("198.51.100.8"), port: 9000, protocol: .tcp)?.kind == .externalIP)
        for node in ["192.168.0.11", "203.0.113.11", "192.168.0.12", "fd00:192:168::12"] {
            let nodePort = cluster.serviceFrontend(ip: ip(node), port: 30080, protocol: .tcp)
            #expect(nodePort?.service.name == "web" && nodePort?.kind == .nodePort, "node address \(node)")
        }
        #expect(cluster.serviceFrontend(ip: ip("10.244.1.10"), port: 30080, protocol: .tcp) == nil)
        #expect(cluster.serviceFrontend(ip: ip("192.168.0.11"), port: 31053, protocol: .udp)?.service.name == "api")
    }

    @Test func resolverAcceptsTheCLISyntax() throws {
        #expect(try cluster.resolve("default/web-0").description == "default/web-0")
        #expect(try cluster.resolve("svc/prod/api").endpoint(port: 9000)
            == Endpoint(ip: ip("10.96.0.20"), type: .service, port: 9000))
        #expect(try cluster.resolve("node/node2").address(family: .inet6) == ip("fd00:192:168::12"))
        #expect(try cluster.resolve("10.244.2.11").description == "prod/api")
        #expect(try cluster.resolve("10.96.0.10").description == "svc/default/web")
        #expect(try cluster.resolve("[fd00:10:244:1::a]").description == "default/web-0")
        #expect(try cluster.resolve("1.1.1.1") == .external(ip("1.1.1.1")))
        #expect(try cluster.resolve("1.1.1.1").endpoint(port: 53)?.type == .external)
    }

    @Test func resolverErrorsListWhatExists() {
        func message(_ query: String) -> String? {
            (#expect(throws: ResolveError.self) { try cluster.resolve(query) })?.message
        }
        #expect(message("default/web-9") == "no pod default/web-9; pods in default: client, web-0, web-1")
        #expect(message("staging/web-0") == "no namespace staging; namespaces: default, dev, kube-system, prod")
        #expect(message("svc/prod/db") == "no service prod/db; services in prod: api")
        #expect(message("node/node3") == "no node node3; nodes: node1, node2")
        #expect(message("web-0")?.contains("expected an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME") == true)
        #expect(message("10.1.2.300")?.hasPrefix("cannot read") == true)
    }
}
