import Foundation
import SkoopModel

/// kubectl-shaped JSON (`kubectl get X -o json`) for a lab topology, from the same values the
/// plan is built from, so objects and rules always agree.
public enum LabKubernetesObjects {
    private static let created = "2024-05-01T10:00:00Z"

    /// File name (under k8s/) → JSON object.
    public static func files(for topology: LabTopology) -> [String: [String: Any]] {
        let families = topology.ipFamily.families
        var files: [String: [String: Any]] = [
            "nodes.json": list(topology.nodes.map { node($0, topology.scenario, families: families) }),
            "pods.json": list(topology.pods.map { pod($0, topology) }),
            "services.json": list(topology.services.map { service($0, families: families) }),
            // One slice per family, as the EndpointSlice controller writes them.
            "endpointslices.json": list(families.flatMap { family in
                topology.services.compactMap { $0.family(family) }.map { endpointSlice($0, family: family) }
            }),
            "networkpolicies.json": list([]),
            "configmaps.json": list(configMaps(topology)),
        ]
        if topology.scenario.usesCalicoVeths {
            files["blockaffinities.json"] = list(topology.nodes.flatMap { node in
                (node.calicoBlocks + (topology.ipFamily.hasIPv6 ? node.calicoBlocks6 : [])).map { blockAffinity($0, node.name) }
            })
        }
        return files
    }

    /// A Calico BlockAffinity as calico-ipam writes it: named NODE-CIDR (dots and slash as
    /// dashes), spec.deleted a string.
    private static func blockAffinity(_ cidr: String, _ node: String) -> [String: Any] {
        let name = "\(node)-" + cidr.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: ":", with: "-")
            .replacingOccurrences(of: "/", with: "-")
        var meta = metadata("BlockAffinity", nil, name)
        meta["generation"] = 1
        return ["apiVersion": "crd.projectcalico.org/v1", "kind": "BlockAffinity", "metadata": meta,
                "spec": ["cidr": cidr, "deleted": "false", "node": node, "state": "confirmed"]]
    }

    /// snapshot.json: the layout version only. A lab carries no detection hints, so Skoop finds
    /// the CNI, its mode, kube-proxy's mode and the CIDRs from the ConfigMaps and the nodes, as
    /// on a real cluster.
    public static var snapshotDocument: [String: Any] { ["version": 1] }

    /// Serializes with sorted keys (stable output).
    public static func data(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    private static func list(_ items: [[String: Any]]) -> [String: Any] {
        ["apiVersion": "v1", "items": items, "kind": "List", "metadata": ["resourceVersion": ""]]
    }

    private static func uid(_ kind: String, _ name: String) -> String {
        let hex = SHA1.hex(of: "\(kind)/\(name)")
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-4\(String(c[13..<16]))-8\(String(c[17..<20]))-\(String(c[20..<32]))"
    }

    private static func metadata(_ kind: String, _ namespace: String?, _ name: String,
                                 labels: [String: String] = [:]) -> [String: Any] {
        var meta: [String: Any] = ["name": name, "creationTimestamp": created, "resourceVersion": "1000",
                                   "uid": uid(kind, "\(namespace ?? "")/\(name)")]
        if let namespace { meta["namespace"] = namespace }
        if !labels.isEmpty { meta["labels"] = labels }
        return meta
    }

    /// A node: both InternalIPs when it has IPv6 (the IPv4 underlay stays), a pod CIDR per family
    /// (for Calico, the IPv4 one is a range its IPAM does not use: see `LabNode.nodePodCIDR`).
    private static func node(_ node: LabNode, _ scenario: LabScenario, families: [AddressFamily]) -> [String: Any] {
        let internalIPs = [node.ip] + (families.contains(.inet6) ? [node.ip6] : [])
        let podCIDRs = families.map { $0 == .inet6 ? node.podCIDR6 : node.nodePodCIDR(scenario) }
        return ["apiVersion": "v1", "kind": "Node",
         "metadata": metadata("Node", nil, node.name, labels: [
            "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"]),
         "spec": ["podCIDR": podCIDRs.first ?? "", "podCIDRs": podCIDRs],
         "status": ["addresses": internalIPs.map { ["address": $0, "type": "InternalIP"] }
                        + [["address": node.name, "type": "Hostname"]],
                    "conditions": [["status": "True", "type": "Ready", "reason": "KubeletReady",
                                    "lastTransitionTime": created]]]]
    }

    private static func pod(_ pod: LabPod, _ topology: LabTopology) -> [String: Any] {
        let ports: [[String: Any]] = pod.tcpPorts.map { ["containerPort": $0, "protocol": "TCP", "name": "http"] }
        var container: [String: Any] = ["name": pod.name, "image": "registry.k8s.io/e2e-test-images/agnhost:2.45"]
        if !ports.isEmpty { container["ports"] = ports }
        let podIPs = (topology.ipFamily.hasIPv4 ? [pod.ip] : []) + (pod.ip6.map { [$0] } ?? [])
        return ["apiVersion": "v1", "kind": "Pod",
                "metadata": metadata("Pod", pod.namespace, pod.name, labels: pod.labels),
                "spec": ["containers": [container], "nodeName": pod.node, "restartPolicy": "Always"],
                "status": ["phase": "Running", "podIP": podIPs.first ?? "", "podIPs": podIPs.map { ["ip": $0] },
                           "hostIP": topology.node(pod.node)?.ip ?? "", "startTime": created,
                           "conditions": [["type": "Ready", "status": "True"]]]]
    }

    /// A service with its address families' views (ClusterIP, external addresses and source
    /// ranges of each), the first one primary.
    private static func service(_ service: LabService, families: [AddressFamily]) -> [String: Any] {
        var port: [String: Any] = ["name": service.portName, "port": service.port, "protocol": "TCP",
                                   "targetPort": service.targetPort]
        if let nodePort = service.nodePort { port["nodePort"] = nodePort }
        let views = families.compactMap { service.family($0) }
        let clusterIPs = views.map(\.clusterIP)
        var spec: [String: Any] = [
            "clusterIP": clusterIPs.first ?? "", "clusterIPs": clusterIPs,
            "ipFamilies": families.map { $0 == .inet6 ? "IPv6" : "IPv4" },
            "ipFamilyPolicy": views.count > 1 ? "RequireDualStack" : "SingleStack", "ports": [port], "selector": service.selector,
            "sessionAffinity": "None",
            "type": service.loadBalancerIP != nil ? "LoadBalancer" : service.nodePort == nil ? "ClusterIP" : "NodePort",
            "internalTrafficPolicy": "Cluster",
        ]
        if service.nodePort != nil { spec["externalTrafficPolicy"] = "Cluster" }
        let externalIPs = views.flatMap(\.externalIPs)
        let sourceRanges = views.flatMap(\.sourceRanges)
        if !externalIPs.isEmpty { spec["externalIPs"] = externalIPs }
        if !sourceRanges.isEmpty { spec["loadBalancerSourceRanges"] = sourceRanges }
        var loadBalancer: [String: Any] = [:]
        let ingress = views.compactMap(\.loadBalancerIP)
        if !ingress.isEmpty { loadBalancer["ingress"] = ingress.map { ["ip": $0, "ipMode": "VIP"] } }
        return ["apiVersion": "v1", "kind": "Service", "metadata": metadata("Service", service.namespace, service.name),
                "spec": spec, "status": ["loadBalancer": loadBalancer]]
    }

    private static func endpointSlice(_ service: LabService, family: AddressFamily) -> [String: Any] {
        var meta = metadata("EndpointSlice", service.namespace, "\(service.name)-lab\(family == .inet6 ? "06" : "00")",
                            labels: ["kubernetes.io/service-name": service.name,
                                     "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"])
        meta["generateName"] = "\(service.name)-"
        meta["ownerReferences"] = [["apiVersion": "v1", "kind": "Service", "name": service.name, "controller": true,
                                    "blockOwnerDeletion": true, "uid": uid("Service", "\(service.namespace)/\(service.name)")]]
        let endpoints: Any = service.endpoints.isEmpty ? NSNull() : service.endpoints.map { endpoint -> [String: Any] in
            ["addresses": [endpoint.ip], "conditions": ["ready": true, "serving": true, "terminating": false],
             "nodeName": endpoint.node,
             "targetRef": ["kind": "Pod", "name": endpoint.pod, "namespace": service.namespace,
                           "uid": uid("Pod", "\(service.namespace)/\(endpoint.pod)")]]
        }
        let ports: Any = service.endpoints.isEmpty ? NSNull()
            : [["name": service.portName, "port": service.targetPort, "protocol": "TCP"]]
        return ["addressType": family == .inet6 ? "IPv6" : "IPv4", "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": meta, "endpoints": endpoints, "ports": ports]
    }

    /// The ConfigMaps detection reads, shaped as the installers write them: kubeadm's kube-proxy
    /// (config.conf, a KubeProxyConfiguration), flannel's kube-flannel-cfg (cni-conf.json,
    /// net-conf.json) and calico's calico-config (calico_backend, veth_mtu, cni_network_config).
    /// The kubenet-like bridge has no CNI ConfigMap: it is detected from the nodes' interfaces.
    private static func configMaps(_ topology: LabTopology) -> [[String: Any]] {
        var maps: [[String: Any]] = [[
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": metadata("ConfigMap", "kube-system", "kube-proxy", labels: ["app": "kube-proxy"]),
            "data": ["config.conf": kubeProxyConfig(mode: topology.proxyMode, clusterCIDRs: topology.ipFamily.families.map {
                        $0 == .inet6 ? LabTopology.clusterCIDR6 : LabTopology.clusterCIDR }),
                     "kubeconfig.conf": kubeProxyKubeconfig],
        ]]
        switch topology.scenario {
        case .flannelHostGW, .flannelVXLAN:
            let backend = topology.scenario == .flannelVXLAN ? "vxlan" : "host-gw"
            let ipv6NetConf = (topology.ipFamily.hasIPv4 ? "" : "  \"EnableIPv4\": false,\n") + (topology.ipFamily.hasIPv6
                ? "  \"EnableIPv6\": true,\n  \"IPv6Network\": \"\(LabTopology.clusterCIDR6)\",\n" : "")
            maps.append(["apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": metadata("ConfigMap", "kube-flannel", "kube-flannel-cfg",
                                              labels: ["app": "flannel", "k8s-app": "flannel", "tier": "node"]),
                         "data": ["cni-conf.json": flannelCNIConf,
                                  "net-conf.json": "{\n  \"Network\": \"\(LabTopology.clusterCIDR)\",\n\(ipv6NetConf)  \"EnableNFTables\": false,\n  \"Backend\": {\n    \"Type\": \"\(backend)\"\n  }\n}\n"]])
        case .calicoBGP, .calicoVXLAN:
            // calico.yaml says "bird", calico-vxlan.yaml "vxlan"; veth_mtu "0" lets calico-node choose.
            maps.append(["apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": metadata("ConfigMap", "kube-system", "calico-config"),
                         "data": ["calico_backend": topology.scenario == .calicoBGP ? "bird" : "vxlan",
                                  "typha_service_name": "none", "veth_mtu": "0",
                                  "cni_network_config": calicoCNIConf]])
        case .bridge:
            break
        }
        return maps
    }

    /// kubeadm's config.conf, with the mode set and the cluster CIDR given to kubeadm.
    private static func kubeProxyConfig(mode: LabProxyMode, clusterCIDRs: [String]) -> String { """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        bindAddress: 0.0.0.0
        bindAddressHardFail: false
        clientConnection:
          acceptContentTypes: ""
          burst: 0
          contentType: ""
          kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
          qps: 0
        clusterCIDR: \(clusterCIDRs.joined(separator: ","))
        configSyncPeriod: 0s
        conntrack:
          maxPerCore: null
          min: null
          tcpBeLiberal: false
          tcpCloseWaitTimeout: null
          tcpEstablishedTimeout: null
          udpStreamTimeout: 0s
          udpTimeout: 0s
        detectLocal:
          bridgeInterface: ""
          interfaceNamePrefix: ""
        detectLocalMode: ""
        enableProfiling: false
        healthzBindAddress: ""
        hostnameOverride: ""
        iptables:
          localhostNodePorts: null
          masqueradeAll: false
          masqueradeBit: null
          minSyncPeriod: 0s
          syncPeriod: 0s
        ipvs:
          excludeCIDRs: null
          minSyncPeriod: 0s
          scheduler: ""
          strictARP: false
          syncPeriod: 0s
          tcpFinTimeout: 0s
          tcpTimeout: 0s
          udpTimeout: 0s
        kind: KubeProxyConfiguration
        logging:
          flushFrequency: 0
          options:
            json:
              infoBufferSize: "0"
            text:
              infoBufferSize: "0"
          verbosity: 0
        metricsBindAddress: ""
        mode: "\(mode.rawValue)"
        nftables:
          masqueradeAll: false
          masqueradeBit: null
          minSyncPeriod: 0s
          syncPeriod: 0s
        nodePortAddresses: null
        oomScoreAdj: null
        portRange: ""
        showHiddenMetricsForVersion: ""
        winkernel:
          enableDSR: false
          forwardHealthCheckVip: false
          networkName: ""
          rootHnsEndpointName: ""
          sourceVip: ""

        """
    }

    private static let kubeProxyKubeconfig = """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
            server: https://192.168.56.11:6443
          name: default
        contexts:
        - context:
            cluster: default
            namespace: default
            user: default
          name: default
        current-context: default
        users:
        - name: default
          user:
            tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token

        """

    private static let flannelCNIConf = """
        {
          "name": "cbr0",
          "cniVersion": "0.3.1",
          "plugins": [
            {
              "type": "flannel",
              "delegate": {
                "hairpinMode": true,
                "isDefaultGateway": true
              }
            },
            {
              "type": "portmap",
              "capabilities": {
                "portMappings": true
              }
            }
          ]
        }

        """

    private static let calicoCNIConf = """
        {
          "name": "k8s-pod-network",
          "cniVersion": "0.3.1",
          "plugins": [
            {
              "type": "calico",
              "log_level": "info",
              "log_file_path": "/var/log/calico/cni/cni.log",
              "datastore_type": "kubernetes",
              "nodename": "__KUBERNETES_NODE_NAME__",
              "mtu": __CNI_MTU__,
              "ipam": {
                  "type": "calico-ipam"
              },
              "policy": {
                  "type": "k8s"
              },
              "kubernetes": {
                  "kubeconfig": "__KUBECONFIG_FILEPATH__"
              }
            },
            {
              "type": "portmap",
              "snat": true,
              "capabilities": {"portMappings": true}
            },
            {
              "type": "bandwidth",
              "capabilities": {"bandwidth": true}
            }
          ]
        }
        """
}
