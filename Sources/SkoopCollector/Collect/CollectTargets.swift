/// Which namespaces `skoop collect` visits, resolved from its options.
public struct CollectTargets: Hashable, Sendable {
    /// The node's own namespace.
    public var host: NetnsTarget
    /// The other namespaces, each collected as a pod namespace.
    public var pods: [NetnsTarget]

    /// Resolves `--host-netns` / `--pod-netns`: without `--pod-netns`, every namespace the
    /// discovery finds except the host's (and the collector's own) is a pod namespace.
    /// Throws `InputError` naming the flag for a namespace name that is unsafe or missing.
    public static func resolve(hostNetns: String?, podNetns: [String],
                               discovery: NetnsDiscovery = NetnsDiscovery()) throws -> CollectTargets {
        let currentInode = discovery.currentInode()
        let host: NetnsTarget
        if let hostNetns {
            host = .host(.named(hostNetns), inode: try namedInode(hostNetns, flag: "--host-netns", discovery))
        } else {
            host = .host(.current, inode: currentInode)
        }
        if !podNetns.isEmpty {
            let pods = try podNetns.map { name in
                NetnsTarget(entry: .named(name), directoryName: name,
                            inode: try namedInode(name, flag: "--pod-netns", discovery))
            }
            return CollectTargets(host: host, pods: pods)
        }
        let excluded = Set([host.inode, currentInode].compactMap { $0 })
        return CollectTargets(host: host, pods: discovery.discover(excluding: excluded))
    }

    private static func namedInode(_ name: String, flag: String, _ discovery: NetnsDiscovery) throws -> UInt64 {
        guard SnapshotName.isPlausibleNetnsName(name) else {
            throw InputErrorFactory.flag(flag, expected: "a network namespace name under /run/netns", found: name)
        }
        guard let inode = discovery.inode(ofNamed: name) else {
            throw InputErrorFactory.flag(flag, expected: "an existing network namespace", found: name)
        }
        return inode
    }
}

import SkoopModel

enum InputErrorFactory {
    static func flag(_ flag: String, expected: String, found: String) -> InputError {
        InputError(source: flag, expected: expected, found: found)
    }
}
