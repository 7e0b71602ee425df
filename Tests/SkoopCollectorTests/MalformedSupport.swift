import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

extension FixtureCopy {
    /// Reads the whole snapshot as `skoop inspect` does.
    func read() -> Result<SnapshotSummary, InputError> {
        Result { () throws(InputError) in try SnapshotSummary(collector: CollectorManager(snapshot: path)) }
    }
}

typealias ScratchSnapshot = FixtureCopy

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
