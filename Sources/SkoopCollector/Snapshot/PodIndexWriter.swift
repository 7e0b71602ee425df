import Foundation
import SkoopModel
import SkoopKubernetes

/// Writes a snapshot's pod index (k8s/pods.index, see ``PodCatalog``): every snapshot Skoop
/// writes gets one, and `skoop index` makes one for a snapshot taken otherwise or edited since.
public enum PodIndexWriter {
    /// Where the index lives in a snapshot.
    public static let path = "k8s/pods.index"

    /// Indexes the pods.json of the snapshot at `root`; returns how many pods the index holds,
    /// or nil when there is nothing to index (no pods.json, or not a List: an old index is removed).
    /// - Throws: pods.json's errors, as a diagnosis would report them.
    @discardableResult
    public static func write(snapshot root: String) throws(InputError) -> Int? {
        let directory = try SnapshotDirectory(path: root)
        let destination = URL(fileURLWithPath: root).appendingPathComponent(path)
        guard let stamp = try directory.stamp("k8s/pods.json") else {
            try? FileManager.default.removeItem(at: destination)
            return nil
        }
        let pods = SourceData(source: "k8s/pods.json", reader: { () throws(InputError) -> [UInt8] in
            try directory.readBytes("k8s/pods.json") ?? []
        }, mapper: { () throws(InputError) -> SharedBytes in
            guard let bytes = try directory.map("k8s/pods.json", populate: false) else {
                throw InputError(source: "k8s/pods.json", expected: "a file that stays while it is indexed", found: "no such file")
            }
            return bytes
        })
        let index: (bytes: [UInt8], pods: Int)?
        do throws(InputError) {
            index = try PodCatalog.makeIndex(of: pods, stamp: stamp)
            guard try directory.stamp("k8s/pods.json") == stamp else {
                throw InputError(source: "k8s/pods.json", expected: "a file that does not change while it is indexed",
                                 found: "a file changed meanwhile")
            }
        } catch {
            // An index left from an earlier pods.json would only be set aside, with a warning.
            try? FileManager.default.removeItem(at: destination)
            throw error
        }
        guard let index else {
            try? FileManager.default.removeItem(at: destination)
            return nil
        }
        // Written beside and renamed: a reader sees the old index or the new one, never half.
        let partial = destination.appendingPathExtension("partial")
        try writeFile(partial.path, index.bytes)
        guard rename(partial.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial.path)
            throw InputError(source: path, expected: "a snapshot directory Skoop can write to", found: reason)
        }
        return index.pods
    }

    /// Writes `bytes` to a new file at `full` (errors in the system's words: "Permission denied").
    /// Whatever was there is removed first and the file must be new: a link planted there is not
    /// followed out of the snapshot.
    private static func writeFile(_ full: String, _ bytes: [UInt8]) throws(InputError) {
        unlink(full)
        let descriptor = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        var failure = descriptor < 0 ? errno : 0
        if descriptor >= 0 {
            var written = 0
            bytes.withUnsafeBytes { raw in
                while written < raw.count {
                    let count = Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                    if count < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    written += count
                }
            }
            if close(descriptor) != 0, failure == 0 { failure = errno }
        }
        guard failure == 0 else {
            if descriptor >= 0 { unlink(full) }
            throw InputError(source: path, expected: "a snapshot directory Skoop can write to", found: String(cString: strerror(failure)))
        }
    }

    /// The index of the snapshot in `directory`, for loading: nil when it has none.
    static func input(in directory: SnapshotDirectory) -> PodIndexInput? {
        guard let indexStamp = try? directory.stamp(path), let podsStamp = try? directory.stamp("k8s/pods.json") else {
            return nil
        }
        return PodIndexInput(source: path, podsStamp: podsStamp, indexStamp: indexStamp) { () throws(InputError) -> [UInt8]? in
            try directory.readBytes(path)
        }
    }
}
