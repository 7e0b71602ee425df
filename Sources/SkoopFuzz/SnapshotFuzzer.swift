import Foundation
import SkoopModel
import SkoopCollector

/// The whole snapshot reader: the input's first byte picks a file of a private copy of
/// Tests/Fixtures/lab-basic, the rest replaces that file, then the snapshot is opened and summarized.
enum SnapshotFuzzer {
    /// The files an input can replace, indexed by its first byte.
    static let files = [
        "snapshot.json", "k8s/nodes.json", "k8s/pods.json", "k8s/services.json", "k8s/endpointslices.json",
        "k8s/networkpolicies.json", "k8s/configmaps.json",
        "nodes/node1/netns/host/ip-link.json", "nodes/node1/netns/host/ip-addr.json",
        "nodes/node1/netns/host/ip-route.json", "nodes/node1/netns/host/ip-route6.json",
        "nodes/node1/netns/host/ip-rule.json", "nodes/node1/netns/host/ip-neigh.json",
        "nodes/node1/netns/host/bridge-fdb.json", "nodes/node1/netns/host/iptables.txt",
        "nodes/node1/netns/host/ip6tables.txt", "nodes/node1/netns/host/ipset.txt",
        "nodes/node1/netns/host/sockets.txt", "nodes/node1/netns/host/sysctl.txt",
        "nodes/node1/netns/host/iptables-backend.txt", "nodes/node1/netns/host/ipvs.txt",
    ]

    /// The lab fixture (SKOOP_FUZZ_SNAPSHOT or Tests/Fixtures/lab-basic from the current directory).
    static var fixture: String {
        ProcessInfo.processInfo.environment["SKOOP_FUZZ_SNAPSHOT"] ?? "Tests/Fixtures/lab-basic"
    }

    /// A private copy of the fixture, made once per process and removed when it exits
    /// (libFuzzer ends with exit() when its time is up; a crash keeps it for the post-mortem).
    static let copy: String = {
        let target = FileManager.default.temporaryDirectory
            .appendingPathComponent("skoop-fuzz-snapshot-\(ProcessInfo.processInfo.processIdentifier)").path
        try? FileManager.default.removeItem(atPath: target)
        do {
            try FileManager.default.copyItem(atPath: fixture, toPath: target)
        } catch {
            FileHandle.standardError.write(Data("cannot copy \(fixture): \(error)\n".utf8))
            exit(2)
        }
        atexit { try? FileManager.default.removeItem(atPath: SnapshotFuzzer.copy) }
        return target
    }()

    /// Replaces one file with the input, reads the snapshot, puts the file back.
    static func run(_ data: Data) {
        guard let selector = data.first else { return }
        let file = files[Int(selector) % files.count]
        let path = copy + "/" + file
        let original = FileManager.default.contents(atPath: path)
        _ = FileManager.default.createFile(atPath: path, contents: data.dropFirst())
        defer {
            if let original {
                _ = FileManager.default.createFile(atPath: path, contents: original)
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        guard let collector = try? CollectorManager(snapshot: copy),
              let summary = try? SnapshotSummary(collector: collector) else { return }
        _ = summary.text()
    }

    /// The seed corpus: each fixture file with its selector byte in front.
    static func seeds() -> [Data] {
        files.enumerated().compactMap { index, file in
            FileManager.default.contents(atPath: fixture + "/" + file).map { Data([UInt8(index)]) + $0 }
        }
    }
}
