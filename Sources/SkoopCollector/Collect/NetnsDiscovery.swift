import Foundation

/// Finds the network namespaces of a machine: named ones and those of running processes.
public struct NetnsDiscovery: Sendable {
    /// Where `ip netns` keeps named namespaces.
    public var netnsDirectory: String
    /// The proc file system.
    public var procDirectory: String

    /// Makes a discovery over the given folders (tests pass fakes).
    public init(netnsDirectory: String = "/run/netns", procDirectory: String = "/proc") {
        self.netnsDirectory = netnsDirectory
        self.procDirectory = procDirectory
    }

    /// The inode of the namespace the collector runs in.
    public func currentInode() -> UInt64? {
        Self.namespaceInode(atLink: procDirectory + "/self/ns/net")
    }

    /// The inode of the named namespace `name`, nil when it does not exist or the name is unsafe.
    public func inode(ofNamed name: String) -> UInt64? {
        guard SnapshotName.isPlausibleNetnsName(name) else { return nil }
        return Self.fileInode(netnsDirectory + "/" + name)
    }

    /// Named namespaces (by name) then process namespaces (by inode, entered through one PID),
    /// deduplicated by inode, without those in `excluding`.
    public func discover(excluding: Set<UInt64>) -> [NetnsTarget] {
        var seen = excluding
        var targets: [NetnsTarget] = []
        let fileManager = FileManager.default
        let names = ((try? fileManager.contentsOfDirectory(atPath: netnsDirectory)) ?? []).sorted()
        for name in names where SnapshotName.isPlausibleNetnsName(name) {
            guard let inode = Self.fileInode(netnsDirectory + "/" + name), !seen.contains(inode) else { continue }
            seen.insert(inode)
            targets.append(NetnsTarget(entry: .named(name), directoryName: name, inode: inode))
        }
        let pids = ((try? fileManager.contentsOfDirectory(atPath: procDirectory)) ?? [])
            .compactMap { Int32($0) }.sorted()
        for pid in pids {
            guard let inode = Self.namespaceInode(atLink: "\(procDirectory)/\(pid)/ns/net"),
                  !seen.contains(inode) else { continue }
            seen.insert(inode)
            targets.append(NetnsTarget(entry: .process(pid), directoryName: String(inode), inode: inode))
        }
        return targets
    }

    /// The inode named by a namespace link ("net:[4026531840]"), else the file's own inode.
    static func namespaceInode(atLink path: String) -> UInt64? {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path),
           target.hasPrefix("net:["), target.hasSuffix("]") {
            return UInt64(target.dropFirst(5).dropLast())
        }
        return fileInode(path)
    }

    /// The inode of a file (following links): for a bind-mounted namespace, the namespace's.
    static func fileInode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }
}
