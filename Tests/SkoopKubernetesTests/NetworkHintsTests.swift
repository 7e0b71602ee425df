import Foundation
import SkoopKubernetes
import SkoopModel
import Testing

@Suite("Network hints from ConfigMaps")
struct NetworkHintsTests {
    @Test func kubeProxyFlannelAndCalicoAreDetected() throws {
        let hints = try SampleCluster.load().networkHints()
        let proxy = try #require(hints.kubeProxy)
        #expect(proxy.mode == .ipvs)
        #expect(proxy.clusterCIDRs.map(\.description) == ["10.244.0.0/16", "fd00:10:244::/56"])
        #expect(proxy.ipvsScheduler == "wrr")
        #expect(proxy.masqueradeAll)
        let flannel = try #require(hints.flannel)
        #expect(flannel.network?.description == "10.244.0.0/16")
        #expect(flannel.ipv6Network?.description == "fd00:10:244::/56")
        #expect(flannel.backendType == "vxlan" && flannel.vni == 4096 && flannel.port == 4789)
        #expect(hints.calico == CalicoConfig(backend: "bird", vethMTU: 1440))
        #expect(hints.warnings.isEmpty)
    }

    @Test func kubeProxyDefaultsAndOddFormatting() {
        #expect(KubeProxyConfig(configConf: "mode: \"\"\nipvs:\n  scheduler: \"\"\n").mode == .iptables)
        #expect(KubeProxyConfig(configConf: "mode: \"\"\nipvs:\n  scheduler: \"\"\n").ipvsScheduler == nil)
        let odd = KubeProxyConfig(configConf: "# comment\r\nmode: 'nftables'\r\nclusterCIDR: \"10.0.0.0/8\" # pods\r\n")
        #expect(odd.mode == .nftables)
        #expect(odd.clusterCIDRs.map(\.description) == ["10.0.0.0/8"])
        #expect(KubeProxyConfig(configConf: "mode: kernelspace").mode == .other("kernelspace"))
        // A nested "scheduler" outside the ipvs section does not count.
        #expect(KubeProxyConfig(configConf: "other:\n  scheduler: sh\n").ipvsScheduler == nil)
    }

    @Test func flannelDefaultsAndErrors() throws {
        let minimal = try FlannelConfig(netConf: Data(#"{"Network":"10.1.0.0/16","Backend":{"Type":"host-gw"}}"#.utf8),
                                        source: "net-conf.json")
        #expect(minimal.backendType == "host-gw" && minimal.port == 8472 && minimal.vni == 1)
        let error = #expect(throws: InputError.self) {
            try FlannelConfig(netConf: Data("{\n\"Network\": \"10.1.0.0/33\"}".utf8), source: "net-conf.json")
        }
        #expect(error?.line == 2)
        #expect(error?.expected == "flannel's net-conf.json (Network: an address prefix such as 10.0.0.0/8)")
    }

    @Test func anUnreadableFlannelConfigIsAWarningNotAFailure() throws {
        let text = #"{"items":[{"kind":"ConfigMap","metadata":{"name":"kube-flannel-cfg","namespace":"kube-flannel"},"data":{"net-conf.json":"{"}}]}"#
        let cluster = ClusterState(configMaps: try KubernetesJSON.configMaps(Data(text.utf8), source: "cm.json"))
        let hints = cluster.networkHints(source: "cm.json")
        #expect(hints.flannel == nil)
        #expect(hints.warnings.first?.source == "cm.json (kube-flannel/kube-flannel-cfg net-conf.json)")
    }
}
