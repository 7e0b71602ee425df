import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis

/// `--what-if FILE`: reads the edits, diagnoses the edited state, compares with the unedited.
enum WhatIfRun {
    /// Reads a file named by the user or by an edits file; a failure names it.
    static func read(_ path: String) throws(InputError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(source: path, expected: "a readable file", found: FileManager.default.fileExists(atPath: path) ? "unreadable" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError(source: path, expected: "UTF-8 text", found: "other bytes") }
        return text
    }

    /// The edits of `path`, checked against `provider`.
    static func edits(_ path: String, provider: any NodeDataProvider) throws(InputError) -> [WhatIfEdit] {
        try WhatIfEditsFile.parse(try read(path), source: path, provider: provider, readFile: read)
    }

    /// Diagnoses `query` again on `collector` as the edits of `editsFile` leave it.
    static func compare(query: DiagnosisQuery, before: DiagnosisReport, collector: CollectorManager, editsFile: String,
                        context: DiagnosisContext) throws -> WhatIfComparison {
        let edits = try edits(editsFile, provider: collector)
        var session = try DiagnosisSession(query: query, collector: WhatIfProvider(base: collector, edits: edits), context: context)
        session.diagnostor.run()
        if let failure = collector.loadFailures.first { throw failure }
        return WhatIfComparison(edits: edits, before: before, after: session.report)
    }

    /// Prints the edited diagnosis with the what-if section.
    static func print(_ comparison: WhatIfComparison, format: DiagnoseCommand.OutputFormat) throws {
        switch format {
        case .text: Swift.print(comparison.after.text() + "\n" + comparison.text(), terminator: "")
        case .json: Swift.print(String(decoding: try comparison.jsonData(), as: UTF8.self))
        case .dot:
            // A graph has no room for the comparison: it goes to standard error.
            FileHandle.standardError.write(Data(comparison.text().utf8))
            Swift.print(comparison.after.dot(), terminator: "")
        }
    }
}
