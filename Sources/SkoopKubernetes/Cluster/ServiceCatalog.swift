import Foundation
import SkoopModel

/// The Services of a cluster: what the indexes need of every Service (namespace, name, cluster,
/// external and load balancer IPs, node ports), the full ``Service`` only for those asked for.
/// A diagnosis of 10,000 Services meets one or two of them; decoding all of them was the
/// longest part of loading the cluster.
///
/// The indexed fields are checked for every Service while skimming (a malformed address is an
/// error at once, as before); the rest of a Service is checked when it is decoded, and a
/// failure then is kept in ``failures`` for the caller to report.
public final class ServiceCatalog: Sendable {
    /// What the indexes know of a Service without decoding it.
    struct Entry: Sendable, Equatable {
        var namespace: String
        var name: String
        var clusterIPs: [IPAddress]
        var externalIPs: [IPAddress]
        var loadBalancerIngressIPs: [IPAddress]
        var nodePorts: [NodePort]

        /// A node port and its protocol.
        struct NodePort: Hashable, Sendable {
            var port: UInt16
            var proto: KubeProtocol
        }

        init(_ service: Service) {
            (namespace, name) = (service.namespace, service.name)
            (clusterIPs, externalIPs, loadBalancerIngressIPs) = (service.clusterIPs, service.externalIPs, service.loadBalancerIngressIPs)
            nodePorts = service.ports.compactMap { port in port.nodePort.map { NodePort(port: $0, proto: port.protocol) } }
        }

        init(namespace: String, name: String, clusterIPs: [IPAddress], externalIPs: [IPAddress], nodePorts: [NodePort]) {
            (self.namespace, self.name, self.clusterIPs, self.externalIPs) = (namespace, name, clusterIPs, externalIPs)
            (loadBalancerIngressIPs, self.nodePorts) = ([], nodePorts)
        }

        /// "NAMESPACE/NAME" (``Service/qualifiedName``).
        var qualifiedName: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    }

    let entries: [Entry]
    private let storage: CatalogStorage<Service>

    /// Services already decoded (tests, the lab, a single-object document).
    public init(_ services: [Service]) {
        entries = services.map(Entry.init)
        storage = .decoded(services)
    }

    private init(lazy items: LazyItems<Service>, entries: [Entry]) {
        self.entries = entries
        storage = .lazy(items)
    }

    /// How many Services there are.
    public var count: Int { entries.count }

    /// Every Service's NAMESPACE/NAME, in file order, without decoding any.
    public var qualifiedNames: [String] { entries.map(\.qualifiedName) }

    /// Service `index` (file order); nil when decoding it failed (kept in ``failures``).
    public func service(at index: Int) -> Service? { storage.object(at: index) }

    /// Why Service `index` cannot be decoded; nil when it can.
    func failure(at index: Int) -> InputError? {
        guard case .lazy(let items) = storage else { return nil }
        do {
            _ = try items.object(at: index)
            return nil
        } catch {
            return error
        }
    }

    /// Every Service that can be decoded, in file order (failures are kept in ``failures``).
    public var readable: [Service] { entries.indices.compactMap(service(at:)) }

    /// Every Service decoded: the first malformed one is thrown.
    public func all() throws(InputError) -> [Service] { try storage.all() }

    /// Services that were asked for but could not be decoded.
    public var failures: [InputError] { storage.failures }

    // MARK: Skimming services.json

    private enum Field: Int {
        case kind, metadata, namespace, name, spec, clusterIP, clusterIPs, externalIPs, ports, status, loadBalancer, ingress
        /// Each element of spec.ports: its start, its node port and protocol.
        case port, nodePort, portProtocol
    }

    private static let pick = JSONPick.members([
        ("kind", .capture(Field.kind.rawValue)),
        ("metadata", .markedMembers(Field.metadata.rawValue, [("namespace", .capture(Field.namespace.rawValue)),
                                                              ("name", .capture(Field.name.rawValue))])),
        ("spec", .markedMembers(Field.spec.rawValue, [("clusterIP", .capture(Field.clusterIP.rawValue)),
                                                      ("clusterIPs", .capture(Field.clusterIPs.rawValue)),
                                                      ("externalIPs", .capture(Field.externalIPs.rawValue)),
                                                      ("ports", .markedElements(Field.ports.rawValue, .markedMembers(
                                                          Field.port.rawValue, [("nodePort", .capture(Field.nodePort.rawValue)),
                                                                                ("protocol", .capture(Field.portProtocol.rawValue))])))])),
        ("status", .markedMembers(Field.status.rawValue, [
            ("loadBalancer", .markedMembers(Field.loadBalancer.rawValue, [("ingress", .capture(Field.ingress.rawValue))])),
        ])),
    ])

    /// Skims services.json; nil when it is not a List or its structure is broken (decode it the
    /// strict way instead: its error is then the one reading item after item gives).
    static func skim(_ document: SourceData) throws(InputError) -> ServiceCatalog? {
        guard let items = try? LazyItems<Service>.skim(document, kind: "Service", plural: "services", pick: pick,
                                                       decodeItem: Service.init(json:)) else { return nil }
        let pieces = min(max(items.count / 1024, 1), 2 * ProcessInfo.processInfo.activeProcessorCount)
        let results = Locked<[Result<[Entry], InputError>?]>(Array(repeating: nil, count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            var entries: [Entry] = []
            let result: Result<[Entry], InputError>
            do throws(InputError) {
                for index in (items.count * piece / pieces)..<(items.count * (piece + 1) / pieces) {
                    // What the skim cannot index on its own is decoded in full: its error, if
                    // any, is the strict decoder's.
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
        for piece in results.withLock({ $0 }) { entries += try piece!.get() }
        return ServiceCatalog(lazy: items, entries: entries)
    }

    /// The entry the captures describe, read as ``Service``'s decoder reads those fields; nil
    /// when they are not plain (a repeated member, another shape, a wrong kind, a load balancer
    /// ingress to read, an address, node port or protocol that does not read plainly).
    private static func indexed(_ captures: ArraySlice<JSONCapture>, _ items: LazyItems<Service>) -> Entry? {
        var values: [Range<Int>?] = Array(repeating: nil, count: Field.ingress.rawValue + 1)
        var nodePorts: [Entry.NodePort] = []
        // The port element being read: its node port and protocol captures.
        var port: (nodePort: Range<Int>?, proto: Range<Int>?)?
        func endPort() -> Bool {
            guard let ended = port else { return true }
            port = nil
            guard let nodePort = ended.nodePort else { return true }
            guard let number = plainPort(items.bytes, nodePort) else { return false }
            guard let number else { return true }
            guard let proto = ended.proto.map({ plainProtocol(items.bytes, $0) }) ?? .tcp else { return false }
            nodePorts.append(Entry.NodePort(port: number, proto: proto))
            return true
        }
        for capture in captures {
            guard let field = Field(rawValue: capture.field) else { return nil }
            switch field {
            case .port:
                guard endPort() else { return nil }
                port = (nil, nil)
            case .nodePort:
                guard port != nil, port?.nodePort == nil else { return nil }
                port?.nodePort = capture.range
            case .portProtocol:
                guard port != nil, port?.proto == nil else { return nil }
                port?.proto = capture.range
            default:
                guard endPort(), values[field.rawValue] == nil else { return nil }
                if field == .kind, items.hasWrongKind(capture) { return nil }
                values[field.rawValue] = capture.range
            }
        }
        guard endPort() else { return nil }
        let bytes = items.bytes
        func value(_ field: Field) -> Range<Int>? { values[field.rawValue] }
        guard let nameRange = value(.name), case .some(.some(let name)) = JSONListSkim.string(in: bytes, nameRange) else {
            return nil
        }
        var namespace = ""
        if let range = value(.namespace) {
            guard let text = JSONListSkim.string(in: bytes, range) else { return nil }
            namespace = text ?? ""
        }
        // spec.clusterIPs, else spec.clusterIP; "None" (headless) and "" own no address.
        var clusterTexts: [String] = []
        if let range = value(.clusterIPs) {
            guard let texts = plainStrings(bytes, range) else { return nil }
            clusterTexts = texts
        }
        if clusterTexts.isEmpty, let range = value(.clusterIP) {
            guard let text = JSONListSkim.string(in: bytes, range) else { return nil }
            clusterTexts = text.map { [$0] } ?? []
        }
        var externalTexts: [String] = []
        if let range = value(.externalIPs) {
            guard let texts = plainStrings(bytes, range) else { return nil }
            externalTexts = texts
        }
        if let range = value(.ingress), !isEmptyList(bytes, range) { return nil }
        var clusterIPs: [IPAddress] = [], externalIPs: [IPAddress] = []
        for text in clusterTexts where text != "None" && !text.isEmpty {
            guard let address = IPAddress(text) else { return nil }
            clusterIPs.append(address)
        }
        for text in externalTexts {
            guard let address = IPAddress(text) else { return nil }
            externalIPs.append(address)
        }
        return Entry(namespace: namespace, name: name, clusterIPs: clusterIPs, externalIPs: externalIPs, nodePorts: nodePorts)
    }

    /// A captured node port: `.some(nil)` for null; nil unless plain digits within 0-65535.
    private static func plainPort(_ bytes: SharedBytes, _ range: Range<Int>) -> UInt16?? {
        let digits = bytes.buffer[range]
        if digits.elementsEqual("null".utf8) { return .some(nil) }
        guard (1...5).contains(digits.count), digits.first != UInt8(ascii: "0") || digits.count == 1,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return UInt16(exactly: value).map { .some($0) }
    }

    /// A captured protocol: TCP for null; nil unless a plain protocol name.
    private static func plainProtocol(_ bytes: SharedBytes, _ range: Range<Int>) -> KubeProtocol? {
        guard let text = JSONListSkim.string(in: bytes, range) else { return nil }
        guard let text else { return .tcp }
        return KubeProtocol(rawValue: text)
    }

    /// A captured array of plain strings (printable ASCII, no escapes), or null (none); nil
    /// for anything else, which the strict decoder then reads.
    static func plainStrings(_ bytes: SharedBytes, _ range: Range<Int>) -> [String]? {
        let buffer = bytes.buffer
        var position = range.lowerBound
        func skipSpace() {
            while position < range.upperBound, [0x20, 0x0A, 0x09, 0x0D].contains(buffer[position]) { position += 1 }
        }
        if buffer[range].elementsEqual("null".utf8) { return [] }
        guard position < range.upperBound, buffer[position] == UInt8(ascii: "[") else { return nil }
        position += 1
        skipSpace()
        var strings: [String] = []
        if position < range.upperBound, buffer[position] == UInt8(ascii: "]") { return position + 1 == range.upperBound ? [] : nil }
        while position < range.upperBound, buffer[position] == UInt8(ascii: "\"") {
            let start = position + 1
            position = start
            while position < range.upperBound, buffer[position] != UInt8(ascii: "\"") {
                let byte = buffer[position]
                guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
                position += 1
            }
            guard position < range.upperBound else { return nil }
            strings.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self))
            position += 1
            skipSpace()
            guard position < range.upperBound else { return nil }
            if buffer[position] == UInt8(ascii: "]") { return position + 1 == range.upperBound ? strings : nil }
            guard buffer[position] == UInt8(ascii: ",") else { return nil }
            position += 1
            skipSpace()
        }
        return nil
    }

    /// True when the captured value is null or an empty array.
    private static func isEmptyList(_ bytes: SharedBytes, _ range: Range<Int>) -> Bool {
        let significant = bytes.buffer[range].filter { ![0x20, 0x0A, 0x09, 0x0D].contains($0) }
        return significant.elementsEqual("null".utf8) || significant.elementsEqual("[]".utf8)
    }
}
