import Foundation
import SkoopCollector

/// Generates a synthetic snapshot shaped like a real flannel-VXLAN, kube-proxy (iptables)
/// cluster of any size (`skoop lab synth`), for benchmarks and scale tests.
public enum SyntheticCluster {
    /// What was written.
    public struct Summary: Sendable {
        /// Files written, hard links included.
        public var files: Int
        /// Bytes written, hard links excluded (what the snapshot costs on disk, roughly).
        public var bytes: Int
        /// Lines of the shared iptables ruleset.
        public var iptablesLines: Int
        /// Bytes of the shared iptables ruleset.
        public var iptablesBytes: Int
    }

    /// Writes the snapshot of `spec` into `directory` (created; must not hold a snapshot yet).
    public static func generate(_ spec: SynthSpec, into directory: String) throws -> Summary {
        if let problem = spec.validate() { throw SynthError(problem) }
        let layout = SynthLayout(spec: spec)
        if FileManager.default.fileExists(atPath: directory + "/snapshot.json") {
            throw SynthError("\(directory) already holds a snapshot; choose an empty directory")
        }
        let writer = SynthWriter(root: directory)
        try writer.makeDirectory("nodes")
        try writer.write("snapshot.json", """
            {"version":1,"cni":"flannel","mode":"vxlan","kubeProxyMode":"\(spec.proxy.rawValue)","clusterCIDR":"\(SynthLayout.clusterCIDR)","serviceCIDR":"\(SynthLayout.serviceCIDR)"}

            """)
        try SynthKubernetes(layout: layout).write(to: writer)
        try PodIndexWriter.write(snapshot: directory)
        let indexBytes = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + PodIndexWriter.path)[.size] as? Int) ?? 0
        let ruleset = iptablesSave(layout)
        let netns = SynthNetns(layout: layout, iptables: ruleset, nftJSON: spec.proxy == .nftables ? nftJSON(layout) : nil)
        for n in 0..<spec.nodes {
            try netns.write(node: n, to: writer)
        }
        return Summary(files: writer.filesWritten + 1, bytes: writer.bytesWritten + indexBytes,
                       iptablesLines: ruleset.utf8.lazy.filter { $0 == UInt8(ascii: "\n") }.count,
                       iptablesBytes: ruleset.utf8.count)
    }

    /// kube-proxy's services, as the lab describes them.
    static func services(_ layout: SynthLayout) -> [LabService] {
        (0..<layout.spec.services).map { s in
            LabService(namespace: layout.serviceNamespace(s), name: layout.serviceName(s), clusterIP: layout.clusterIP(s),
                       port: SynthLayout.servicePort, targetPort: SynthLayout.targetPort, nodePort: layout.nodePort(s),
                       selector: ["app": layout.serviceName(s)],
                       endpoints: layout.endpoints(ofService: s).map { p in
                           LabEndpoint(pod: layout.podName(p), ip: layout.podIP(p), node: layout.nodeName(layout.node(ofPod: p)))
                       })
        }
    }

    /// The table kube-proxy (nftables mode) programs, as `nft -j list ruleset` prints it. One
    /// file serves every node, so NodePorts are accepted on every node's address (kube-proxy
    /// lists the node's own: on a node, a NodePort to another node's address is translated
    /// there rather than on the node addressed; ClusterIP paths are the same).
    public static func nftJSON(_ layout: SynthLayout) -> String {
        KubeProxyNftJSON.ruleset(services: services(layout), clusterCIDR: SynthLayout.clusterCIDR,
                                 serviceCIDR: SynthLayout.serviceCIDR, nodeIPs: (0..<layout.spec.nodes).map(layout.nodeIP))
    }

    /// The ruleset kube-proxy (in the spec's mode) and flannel program on every node, as
    /// `iptables-save -c` prints it: in nftables mode, flannel's rules alone.
    public static func iptablesSave(_ layout: SynthLayout) -> String {
        let cidr = SynthLayout.clusterCIDR
        let forward = [
            "-A FORWARD -s \(cidr) -m comment --comment \"flanneld forward\" -j ACCEPT",
            "-A FORWARD -d \(cidr) -m comment --comment \"flanneld forward\" -j ACCEPT",
        ]
        let masquerade = [
            "-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG",
            "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
            "-A FLANNEL-POSTRTG -s \(cidr) -d \(cidr) -m comment --comment \"flanneld masq\" -j RETURN",
            "-A FLANNEL-POSTRTG -s \(cidr) ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
            "-A FLANNEL-POSTRTG ! -s \(cidr) -d \(cidr) -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
        ]
        if layout.spec.proxy == .nftables {
            return saveFormat(KubeProxyRules.cniRestoreText(filterForward: forward, natPostrouting: masquerade,
                                                            natChains: ["FLANNEL-POSTRTG"]))
        }
        let restore = KubeProxyRules.restoreText(services: services(layout), clusterCIDR: cidr, extraFilterForward: forward,
                                                 extraNatPostrouting: masquerade, extraNatChains: ["FLANNEL-POSTRTG"])
        return saveFormat(restore)
    }

    /// iptables-restore text as `iptables-save -c` prints it: counters on rules, a header and
    /// footer comment around each table.
    static func saveFormat(_ restore: String) -> String {
        let stamp = "Sat Mar  1 08:00:00 2025"
        var out = ""
        out.reserveCapacity(restore.utf8.count + restore.utf8.count / 8)
        for line in restore.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("*") {
                out += "# Generated by iptables-save v1.8.9 on \(stamp)\n\(line)\n"
            } else if line == "COMMIT" {
                out += "COMMIT\n# Completed on \(stamp)\n"
            } else if line.hasPrefix("-A ") {
                out += "[0:0] \(line)\n"
            } else if !line.isEmpty {
                out += "\(line)\n"
            }
        }
        return out
    }
}
