
/// A parsed JSON text (RFC 8259) and its name, able to turn a value's offset into a 1-based line
/// and an excerpt, so that errors point at the exact place in the file.
///
/// Lines are counted at `\n` only, so LF and CRLF files number alike. Bytes that are not valid
/// UTF-8 inside strings become U+FFFD rather than refusing the whole file (a Linux interface
/// name may be any bytes, and iproute2 prints it raw).
public struct JSONDocument: Sendable {
    /// Arrays and objects may nest this deep; deeper input is refused, not a stack overflow.
    public static let maximumDepth = 200

    /// The name of the input, for messages.
    public let source: String
    /// The top-level value.
    public let root: JSONValue
    /// The raw text, kept for lines and excerpts.
    public let bytes: [UInt8]
    /// Lines before `bytes` when they are a piece of a bigger file (an item of a skimmed list),
    /// counted only if an error asks for a line.
    private let linesBefore: LinesBefore?

    /// Parses a whole document; `source` names it in errors.
    ///
    /// - Complexity: O(n); line numbers cost nothing until an error asks for one.
    public init(parsing bytes: [UInt8], source: String) throws(JSONSyntaxError) {
        do {
            root = try JSONReader.read(bytes)
        } catch {
            throw JSONDocument.located(error, in: bytes, source: source)
        }
        self.bytes = bytes
        self.source = source
        linesBefore = nil
    }

    /// Parses `bytes`, a piece of a bigger file that has `linesBefore()` lines before it: lines
    /// in errors are the file's (the count runs only for an error).
    public init(parsing bytes: [UInt8], source: String, linesBefore: @escaping @Sendable () -> Int) throws(JSONSyntaxError) {
        let before = LinesBefore(linesBefore)
        do {
            root = try JSONReader.read(bytes)
        } catch {
            var located = JSONDocument.located(error, in: bytes, source: source)
            located.line += before.count
            throw located
        }
        self.bytes = bytes
        self.source = source
        self.linesBefore = before
    }

    /// A document whose `root` is a value already read from `bytes` (an element streamed out of
    /// a bigger document): lines and excerpts still refer to the whole text.
    public init(bytes: [UInt8], source: String, root: JSONValue) {
        self.bytes = bytes
        self.source = source
        self.root = root
        linesBefore = nil
    }

    /// `error` with its source, line and excerpt filled in.
    static func located<Bytes: RandomAccessCollection<UInt8>>(_ error: JSONSyntaxError, in bytes: Bytes,
                                                              source: String) -> JSONSyntaxError where Bytes.Index == Int {
        var located = error
        located.source = source
        located.line = JSONDocument.line(in: bytes, at: error.offset)
        located.found = error.problem == .emptyInput ? nil : JSONDocument.excerpt(of: bytes, at: error.offset)
        return located
    }

    /// The 1-based line holding the byte at `offset`.
    ///
    /// - Complexity: O(offset): meant for errors, which are rare.
    public func line(at offset: Int) -> Int {
        JSONDocument.line(in: bytes, at: offset) + (linesBefore?.count ?? 0)
    }

    /// The 1-based line `value` starts on.
    public func line(of value: JSONValue) -> Int {
        line(at: value.offset)
    }

    /// Raw text from `offset` to the end of its line (at most 80 bytes); nil at the end of the input.
    public func excerpt(at offset: Int) -> String? {
        JSONDocument.excerpt(of: bytes, at: offset)
    }

    static func line<Bytes: RandomAccessCollection<UInt8>>(in bytes: Bytes, at offset: Int) -> Int where Bytes.Index == Int {
        var line = 1
        for byte in bytes[..<min(max(offset, 0), bytes.count)] where byte == UInt8(ascii: "\n") { line += 1 }
        return line
    }

    static func excerpt<Bytes: RandomAccessCollection<UInt8>>(of bytes: Bytes, at offset: Int) -> String? where Bytes.Index == Int {
        guard offset >= 0, offset < bytes.count else { return nil }
        var end = min(bytes.count, offset + 80)
        if let lineEnd = bytes[offset..<end].firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            end = lineEnd
        }
        // Cut before a UTF-8 continuation byte so the excerpt does not end in a broken character.
        while end < bytes.count, end > offset + 1, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }
}

/// The number of lines before a piece of a file, counted once, when first asked for.
private final class LinesBefore: Sendable {
    private let counted: Locked<Int?> = Locked(nil)
    private let counter: @Sendable () -> Int

    init(_ counter: @escaping @Sendable () -> Int) { self.counter = counter }

    var count: Int {
        counted.withLock { value in
            if let value { return value }
            let computed = counter()
            value = computed
            return computed
        }
    }
}
