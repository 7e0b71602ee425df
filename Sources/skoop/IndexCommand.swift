import ArgumentParser
import SkoopCollector

/// `skoop index --snapshot DIR`: (re)writes the snapshot's pod index.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Write the pod index of a snapshot (k8s/pods.index), so big clusters load without skimming pods.json.",
        discussion: """
            Snapshots Skoop writes (snapshot, lab up, lab synth) have one already. Run this for a \
            snapshot taken otherwise, after editing k8s/pods.json, or after copying a snapshot \
            without its file times (the index is then checked against pods.json's content on \
            every load). An index that is not of the pods.json beside it is set aside with a \
            warning, and pods.json is skimmed instead. Malformed files are reported as \
            FILE:LINE: expected ..., with exit status 65.
            """)

    @Option(help: "The snapshot directory.")
    var snapshot: String

    func validate() throws {
        if SnapshotArgument.isDemo(snapshot) {
            throw ValidationError("--snapshot demo: the bundled demo has its index already and is not written to (a directory named demo: ./demo)")
        }
    }

    func run() throws {
        let indexed = try reportingFailures { try PodIndexWriter.write(snapshot: snapshot) }
        if let indexed {
            print("\(PodIndexWriter.path): \(indexed) pods indexed")
        } else {
            print("k8s/pods.json is missing or not a List: no index written")
        }
    }
}
