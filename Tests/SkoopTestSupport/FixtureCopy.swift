import Foundation

/// A private copy of a fixture folder (a snapshot) in a temporary directory, removed when
/// released; tests damage or edit its files.
public final class FixtureCopy {
    /// The copy's directory.
    public let path: String

    /// Copies `fixture` (a folder under Tests/Fixtures) to a fresh temporary directory.
    public init(_ fixture: String = "lab-basic") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-copy-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url(fixture).path, toPath: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Replaces (or creates) `file` with `data`.
    public func write(_ file: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: path + "/" + file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    /// Replaces (or creates) `file` with `text`.
    public func write(_ file: String, _ text: String) throws { try write(file, Data(text.utf8)) }

    /// The current bytes of `file`.
    public func data(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path + "/" + file)) }

    /// The current text of `file`.
    public func text(_ file: String) throws -> String { String(decoding: try data(file), as: UTF8.self) }

    /// Edits the text of `file` in place.
    public func edit(_ file: String, _ change: (String) throws -> String) throws { try write(file, try change(text(file))) }
}
