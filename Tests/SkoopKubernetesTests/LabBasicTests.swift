import SkoopKubernetes
import SkoopModel
import Testing

/// The lab-basic snapshot's objects against the facts in Tests/Fixtures/lab-basic/LAB.md.
@Suite("lab-basic Kubernetes objects")
struct LabBasicTests {
    let cluster: ClusterState

    init() throws { cluster = try SampleCluster.load("lab-basic/k8s") }

    private func ip(_ text: String) -> IPAddress { SampleCluster.ip(text) }

    @Test func podAddressesBelongToTheLabsPods() {
        let table = ["10.244.1.2": "default/web-0", "fd00:10:244:1::2": "default/web-0",
                     "10.244.1.3": "default/client", "fd00:10:244:1::3": "default/client",
                     "10.244.2.2": "default/web-1", "fd00:10:244:2::2": "default/web-1",
                     "10.244.2.3": "default/client2", "fd00:10:244:2::3": "default/client2"]
        for (address, pod) in table {
            guard case .pod(let owner) = cluster.ipCache.owner(of: ip(address)) else {
                Issue.record("\(address) is not a pod's"); continue
            }
            #expect(owner.qualifiedName == pod)
        }
        #expect(cluster.pods(onNode: "node1").map(\.name).sorted() == ["client", "web-0"])
        #expect(cluster.pods(onNode: "node2").map(\.name).sorted() == ["client2", "web-1"])
    }

    @Test func nodeServiceAndExternalAddresses() {
        #expect(cluster.ipCache.owner(of: ip("192.168.56.11")) == .node(cluster.node(named: "node1")!))
        #expect(cluster.ipCache.owner(of: ip("fd00:192:168:56::12")) == .node(cluster.node(named: "node2")!))
        let web = cluster.service(namespace: "default", name: "web")!
        #expect(cluster.ipCache.owner(of: ip("10.96.0.10")) == .service(web, .clusterIP))
        #expect(cluster.ipCache.owner(of: ip("10.96.0.20")).endpointType == .service)
        #expect(cluster.ipCache.owner(of: ip("172.30.0.10")) == .external)
        #expect(cluster.node(named: "node2")?.podCIDRs.first?.description == "10.244.2.0/24")
    }

    @Test func webServiceBackendsAndNodePort() throws {
        let frontend = try #require(cluster.serviceFrontend(ip: ip("10.96.0.10"), port: 80, protocol: .tcp))
        #expect(frontend.service.name == "web" && frontend.port.targetPort == .int(8080))
        let backends = cluster.backends(of: frontend.service, port: frontend.port)
        #expect(backends.map { "\($0.ip):\($0.port ?? 0)@\($0.endpoint.nodeName ?? "-")" }
            == ["10.244.1.2:8080@node1", "10.244.2.2:8080@node2"])
        #expect(backends.allSatisfy { $0.endpoint.ready })
        for node in ["192.168.56.11", "192.168.56.12"] {
            #expect(cluster.serviceFrontend(ip: ip(node), port: 30080, protocol: .tcp)?.kind == .nodePort)
        }
        #expect(cluster.services(selecting: cluster.pod(namespace: "default", name: "web-0")!).map(\.name) == ["web"])
    }

    @Test func theEmptyServiceHasNoEndpoints() {
        let empty = cluster.service(namespace: "default", name: "empty")!
        #expect(cluster.endpoints(of: empty).isEmpty)
        #expect(cluster.backends(of: empty, port: empty.ports[0]).isEmpty)
    }

    @Test func theAPIPolicyAdmitsClientsToWebOn8080Only() {
        func allowed(_ source: String, _ destination: String, _ port: UInt16, _ proto: TransportProtocol) -> Bool {
            cluster.evaluateNetworkPolicies(PolicyFlow(
                source: cluster.policyFlowEnd(ip: ip(source)), destination: cluster.policyFlowEnd(ip: ip(destination)),
                port: port, protocol: proto)).allowed
        }
        #expect(allowed("10.244.1.3", "10.244.1.2", 8080, .tcp))
        #expect(allowed("10.244.2.3", "10.244.2.2", 8080, .tcp))
        #expect(!allowed("10.244.1.3", "10.244.2.2", 5353, .udp))
        #expect(!allowed("172.30.0.10", "10.244.1.2", 8080, .tcp))
        #expect(allowed("10.244.1.2", "10.244.1.3", 9999, .tcp))  // client is not selected
    }

    @Test func kubeProxyRunsInIptablesMode() throws {
        let proxy = try #require(cluster.networkHints().kubeProxy)
        #expect(proxy.mode == .iptables)
        #expect(proxy.clusterCIDRs.map(\.description) == ["10.244.0.0/16"])
        #expect(proxy.ipvsScheduler == nil)
    }

    @Test func resolverFindsLabPods() throws {
        #expect(try cluster.resolve("default/client").endpoint(port: 0) == Endpoint(ip: ip("10.244.1.3"), type: .pod))
        #expect(try cluster.resolve("default/client").address(family: .inet6) == ip("fd00:10:244:1::3"))
        #expect(try cluster.resolve("svc/default/web").address() == ip("10.96.0.10"))
    }
}
