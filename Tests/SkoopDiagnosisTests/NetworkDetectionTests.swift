import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Detection without snapshot.json hints, as on a real cluster: the CNI, its mode, kube-proxy's
/// mode and the cluster CIDR come from the ConfigMaps and the nodes' devices.
@Suite struct NetworkDetectionTests {
    func network(_ copy: FixtureCopy) throws -> Network {
        GenericProvider().network(collector: try CollectorManager(snapshot: copy.path), context: DiagnosisContext())
    }

    /// A fixture copy whose snapshot.json is only the layout version.
    func hintless(_ fixture: String) throws -> FixtureCopy {
        let copy = try FixtureCopy(fixture)
        try copy.write("snapshot.json", #"{"version":1}"#)
        return copy
    }

    @Test("every lab capture detects what its hints said", arguments: [
        ("lab-flannel-vxlan", "flannel", "vxlan"),
        ("lab-flannel-hostgw-wrong-gateway", "flannel", "host-gw"),
        ("lab-calico-bgp-host-veth-down", "calico", "bgp"),
        ("lab-bridge-veth-detached", "bridge", nil),
    ] as [(String, String, String?)])
    func detectsWithoutHints(fixture: String, cni: String, mode: String?) throws {
        let hinted = GenericProvider().network(collector: try CollectorManager(snapshot: Fixtures.url(fixture).path),
                                               context: DiagnosisContext())
        #expect(hinted.plugin.name == cni)
        let detected = try network(try hintless(fixture))
        #expect(detected.plugin.name == cni)
        #expect(detected.plugin.mode == mode)
        #expect(detected.proxyMode == .iptables)
        #expect(detected.clusterCIDRs.map(\.description) == ["10.244.0.0/16"])
    }

    @Test func flannelWithoutItsConfigMapIsFoundFromFlannel1() throws {
        let copy = try hintless("lab-flannel-vxlan")
        try copy.edit("k8s/configmaps.json") { $0.replacingOccurrences(of: "kube-flannel-cfg", with: "unrelated") }
        let detected = try network(copy)
        #expect(detected.plugin.kind == .flannel && detected.plugin.mode == "vxlan")
    }

    @Test func calicoEncapsulationComesFromTheNodeNotCalicoBackend() throws {
        let copy = try hintless("lab-calico-bgp-host-veth-down")
        // calico_backend "vxlan" without vxlan.calico on the node: the node's devices win (BGP, no tunnel).
        try copy.edit("k8s/configmaps.json") { $0.replacingOccurrences(of: "\"bird\"", with: "\"vxlan\"") }
        #expect(try network(copy).plugin.mode == "bgp")
        // Without a collected node, calico_backend is all there is.
        try FileManager.default.removeItem(atPath: copy.path + "/nodes")
        #expect(try network(copy).plugin.mode == "vxlan")
    }

    @Test func hintsStillWinWhenPresent() throws {
        let copy = try FixtureCopy("lab-flannel-vxlan")
        try copy.write("snapshot.json", #"{"version":1,"cni":"calico","mode":"ipip","kubeProxyMode":"ipvs"}"#)
        let hinted = try network(copy)
        #expect(hinted.plugin.kind == .calico && hinted.plugin.mode == "ipip" && hinted.proxyMode == .ipvs)
    }
}
