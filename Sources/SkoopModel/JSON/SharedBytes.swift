/// Read-only bytes that stay valid as long as this object lives: a file mapped into memory (the
/// 500 MB pods.json of a big cluster is then read from the page cache, never copied), or a copy.
public final class SharedBytes: @unchecked Sendable {
    // @unchecked: the memory is never written after init, and `release` runs once, in deinit.
    /// The bytes.
    public let buffer: UnsafeBufferPointer<UInt8>
    private let release: @Sendable (UnsafeRawPointer, Int) -> Void
    private let prefaulter: (@Sendable (Range<Int>) -> Void)?

    /// A copy of `bytes`.
    public init(copying bytes: [UInt8]) {
        let memory = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = memory.initialize(from: bytes)
        buffer = UnsafeBufferPointer(start: memory.baseAddress, count: bytes.count)
        release = { pointer, _ in UnsafeMutableRawPointer(mutating: pointer).deallocate() }
        prefaulter = nil
    }

    /// Bytes owned elsewhere (e.g. a mapping), given back through `release` when no longer used;
    /// `prefault`, when given, brings a range into memory before it is read (see ``prefault(_:)``).
    public init(_ buffer: UnsafeBufferPointer<UInt8>, release: @escaping @Sendable (UnsafeRawPointer, Int) -> Void,
                prefault: (@Sendable (Range<Int>) -> Void)? = nil) {
        self.buffer = buffer
        self.release = release
        self.prefaulter = prefault
    }

    /// Brings the bytes of `range` into memory at once, when they are a mapping that was not
    /// (a thread about to read a part of a big file maps that part in one call).
    public func prefault(_ range: Range<Int>) {
        prefaulter?(range.clamped(to: 0..<buffer.count))
    }

    deinit {
        if let base = buffer.baseAddress { release(UnsafeRawPointer(base), buffer.count) }
    }

    /// How many bytes.
    public var count: Int { buffer.count }

    /// The bytes in `range`, copied.
    public subscript(range: Range<Int>) -> [UInt8] { Array(buffer[range]) }

    /// The 1-based line holding the byte at `offset`.
    /// - Complexity: O(offset): meant for errors.
    public func line(at offset: Int) -> Int {
        var line = 1
        for byte in buffer[..<min(max(offset, 0), buffer.count)] where byte == UInt8(ascii: "\n") { line += 1 }
        return line
    }
}
