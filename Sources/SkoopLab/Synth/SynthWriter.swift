import Foundation

/// Writes a snapshot's files fast: text is buffered and flushed in large chunks, and files
/// whose content repeats across nodes are hard-linked to their first copy (the reader never
/// relies on it: each file is complete on its own).
final class SynthWriter {
    /// The snapshot root.
    let root: String
    /// Paths already holding a given shared content, by key.
    private var shared: [String: String] = [:]
    /// Bytes written (hard links excluded).
    private(set) var bytesWritten = 0
    /// Files written, hard links included.
    private(set) var filesWritten = 0

    init(root: String) { self.root = root }

    /// Creates `relative` (and its parents).
    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
    }

    /// Writes `text` to `relative`.
    func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        var text = text
        let ok = text.withUTF8 { buffer in FileManager.default.createFile(atPath: path, contents: Data(buffer)) }
        guard ok else { throw SynthError("cannot write \(path)") }
        bytesWritten += text.utf8.count
        filesWritten += 1
    }

    /// Writes `text` to `relative`, or hard-links it to the first file written under `key`.
    func writeShared(_ relative: String, key: String, _ text: @autoclosure () -> String) throws {
        if let first = shared[key] {
            let path = root + "/" + relative
            if link(root + "/" + first, path) == 0 {
                filesWritten += 1
                return
            }
            // Hard links unsupported (or across devices): write a copy.
        }
        try write(relative, text())
        shared[key] = relative
    }

    /// Streams a large file through `body`, which appends to a buffer flushed every few MiB.
    func stream(_ relative: String, _ body: (inout StreamBuffer) throws -> Void) throws {
        let path = root + "/" + relative
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw SynthError("cannot write \(path)")
        }
        defer { try? handle.close() }
        var buffer = StreamBuffer(handle: handle)
        try body(&buffer)
        try buffer.flush()
        bytesWritten += buffer.total
        filesWritten += 1
    }
}

/// A text buffer that flushes to a file handle once it is large.
struct StreamBuffer {
    let handle: FileHandle
    private var text = ""
    private(set) var total = 0

    init(handle: FileHandle) {
        self.handle = handle
        text.reserveCapacity(8 << 20)
    }

    /// Appends `piece`, flushing when the buffer passes 4 MiB.
    mutating func append(_ piece: String) throws {
        text += piece
        if text.utf8.count >= 4 << 20 { try flush() }
    }

    /// Writes out what is buffered.
    mutating func flush() throws {
        guard !text.isEmpty else { return }
        total += text.utf8.count
        try handle.write(contentsOf: Data(text.utf8))
        text.removeAll(keepingCapacity: true)
    }
}

/// A failure of the synthetic generator (bad spec or an unwritable output).
public struct SynthError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}
