import Foundation
import SkoopModel

extension ReachabilityMatrix {
    /// The pod pairs (and pod → Service pairs) the matrix answers: every ordered pair of
    /// distinct pods of the classes, and every pod with every Service, as `podCells` lists them.
    public var answeredPairs: Int {
        let pods = classes.reduce(0) { $0 + $1.members.count }
        return pods * (pods - 1) + pods * services.count
    }

    /// Every pod-level cell: each member of each class to each pod (but itself) and each Service.
    public var podCells: [(source: String, destination: String, cell: MatrixCell)] {
        var result: [(String, String, MatrixCell)] = []
        let byId = Dictionary(uniqueKeysWithValues: zip(classes.map(\.id), classes))
        var index = 0
        let columns = destinations.count
        for sourceClass in classes {
            for (column, destination) in destinations.enumerated() {
                let cell = cells[index * columns + column]
                for source in sourceClass.members {
                    switch destination {
                    case .podClass(let id):
                        for target in byId[id]!.members where target != source { result.append((source, target, cell)) }
                    case .service(let name):
                        result.append((source, "svc/\(name)", cell))
                    }
                }
            }
            index += 1
        }
        return result
    }

    /// The classes, the grid and the cells that are not allowed, with the hop that decided.
    public func text() -> String {
        let safe = TerminalSafe.strip
        let pods = classes.reduce(0) { $0 + $1.members.count }
        var lines = ["Reachability matrix: \(proto.rawValue.uppercased()) \(port); \(pods) pod(s) in \(classes.count) class(es), "
                     + "\(services.count) service(s); \(diagnosed) pair(s) diagnosed"
                     + (reused > 0 ? ", \(reused) cell(s) answered by the pair of a cell alike (equivalent nodes and pods)" : "")]
        lines.append("")
        lines.append("Classes (pods the datapath and the policies cannot tell apart; the first member was diagnosed):")
        for podClass in classes {
            let labels = podClass.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            var line = "  \(podClass.id)  ns \(safe(podClass.namespace))  node \(safe(podClass.node ?? "-"))"
            if !labels.isEmpty { line += "  \(safe(labels))" }
            if podClass.hostNetwork { line += "  hostNetwork" }
            line += ": " + podClass.members.map(safe).joined(separator: " ")
            lines.append(line)
        }
        if !services.isEmpty {
            lines.append("Services:")
            for (index, service) in services.enumerated() { lines.append("  s\(index + 1)  svc/\(safe(service))") }
        }
        lines.append("")
        lines.append("Rows are sources, columns destinations: + allowed, x denied, ~ partial, ? unknown, . loopback only")
        let headers = classes.map(\.id) + services.indices.map { "s\($0 + 1)" }
        let width = max(3, (headers.map(\.count).max() ?? 0) + 1)
        func pad(_ text: String) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        lines.append((pad("") + headers.map(pad).joined()).trimmingCharacters(in: .whitespaces))
        let columns = headers.count
        for (row, podClass) in classes.enumerated() {
            let glyphs = (0..<columns).map { pad(String(cells[row * columns + $0].result.glyph)) }
            lines.append((pad(podClass.id) + glyphs.joined()).trimmingCharacters(in: .whitespaces))
        }
        let failing = cells.filter { $0.result != .allowed && $0.result != .loopback }
        if !failing.isEmpty {
            lines.append("")
            lines.append("Not allowed (representative pair, where it was decided):")
            for cell in failing {
                var line = "  \(cell.source) -> \(cell.destination): \(cell.result.rawValue)"
                if let pair = cell.pair { line += " (\(cell.reused ? "alike: " : "")\(safe(pair.source)) -> \(safe(pair.destination)))" }
                if let hop = cell.decidingHop { line += " at \(safe(hop))" }
                if let reason = cell.reason { line += ": \(safe(reason))" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The matrix as JSON: classes, services, cells (class level) and diagnosed pairs.
    public func jsonData() throws -> Data {
        struct ClassJSON: Encodable {
            var id, namespace: String
            var node: String?
            var labels: [String: String]
            var hostNetwork: Bool
            var members: [String]
            var representative: String
        }
        struct PairJSON: Encodable { var source, destination: String }
        struct CellJSON: Encodable {
            var source, destination, result: String
            var pair: PairJSON?
            var decidingHop, reason: String?
            /// Present (true) when the pair diagnosed belongs to equivalent classes.
            var reused: Bool?
        }
        struct MatrixJSON: Encodable {
            var port: UInt16
            var `protocol`: String
            var classes: [ClassJSON]
            var services: [String]
            var cells: [CellJSON]
            var diagnosed: Int
        }
        let body = MatrixJSON(
            port: port, protocol: proto.rawValue,
            classes: classes.map { ClassJSON(id: $0.id, namespace: $0.namespace, node: $0.node, labels: $0.labels,
                                             hostNetwork: $0.hostNetwork, members: $0.members, representative: $0.representative) },
            services: services.map { "svc/\($0)" },
            cells: cells.map { CellJSON(source: $0.source, destination: $0.destination.description, result: $0.result.rawValue,
                                        pair: $0.pair.map { PairJSON(source: $0.source, destination: $0.destination) },
                                        decidingHop: $0.decidingHop, reason: $0.reason, reused: $0.reused ? true : nil) },
            diagnosed: diagnosed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(body)
    }

    /// One line per pod-level cell: source,destination,result,class pair's representatives, hop, reason.
    public func csv() -> String {
        func field(_ text: String?) -> String {
            guard let text, !text.isEmpty else { return "" }
            // A leading = + - @ would be a formula to a spreadsheet.
            let guarded = "=+-@".contains(text.first!) ? "'" + text : text
            if guarded.contains(where: { ",\"\n\r".contains($0) }) {
                return "\"" + guarded.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return guarded
        }
        var lines = ["source,destination,result,diagnosed_source,diagnosed_destination,deciding_hop,reason"]
        for (source, destination, cell) in podCells {
            lines.append([source, destination, cell.result.rawValue, cell.pair?.source, cell.pair?.destination,
                          cell.decidingHop, cell.reason].map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
