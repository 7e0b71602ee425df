import Foundation
import Testing
import SkoopModel
@testable import SkoopKubernetes
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// A snapshot's pod index (k8s/pods.index) as the collector writes and reads it: used beside the
/// pods.json it was made from, with the same diagnosis as without it; set aside once pods.json
/// changes.
@Suite struct PodIndexDiagnosisTests {
    static func diagnosis(_ snapshot: String) throws -> (report: DiagnosisReport, indexed: Bool, warnings: [String]) {
        let collector = try CollectorManager(snapshot: snapshot)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80, proto: .tcp),
                                           collector: collector)
        session.diagnostor.run()
        return (session.report, collector.cluster.pods.isFromIndex, collector.warnings)
    }

    static func json(_ report: DiagnosisReport) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? NSDictionary)
    }

    @Test func theIndexedSnapshotDiagnosesAsTheSkimmedOne() throws {
        let snapshot = try FixtureCopy("lab-basic")
        let skimmed = try Self.diagnosis(snapshot.path)
        #expect(!skimmed.indexed)
        #expect(try PodIndexWriter.write(snapshot: snapshot.path) == 4)
        let indexed = try Self.diagnosis(snapshot.path)
        #expect(indexed.indexed)
        #expect(indexed.report.verdict == .reachable)
        #expect(try SnapshotSummary(collector: CollectorManager(snapshot: snapshot.path)).text()
            .contains("\n  pods catalogued from k8s/pods.index\n"))
        #expect(try Self.json(indexed.report) == Self.json(skimmed.report))
    }

    @Test func aCopiedSnapshotKeepsItsIndexAnEditedOneSetsItAside() throws {
        let snapshot = try FixtureCopy("lab-basic")
        try PodIndexWriter.write(snapshot: snapshot.path)
        // Copied without its times (cp, git): the same bytes, another modification time.
        let podsPath = snapshot.path + "/k8s/pods.json"
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)], ofItemAtPath: podsPath)
        let copied = try Self.diagnosis(snapshot.path)
        #expect(copied.indexed && !copied.warnings.contains { $0.contains("pods.index") })
        // Edited since: another address of the same length.
        try snapshot.edit("k8s/pods.json") { text in
            let address = try #require(text.range(of: "10.244.1.2"))
            return text.replacingCharacters(in: address, with: "10.244.1.9")
        }
        let edited = try Self.diagnosis(snapshot.path)
        #expect(!edited.indexed)
        // Set aside, not silently: the report says so, and how to rebuild it.
        #expect(edited.warnings.contains { $0.hasPrefix("k8s/pods.index is not an index of this k8s/pods.json") && $0.contains("skoop index") })
        #expect(edited.report.suspicions().contains { $0.suspicion.message.contains("k8s/pods.index") })
        try PodIndexWriter.write(snapshot: snapshot.path)
        let rebuilt = try Self.diagnosis(snapshot.path)
        #expect(rebuilt.indexed && !rebuilt.warnings.contains { $0.contains("pods.index") })
    }

    @Test func aMalformedPodsJSONIsNotIndexedAndIsReportedAsADiagnosisWould() throws {
        let snapshot = try FixtureCopy("lab-basic")
        try PodIndexWriter.write(snapshot: snapshot.path)
        try snapshot.edit("k8s/pods.json") { $0.replacingOccurrences(of: #""name": "client""#, with: #""name": ["client"]"#) }
        let error = #expect(throws: InputError.self) { try PodIndexWriter.write(snapshot: snapshot.path) }
        #expect(error?.source == "k8s/pods.json" && error?.line != nil, "\(String(describing: error))")
        // The old index is of the old pods.json: set aside, so the diagnosis reports the same error.
        let diagnosisError = #expect(throws: InputError.self) { try CollectorManager(snapshot: snapshot.path) }
        #expect(diagnosisError == error)
    }

    @Test func anIndexThatCannotBeWrittenIsAnErrorInTheSystemsWords() throws {
        let snapshot = try FixtureCopy("lab-basic")
        // Root may write anywhere: a directory where the index is first written stands in.
        try FileManager.default.createDirectory(atPath: snapshot.path + "/" + PodIndexWriter.path + ".partial",
                                                withIntermediateDirectories: false)
        let error = #expect(throws: InputError.self) { try PodIndexWriter.write(snapshot: snapshot.path) }
        #expect(error?.description == "k8s/pods.index: expected a snapshot directory Skoop can write to, found \"File exists\"")
        #expect(!FileManager.default.fileExists(atPath: snapshot.path + "/" + PodIndexWriter.path))
    }

    @Test func aLinkPlantedWhereTheIndexIsWrittenIsNotFollowed() throws {
        let snapshot = try FixtureCopy("lab-basic")
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-outside-\(UUID().uuidString)").path
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside))
        defer { try? FileManager.default.removeItem(atPath: outside) }
        for planted in [PodIndexWriter.path + ".partial", PodIndexWriter.path] {
            try FileManager.default.createSymbolicLink(atPath: snapshot.path + "/" + planted, withDestinationPath: outside)
            #expect(try PodIndexWriter.write(snapshot: snapshot.path) == 4)
            #expect(try String(contentsOfFile: outside, encoding: .utf8) == "keep", "\(planted)")
            try FileManager.default.removeItem(atPath: snapshot.path + "/" + PodIndexWriter.path)
        }
    }

    @Test func aSnapshotWithoutPodsHasNoIndex() throws {
        let snapshot = try FixtureCopy("lab-basic")
        try PodIndexWriter.write(snapshot: snapshot.path)
        try FileManager.default.removeItem(atPath: snapshot.path + "/k8s/pods.json")
        #expect(try PodIndexWriter.write(snapshot: snapshot.path) == nil)
        #expect(!FileManager.default.fileExists(atPath: snapshot.path + "/" + PodIndexWriter.path))
    }
}
