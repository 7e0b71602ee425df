import Foundation
import Synchronization
import SkoopModel

/// The archive `NodeCollectionScript` prints: for each netns, one output per command.
///
/// Every record starts on a line `BOUNDARY KIND ...` (preceded by a newline the record's content
/// does not keep): `SKOOP-ARCHIVE 1`; `N INDEX KIND INODE NAME` (a netns); `R INDEX STATUS
/// COMMAND...` followed by the command's standard output; `E` followed by its standard error;
/// `END`. The boundary is random per run, so no tool output can forge a record.
public struct CollectorArchive: Sendable {
    /// One netns of the archive.
    public struct Namespace: Hashable, Sendable {
        /// Its position in the archive.
        public var index: Int
        /// host, named or process.
        public var kind: String
        /// Its inode (0 when unknown).
        public var inode: UInt64
        /// Its name as the node printed it (not yet sanitized).
        public var name: String
        /// Each command's output, keyed by the command's words joined with spaces.
        public var outputs: [String: ToolOutput]
    }

    /// The namespaces, host first.
    public var namespaces: [Namespace]

    /// Parses `text`; throws `InputError` naming `source` when it is not a complete archive.
    public static func parse(_ text: String, boundary: String, source: String) throws(InputError) -> CollectorArchive {
        let marker = "\n" + boundary + " "
        var pieces = text.components(separatedBy: marker)
        guard pieces.count > 1 else {
            throw InputError(source: source, expected: "the collector's archive", found: String(text.prefix(60)))
        }
        pieces.removeFirst()  // whatever came before the first record (nothing, normally)
        var namespaces: [Namespace] = []
        var current: (index: Int, command: String, status: Int32, stdout: String)?
        var complete = false
        var started = false
        for (number, piece) in pieces.enumerated() {
            let header = piece.prefix { $0 != "\n" }
            let body = piece.count > header.count ? String(piece.dropFirst(header.count + 1)) : ""
            let words = header.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            func bad(_ expected: String) -> InputError {
                InputError(source: source, line: number + 1, expected: expected, found: String(header))
            }
            switch words.first {
            case "SKOOP-ARCHIVE":
                guard words.count == 2, words[1] == "1" else { throw bad("archive version 1") }
                started = true
            case "N":
                guard started, words.count == 5, let index = Int(words[1]), let inode = UInt64(words[3]) else {
                    throw bad("N INDEX KIND INODE NAME")
                }
                namespaces.append(Namespace(index: index, kind: words[2], inode: inode, name: words[4], outputs: [:]))
            case "R":
                let parts = header.split(separator: " ", maxSplits: 3).map(String.init)
                guard started, parts.count == 4, let index = Int(parts[1]), let status = Int32(parts[2]),
                      namespaces.last?.index == index else {
                    throw bad("R INDEX STATUS COMMAND after its netns")
                }
                current = (index, parts[3], status, body)
            case "E":
                guard let record = current, let last = namespaces.indices.last else { throw bad("E after an R record") }
                namespaces[last].outputs[record.command] = ToolOutput(status: record.status, stdout: record.stdout, stderr: body)
                current = nil
            case "END":
                complete = true
            default:
                throw bad("a record (N, R, E or END)")
            }
        }
        guard started, complete, current == nil else {
            throw InputError(source: source, expected: "a complete archive ending with END",
                             found: "it stops after \(namespaces.count) netns (output truncated?)")
        }
        return CollectorArchive(namespaces: namespaces)
    }

    /// Writes the archive into `SNAP/nodes/NODE/netns/` exactly as `skoop collect` would (same
    /// folder names, backend choice, error files), through `NodeCollector`.
    @discardableResult
    public func unpack(node: String, into snapshot: URL) async throws -> NodeCollectionReport {
        guard let host = namespaces.first(where: { $0.kind == "host" }) else {
            throw InputError(source: "the collector's archive of node \(node)", expected: "the host netns")
        }
        func target(_ namespace: Namespace) -> NetnsTarget {
            NetnsTarget(entry: .named(String(namespace.index)), directoryName: namespace.name,
                        inode: namespace.inode == 0 ? nil : namespace.inode)
        }
        let collector = NodeCollector(runner: ArchiveToolRunner(archive: self), parallelism: 1)
        return try await collector.collect(node: node, into: snapshot, host: .host(.named(String(host.index))),
                                           pods: namespaces.filter { $0.kind != "host" }.map(target))
    }
}

/// Answers `NodeCollector`'s commands from an archive: `ip netns exec INDEX TOOL...` is the
/// output of TOOL in the archive's netns INDEX.
struct ArchiveToolRunner: ToolRunner {
    let outputs: [Int: [String: ToolOutput]]

    init(archive: CollectorArchive) {
        outputs = Dictionary(archive.namespaces.map { ($0.index, $0.outputs) }, uniquingKeysWith: { first, _ in first })
    }

    func run(_ command: [String], input: String?) async -> ToolOutput {
        guard command.count > 4, command[0...2] == ["ip", "netns", "exec"], let index = Int(command[3]) else {
            return ToolOutput(status: 127, stderr: "not in the archive")
        }
        let tool = command.dropFirst(4).joined(separator: " ")
        return outputs[index]?[tool] ?? ToolOutput(status: 127, stderr: "\(command[4]): not collected by the node script")
    }
}
