import Foundation
import SkoopModel

/// Read access to a snapshot directory that never leaves it: no symbolic links are followed,
/// no `..` is accepted, and every file has a size limit.
public struct SnapshotDirectory: Sendable {
    /// The directory, as given.
    public let root: String
    /// The largest file read, in bytes.
    public let fileSizeLimit: Int

    /// Opens `path`; fails when it is not a directory.
    public init(path: String, fileSizeLimit: Int = 512 << 20) throws(InputError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError(source: path, expected: "a snapshot directory (with snapshot.json, k8s/ and nodes/)",
                             found: "no such directory")
        }
        self.root = path
        self.fileSizeLimit = fileSizeLimit
    }

    /// The contents of `relativePath`, or nil when it does not exist.
    /// Throws when the path would leave the snapshot, is a link or not a regular file, or is too large.
    public func read(_ relativePath: String) throws(InputError) -> Data? {
        let full = try resolve(relativePath)
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: full)
        } catch {
            return nil
        }
        let type = attributes[.type] as? FileAttributeType
        guard type == .typeRegular else {
            throw InputError(source: relativePath, expected: "a regular file inside the snapshot",
                             found: type == .typeSymbolicLink ? "a symbolic link (not followed)" : "\(type?.rawValue ?? "unknown file type")")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= fileSizeLimit else {
            throw InputError(source: relativePath, expected: "a file of at most \(Self.sizeText(fileSizeLimit))",
                             found: Self.sizeText(size))
        }
        guard let handle = FileHandle(forReadingAtPath: full) else {
            throw InputError(source: relativePath, expected: "a readable file", found: "permission denied")
        }
        defer { try? handle.close() }
        // Read at most limit+1 bytes: the file may grow between the size check and the read.
        let data = (try? handle.read(upToCount: fileSizeLimit + 1)) ?? Data()
        guard data.count <= fileSizeLimit else {
            throw InputError(source: relativePath, expected: "a file of at most \(Self.sizeText(fileSizeLimit))", found: "a growing file")
        }
        return data
    }

    /// The text of `relativePath` (invalid UTF-8 is an error), or nil when it does not exist.
    public func readText(_ relativePath: String) throws(InputError) -> String? {
        guard let data = try read(relativePath) else { return nil }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(source: relativePath, expected: "UTF-8 text", found: "invalid UTF-8")
        }
        return text
    }

    /// The names of the subdirectories of `relativePath` (links and files are skipped), sorted.
    public func subdirectories(_ relativePath: String) throws(InputError) -> [String] {
        let full = try resolve(relativePath)
        // resolve checks the folders on the way; listing a link would follow it out of the snapshot.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: full),
           attributes[.type] as? FileAttributeType == .typeSymbolicLink {
            throw InputError(source: relativePath, expected: "a directory inside the snapshot", found: "a symbolic link (not followed)")
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return [] }
        return names.sorted().filter { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: full + "/" + name)
            return attributes?[.type] as? FileAttributeType == .typeDirectory
        }
    }

    /// True when `relativePath` exists (as anything).
    public func exists(_ relativePath: String) -> Bool {
        guard let full = try? resolve(relativePath) else { return false }
        return (try? FileManager.default.attributesOfItem(atPath: full)) != nil
    }

    /// A size for messages: whole MiB when it is one, bytes otherwise (a small limit must not read "0 MiB").
    static func sizeText(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// The full path of `relativePath`, refusing `..`, absolute paths and links on the way.
    private func resolve(_ relativePath: String) throws(InputError) -> String {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard !relativePath.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0 == "." }) else {
            throw InputError(source: relativePath, expected: "a path inside the snapshot", found: relativePath)
        }
        var path = root
        for component in components.dropLast() {
            path += "/" + component
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
               attributes[.type] as? FileAttributeType == .typeSymbolicLink {
                throw InputError(source: relativePath, expected: "a path inside the snapshot",
                                 found: "\(component) is a symbolic link (not followed)")
            }
        }
        if let last = components.last { path += "/" + last }
        return path
    }
}
