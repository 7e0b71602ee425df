import Foundation
import SkoopModel

/// The pods of a cluster: what every index needs (name, node, addresses) for all of them, the
/// full ``Pod`` only for those asked for. Read from pods.json by a skim, each pod is decoded the
/// first time it is needed, so a diagnosis of a 150,000-pod cluster decodes a few dozen.
///
/// The indexed fields are checked for every pod while skimming (a malformed name or address is
/// an error at once, as before); the rest of a pod is checked when it is decoded, and a failure
/// then is kept in ``failures`` for the caller to report.
public final class PodCatalog: Sendable {
    /// What the index knows of a pod without decoding it.
    struct Entry: Sendable {
        var namespace: String
        var name: String
        var nodeName: String?
        var hostNetwork: Bool
        var podIPs: [IPAddress]
        var phase: String?

        init(_ pod: Pod) {
            (namespace, name, nodeName, hostNetwork) = (pod.namespace, pod.name, pod.nodeName, pod.hostNetwork)
            (podIPs, phase) = (pod.podIPs, pod.phase)
        }

        init(namespace: String, name: String, nodeName: String?, hostNetwork: Bool, podIPs: [IPAddress], phase: String?) {
            (self.namespace, self.name, self.nodeName, self.hostNetwork) = (namespace, name, nodeName, hostNetwork)
            (self.podIPs, self.phase) = (podIPs, phase)
        }

        var qualifiedName: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    }

    let entries: [Entry]
    private let storage: CatalogStorage<Pod>

    /// Pods already decoded (tests, the lab, a single-object document).
    public init(_ pods: [Pod]) {
        entries = pods.map(Entry.init)
        storage = .decoded(pods)
    }

    private init(lazy items: LazyItems<Pod>, entries: [Entry]) {
        self.entries = entries
        storage = .lazy(items)
    }

    /// How many pods there are.
    public var count: Int { entries.count }

    /// Every pod's NAMESPACE/NAME, in file order, without decoding any.
    public var qualifiedNames: [String] { entries.map(\.qualifiedName) }

    /// Pod `index` (file order); nil when decoding it failed (kept in ``failures``).
    public func pod(at index: Int) -> Pod? { storage.object(at: index) }

    /// Every pod decoded: the first malformed one is thrown.
    public func all() throws(InputError) -> [Pod] { try storage.all() }

    /// The first pod (file order) satisfying `predicate`, decoding pods until one does.
    public func first(where predicate: (Pod) -> Bool) -> Pod? {
        for index in entries.indices {
            if let pod = pod(at: index), predicate(pod) { return pod }
        }
        return nil
    }

    /// Pods that were asked for but could not be decoded.
    public var failures: [InputError] { storage.failures }

    // MARK: Skimming pods.json

    private enum Field: Int {
        case kind, namespace, name, nodeName, hostNetwork, podIP, podIPsIP, phase
    }

    private static let pick = JSONPick.members([
        ("kind", .capture(Field.kind.rawValue)),
        ("metadata", .members([("namespace", .capture(Field.namespace.rawValue)), ("name", .capture(Field.name.rawValue))])),
        ("spec", .members([("nodeName", .capture(Field.nodeName.rawValue)),
                           ("hostNetwork", .capture(Field.hostNetwork.rawValue))])),
        ("status", .members([("podIP", .capture(Field.podIP.rawValue)),
                             ("podIPs", .elements(.members([("ip", .capture(Field.podIPsIP.rawValue))]))),
                             ("phase", .capture(Field.phase.rawValue))])),
    ])

    /// Skims pods.json; nil when it is not a List (decode it the strict way instead).
    static func skim(_ document: SourceData) throws(InputError) -> PodCatalog? {
        guard let items = try LazyItems<Pod>.skim(document, kind: "Pod", plural: "pods", pick: pick,
                                                  decodeItem: Pod.init(json:)) else { return nil }
        // In pieces on all cores: 150,000 pods make 150,000 names and addresses.
        let pieces = min(max(items.count / 4096, 1), 4 * ProcessInfo.processInfo.activeProcessorCount)
        let results = Locked<[Result<[Entry], InputError>?]>(Array(repeating: nil, count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let range = (items.count * piece / pieces)..<(items.count * (piece + 1) / pieces)
            var entries: [Entry] = []
            entries.reserveCapacity(range.count)
            let result: Result<[Entry], InputError>
            do throws(InputError) {
                for index in range {
                    // An item the skim cannot index on its own (a wrong type, a repeated member, a
                    // bad address) is decoded in full: its error, if any, is the strict decoder's.
                    if let entry = indexed(items.skim.captures(ofItem: index), items) {
                        entries.append(entry)
                    } else {
                        entries.append(Entry(try items.object(at: index)))
                    }
                }
                result = .success(entries)
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[piece] = result }
        }
        var entries: [Entry] = []
        entries.reserveCapacity(items.count)
        for piece in results.withLock({ $0 }) { entries.append(contentsOf: try piece!.get()) }
        return PodCatalog(lazy: items, entries: entries)
    }

    private static func indexed(_ captures: ArraySlice<JSONCapture>, _ items: LazyItems<Pod>) -> Entry? {
        var namespace: String?? = .some(nil), name: String?? = nil, nodeName: String?? = .some(nil)
        var hostNetwork: Bool?? = .some(nil), podIP: IPAddress?? = .some(nil), phase: String?? = .some(nil)
        var podIPs: [IPAddress] = []
        var seen: UInt16 = 0
        for capture in captures {
            guard let field = Field(rawValue: capture.field) else { return nil }
            if field != .podIPsIP {
                guard seen & (1 << field.rawValue) == 0 else { return nil }
                seen |= 1 << field.rawValue
            }
            switch field {
            case .kind: if items.hasWrongKind(capture) { return nil }
            case .namespace: namespace = items.string(capture)
            case .name: name = items.string(capture)
            case .nodeName: nodeName = items.string(capture)
            case .hostNetwork: hostNetwork = items.bool(capture)
            case .podIP: podIP = items.address(capture)
            case .podIPsIP:
                guard let address = items.address(capture) else { return nil }
                if let address { podIPs.append(address) }
            case .phase: phase = items.string(capture)
            }
        }
        guard let namespace, let name: String = name ?? nil, let nodeName, let hostNetwork, let podIP, let phase else {
            return nil
        }
        if podIPs.isEmpty, let podIP { podIPs = [podIP] }
        return Entry(namespace: namespace ?? "", name: name, nodeName: nodeName, hostNetwork: hostNetwork ?? false,
                     podIPs: podIPs, phase: phase)
    }
}
