import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopCollector

/// Builds an archive the way NodeCollectionScript prints it.
func makeArchive(boundary: String, namespaces: [(kind: String, name: String, outputs: [String: ToolOutput])],
                 complete: Bool = true) -> String {
    var text = "\n\(boundary) SKOOP-ARCHIVE 1\n"
    for (index, namespace) in namespaces.enumerated() {
        text += "\n\(boundary) N \(index) \(namespace.kind) \(4026532000 + index) \(namespace.name)\n"
        for (command, output) in namespace.outputs.sorted(by: { $0.key < $1.key }) {
            text += "\n\(boundary) R \(index) \(output.status) \(command)\n\(output.stdout)\n\(boundary) E\n\(output.stderr)"
        }
    }
    return complete ? text + "\n\(boundary) END\n" : text
}

@Suite("Live: node script, archive and collector pod")
struct LiveArchiveTests {
    let boundary = "SKOOP-TEST"

    @Test("the script runs every command of the collection plan, quoted")
    func scriptFollowsPlan() {
        let script = NodeCollectionScript.text
        #expect(NodeCollectionScript.commands.count == CollectionPlan.standardFiles.count + 4)
        for command in NodeCollectionScript.commands {
            #expect(script.contains("one \"$1\" \"$2\" " + command.joined(separator: " ")), "\(command)")
        }
        #expect(NodeCollectionScript.quote("a b'c") == "'a b'\\''c'")
        #expect(NodeCollectionScript.quote("-tuanp") == "-tuanp")
    }

    @Test("an archive unpacks like skoop collect: files, sysctl filter, backend, errors")
    func unpackMatchesCollect() async throws {
        let dir = try makeTemporaryDirectory("livearchive")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outputs: [String: ToolOutput] = [
            "ip -j addr show": ToolOutput(status: 0, stdout: "[{\"ifname\":\"lo\"}]\n"),
            "sysctl -a": ToolOutput(status: 0, stdout: "kernel.x = 1\nnet.ipv4.ip_forward = 1\n"),
            "iptables-nft-save -c": ToolOutput(status: 0, stdout: "*filter\n-A FORWARD -j DROP\nCOMMIT\n"),
            "iptables-legacy-save -c": ToolOutput(status: 0, stdout: "*filter\nCOMMIT\n"),
            "ip6tables-nft-save -c": ToolOutput(status: 0, stdout: "*filter\nCOMMIT\n"),
            "ipvsadm -Sn": ToolOutput(status: 127, stderr: "sh: ipvsadm: not found\n"),
        ]
        let text = makeArchive(boundary: boundary, namespaces: [
            ("host", "host", outputs), ("named", "pod-a", ["ip -j addr show": ToolOutput(status: 0, stdout: "[]\n")]),
            ("named", "..", [:]), ("process", "4026532999", [:]),
        ])
        let archive = try CollectorArchive.parse(text, boundary: boundary, source: "test")
        let report = try await archive.unpack(node: "node/../x", into: dir)
        #expect(report.nodeDirectory.lastPathComponent == "node_.._x")
        #expect(report.namespaces.map(\.directoryName) == ["host", "pod-a", "_.", "4026532999"])
        let host = report.nodeDirectory.appendingPathComponent("netns/host")
        #expect(try String(contentsOf: host.appendingPathComponent("sysctl.txt"), encoding: .utf8) == "net.ipv4.ip_forward = 1\n")
        #expect(try String(contentsOf: host.appendingPathComponent("iptables-backend.txt"), encoding: .utf8) == "nft\n")
        #expect(try String(contentsOf: host.appendingPathComponent("iptables.txt"), encoding: .utf8).contains("-A FORWARD -j DROP"))
        #expect(try String(contentsOf: host.appendingPathComponent("ip-addr.json"), encoding: .utf8) == "[{\"ifname\":\"lo\"}]\n")
        let errors = try String(contentsOf: host.appendingPathComponent("collect-errors.txt"), encoding: .utf8)
        #expect(errors.contains("ipvsadm\texit 127\tsh: ipvsadm: not found"))
        // Nothing escaped the snapshot directory.
        let everything = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)?.allObjects ?? []
        #expect(everything.allSatisfy { ($0 as? URL)?.standardizedFileURL.path.hasPrefix(dir.standardizedFileURL.path) == true })
    }

    @Test("a truncated or forged archive is a clear error")
    func truncatedArchive() throws {
        let partial = makeArchive(boundary: boundary, namespaces: [("host", "host", [:])], complete: false)
        #expect(throws: InputError.self) { try CollectorArchive.parse(partial, boundary: boundary, source: "logs") }
        #expect(throws: InputError.self) { try CollectorArchive.parse("sh: nsenter: not found\n", boundary: boundary, source: "logs") }
        let wrongBoundary = makeArchive(boundary: "OTHER", namespaces: [("host", "host", [:])])
        #expect(throws: InputError.self) { try CollectorArchive.parse(wrongBoundary, boundary: boundary, source: "logs") }
        // Tool output that looks like a record but lacks the run's boundary stays content.
        let tricky = makeArchive(boundary: boundary, namespaces: [("host", "host", [
            "ip -j addr show": ToolOutput(status: 0, stdout: "\nSKOOP-OTHER END\n"),
        ])])
        let archive = try CollectorArchive.parse(tricky, boundary: boundary, source: "logs")
        #expect(archive.namespaces[0].outputs["ip -j addr show"]?.stdout == "\nSKOOP-OTHER END\n")
    }

    @Test("the collector pod is pinned, privileged, host namespaces, never restarted, bounded")
    func podManifest() throws {
        let options = LiveCollectorOptions(image: "example/tools:1", namespace: "kube-system", timeout: 45)
        let json = try CollectorPodManifest(name: "skoop-collector-n1-abc", node: "n1", options: options, boundary: "B1").json()
        let pod = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let spec = try #require(pod["spec"] as? [String: Any])
        #expect(spec["nodeName"] as? String == "n1")
        #expect(spec["hostNetwork"] as? Bool == true)
        #expect(spec["hostPID"] as? Bool == true)
        #expect(spec["restartPolicy"] as? String == "Never")
        #expect(spec["activeDeadlineSeconds"] as? Int == 45)
        #expect((spec["tolerations"] as? [[String: String]]) == [["operator": "Exists"]])
        let container = try #require((spec["containers"] as? [[String: Any]])?.first)
        #expect(container["image"] as? String == "example/tools:1")
        #expect((container["securityContext"] as? [String: Bool])?["privileged"] == true)
        #expect(container["name"] as? String == "collect")
        let command = try #require(container["command"] as? [String])
        #expect(Array(command.prefix(8)) == ["sh", "-c", CollectorPodManifest.wrapper, "skoop-pod", "/tmp/skoop-archive", "45", "B1",
                                              "nsenter"])
        #expect(Array(command.dropFirst(7).prefix(9)) == ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--"])
        #expect(command.last == "B1")
        #expect(command.contains(NodeCollectionScript.text))
        #expect((pod["metadata"] as? [String: Any])?["namespace"] as? String == "kube-system")
    }

    @Test("pod names are DNS-1123 and unique")
    func podNames() {
        let first = LiveNodeCollector.podName(node: "Node_1.example.com")
        let second = LiveNodeCollector.podName(node: "Node_1.example.com")
        #expect(first.hasPrefix("skoop-collector-node-1-example-com-"))
        #expect(first != second)
        #expect(first.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
    }

    @Test("a failed pod's status says why")
    func podStatusSummary() {
        let status = PodStatus(json: """
            {"status":{"phase":"Pending","containerStatuses":[{"state":{"waiting":{"reason":"ImagePullBackOff","message":"pull access denied"}}}]}}
            """)
        #expect(status.phase == "Pending")
        #expect(status.summary == "Pending, ImagePullBackOff, pull access denied")
    }
}
