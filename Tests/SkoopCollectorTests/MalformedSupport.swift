import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

/// A private copy of a fixture snapshot, removed when released; tests damage its files.
final class ScratchSnapshot {
    /// The copy's directory.
    let path: String

    /// Copies `fixture` (a folder under Tests/Fixtures) to a fresh temporary directory.
    init(_ fixture: String = "lab-basic") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-malformed-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url(fixture).path, toPath: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Replaces (or creates) `file` with `data`.
    func write(_ file: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: path + "/" + file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// The current bytes of `file`.
    func data(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path + "/" + file)) }

    /// Reads the whole snapshot as `skoop inspect` does.
    func read() -> Result<SnapshotSummary, InputError> {
        Result { () throws(InputError) in try SnapshotSummary(collector: CollectorManager(snapshot: path)) }
    }
}

/// The corpus of malformed inputs committed under Tests/Fixtures/malformed.
enum MalformedCorpus {
    /// The bytes of `name` (relative to Tests/Fixtures/malformed).
    static func data(_ name: String) throws -> Data { try Fixtures.data("malformed/" + name) }
}

/// Checks the contract for a damaged file: a one-line error naming it, with an expectation and a
/// short, printable excerpt — or a summary in which the rest of the snapshot was still read.
func expectCleanOutcome(_ outcome: Result<SnapshotSummary, InputError>, file: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    switch outcome {
    case .failure(let error):
        #expect(error.source == file, "error names \(error.source), not \(file)", sourceLocation: sourceLocation)
        #expect(!error.expected.isEmpty, sourceLocation: sourceLocation)
        #expect((error.found ?? "").count <= 60, sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        #expect(!error.description.unicodeScalars.contains(where: TerminalSafe.isControl), sourceLocation: sourceLocation)
    case .success(let summary):
        #expect(summary.nodes.count == 2, "the rest of the snapshot is still read", sourceLocation: sourceLocation)
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
