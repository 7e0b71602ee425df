import SkoopModel

/// The EndpointSlices of a cluster, indexed by the service they belong to; a service's slices
/// are decoded the first time its endpoints are asked for. 10,000 services bring 34 MB of
/// slices, of which a diagnosis needs the few of the services it meets.
public final class EndpointSliceCatalog: Sendable {
    private let storage: CatalogStorage<EndpointSlice>
    /// "NAMESPACE/SERVICE" → the positions of its slices, in file order.
    private let slicesByService: [String: [Int]]
    private let merged = Locked<[String: [ServiceEndpoint]]>([:])

    /// Slices already decoded.
    public init(_ slices: [EndpointSlice]) {
        storage = .decoded(slices)
        var index: [String: [Int]] = [:]
        for (position, slice) in slices.enumerated() {
            if let service = slice.serviceName { index["\(slice.metadata.namespace)/\(service)", default: []].append(position) }
        }
        slicesByService = index
    }

    private init(lazy items: LazyItems<EndpointSlice>, slicesByService: [String: [Int]]) {
        storage = .lazy(items)
        self.slicesByService = slicesByService
    }

    /// How many slices there are.
    public var count: Int { storage.count }

    /// The endpoints of service "NAMESPACE/NAME" merged from its slices in file order, one per
    /// address (the first slice's wins); nil when it has no slice.
    func endpoints(ofService key: String) -> [ServiceEndpoint]? {
        guard let positions = slicesByService[key] else { return nil }
        if let cached = merged.withLock({ $0[key] }) { return cached }
        var endpoints: [ServiceEndpoint] = []
        var seen: Set<IPAddress> = []
        for position in positions {
            guard let slice = slice(at: position) else { continue }
            for endpoint in slice.endpoints where seen.insert(endpoint.ip).inserted { endpoints.append(endpoint) }
        }
        merged.withLock { $0[key] = endpoints }
        return endpoints
    }

    private func slice(at position: Int) -> EndpointSlice? { storage.object(at: position) }

    /// Every slice decoded: the first malformed one is thrown.
    public func all() throws(InputError) -> [EndpointSlice] { try storage.all() }

    /// Slices that were needed but could not be decoded.
    public var failures: [InputError] { storage.failures }

    // MARK: Skimming endpointslices.json

    private enum Field: Int { case kind, namespace, serviceName }

    private static let pick = JSONPick.members([
        ("kind", .capture(Field.kind.rawValue)),
        ("metadata", .members([("namespace", .capture(Field.namespace.rawValue)),
                               ("labels", .members([("kubernetes.io/service-name", .capture(Field.serviceName.rawValue))]))])),
    ])

    /// Skims endpointslices.json; nil when it is not a List.
    static func skim(_ document: SourceData) throws(InputError) -> EndpointSliceCatalog? {
        guard let items = try LazyItems<EndpointSlice>.skim(document, kind: "EndpointSlice", plural: "endpoint slices",
                                                            pick: pick, decodeItem: EndpointSlice.init(json:)) else {
            return nil
        }
        var index: [String: [Int]] = [:]
        for position in 0..<items.count {
            let key: String?
            if let indexed = serviceKey(items.skim.captures(ofItem: position), items) {
                key = indexed
            } else {
                let slice = try items.object(at: position)
                key = slice.serviceName.map { "\(slice.metadata.namespace)/\($0)" }
            }
            if let key { index[key, default: []].append(position) }
        }
        return EndpointSliceCatalog(lazy: items, slicesByService: index)
    }

    /// The slice's "NAMESPACE/SERVICE" from the skim: .some(nil) when it names no service; nil
    /// when the skim cannot tell (decode it).
    private static func serviceKey(_ captures: ArraySlice<JSONCapture>, _ items: LazyItems<EndpointSlice>) -> String?? {
        var namespace: String?? = .some(nil), service: String?? = .some(nil)
        var seen: UInt8 = 0
        for capture in captures {
            guard let field = Field(rawValue: capture.field), seen & (1 << field.rawValue) == 0 else { return nil }
            seen |= 1 << field.rawValue
            switch field {
            case .kind: if items.hasWrongKind(capture) { return nil }
            case .namespace: namespace = items.string(capture)
            case .serviceName: service = items.string(capture)
            }
        }
        guard let namespace, let service else { return nil }
        return .some(service.map { "\(namespace ?? "")/\($0)" })
    }
}
