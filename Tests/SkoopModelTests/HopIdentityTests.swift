import Testing
import SkoopModel

@Suite struct HopIdentityTests {
    @Test func everyFormReadsBack() {
        #expect(Hop.pod(namespace: "default", name: "web-0").identity == .pod(namespace: "default", name: "web-0"))
        #expect(Hop.node("node1").identity == .node("node1"))
        #expect(Hop.netns(node: "node1", netns: "cni-1234").identity == .netns(node: "node1", netns: "cni-1234"))
        #expect(Hop.router(IPAddress("192.168.56.1")!).identity == .router(gateway: IPAddress("192.168.56.1")!))
        #expect(Hop.network.identity == .network)
        #expect(Hop(type: .external, id: "8.8.8.8").identity == .address(IPAddress("8.8.8.8")!))
        // A pod name may not contain '/', but its namespace split stops at the first one.
        #expect(Hop(type: .pod, id: "ns/a/b").identity == .pod(namespace: "ns", name: "a/b"))
        #expect(Hop(type: .pod, id: "no-slash").identity == .other("no-slash"))
        #expect(Hop(type: .infra, id: "router nowhere").identity == .other("router nowhere"))
    }
}
