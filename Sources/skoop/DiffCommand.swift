import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis

/// `skoop diff`: the same flows on two snapshots, and where and why their paths part.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Diagnose flows on two snapshots and show what changed: verdicts, the hop where the paths part, and the routes, rules, sysctls, links and objects that differ there.",
        discussion: "Exit status: 0 when no verdict changed, 1 when one did, 64+ usage or input errors.")

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "The earlier snapshot directory (or demo).")
    var before: String
    @Option(help: "The later snapshot directory (or demo).")
    var after: String
    @Option(name: [.customShort("s"), .customLong("src")], help: "Source of one flow.")
    var src: String?
    @Option(name: [.customShort("d"), .customLong("dst")], help: "Destination of one flow.")
    var dst: String?
    @Option(name: [.customShort("p"), .customLong("dport")], help: "Destination port (with --matrix: the port of every cell; default 80).")
    var dport: UInt16?
    @Option(name: .customLong("protocol"), help: "tcp, udp or icmp.")
    var proto: String = "tcp"
    @Option(help: "A file of flows, one a line: SRC DST [PORT] [PROTOCOL] (# starts a comment).")
    var flows: String?
    @Flag(help: "Every cell of the earlier snapshot's reachability matrix (one pod pair per cell).")
    var matrix = false
    @Option(name: .customLong("output"), help: "text or json.")
    var output: OutputFormat = .text
    @OptionGroup var networkOptions: NetworkOptions

    func validate() throws {
        let single = src != nil || dst != nil
        if [single, flows != nil, matrix].filter({ $0 }).count != 1 {
            throw ValidationError("give exactly one of -s SRC -d DST -p PORT, --flows FILE or --matrix")
        }
        if single && (src == nil || dst == nil) { throw ValidationError("-s/--src and -d/--dst go together") }
        guard TransportProtocol(rawValue: proto.lowercased()) != nil else {
            throw ValidationError("--protocol: expected tcp, udp or icmp, found \"\(proto)\"")
        }
    }

    func run() throws {
        let (old, new) = try reportingFailures {
            (try CollectorManager(snapshot: SnapshotArgument.path(before)), try CollectorManager(snapshot: SnapshotArgument.path(after)))
        }
        let queries = try reportingFailures { try flowQueries(old) }
        let diffs = try reportingFailures { () throws -> [FlowDiff] in
            let diffs = try queries.map { try FlowDiff.compare(query: $0, before: old, after: new, context: networkOptions.context) }
            if let failure = old.loadFailures.first ?? new.loadFailures.first { throw failure }
            return diffs
        }
        switch output {
        case .text:
            let changed = diffs.filter(\.verdictChanged).count
            print(diffs.map { $0.text() }.joined() + "\(diffs.count) flow(s), \(changed) verdict(s) changed", terminator: "\n")
        case .json:
            let data = try JSONSerialization.data(withJSONObject: ["flows": diffs.map(\.jsonObject)],
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
        throw ExitCode(diffs.contains(where: \.verdictChanged) ? 1 : 0)
    }

    private func flowQueries(_ collector: CollectorManager) throws -> [DiagnosisQuery] {
        let transport = TransportProtocol(rawValue: proto.lowercased()) ?? .tcp
        if let src, let dst {
            return [DiagnosisQuery(src: src, dst: dst, dport: dport ?? 0, proto: transport)]
        }
        if let flows {
            let text = try WhatIfRun.read(flows)
            var queries: [DiagnosisQuery] = []
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
                if words.isEmpty { continue }
                let port = words.count > 2 ? UInt16(words[2]) : 0
                let flowProto = words.count > 3 ? TransportProtocol(rawValue: words[3].lowercased()) : (words.count > 2 && port == nil ? TransportProtocol(rawValue: words[2].lowercased()) : .tcp)
                guard words.count >= 2, words.count <= 4, let flowProto, port != nil || flowProto == .icmp else {
                    throw InputError(source: flows, line: index + 1, expected: "SRC DST [PORT] [tcp|udp|icmp]", found: String(line))
                }
                queries.append(DiagnosisQuery(src: words[0], dst: words[1], dport: port ?? 0, proto: flowProto))
            }
            return queries
        }
        let built = try ReachabilityMatrix.build(collector: collector, port: dport ?? 80,
                                                 protocol: transport == .udp ? .udp : .tcp, context: networkOptions.context)
        return built.cells.compactMap(\.pair).map { DiagnosisQuery(src: $0.source, dst: $0.destination, dport: dport ?? 80, proto: transport == .udp ? .udp : .tcp) }
    }
}
