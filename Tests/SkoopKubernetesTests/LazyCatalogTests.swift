import Foundation
import Testing
import SkoopModel
@testable import SkoopKubernetes
import SkoopTestSupport

/// Pods and EndpointSlices are catalogued from a skim and decoded on first use: the objects and
/// the errors must be exactly those of the strict decoder, only later.
@Suite struct LazyCatalogTests {
    static let podsPath = "lab-basic/k8s/pods.json"

    static func cluster(pods text: String) throws -> ClusterState {
        try ClusterState.decode(KubernetesDocuments(pods: SourceData(bytes: Array(text.utf8), source: "k8s/pods.json")))
    }

    @Test func everyPodDecodedOnDemandIsTheStrictDecodersPod() throws {
        let data = try Fixtures.data(Self.podsPath)
        let strict = try KubernetesJSON.pods(data, source: "k8s/pods.json")
        let cluster = try Self.cluster(pods: String(decoding: data, as: UTF8.self))
        #expect(strict.count >= 3 && cluster.pods.count == strict.count)
        for pod in strict {
            #expect(cluster.pod(namespace: pod.namespace, name: pod.name) == pod)
            for ip in pod.podIPs where !pod.hostNetwork { #expect(cluster.ipCache.pod(ip: ip) == pod) }
        }
        #expect(try cluster.pods.all() == strict)
        #expect(cluster.pods.qualifiedNames == strict.map(\.qualifiedName))
        #expect(cluster.decodeFailures.isEmpty)
    }

    @Test func aBadFieldOutsideTheIndexIsTheStrictErrorWhenThePodIsNeeded() throws {
        var text = String(decoding: try Fixtures.data(Self.podsPath), as: UTF8.self)
        let range = try #require(text.range(of: #""containerPort": 8080"#))
        text.replaceSubrange(range, with: #""containerPort": "eighty""#)
        let strictError = #expect(throws: InputError.self) {
            try KubernetesJSON.pods(Data(text.utf8), source: "k8s/pods.json")
        }
        let cluster = try Self.cluster(pods: text)  // the skim does not look at container ports
        #expect(cluster.decodeFailures.isEmpty)
        let broken = try #require(try KubernetesJSON.pods(Data(Fixtures.data(Self.podsPath)), source: "k8s/pods.json")
            .first { pod in pod.containers.contains { !$0.ports.isEmpty } })
        #expect(cluster.pod(namespace: broken.namespace, name: broken.name) == nil)
        #expect(cluster.decodeFailures == [try #require(strictError)])
        #expect(cluster.decodeFailures.first?.line == text[..<range.lowerBound].filter { $0 == "\n" }.count + 1)
        #expect(throws: InputError.self) { try cluster.pods.all() }
    }

    @Test func aBadIndexedFieldIsAnErrorAtOnce() throws {
        var text = String(decoding: try Fixtures.data(Self.podsPath), as: UTF8.self)
        let range = try #require(text.range(of: #""name": "client""#))
        text.replaceSubrange(range, with: #""name": ["client"]"#)
        let strictError = #expect(throws: InputError.self) { try KubernetesJSON.pods(Data(text.utf8), source: "k8s/pods.json") }
        let lazyError = #expect(throws: InputError.self) { try Self.cluster(pods: text) }
        #expect(lazyError == strictError)
    }

    @Test func aBadAddressIsAnErrorAtOnce() throws {
        let text = #"{"items":[{"metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10.1.300.1"}}]}"#
        let error = #expect(throws: InputError.self) { try Self.cluster(pods: text) }
        #expect(error?.description.contains("items[0].status.podIP") == true, "\(String(describing: error))")
    }

    @Test func repeatedMembersAndOddShapesAreDecodedTheStrictWay() throws {
        // A repeated name: the last one counts, as the strict decoder reads it.
        let text = #"{"items":[{"metadata":{"name":"a","name":"b","namespace":"n"},"status":{"podIPs":["10.0.0.9"],"podIP":"10.0.0.1"}}]}"#
        let cluster = try Self.cluster(pods: text)
        let strict = try KubernetesJSON.pods(Data(text.utf8), source: "k8s/pods.json")
        #expect(cluster.pods.qualifiedNames == ["n/b"] && strict.map(\.qualifiedName) == ["n/b"])
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.1")!) == strict.first)
    }

    /// Names and namespaces stay bytes of the file unless they need decoding (escapes, other
    /// scripts, a missing namespace): lookups, address ownership, finished pods and duplicates
    /// must come out as the strict decoder's objects say.
    @Test func podsAreFoundByNameWhateverTheirNamesNeedToBeRead() throws {
        let text = #"{"items":["# + [
            #"{"metadata":{"name":"plain","namespace":"ns"},"spec":{"nodeName":"n1"},"status":{"podIP":"10.0.0.1","phase":"Running"}}"#,
            #"{"metadata":{"name":"caf\u00e9","namespace":"ns"},"status":{"podIP":"10.0.0.2"}}"#,
            #"{"metadata":{"name":"crème","namespace":"ns"},"status":{"podIPs":[{"ip":"10.0.0.3"},{"ip":"fd00::3"}]}}"#,
            #"{"metadata":{"name":"no-namespace"},"status":{"podIP":"10.0.0.4"}}"#,
            #"{"metadata":{"name":"done","namespace":"ns"},"status":{"podIP":"10.0.0.5","phase":"Succeeded"}}"#,
            #"{"metadata":{"name":"plain","namespace":"ns"},"status":{"podIP":"10.0.0.6"}}"#,
            #"{"metadata":{"name":"plain","namespace":"other"},"status":{"podIP":"10.0.0.7"}}"#,
        ].joined(separator: ",") + "]}"
        let cluster = try Self.cluster(pods: text)
        let strict = try KubernetesJSON.pods(Data(text.utf8), source: "k8s/pods.json")
        #expect(cluster.pods.qualifiedNames == strict.map(\.qualifiedName))
        #expect(cluster.pod(namespace: "ns", name: "plain") == strict[0], "the first of a name wins")
        #expect(cluster.pod(namespace: "other", name: "plain") == strict[6])
        #expect(cluster.pod(namespace: "ns", name: "café") == strict[1])
        #expect(cluster.pod(namespace: "ns", name: "crème") == strict[2])
        #expect(cluster.pod(namespace: "", name: "no-namespace") == strict[3])
        #expect(cluster.pod(namespace: "ns", name: "cafe") == nil && cluster.pod(namespace: "n", name: "splain") == nil)
        #expect(cluster.ipCache.pod(ip: IPAddress("fd00::3")!) == strict[2])
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.5")!) == nil, "a finished pod gives its address up")
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.6")!) == strict[5])
        #expect(cluster.pods(onNode: "n1") == [strict[0]])
        #expect(Set(cluster.namespaces.keys) == ["ns", "other"])
    }

    static func cluster(nodes text: String) throws -> ClusterState {
        try ClusterState.decode(KubernetesDocuments(nodes: SourceData(bytes: Array(text.utf8), source: "k8s/nodes.json")))
    }

    @Test func everyNodeDecodedOnDemandIsTheStrictDecodersNode() throws {
        for path in ["lab-basic/k8s/nodes.json", "k8s-samples/nodes.json"] {
            let data = try Fixtures.data(path)
            let strict = try KubernetesJSON.nodes(data, source: "k8s/nodes.json")
            let cluster = try Self.cluster(nodes: String(decoding: data, as: UTF8.self))
            #expect(!strict.isEmpty && cluster.nodeCatalog.names == strict.map(\.name), "\(path)")
            #expect(cluster.nodes == strict)
            for node in strict {
                #expect(cluster.node(named: node.name) == node)
                for ip in node.ipAddresses { #expect(cluster.ipCache.node(ip: ip)?.name == node.name) }
                for cidr in node.podCIDRs { #expect(cluster.node(owningPodAddress: cidr.network)?.name == node.name) }
            }
            #expect(cluster.podCIDRs == strict.flatMap(\.podCIDRs))
            #expect(cluster.podNetworks.map(\.node) == strict.filter { ($0.flannelPublicIP ?? $0.primaryIP(family: .inet)) != nil }.map(\.name))
            #expect(cluster.decodeFailures.isEmpty)
        }
    }

    @Test func aBadNodeFieldOutsideTheIndexIsTheStrictErrorWhenTheNodeIsNeeded() throws {
        var text = String(decoding: try Fixtures.data("lab-basic/k8s/nodes.json"), as: UTF8.self)
        let range = try #require(text.range(of: #""status": "False""#))  // node1's first condition
        text.replaceSubrange(range, with: #""status": ["False"]"#)
        let strictError = #expect(throws: InputError.self) { try KubernetesJSON.nodes(Data(text.utf8), source: "k8s/nodes.json") }
        let cluster = try Self.cluster(nodes: text)  // the skim does not look at conditions
        #expect(cluster.nodeCatalog.names == ["node1", "node2"] && cluster.decodeFailures.isEmpty)
        #expect(cluster.node(named: "node1") == nil)
        #expect(cluster.decodeFailures == [try #require(strictError)])
    }

    @Test func aBadIndexedNodeFieldIsAnErrorAtOnce() throws {
        var text = String(decoding: try Fixtures.data("lab-basic/k8s/nodes.json"), as: UTF8.self)
        let range = try #require(text.range(of: #""fd00:10:244:1::/64""#))
        text.replaceSubrange(range, with: #""fd00:10:244:1::/999""#)
        let strictError = #expect(throws: InputError.self) { try KubernetesJSON.nodes(Data(text.utf8), source: "k8s/nodes.json") }
        let lazyError = #expect(throws: InputError.self) { try Self.cluster(nodes: text) }
        #expect(lazyError == strictError)
    }

    @Test func endpointSlicesAreMergedPerServiceAsTheStrictDecoderWould() throws {
        let lazy = try SampleCluster.load()
        let data = try Fixtures.data("k8s-samples/endpointslices.json")
        let slices = try KubernetesJSON.endpointSlices(data, source: "k8s/endpointslices.json")
        let eager = ClusterState(services: lazy.services, endpointSlices: slices, endpoints: lazy.endpoints)
        #expect(!slices.isEmpty && lazy.endpointSlices.count == slices.count)
        for service in lazy.services {
            #expect(lazy.endpoints(of: service) == eager.endpoints(of: service), "\(service.qualifiedName)")
        }
    }
}
