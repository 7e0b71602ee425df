import Foundation
import SkoopModel

extension DiagnosisReport {
    /// The documented JSON shape (interfaces.md), pretty-printed, keys in documented order.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        return DiagnosisReport.escapingTerminalControls(try encoder.encode(JSONReport(self)))
    }

    /// JSONEncoder escapes C0 controls but passes DEL, C1 (a UTF-8 CSI is a CSI to some terminals) and
    /// bidi overrides raw: write them as \uXXXX too — the same JSON value, safe to print.
    static func escapingTerminalControls(_ json: Data) -> Data {
        let text = String(decoding: json, as: UTF8.self)
        guard text.unicodeScalars.contains(where: TerminalSafe.isControl) else { return json }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            // C0 controls here are the pretty-printer's own newlines: data's were escaped by the encoder.
            if scalar.value >= 0x7F && TerminalSafe.isControl(scalar) {
                escaped.append(contentsOf: String(format: "\\u%04x", scalar.value).unicodeScalars)
            } else {
                escaped.append(scalar)
            }
        }
        return Data(String(escaped).utf8)
    }
}

/// Codable mirror of the documented JSON; extra keys only extend it.
struct JSONReport: Encodable {
    struct Query: Encodable {
        var src: String
        var dst: String
        var dport: UInt16
        var `protocol`: String
        var srcQuery: String
        var dstQuery: String
    }

    struct SuspicionJSON: Encodable {
        var level: SuspicionLevel
        var node: String?
        var message: String
        var evidence: String?
        var hint: String?
        var fix: String? = nil

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(level, forKey: .level)
            try c.encode(node, forKey: .node)  // explicit null for cluster-wide suspicions
            try c.encode(message, forKey: .message)
            try c.encodeIfPresent(evidence, forKey: .evidence)
            try c.encodeIfPresent(hint, forKey: .hint)
            try c.encodeIfPresent(fix, forKey: .fix)
        }

        enum CodingKeys: String, CodingKey { case level, node, message, evidence, hint, fix }
    }

    struct AssumptionJSON: Encodable {
        var node: String?
        var text: String

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(node, forKey: .node)  // explicit null for the flow as a whole
            try c.encode(text, forKey: .text)
        }

        enum CodingKeys: String, CodingKey { case node, text }
    }

    struct NodeJSON: Encodable {
        var id: String
        var type: String
        var suspicions: [SuspicionJSON]
    }

    final class PacketJSON: Encodable {
        let src: String, sport: UInt16, dst: String, dport: UInt16, `protocol`: String, mark: UInt32
        let encap: PacketJSON?

        init(_ packet: Packet) {
            src = packet.src.description
            sport = packet.sport
            dst = packet.dst.description
            dport = packet.dport
            `protocol` = packet.proto.rawValue
            mark = packet.mark
            encap = packet.encap.map(PacketJSON.init)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(src, forKey: .src)
            try c.encode(sport, forKey: .sport)
            try c.encode(dst, forKey: .dst)
            try c.encode(dport, forKey: .dport)
            try c.encode(`protocol`, forKey: .protocol)
            try c.encode(mark, forKey: .mark)
            try c.encode(encap, forKey: .encap)
        }

        enum CodingKeys: String, CodingKey { case src, sport, dst, dport, `protocol`, mark, encap }
    }

    struct LinkJSON: Encodable {
        var id: Int
        var parent: Int?
        var type: String
        var source: String
        var destination: String?
        var action: String
        var direction: String
        var probability: Double
        var uncertain: Bool
        var packet: PacketJSON
        var packetIn: PacketJSON?
        var sourceAttributes: [String: String]
        var destinationAttributes: [String: String]
        var routes: [RouteDecision]
        var netfilter: [NetfilterTraceEntry]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(type, forKey: .type)
            try c.encode(source, forKey: .source)
            try c.encode(destination, forKey: .destination)
            try c.encode(action, forKey: .action)
            try c.encode(packet, forKey: .packet)
            try c.encode(sourceAttributes, forKey: .sourceAttributes)
            try c.encode(destinationAttributes, forKey: .destinationAttributes)
            try c.encode(netfilter, forKey: .netfilter)
            try c.encode(id, forKey: .id)
            try c.encode(parent, forKey: .parent)
            try c.encode(direction, forKey: .direction)
            try c.encode(probability, forKey: .probability)
            try c.encode(uncertain, forKey: .uncertain)
            try c.encodeIfPresent(packetIn, forKey: .packetIn)
            try c.encode(routes, forKey: .routes)
        }

        enum CodingKeys: String, CodingKey {
            case type, source, destination, action, packet, sourceAttributes, destinationAttributes, netfilter
            case id, parent, direction, probability, uncertain, packetIn, routes
        }
    }

    var query: Query
    var verdict: String
    var assumptions: [AssumptionJSON]
    var suspicions: [SuspicionJSON]
    var nodes: [NodeJSON]
    var links: [LinkJSON]

    init(_ report: DiagnosisReport) {
        query = Query(src: report.sourceAddress?.description ?? report.query.src,
                      dst: report.destinationAddress?.description ?? report.query.dst,
                      dport: report.query.dport, protocol: report.query.proto.rawValue,
                      srcQuery: report.query.src, dstQuery: report.query.dst)
        verdict = (report.verdict ?? .unknown).rawValue
        assumptions = report.path.assumptions.map { AssumptionJSON(node: $0.node?.id, text: $0.text) }
        suspicions = report.suspicions().map {
            SuspicionJSON(level: $0.suspicion.level, node: $0.node?.id, message: $0.suspicion.message,
                          evidence: $0.suspicion.evidence, hint: $0.suspicion.hint, fix: $0.suspicion.fix)
        }
        nodes = report.path.nodes.map { node in
            NodeJSON(id: node.id, type: node.type.rawValue, suspicions: node.suspicions.map {
                SuspicionJSON(level: $0.level, node: node.id, message: $0.message, evidence: $0.evidence, hint: $0.hint, fix: $0.fix)
            })
        }
        links = report.path.links.map { link in
            LinkJSON(id: link.id, parent: link.parent, type: link.type.rawValue, source: link.source.id,
                     destination: link.destination?.id, action: link.action.rawValue,
                     direction: link.direction.rawValue, probability: link.probability,
                     uncertain: link.isUncertain, packet: PacketJSON(link.packet),
                     packetIn: link.packetIn.map(PacketJSON.init),
                     sourceAttributes: Dictionary(link.sourceAttributes.pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
                     destinationAttributes: Dictionary(link.destinationAttributes.pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
                     routes: link.routes, netfilter: link.netfilter)
        }
    }
}
