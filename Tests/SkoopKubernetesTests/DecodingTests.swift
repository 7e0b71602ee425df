import Foundation
import SkoopKubernetes
import SkoopModel
import SkoopTestSupport
import Testing

@Suite("Kubernetes decoding")
struct DecodingTests {
    @Test func nodesCarryAddressesCIDRsConditionsTaintsAndFlannelAnnotations() throws {
        let nodes = try KubernetesJSON.nodes(try Fixtures.data("k8s-samples/nodes.json"), source: "nodes.json")
        #expect(nodes.map(\.name) == ["node1", "node2"])
        let node1 = nodes[0], node2 = nodes[1]
        #expect(node1.podCIDRs.map(\.description) == ["10.244.1.0/24", "fd00:10:244:1::/64"])
        #expect(node1.internalIPs == [SampleCluster.ip("192.168.0.11")])
        #expect(node1.externalIPs == [SampleCluster.ip("203.0.113.11")])
        #expect(node1.hostname == "node1")
        #expect(node1.isReady == true)
        #expect(node1.flannelBackendType == "vxlan")
        #expect(node1.flannelPublicIP == SampleCluster.ip("192.168.0.11"))
        #expect(node2.isReady == false)
        #expect(node2.taints.map(\.key) == ["node.kubernetes.io/unreachable"])
        #expect(node2.primaryIP(family: .inet6) == SampleCluster.ip("fd00:192:168::12"))
    }

    @Test func podsCarryIPsPortsAndContainerStates() throws {
        let pods = try KubernetesJSON.pods(try Fixtures.data("k8s-samples/pods.json"), source: "pods.json")
        let web0 = try #require(pods.first { $0.name == "web-0" })
        #expect(web0.qualifiedName == "default/web-0")
        #expect(web0.podIPs == [SampleCluster.ip("10.244.1.10"), SampleCluster.ip("fd00:10:244:1::a")])
        #expect(web0.hostIP == SampleCluster.ip("192.168.0.11"))
        #expect(web0.nodeName == "node1")
        #expect(web0.containerPort(named: "http", protocol: .tcp) == 8080)
        #expect(web0.containerPort(named: "http", protocol: .udp) == nil)
        #expect(web0.isReady == true)
        let web1 = try #require(pods.first { $0.name == "web-1" })
        #expect(web1.isReady == false)
        #expect(web1.containerStatuses.first?.state == .waiting(reason: "CrashLoopBackOff"))
        #expect(web1.unreadyContainers.map(\.restartCount) == [7])
        let exporter = try #require(pods.first { $0.namespace == "kube-system" })
        #expect(exporter.hostNetwork)
    }

    @Test func servicesCarryTypesPortsAndLoadBalancerFields() throws {
        let services = try KubernetesJSON.services(try Fixtures.data("k8s-samples/services.json"), source: "services.json")
        let web = try #require(services.first { $0.name == "web" })
        #expect(web.type == .nodePort)
        #expect(web.clusterIPs.map(\.description) == ["10.96.0.10", "fd00:96::10"])
        #expect(web.ipFamilies == [.inet, .inet6])
        #expect(web.ports.first?.targetPort == .string("http"))
        #expect(web.port(nodePort: 30090, protocol: .tcp)?.name == "metrics")
        let api = try #require(services.first { $0.name == "api" })
        #expect(api.type == .loadBalancer)
        #expect(api.loadBalancerIngressIPs == [SampleCluster.ip("198.51.100.7")])
        #expect(api.loadBalancerIngressHostnames == ["api.lb.example.com"])
        #expect(api.externalIPs == [SampleCluster.ip("198.51.100.8")])
        #expect(api.externalTrafficPolicy == .local)
        #expect(api.sessionAffinityClientIP && api.sessionAffinityTimeoutSeconds == 10800)
        #expect(api.admitsLoadBalancerSource(SampleCluster.ip("10.1.2.3")))
        #expect(!api.admitsLoadBalancerSource(SampleCluster.ip("8.8.8.8")))
        let legacy = try #require(services.first { $0.name == "legacy" })
        #expect(legacy.selector == nil)
        #expect(legacy.ports.first?.name == nil && legacy.ports.first?.targetPort == .int(8080))
        let headless = try #require(services.first { $0.name == "headless" })
        #expect(headless.isHeadless && headless.clusterIPs.isEmpty)
        let docs = try #require(services.first { $0.name == "docs" })
        #expect(docs.type == .externalName && docs.externalName == "docs.example.com")
    }

    @Test func endpointSlicesAndTheirNullFields() throws {
        let slices = try KubernetesJSON.endpointSlices(try Fixtures.data("k8s-samples/endpointslices.json"),
                                                       source: "endpointslices.json")
        #expect(slices.count == 5)
        let second = try #require(slices.first { $0.metadata.name == "web-def34" })
        #expect(second.serviceName == "web")
        #expect(second.endpoints.map(\.ready) == [false, true])
        #expect(second.endpoints.first?.targetRef?.name == "web-1")
        #expect(second.ports.first?.port == 8081)
        let empty = try #require(slices.first { $0.serviceName == "headless" })
        #expect(empty.endpoints.isEmpty && empty.ports.isEmpty)
    }

    @Test func aSingleObjectIsAcceptedAsWellAsAList() throws {
        let json = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"solo","namespace":"x","unknown":[1,2]},"# +
            #""spec":{"containers":[{"name":"c"}]},"status":{"podIP":"10.1.1.1","phase":"Pending"}}"#
        let pods = try KubernetesJSON.pods(Data(json.utf8), source: "pod.json")
        #expect(pods.map(\.qualifiedName) == ["x/solo"])
        #expect(pods.first?.podIPs == [SampleCluster.ip("10.1.1.1")])
        #expect(pods.first?.hostNetwork == false)
    }

    @Test func anEmptyFileNamesTheFileAndLine() {
        let error = #expect(throws: InputError.self) { try KubernetesJSON.pods(Data(), source: "k8s/pods.json") }
        #expect(error?.source == "k8s/pods.json")
        #expect(error?.line == 1)
        #expect(error?.expected.hasPrefix("a Kubernetes List of pods") == true)
        #expect(error?.found == "an empty file")
    }

    @Test func truncatedInputPointsAtTheLastLine() {
        let text = "{\n  \"items\": [\n    {\"metadata\": {\"name\": \"a\"}},\n    {\"metadata\": {\"na"
        let error = #expect(throws: InputError.self) { try KubernetesJSON.pods(Data(text.utf8), source: "pods.json") }
        #expect(error?.line == 4)
        #expect(error?.description.contains("the string never ends") == true)
    }

    @Test func itemsOfTheWrongTypeGiveThePath() {
        let text = "{\n  \"kind\": \"List\",\n  \"items\": 5\n}"
        let error = #expect(throws: InputError.self) { try KubernetesJSON.services(Data(text.utf8), source: "svc.json") }
        #expect(error?.line == 3)
        #expect(error?.expected == "a Kubernetes List of services (items: an array)")
        #expect(error?.found == "5")
    }

    @Test func aWrongFieldTypeDeepInsideGivesPathAndLine() {
        let text = """
        {"items": [
          {"metadata": {"name": "a", "namespace": "n"}},
          {"metadata": {"name": "b", "namespace": "n"}},
          {"metadata": {"name": "c", "namespace": "n"}},
          {"metadata": {"name": 5, "namespace": "n"}}
        ]}
        """
        let error = #expect(throws: InputError.self) { try KubernetesJSON.pods(Data(text.utf8), source: "pods.json") }
        #expect(error?.expected == "a Kubernetes List of pods (items[3].metadata.name: a string)")
        #expect(error?.line == 5)
        #expect(error?.description.hasPrefix("pods.json:5: expected") == true)
    }

    @Test func itemsAreDecodedWhileReadingAndARepeatedItemsMemberCountsOnceAsTheLast() throws {
        let repeated = #"{"items":[{"metadata":{"name":"a"}}],"kind":"List","items":[{"metadata":{"name":"b"}},{"metadata":{"name":"c"}}]}"#
        #expect(try KubernetesJSON.pods(Data(repeated.utf8), source: "pods.json").map(\.name) == ["b", "c"])
        // A syntax error after good items is still the document's error, at its line.
        let truncated = "{\"items\": [\n{\"metadata\": {\"name\": \"a\"}},\n{\"metadata\": {\"name\": \"b\""
        let error = #expect(throws: InputError.self) { try KubernetesJSON.pods(Data(truncated.utf8), source: "pods.json") }
        #expect(error?.line == 3 && error?.expected.contains("the document") == true, "\(String(describing: error))")
        #expect(try KubernetesJSON.pods(Data(#"{"items":[]}"#.utf8), source: "pods.json").isEmpty)
    }

    @Test func labelKeysWithDotsAreQuotedInThePath() {
        let text = #"{"items":[{"metadata":{"name":"a","labels":{"kubernetes.io/service-name":false}}}]}"#
        let error = #expect(throws: InputError.self) {
            try KubernetesJSON.endpointSlices(Data(text.utf8), source: "s.json")
        }
        #expect(error?.expected.contains(#"items[0].metadata.labels["kubernetes.io/service-name"]: a string"#) == true)
    }

    @Test func missingRequiredNameAndBadAddressesAreReported() {
        let missing = #expect(throws: InputError.self) {
            try KubernetesJSON.nodes(Data(#"{"items":[{"metadata":{}}]}"#.utf8), source: "nodes.json")
        }
        #expect(missing?.expected.contains("items[0].metadata.name: a string (missing)") == true)
        // Two levels missing: the path names both, below the item.
        let bothMissing = #expect(throws: InputError.self) {
            try KubernetesJSON.nodes(Data(#"{"items":[{"kind":"Node"}]}"#.utf8), source: "nodes.json")
        }
        #expect(bothMissing?.expected.contains("items[0].metadata.name: a string (missing)") == true,
                "\(String(describing: bothMissing))")
        let badIP = #expect(throws: InputError.self) {
            try KubernetesJSON.pods(Data(#"{"items":[{"metadata":{"name":"a"},"status":{"podIP":"10.1.300.1"}}]}"#.utf8),
                                    source: "pods.json")
        }
        #expect(badIP?.expected.contains("items[0].status.podIP: an IPv4 or IPv6 address") == true)
        #expect(badIP?.found == "\"10.1.300.1\"}}]}")
    }

    @Test func aFileOfAnotherKindIsRejected() {
        let error = #expect(throws: InputError.self) {
            try KubernetesJSON.pods(try Fixtures.data("k8s-samples/services.json"), source: "pods.json")
        }
        #expect(error?.expected.contains(#"items[0].kind: "Pod""#) == true)
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = #expect(throws: InputError.self) { try KubernetesJSON.pods(Data(deep.utf8), source: "deep.json") }
        #expect(error?.expected.contains("levels of nesting") == true)
    }

    @Test func unknownSelectorOperatorsAreReported() {
        let text = #"{"items":[{"metadata":{"name":"p"},"spec":{"podSelector":{"matchExpressions":[{"key":"a","operator":"Like"}]}}}]}"#
        let error = #expect(throws: InputError.self) {
            try KubernetesJSON.networkPolicies(Data(text.utf8), source: "np.json")
        }
        #expect(error?.expected.contains("spec.podSelector.matchExpressions[0].operator: In, NotIn, Exists or DoesNotExist") == true)
    }

    @Test func escapedStringsDecode() throws {
        let text = #"{"items":[{"metadata":{"name":"a","annotations":{"note":"tab\there \u00e9 \ud83d\ude00 \"q\""}}}]}"#
        let maps = try KubernetesJSON.configMaps(Data(text.utf8), source: "cm.json")
        #expect(maps.first?.metadata.annotations["note"] == "tab\there é 😀 \"q\"")
    }

    @Test func aLargeListDecodes() throws {
        let item = #"{"kind":"Pod","metadata":{"name":"p%d","namespace":"ns"},"spec":{"nodeName":"n1"},"status":{"podIP":"10.%d.%d.%d"}}"#
        let items = (0..<20_000).map { n in
            item.replacingOccurrences(of: "p%d", with: "p\(n)")
                .replacingOccurrences(of: "10.%d.%d.%d", with: "10.\(n >> 16).\((n >> 8) & 255).\(n & 255)")
        }
        let pods = try KubernetesJSON.pods(Data(("{\"items\":[" + items.joined(separator: ",\n") + "]}").utf8), source: "big.json")
        #expect(pods.count == 20_000)
        let cluster = ClusterState(pods: pods)
        #expect(cluster.ipCache.pod(ip: SampleCluster.ip("10.0.78.31"))?.name == "p19999")  // 19999 = 78 * 256 + 31
    }
}
