import Foundation
import Testing
import SkoopModel
@testable import SkoopKubernetes
import SkoopTestSupport

/// Services are catalogued from a skim of services.json and decoded on first use: the Services
/// found (by address, node port or name) and their errors must be the strict decoder's.
@Suite struct ServiceCatalogTests {
    static let fixtures = ["k8s-samples/services.json", "lab-basic/k8s/services.json", "lab-flannel-vxlan-dual/k8s/services.json"]

    static func cluster(services text: String) throws -> ClusterState {
        try ClusterState.decode(KubernetesDocuments(services: SourceData(bytes: Array(text.utf8), source: "k8s/services.json")))
    }

    static func strict(_ text: String) throws -> [Service] {
        try KubernetesJSON.services(Data(text.utf8), source: "k8s/services.json")
    }

    /// Every lookup the diagnosis makes, on the skimmed catalogue and on the strict decoder's Services.
    static func expectSameLookups(_ text: String, _ comment: Comment? = nil) throws {
        let strict = try Self.strict(text)
        let lazy = try Self.cluster(services: text)
        let eager = ClusterState(services: strict)
        #expect(lazy.serviceCatalog.qualifiedNames == strict.map(\.qualifiedName), comment)
        #expect(lazy.services == strict, comment)
        let addresses = Set(strict.flatMap { $0.clusterIPs + $0.externalIPs + $0.loadBalancerIngressIPs })
        for ip in addresses {
            #expect(lazy.ipCache.services(ip: ip) == eager.ipCache.services(ip: ip), comment)
            #expect(lazy.ipCache.owner(of: ip) == eager.ipCache.owner(of: ip), comment)
            for port in strict.flatMap(\.ports) {
                #expect(lazy.ipCache.frontend(ip: ip, port: port.port, protocol: port.protocol)
                    == eager.ipCache.frontend(ip: ip, port: port.port, protocol: port.protocol), comment)
            }
        }
        for service in strict {
            let found = lazy.service(namespace: service.namespace, name: service.name)
            #expect(found == eager.service(namespace: service.namespace, name: service.name), comment)
            #expect(service.namespace.isEmpty || found == service, comment)
        }
        #expect(lazy.serviceNetwork() == eager.serviceNetwork(), comment)
        #expect(Set(lazy.namespaces.keys) == Set(eager.namespaces.keys), comment)
        #expect(lazy.decodeFailures.isEmpty, comment)
    }

    @Test func theSkimFindsTheServicesTheStrictDecoderFinds() throws {
        for path in Self.fixtures {
            try Self.expectSameLookups(String(decoding: try Fixtures.data(path), as: UTF8.self), "\(path)")
        }
    }

    @Test func oddShapesAreReadAsTheStrictDecoderReadsThem() throws {
        let items = [
            // Headless, an empty clusterIPs falling back to clusterIP, escapes, null, external IPs.
            #"{"kind":"Service","metadata":{"name":"headless","namespace":"a"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}"#,
            #"{"kind":"Service","metadata":{"name":"single","namespace":"a"},"spec":{"clusterIP":"10.96.0.7","clusterIPs":[],"ports":[{"port":80}]}}"#,
            #"{"kind":"Service","metadata":{"name":"caf\u00e9","namespace":"a"},"spec":{"clusterIPs":["10.96.0.8"],"ports":[{"port":81}]}}"#,
            #"{"kind":"Service","metadata":{"name":"nulls","namespace":null},"spec":{"clusterIPs":null,"clusterIP":"10.96.0.9","externalIPs":null,"ports":[{"port":82}]}}"#,
            #"{"kind":"Service","metadata":{"name":"ext","namespace":"b"},"spec":{"clusterIPs":[ "10.96.0.10" , "fd00::10" ],"externalIPs":["192.0.2.10"],"ports":[{"port":83,"protocol":"UDP"}]}}"#,
            // A node port, and one spelt with an escape: both must be found by node port.
            #"{"kind":"Service","metadata":{"name":"np","namespace":"b"},"spec":{"type":"NodePort","clusterIP":"10.96.0.11","ports":[{"port":84,"nodePort":30084}]}}"#,
            #"{"kind":"Service","metadata":{"name":"np2","namespace":"b"},"spec":{"clusterIP":"10.96.0.12","ports":[{"port":85,"\u006eodePort":30085}]}}"#,
            // A load balancer ingress; a repeated spec (the last one counts); a shared address.
            #"{"kind":"Service","metadata":{"name":"lb","namespace":"c"},"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.13","ports":[{"port":86,"nodePort":30086}]},"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.1"}]}}}"#,
            #"{"kind":"Service","metadata":{"name":"twice","namespace":"c"},"spec":{"clusterIP":"10.96.0.14"},"spec":{"clusterIP":"10.96.0.15","ports":[{"port":87}]}}"#,
            #"{"kind":"Service","metadata":{"name":"shared","namespace":"c"},"spec":{"clusterIP":"10.96.0.16","externalIPs":["192.0.2.10"],"ports":[{"port":83,"protocol":"UDP"}]}}"#,
        ]
        let text = #"{"kind":"List","items":["# + items.joined(separator: ",\n") + "]}"
        try Self.expectSameLookups(text)
        let cluster = try Self.cluster(services: text)
        let frontend = cluster.ipCache.frontend(ip: try #require(IPAddress("10.96.0.15")), port: 87, protocol: .tcp)
        #expect(frontend?.service.name == "twice")
        #expect(cluster.ipCache.services(ip: try #require(IPAddress("10.96.0.14"))).isEmpty)
    }

    @Test func aNodePortIsFoundOnANodeAddress() throws {
        let services = #"{"items":[{"metadata":{"name":"np","namespace":"b"},"spec":{"clusterIP":"10.96.0.11","ports":[{"port":84,"nodePort":30084}]}}]}"#
        let nodes = #"{"items":[{"metadata":{"name":"n1"},"status":{"addresses":[{"type":"InternalIP","address":"192.168.1.1"}]}}]}"#
        let cluster = try ClusterState.decode(KubernetesDocuments(
            nodes: SourceData(bytes: Array(nodes.utf8), source: "k8s/nodes.json"),
            services: SourceData(bytes: Array(services.utf8), source: "k8s/services.json")))
        let frontend = cluster.ipCache.frontend(ip: try #require(IPAddress("192.168.1.1")), port: 30084, protocol: .tcp)
        #expect(frontend?.service.name == "np" && frontend?.kind == .nodePort)
    }

    @Test func aBadFieldOutsideTheIndexIsTheStrictErrorWhenTheServiceIsNeeded() throws {
        var text = String(decoding: try Fixtures.data("k8s-samples/services.json"), as: UTF8.self)
        let range = try #require(text.range(of: #""targetPort": 8080"#))  // legacy's, which has no node port
        text.replaceSubrange(range, with: #""targetPort": [8080]"#)
        let strictError = try #require(#expect(throws: InputError.self) { try Self.strict(text) })
        let cluster = try Self.cluster(services: text)  // the skim does not read target ports
        #expect(cluster.decodeFailures.isEmpty && cluster.serviceCatalog.count == 5)
        let address = try #require(IPAddress("10.96.0.30"))
        #expect(cluster.ipCache.services(ip: address).isEmpty)
        #expect(cluster.service(namespace: "default", name: "legacy") == nil)
        #expect(cluster.decodeFailures == [strictError])
        #expect(cluster.decodeFailures.first?.line == text[..<range.lowerBound].filter { $0 == "\n" }.count + 1)
        #expect(throws: InputError.self) { try cluster.serviceCatalog.all() }
        let unresolved = #expect(throws: ResolveError.self) { try cluster.resolve("svc/default/legacy") }
        #expect(unresolved?.message == "service default/legacy cannot be read: \(strictError)")
    }

    @Test func aBadIndexedFieldIsTheStrictErrorAtOnce() throws {
        let original = String(decoding: try Fixtures.data("k8s-samples/services.json"), as: UTF8.self)
        for (found, replacement) in [(#""fd00:96::10""#, #""fd00:96::1g""#), (#""name": "web""#, #""name": 7"#),
                                     (#""kind": "Service""#, #""kind": "Pod""#), (#""nodePort": 30080"#, #""nodePort": "x""#)] {
            var text = original
            let range = try #require(text.range(of: found))
            text.replaceSubrange(range, with: replacement)
            let strictError = #expect(throws: InputError.self) { try Self.strict(text) }
            let lazyError = #expect(throws: InputError.self) { try Self.cluster(services: text) }
            #expect(lazyError != nil && lazyError == strictError, "\(replacement)")
        }
    }

    @Test func brokenStructureIsTheStrictReadersError() throws {
        let original = String(decoding: try Fixtures.data("k8s-samples/services.json"), as: UTF8.self)
        let text = String(original.dropLast(40))
        let strictError = #expect(throws: InputError.self) { try Self.strict(text) }
        let lazyError = #expect(throws: InputError.self) { try Self.cluster(services: text) }
        #expect(lazyError != nil && lazyError == strictError)
    }

    @Test func badSyntaxInsideASkippedValueIsTheStrictErrorWhenTheServiceIsNeeded() throws {
        var text = String(decoding: try Fixtures.data("k8s-samples/services.json"), as: UTF8.self)
        let range = try #require(text.range(of: #""app": "legacy""#))
        text.replaceSubrange(range, with: #""app": "legacy",,"#)
        let strictError = try #require(#expect(throws: InputError.self) { try Self.strict(text) })
        let cluster = try Self.cluster(services: text)  // the skim only matches the brackets of labels
        #expect(cluster.ipCache.owner(of: try #require(IPAddress("10.96.0.30"))) == .external)
        #expect(cluster.decodeFailures == [strictError])
    }
}
