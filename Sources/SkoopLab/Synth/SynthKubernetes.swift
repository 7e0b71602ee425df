/// kubectl-shaped Kubernetes objects for a synthetic cluster, sized like real ones: labels,
/// ownerReferences, containers with ports, env and resources, status with conditions and
/// containerStatuses. Written one object per line so even 150,000 pods stream in bounded memory.
struct SynthKubernetes {
    let layout: SynthLayout
    private let created = "2025-03-01T08:00:00Z"

    init(layout: SynthLayout) { self.layout = layout }

    /// Writes every k8s/ file.
    func write(to writer: SynthWriter) throws {
        let spec = layout.spec
        try writer.makeDirectory("k8s")
        try list(writer, "k8s/nodes.json", count: spec.nodes, node)
        try list(writer, "k8s/pods.json", count: spec.pods, pod)
        try list(writer, "k8s/services.json", count: spec.services, service)
        try list(writer, "k8s/endpointslices.json", count: spec.services, endpointSlice)
        let policies = layout.policies()
        try list(writer, "k8s/networkpolicies.json", count: policies.count) { policies[$0] }
        try list(writer, "k8s/configmaps.json", count: 2, configMap)
    }

    private func list(_ writer: SynthWriter, _ path: String, count: Int, _ item: (Int) -> String) throws {
        try writer.stream(path) { out in
            try out.append("{\"apiVersion\":\"v1\",\"items\":[")
            for index in 0..<count {
                try out.append(index == 0 ? "\n" : ",\n")
                try out.append(item(index))
            }
            try out.append("\n],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}\n")
        }
    }

    private func uid(_ kind: Int, _ index: Int) -> String {
        "\(layout.hex(index, 8))-\(layout.hex(kind, 4))-4\(layout.hex(index & 0xfff, 3))-8\(layout.hex((index >> 12) & 0xfff, 3))-\(layout.hex((index &* 2_654_435_761) & 0xffff_ffff_ffff, 12))"
    }

    private func node(_ n: Int) -> String {
        let name = layout.nodeName(n), ip = layout.nodeIP(n)
        let conditions = [("MemoryPressure", "False", "KubeletHasSufficientMemory"), ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                          ("PIDPressure", "False", "KubeletHasSufficientPID"), ("Ready", "True", "KubeletReady")]
            .map { "{\"lastHeartbeatTime\":\"\(created)\",\"lastTransitionTime\":\"\(created)\",\"message\":\"kubelet status\",\"reason\":\"\($0.2)\",\"status\":\"\($0.1)\",\"type\":\"\($0.0)\"}" }
            .joined(separator: ",")
        return """
        {"apiVersion":"v1","kind":"Node","metadata":{"annotations":{"flannel.alpha.coreos.com/backend-data":"{\\"VNI\\":1,\\"VtepMAC\\":\\"\(layout.vtepMAC(n))\\"}","flannel.alpha.coreos.com/backend-type":"vxlan","flannel.alpha.coreos.com/kube-subnet-manager":"true","flannel.alpha.coreos.com/public-ip":"\(ip)","node.alpha.kubernetes.io/ttl":"0","volumes.kubernetes.io/controller-managed-attach-detach":"true"},"creationTimestamp":"\(created)","labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"\(name)","kubernetes.io/os":"linux","node.kubernetes.io/instance-type":"m5.2xlarge","topology.kubernetes.io/region":"eu-west-1","topology.kubernetes.io/zone":"eu-west-1\(["a", "b", "c"][n % 3])"},"name":"\(name)","resourceVersion":"\(100_000 + n)","uid":"\(uid(1, n))"},"spec":{"podCIDR":"\(layout.podCIDR(n))","podCIDRs":["\(layout.podCIDR(n))"],"providerID":"aws:///eu-west-1a/i-0\(layout.hex(n, 16))"},"status":{"addresses":[{"address":"\(ip)","type":"InternalIP"},{"address":"\(name)","type":"Hostname"}],"allocatable":{"cpu":"7910m","ephemeral-storage":"95491281146","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"31792412Ki","pods":"110"},"capacity":{"cpu":"8","ephemeral-storage":"103609120Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"32482588Ki","pods":"110"},"conditions":[\(conditions)],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"architecture":"amd64","bootID":"\(uid(2, n))","containerRuntimeVersion":"containerd://1.7.22","kernelVersion":"6.1.112","kubeProxyVersion":"v1.31.2","kubeletVersion":"v1.31.2","machineID":"\(layout.hex(n, 32))","operatingSystem":"linux","osImage":"Ubuntu 22.04.5 LTS","systemUUID":"\(uid(3, n))"}}}
        """
    }

    private func pod(_ p: Int) -> String {
        let spec = layout.spec
        let app = layout.appName(ofPod: p), namespace = layout.podNamespace(p), name = layout.podName(p)
        let n = layout.node(ofPod: p), ip = layout.podIP(p), hostIP = layout.nodeIP(n)
        let hash = "7d4b9c\(layout.hex(p % 4096, 3))", replicaSet = "\(app)-\(hash)"
        let token = "kube-api-access-\(layout.suffix(p &+ 7))"
        let image = "registry.example.com/\(namespace)/\(app):1.\(p % 20).\(p % 7)"
        let conditions = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
            .map { "{\"lastProbeTime\":null,\"lastTransitionTime\":\"\(created)\",\"status\":\"True\",\"type\":\"\($0)\"}" }
            .joined(separator: ",")
        return """
        {"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"\(created)","generateName":"\(replicaSet)-","labels":{"app":"\(app)","app.kubernetes.io/name":"\(app)","app.kubernetes.io/part-of":"\(namespace)","pod-template-hash":"\(hash)"\(spec.policies ? ",\"tier\":\"\(layout.tier(ofPod: p))\"" : "")},"name":"\(name)","namespace":"\(namespace)","ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,"kind":"ReplicaSet","name":"\(replicaSet)","uid":"\(uid(4, p / 10))"}],"resourceVersion":"\(200_000 + p)","uid":"\(uid(5, p))"},"spec":{"containers":[{"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"LISTEN_PORT","value":"\(SynthLayout.targetPort)"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}},{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}],"image":"\(image)","imagePullPolicy":"IfNotPresent","name":"app","ports":[{"containerPort":\(SynthLayout.targetPort),"name":"http","protocol":"TCP"},{"containerPort":9090,"name":"metrics","protocol":"TCP"}],"readinessProbe":{"failureThreshold":3,"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"periodSeconds":10,"successThreshold":1,"timeoutSeconds":1},"resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","volumeMounts":[{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"\(token)","readOnly":true}]}],"dnsPolicy":"ClusterFirst","enableServiceLinks":true,"nodeName":"\(layout.nodeName(n))","preemptionPolicy":"PreemptLowerPriority","priority":0,"restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"serviceAccount":"default","serviceAccountName":"default","terminationGracePeriodSeconds":30,"tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},{"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}],"volumes":[{"name":"\(token)","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],"name":"kube-root-ca.crt"}}]}}]},"status":{"conditions":[\(conditions)],"containerStatuses":[{"containerID":"containerd://\(layout.hex(p, 16))\(layout.hex(p &* 2_654_435_761 & 0xffff_ffff, 16))","image":"\(image)","imageID":"\(image)@sha256:\(layout.hex(p % 97, 16))","lastState":{},"name":"app","ready":true,"restartCount":0,"started":true,"state":{"running":{"startedAt":"\(created)"}}}],"hostIP":"\(hostIP)","hostIPs":[{"ip":"\(hostIP)"}],"phase":"Running","podIP":"\(ip)","podIPs":[{"ip":"\(ip)"}],"qosClass":"Burstable","startTime":"\(created)"}}
        """
    }

    private func service(_ s: Int) -> String {
        let name = layout.serviceName(s), namespace = layout.serviceNamespace(s), ip = layout.clusterIP(s)
        let nodePort = layout.nodePort(s)
        let port = "{\"name\":\"http\",\(nodePort.map { "\"nodePort\":\($0)," } ?? "")\"port\":\(SynthLayout.servicePort),\"protocol\":\"TCP\",\"targetPort\":\(SynthLayout.targetPort)}"
        let external = nodePort == nil ? "" : "\"externalTrafficPolicy\":\"Cluster\","
        return """
        {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{"meta.helm.sh/release-name":"\(name)","meta.helm.sh/release-namespace":"\(namespace)"},"creationTimestamp":"\(created)","labels":{"app":"\(name)","app.kubernetes.io/managed-by":"Helm"},"name":"\(name)","namespace":"\(namespace)","resourceVersion":"\(300_000 + s)","uid":"\(uid(6, s))"},"spec":{"clusterIP":"\(ip)","clusterIPs":["\(ip)"],\(external)"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[\(port)],"selector":{"app":"\(name)"},"sessionAffinity":"None","type":"\(nodePort == nil ? "ClusterIP" : "NodePort")"},"status":{"loadBalancer":{}}}
        """
    }

    private func endpointSlice(_ s: Int) -> String {
        let name = layout.serviceName(s), namespace = layout.serviceNamespace(s)
        let endpoints = layout.endpoints(ofService: s).map { p in
            "{\"addresses\":[\"\(layout.podIP(p))\"],\"conditions\":{\"ready\":true,\"serving\":true,\"terminating\":false},\"nodeName\":\"\(layout.nodeName(layout.node(ofPod: p)))\",\"targetRef\":{\"kind\":\"Pod\",\"name\":\"\(layout.podName(p))\",\"namespace\":\"\(layout.podNamespace(p))\",\"uid\":\"\(uid(5, p))\"},\"zone\":\"eu-west-1\(["a", "b", "c"][layout.node(ofPod: p) % 3])\"}"
        }.joined(separator: ",")
        return """
        {"addressType":"IPv4","apiVersion":"discovery.k8s.io/v1","endpoints":[\(endpoints)],"kind":"EndpointSlice","metadata":{"annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"\(created)"},"creationTimestamp":"\(created)","generateName":"\(name)-","generation":1,"labels":{"app":"\(name)","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io","kubernetes.io/service-name":"\(name)"},"name":"\(name)-\(layout.suffix(s))","namespace":"\(namespace)","ownerReferences":[{"apiVersion":"v1","blockOwnerDeletion":true,"controller":true,"kind":"Service","name":"\(name)","uid":"\(uid(6, s))"}],"resourceVersion":"\(400_000 + s)","uid":"\(uid(7, s))"},"ports":[{"name":"http","port":\(SynthLayout.targetPort),"protocol":"TCP"}]}
        """
    }

    private func configMap(_ index: Int) -> String {
        if index == 0 {
            return """
            {"apiVersion":"v1","data":{"config.conf":"apiVersion: kubeproxy.config.k8s.io/v1alpha1\\nkind: KubeProxyConfiguration\\nclusterCIDR: \(SynthLayout.clusterCIDR)\\nmode: \\"iptables\\"\\n"},"kind":"ConfigMap","metadata":{"labels":{"app":"kube-proxy"},"name":"kube-proxy","namespace":"kube-system","uid":"\(uid(8, 0))"}}
            """
        }
        return """
        {"apiVersion":"v1","data":{"net-conf.json":"{\\n  \\"Network\\": \\"\(SynthLayout.clusterCIDR)\\",\\n  \\"Backend\\": {\\n    \\"Type\\": \\"vxlan\\"\\n  }\\n}\\n"},"kind":"ConfigMap","metadata":{"labels":{"app":"flannel"},"name":"kube-flannel-cfg","namespace":"kube-flannel","uid":"\(uid(8, 1))"}}
        """
    }
}
