import Foundation
import SkoopModel

/// The nodes of a cluster: what the indexes need of every node (name, pod CIDRs, addresses,
/// flannel's public IP), the full ``Node`` only for those asked for. At 5,000 nodes, decoding
/// every node's labels, conditions and capacity cost more than all the rest of nodes.json.
///
/// The indexed fields are checked for every node while skimming (a malformed CIDR or address is
/// an error at once, as before); the rest of a node is checked when it is decoded, and a failure
/// then is kept in ``failures`` for the caller to report.
public final class NodeCatalog: Sendable {
    /// What the indexes know of a node without decoding it.
    struct Entry: Sendable {
        var name: String
        var podCIDRs: [IPPrefix]
        /// Internal addresses first, then external ones (``Node/ipAddresses``).
        var ipAddresses: [IPAddress]
        var flannelPublicIP: IPAddress?

        init(_ node: Node) {
            (name, podCIDRs, ipAddresses, flannelPublicIP) = (node.name, node.podCIDRs, node.ipAddresses, node.flannelPublicIP)
        }

        /// ``Node/primaryIP(family:)``.
        func primaryIP(family: AddressFamily) -> IPAddress? { ipAddresses.first { $0.family == family } }
    }

    let entries: [Entry]
    private let storage: CatalogStorage<Node>

    /// Nodes already decoded (tests, the lab, a single-object document).
    public init(_ nodes: [Node]) {
        entries = nodes.map(Entry.init)
        storage = .decoded(nodes)
    }

    private init(lazy items: LazyItems<Node>, entries: [Entry]) {
        self.entries = entries
        storage = .lazy(items)
    }

    /// How many nodes there are.
    public var count: Int { entries.count }

    /// Every node's name, in file order, without decoding any.
    public var names: [String] { entries.map(\.name) }

    /// Node `index` (file order); nil when decoding it failed (kept in ``failures``).
    public func node(at index: Int) -> Node? { storage.object(at: index) }

    /// Every node that can be decoded, in file order (failures are kept in ``failures``).
    public var readable: [Node] { entries.indices.compactMap(node(at:)) }

    /// Every node decoded: the first malformed one is thrown.
    public func all() throws(InputError) -> [Node] { try storage.all() }

    /// Nodes that were asked for but could not be decoded.
    public var failures: [InputError] { storage.failures }

    // MARK: Skimming nodes.json

    private enum Field: Int { case kind, name, publicIP, podCIDR, podCIDRs, addresses }

    private static let publicIPAnnotation = "flannel.alpha.coreos.com/public-ip"

    private static let pick = JSONPick.members([
        ("kind", .capture(Field.kind.rawValue)),
        ("metadata", .members([("name", .capture(Field.name.rawValue)),
                               ("annotations", .members([(publicIPAnnotation, .capture(Field.publicIP.rawValue))]))])),
        ("spec", .members([("podCIDR", .capture(Field.podCIDR.rawValue)), ("podCIDRs", .capture(Field.podCIDRs.rawValue))])),
        ("status", .members([("addresses", .capture(Field.addresses.rawValue))])),
    ])

    /// Skims nodes.json; nil when it is not a List (decode it the strict way instead).
    static func skim(_ document: SourceData) throws(InputError) -> NodeCatalog? {
        guard let items = try LazyItems<Node>.skim(document, kind: "Node", plural: "nodes", pick: pick,
                                                   decodeItem: Node.init(json:)) else { return nil }
        let pieces = min(max(items.count / 256, 1), 2 * ProcessInfo.processInfo.activeProcessorCount)
        let results = Locked<[Result<[Entry], InputError>?]>(Array(repeating: nil, count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            var entries: [Entry] = []
            let result: Result<[Entry], InputError>
            do throws(InputError) {
                for index in (items.count * piece / pieces)..<(items.count * (piece + 1) / pieces) {
                    // What the skim cannot index on its own is decoded in full: its error, if
                    // any, is the strict decoder's.
                    if let entry = indexed(items.skim.captures(ofItem: index), items, index) {
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
        for piece in results.withLock({ $0 }) { entries += try piece!.get() }
        return NodeCatalog(lazy: items, entries: entries)
    }

    /// The entry of item `index` from its captured fields: they are put together into a small
    /// node and decoded by ``Node``'s own decoder, so the fields mean what they mean there.
    /// Nil when the captures are not plain (a repeated member, another shape, a wrong kind) or
    /// the small node does not decode.
    private static func indexed(_ captures: ArraySlice<JSONCapture>, _ items: LazyItems<Node>, _ index: Int) -> Entry? {
        var values: [Field: Range<Int>] = [:]
        for capture in captures {
            guard let field = Field(rawValue: capture.field), values[field] == nil else { return nil }
            if field == .kind, items.hasWrongKind(capture) { return nil }
            values[field] = capture.range
        }
        let buffer = items.bytes.buffer
        func member(_ key: String, _ field: Field) -> [UInt8]? {
            values[field].map { Array("\"\(key)\":".utf8) + buffer[$0] }
        }
        func object(_ members: [[UInt8]?]) -> [UInt8] {
            Array("{".utf8) + Array(members.compactMap { $0 }.joined(separator: Array(",".utf8))) + Array("}".utf8)
        }
        let annotations = member(publicIPAnnotation, .publicIP).map { Array("\"annotations\":".utf8) + object([$0]) }
        let small = object([
            Array("\"metadata\":".utf8) + object([member("name", .name), annotations]),
            Array("\"spec\":".utf8) + object([member("podCIDR", .podCIDR), member("podCIDRs", .podCIDRs)]),
            Array("\"status\":".utf8) + object([member("addresses", .addresses)]),
        ])
        guard let item = try? DecodingContext.item(small, position: index, key: "items", source: items.source,
                                                   expectation: "a Kubernetes List of nodes", linesBefore: { 0 }),
              let node = try? Node(json: item) else { return nil }
        return Entry(node)
    }
}
