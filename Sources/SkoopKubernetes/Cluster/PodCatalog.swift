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
    /// What the index knows of a pod without decoding it. No field is reference-counted, so
    /// the indexes walk 150,000 of them without retaining anything.
    struct Entry: Sendable {
        var namespace: CatalogText
        var name: CatalogText
        var nodeName: CatalogText?
        var phase: CatalogText?
        var hostNetwork: Bool
        /// The pod's IPs in `addresses`.
        var addresses: Range<Int>
        /// The hash of its namespace and name (``PodNameIndex``).
        var nameHash: UInt32 = 0
    }

    let entries: [Entry]
    /// Every pod's IPs, in pod order.
    let addresses: [IPAddress]
    let texts: CatalogTexts
    /// Built on first use, or side by side with the other indexes (``buildNameIndex()``).
    private let nameIndex: Locked<PodNameIndex?>
    let storage: CatalogStorage<Pod>
    /// What a pod index (k8s/pods.index) gave ready-made; nil when the catalogue was skimmed.
    let prebuilt: Prebuilt?

    /// The indexes a pod index holds ready-made.
    struct Prebuilt: Sendable {
        var names: PodNameIndex
        var addresses: PodAddressIndex
        var namespaces: Set<String>
        /// The index's name, for the error when it turns out not to match pods.json.
        var source: String
    }

    /// Pods already decoded (tests, the lab, a single-object document).
    public convenience init(_ pods: [Pod]) {
        var builder = Builder(bytes: nil)
        for pod in pods { builder.append(pod) }
        self.init(builder, storage: .decoded(pods))
    }

    fileprivate convenience init(_ built: Builder, storage: CatalogStorage<Pod>) {
        self.init(entries: built.entries, addresses: built.addresses, texts: built.texts, storage: storage, prebuilt: nil)
    }

    init(entries: [Entry], addresses: [IPAddress], texts: CatalogTexts, storage: CatalogStorage<Pod>, prebuilt: Prebuilt?) {
        (self.entries, self.addresses, self.texts, self.storage, self.prebuilt) = (entries, addresses, texts, storage, prebuilt)
        nameIndex = Locked(prebuilt?.names)
    }

    /// Builds the index of names now (else the first lookup does).
    func buildNameIndex() { withNameIndex { _ in } }

    /// The name index's keys (a pod index holds them).
    func nameIndexKeys() -> [UInt64] { withNameIndex { $0.sorted } }

    private func withNameIndex<Result>(_ body: (PodNameIndex) -> Result) -> Result {
        nameIndex.withLock { index in
            if index == nil {
                index = entries.withUnsafeBufferPointer { PodNameIndex($0) }
            }
            return body(index!)
        }
    }

    /// How many pods there are.
    public var count: Int { entries.count }

    /// True when the catalogue was read from a pod index (k8s/pods.index), not skimmed.
    public var isFromIndex: Bool { prebuilt != nil }

    /// Every pod's NAMESPACE/NAME, in file order, without decoding any.
    public var qualifiedNames: [String] {
        entries.map { entry in
            let namespace = texts.string(entry.namespace), name = texts.string(entry.name)
            return namespace.isEmpty ? name : "\(namespace)/\(name)"
        }
    }

    /// The position of pod `namespace`/`name` (the first of that name).
    /// - Complexity: O(log pods).
    func position(namespace: String, name: String) -> Int? {
        withNameIndex { index in
            entries.withUnsafeBufferPointer { index.position(namespace: namespace, name: name, in: $0, texts: texts) }
        }
    }

    /// The names of the pods in `namespace`.
    func names(inNamespace namespace: String) -> [String] {
        entries.filter { texts.equals($0.namespace, namespace) }.map { texts.string($0.name) }
    }

    /// The positions of the pods scheduled on node `name`.
    func positions(onNode name: String) -> [Int] {
        entries.indices.filter { entries[$0].nodeName.map { texts.equals($0, name) } ?? false }
    }

    /// The IPv4 addresses of the pods with their own netns (not host-network, not finished),
    /// grouped by node: one pass over the catalogue, no pod decoded.
    func podAddressesByNode() -> [String: [IPAddress]] {
        var grouped: [String: [IPAddress]] = [:]
        for entry in entries where !entry.hostNetwork {
            guard let node = entry.nodeName,
                  !(entry.phase.map { texts.equals($0, "Succeeded") || texts.equals($0, "Failed") } ?? false),
                  let address = addresses[entry.addresses].first(where: { $0.family == .inet }) else { continue }
            grouped[texts.string(node), default: []].append(address)
        }
        return grouped
    }

    /// Every namespace a pod lives in.
    func namespaces() -> Set<String> {
        if let prebuilt { return prebuilt.namespaces }
        var found: Set<String> = []
        var previous: CatalogText?
        for entry in entries {
            // Pods of a namespace mostly come together: compare bytes before making a String.
            if let previous, texts.equals(previous, entry.namespace) {
                continue
            }
            found.insert(texts.string(entry.namespace))
            previous = entry.namespace
        }
        return found
    }

    /// Pod `index` (file order); nil when decoding it failed (kept in ``failures``).
    public func pod(at index: Int) -> Pod? {
        guard let pod = storage.object(at: index) else { return nil }
        if let prebuilt, !matchesEntry(pod, at: index) {
            record(InputError(source: prebuilt.source, expected: "the index of the pods.json beside it (rebuild it: skoop index --snapshot DIR)",
                              found: "pod \(index + 1): \(pod.qualifiedName) in pods.json, \(qualifiedName(at: index)) here"))
            return nil
        }
        return pod
    }

    /// Pod `index`, which an address index says holds `address`: from a pod index, pods.json
    /// must agree (else the index is reported, as for a name that differs).
    func pod(at index: Int, holding address: IPAddress) -> Pod? {
        guard let pod = pod(at: index) else { return nil }
        let holds = pod.podIPs.contains(address) && !pod.hostNetwork && pod.phase != "Succeeded" && pod.phase != "Failed"
        guard let prebuilt, !holds else { return pod }
        record(InputError(source: prebuilt.source, expected: "the index of the pods.json beside it (rebuild it: skoop index --snapshot DIR)",
                          found: "pod \(index + 1): \(pod.qualifiedName) does not hold \(address)"))
        return nil
    }

    private func record(_ error: InputError) {
        mismatches.withLock { found in if !found.contains(error) { found.append(error) } }
    }

    /// The pods' indexes as pods.json has them: errors when a pod index turned out not to.
    private let mismatches = Locked<[InputError]>([])

    private func matchesEntry(_ pod: Pod, at index: Int) -> Bool {
        texts.equals(entries[index].name, pod.name) && texts.equals(entries[index].namespace, pod.namespace)
    }

    private func qualifiedName(at index: Int) -> String {
        let namespace = texts.string(entries[index].namespace), name = texts.string(entries[index].name)
        return namespace.isEmpty ? name : "\(namespace)/\(name)"
    }

    /// Pods by address (read from a pod index, else built now).
    func addressIndex() -> PodAddressIndex { prebuilt?.addresses ?? PodAddressIndex(self) }

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
    public var failures: [InputError] { storage.failures + mismatches.withLock { $0 } }

    /// Entries, addresses and texts as a skim (or a list of pods) produces them.
    fileprivate struct Builder {
        var entries: [Entry] = []
        var addresses: [IPAddress] = []
        var texts: CatalogTexts

        init(bytes: SharedBytes?) { texts = CatalogTexts(bytes: bytes) }

        mutating func append(_ pod: Pod) {
            let start = addresses.count
            addresses += pod.podIPs
            let (namespace, name) = (texts.append(pod.namespace), texts.append(pod.name))
            entries.append(Entry(namespace: namespace, name: name,
                                 nodeName: pod.nodeName.map { texts.append($0) }, phase: pod.phase.map { texts.append($0) },
                                 hostNetwork: pod.hostNetwork, addresses: start..<addresses.count,
                                 nameHash: PodNameIndex.hash(namespace, name, texts)))
        }

        /// Appends a piece built apart, moving its positions past what is here.
        mutating func append(contentsOf piece: Builder) {
            let (addressBase, textBase) = (addresses.count, texts.decoded.count)
            func moved(_ text: CatalogText) -> CatalogText {
                text.count < 0 ? .decoded(text.offset + textBase) : text
            }
            addresses += piece.addresses
            texts.decoded += piece.texts.decoded
            entries.reserveCapacity(entries.count + piece.entries.count)
            for entry in piece.entries {
                entries.append(Entry(namespace: moved(entry.namespace), name: moved(entry.name),
                                     nodeName: entry.nodeName.map(moved), phase: entry.phase.map(moved),
                                     hostNetwork: entry.hostNetwork,
                                     addresses: (entry.addresses.lowerBound + addressBase)..<(entry.addresses.upperBound + addressBase),
                                     nameHash: entry.nameHash))
            }
        }
    }

    // MARK: Skimming pods.json

    fileprivate enum Field: Int {
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
        // In pieces on all cores: 150,000 pods to index.
        let pieces = min(max(items.count / 4096, 1), 4 * ProcessInfo.processInfo.activeProcessorCount)
        let results = Locked<[Result<Builder, InputError>?]>(Array(repeating: nil, count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let range = (items.count * piece / pieces)..<(items.count * (piece + 1) / pieces)
            var builder = Builder(bytes: items.bytes)
            builder.entries.reserveCapacity(range.count)
            let result: Result<Builder, InputError>
            do throws(InputError) {
                for index in range {
                    // An item the skim cannot index on its own (a wrong type, a repeated member, a
                    // bad address) is decoded in full: its error, if any, is the strict decoder's.
                    if !builder.appendIndexed(items.skim.captures(ofItem: index), items) {
                        builder.append(try items.object(at: index))
                    }
                }
                result = .success(builder)
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[piece] = result }
        }
        var builder = Builder(bytes: items.bytes)
        builder.entries.reserveCapacity(items.count)
        for piece in results.withLock({ $0 }) { builder.append(contentsOf: try piece!.get()) }
        return PodCatalog(builder, storage: .lazy(items))
    }
}

extension PodCatalog.Builder {
    /// Appends the pod the captures describe; false (nothing appended) when they cannot.
    mutating func appendIndexed(_ captures: ArraySlice<JSONCapture>, _ items: LazyItems<Pod>) -> Bool {
        let (addressCount, textCount) = (addresses.count, texts.decoded.count)
        guard let entry = indexedEntry(captures, items) else {
            // Undo what the captures added before they turned out not to be plain.
            addresses.removeSubrange(addressCount...)
            texts.decoded.removeSubrange(textCount...)
            return false
        }
        entries.append(entry)
        return true
    }

    /// The entry the captures describe (adding its addresses and decoded texts); nil when they cannot.
    private mutating func indexedEntry(_ captures: ArraySlice<JSONCapture>, _ items: LazyItems<Pod>) -> PodCatalog.Entry? {
        typealias Field = PodCatalog.Field
        var namespace: CatalogText?? = .some(nil), name: CatalogText?? = nil, nodeName: CatalogText?? = .some(nil)
        var hostNetwork: Bool?? = .some(nil), podIP: IPAddress?? = .some(nil), phase: CatalogText?? = .some(nil)
        let start = addresses.count
        var seen: UInt16 = 0
        for capture in captures {
            guard let field = Field(rawValue: capture.field) else { return nil }
            if field != .podIPsIP {
                guard seen & (1 << field.rawValue) == 0 else { return nil }
                seen |= 1 << field.rawValue
            }
            switch field {
            case .kind: if items.hasWrongKind(capture) { return nil }
            case .namespace: namespace = texts.text(ofCaptured: capture.range, in: items.bytes)
            case .name: name = texts.text(ofCaptured: capture.range, in: items.bytes)
            case .nodeName: nodeName = texts.text(ofCaptured: capture.range, in: items.bytes)
            case .hostNetwork: hostNetwork = items.bool(capture)
            case .podIP: podIP = items.address(capture)
            case .podIPsIP:
                guard let address = items.address(capture) else { return nil }
                if let address { addresses.append(address) }
            case .phase: phase = texts.text(ofCaptured: capture.range, in: items.bytes)
            }
        }
        guard let namespace, let name: CatalogText = name ?? nil, let nodeName, let hostNetwork, let podIP, let phase else {
            return nil
        }
        if addresses.count == start, let podIP { addresses.append(podIP) }
        let namespaceText = namespace ?? texts.append("")
        return PodCatalog.Entry(namespace: namespaceText, name: name, nodeName: nodeName, phase: phase,
                                hostNetwork: hostNetwork ?? false, addresses: start..<addresses.count,
                                nameHash: PodNameIndex.hash(namespaceText, name, texts))
    }
}
