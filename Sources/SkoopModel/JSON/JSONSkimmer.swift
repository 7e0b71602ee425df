#if canImport(Glibc)
import Glibc
#endif
import CSkoopScan

/// The byte loop behind ``JSONListSkim``: walks past values looking only at quotes, backslashes
/// and brackets, and parses members properly only where the pick steps in.
struct JSONSkimmer {
    let bytes: UnsafePointer<UInt8>
    let end: Int
    var index = 0
    let picks: CompiledPick
    var captures: [JSONCapture] = []
    /// The closing bracket of each container being skipped, innermost last.
    private var closers: [UInt8] = []

    /// Splits lists this big between threads (see ``skimListInChunks``).
    private let chunkThreshold: Int
    let chunkCount: Int
    /// Brings a range of the bytes into memory; each thread of a split list calls it for its part.
    var prefault: @Sendable (Range<Int>) -> Void = { _ in }

    init(_ buffer: UnsafeBufferPointer<UInt8>, picks: CompiledPick, at index: Int = 0,
         chunkCount: Int = 1, chunkThreshold: Int = 8 << 20) {
        // An empty buffer may have no base address; a one-byte stand-in keeps `end` at 0.
        self.bytes = buffer.baseAddress ?? UnsafePointer(Self.empty)
        self.end = buffer.count
        self.index = index
        self.picks = picks
        self.chunkCount = chunkCount
        self.chunkThreshold = chunkThreshold
        closers.reserveCapacity(JSONDocument.maximumDepth)
    }

    nonisolated(unsafe) private static let empty = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)

    private func failure(_ expected: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = offset ?? index
        return JSONSyntaxError(offset < end ? .unexpectedContent : .truncated, at: offset, expected: expected)
    }

    @inline(__always) mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x09, 0x0D: index += 1
            default: return
            }
        }
    }

    // MARK: The root and its list

    mutating func skimRoot(listMember key: [UInt8]) throws(JSONSyntaxError) -> JSONListSkim? {
        skipWhitespace()
        guard index < end else { throw JSONSyntaxError(.emptyInput, at: 0, expected: "a JSON document") }
        guard bytes[index] == UInt8(ascii: "{") else { return nil }
        var offsets: [Int] = []
        var ends: [Int] = []
        var starts: [Int] = [0]
        var found = false
        index += 1
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            repeat {
                let name = try memberName()
                if name.elementsEqual(key), index < end, bytes[index] == UInt8(ascii: "[") {
                    found = true
                    offsets.removeAll(keepingCapacity: true)
                    ends.removeAll(keepingCapacity: true)
                    captures.removeAll(keepingCapacity: true)
                    starts = [0]
                    try skimList(&offsets, &ends, &starts)
                } else {
                    try skipValue(depth: 1)
                }
            } while try another(closing: UInt8(ascii: "}"), in: "an object")
        }
        skipWhitespace()
        guard index >= end else {
            throw JSONSyntaxError(.trailingContent, at: index, expected: "the end of the JSON document")
        }
        guard found else { return nil }
        return JSONListSkim(itemOffsets: offsets, itemEnds: ends, captures: captures, captureStarts: starts)
    }

    private mutating func skimList(_ offsets: inout [Int], _ ends: inout [Int], _ starts: inout [Int]) throws(JSONSyntaxError) {
        index += 1
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "]") { index += 1; return }
        if chunkCount > 1, end - index >= chunkThreshold {
            return try skimListInChunks(&offsets, &ends, &starts)
        }
        _ = try skimItems(&offsets, &ends, &starts, stoppingAt: nil)
    }

    /// Skims list items from `index` until the list ends, or until an item boundary (past its
    /// comma) lands exactly on `boundary`: true then. Past it without landing on it, the guess
    /// was wrong and the rest of the list is skimmed here.
    mutating func skimItems(_ offsets: inout [Int], _ ends: inout [Int], _ starts: inout [Int],
                            stoppingAt boundary: Int?) throws(JSONSyntaxError) -> Bool {
        var boundary = boundary
        while true {
            skipWhitespace()
            offsets.append(index)
            try visit(pick: 0, depth: 2)
            ends.append(index)
            starts.append(captures.count)
            guard try another(closing: UInt8(ascii: "]"), in: "an array") else { return false }
            if let stop = boundary {
                skipWhitespace()
                if index == stop { return true }
                if index > stop { boundary = nil }
            }
        }
    }

    /// Reads `"name"` and the `:` after it; returns the name's raw bytes (escapes undecoded).
    private mutating func memberName() throws(JSONSyntaxError) -> UnsafeBufferPointer<UInt8> {
        skipWhitespace()
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw failure("a quoted member name") }
        let start = index + 1
        try skipString()
        let name = UnsafeBufferPointer(start: bytes + start, count: index - 1 - start)
        skipWhitespace()
        guard index < end, bytes[index] == UInt8(ascii: ":") else { throw failure("':' after a member name") }
        index += 1
        skipWhitespace()
        return name
    }

    mutating func another(closing: UInt8, in container: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard index < end else { throw failure("',' or '\(Character(Unicode.Scalar(closing)))' in \(container)") }
        switch bytes[index] {
        case UInt8(ascii: ","): index += 1; return true
        case closing: index += 1; return false
        default: throw failure("',' or '\(Character(Unicode.Scalar(closing)))' in \(container)")
        }
    }

    // MARK: Picked values

    mutating func visit(pick: Int, depth: Int) throws(JSONSyntaxError) {
        let node = picks.nodes[pick]
        switch node.kind {
        case .capture:
            let start = index
            try skipValue(depth: depth)
            captures.append(JSONCapture(field: node.field, range: start..<index))
        case .members:
            if node.marked { captures.append(JSONCapture(field: node.field, range: index..<index)) }
            guard try enter(UInt8(ascii: "{"), closing: UInt8(ascii: "}"), depth: depth) else { return }
            repeat {
                let name = try memberName()
                if let child = child(of: node, named: name) {
                    try visit(pick: child, depth: depth + 1)
                } else {
                    try skipValue(depth: depth + 1)
                }
            } while try another(closing: UInt8(ascii: "}"), in: "an object")
        case .elements:
            if node.marked { captures.append(JSONCapture(field: node.field, range: index..<index)) }
            guard try enter(UInt8(ascii: "["), closing: UInt8(ascii: "]"), depth: depth) else { return }
            repeat {
                skipWhitespace()
                try visit(pick: node.child, depth: depth + 1)
            } while try another(closing: UInt8(ascii: "]"), in: "an array")
        }
    }

    /// Steps into the picked object or array opened at `index`: false when there is nothing to
    /// visit (it is empty, or of another shape and noted as a mismatch).
    private mutating func enter(_ opening: UInt8, closing: UInt8, depth: Int) throws(JSONSyntaxError) -> Bool {
        guard index < end, bytes[index] == opening else {
            try mismatch(depth: depth)
            return false
        }
        try checkDepth(depth + 1)
        index += 1
        skipWhitespace()
        guard index < end, bytes[index] == closing else { return true }
        index += 1
        return false
    }

    /// A picked member of another shape: noted, so the item is decoded the strict way, and skipped.
    private mutating func mismatch(depth: Int) throws(JSONSyntaxError) {
        let start = index
        try skipValue(depth: depth)
        captures.append(JSONCapture(field: JSONCapture.mismatch, range: start..<index))
    }

    private func child(of node: CompiledPick.Node, named name: UnsafeBufferPointer<UInt8>) -> Int? {
        for position in node.firstMember..<(node.firstMember + node.memberCount) {
            let member = picks.members[position]
            guard member.keyCount == name.count else { continue }
            let equal = picks.keyBytes.withUnsafeBufferPointer { keys in
                memcmp(keys.baseAddress! + member.keyStart, name.baseAddress!, name.count) == 0
            }
            if equal { return member.child }
        }
        // A name written with escapes ("\u006eame") is rare enough to decode the slow way.
        guard name.contains(UInt8(ascii: "\\")) else { return nil }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.append(contentsOf: name)
        quoted.append(UInt8(ascii: "\""))
        var reader = JSONReader(bytes: quoted)
        guard let decoded = try? reader.readString() else { return nil }
        for position in node.firstMember..<(node.firstMember + node.memberCount) {
            let member = picks.members[position]
            if picks.keyBytes[member.keyStart..<(member.keyStart + member.keyCount)].elementsEqual(decoded.utf8) {
                return member.child
            }
        }
        return nil
    }

    private func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
        if depth > JSONDocument.maximumDepth {
            throw JSONSyntaxError(.tooDeep, at: index, expected: "JSON nested at most \(JSONDocument.maximumDepth) deep")
        }
    }

    // MARK: Skipped values

    /// From an opening quote to past the closing one.
    @inline(__always) private mutating func skipString() throws(JSONSyntaxError) {
        guard let closing = Self.closingQuote(bytes, after: index, end: end) else {
            let start = index
            index = end
            throw JSONSyntaxError(.unterminatedString, at: start, expected: "a closing '\"'")
        }
        index = closing + 1
    }

    /// The offset of the quote closing the string opened at `opening`; nil when it never closes.
    /// Eight bytes are looked at a time for a quote or a backslash (most of a Kubernetes object is
    /// strings), with the bit trick that flags the bytes of a word equal to a given byte.
    @inline(__always) static func closingQuote(_ bytes: UnsafePointer<UInt8>, after opening: Int, end: Int) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* UInt64(UInt8(ascii: "\"")), backslashes = ones &* UInt64(UInt8(ascii: "\\"))
        let raw = UnsafeRawPointer(bytes)
        var position = opening + 1
        while true {
            while position + 8 <= end {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                let q = word ^ quotes, b = word ^ backslashes
                // The lowest flagged byte is always a true match (false flags sit only above one).
                let found = ((q &- ones) & ~q | (b &- ones) & ~b) & highs
                if found != 0 {
                    position += found.trailingZeroBitCount >> 3
                    break
                }
                position += 8
            }
            while position < end, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\") {
                position += 1
            }
            guard position < end else { return nil }
            if bytes[position] == UInt8(ascii: "\"") { return position }
            position += 2  // a backslash and the byte it escapes
        }
    }

    /// Past one value whose first byte is at `index`, `depth` containers deep.
    private mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard index < end else { throw failure("a JSON value") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer(depth: depth)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Numbers and literals are checked when the item is decoded; here they only end.
            index += 1
            while index < end {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x09, 0x0D: return
                default: index += 1
                }
            }
        default:
            throw failure("a JSON value")
        }
    }

    /// Past a whole object or array, checking only that strings end and brackets match.
    ///
    /// The hottest loop of Skoop on a big cluster (hundreds of megabytes of pods): positions are
    /// kept in locals and the stack of open brackets is a bit stack, so nothing but the bytes is
    /// read or written per byte.
    private mutating func skipContainer(depth: Int) throws(JSONSyntaxError) {
        // Most of a big list is skipped: 64 bytes at a time in C, byte by byte here only to name
        // the error when the container does not close properly.
        if let skipped = Self.containerEnd(bytes, from: index, end: end, maximumOpen: JSONDocument.maximumDepth - depth) {
            index = skipped
            return
        }
        try skipContainerNamingError(depth: depth)
    }

    /// The offset past the container opening at `start` (a bracket), found 64 bytes at a time;
    /// nil when it does not close properly before `end` or nests more than `maximumOpen` deep.
    /// `baseline` runs the version for CPUs without AVX2 whatever this one has.
    static func containerEnd(_ bytes: UnsafePointer<UInt8>, from start: Int, end: Int, maximumOpen: Int,
                             baseline: Bool = false) -> Int? {
        let skipped = baseline ? skoop_skip_container_baseline(bytes, start, end, Int32(clamping: maximumOpen))
            : skoop_skip_container(bytes, start, end, Int32(clamping: maximumOpen))
        return skipped == SKOOP_SCAN_FAILED ? nil : skipped
    }

    private mutating func skipContainerNamingError(depth: Int) throws(JSONSyntaxError) {
        let bytes = self.bytes, end = self.end
        var position = index
        // Bit n of `kinds` is 1 when the nth open container (from the outermost) is an object;
        // beyond 64 levels the kinds live in `deeper`.
        var kinds: UInt64 = 0
        var open = 0
        let limit = JSONDocument.maximumDepth - depth
        closers.removeAll(keepingCapacity: true)
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                guard let closing = Self.closingQuote(bytes, after: position, end: end) else {
                    index = end
                    throw JSONSyntaxError(.unterminatedString, at: position, expected: "a closing '\"'")
                }
                position = closing
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                guard open < limit else {
                    index = position
                    throw JSONSyntaxError(.tooDeep, at: position, expected: "JSON nested at most \(JSONDocument.maximumDepth) deep")
                }
                let isObject: UInt64 = byte == UInt8(ascii: "{") ? 1 : 0
                if open < 64 {
                    kinds |= isObject << UInt64(open)
                } else {
                    closers.append(byte)
                }
                open += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                let innermostIsObject = open > 64 ? closers.last == UInt8(ascii: "{") : (kinds >> UInt64(open - 1)) & 1 == 1
                guard open > 0, innermostIsObject == (byte == UInt8(ascii: "}")) else {
                    index = position
                    throw failure(innermostIsObject ? "'}' to close the object" : "']' to close the array")
                }
                open -= 1
                if open >= 64 {
                    closers.removeLast()
                } else {
                    kinds &= ~(1 << UInt64(open))
                }
                if open == 0 {
                    index = position + 1
                    return
                }
            }
            position += 1
        }
        index = end
        let innermostIsObject = open > 64 ? closers.last == UInt8(ascii: "{") : open > 0 && (kinds >> UInt64(open - 1)) & 1 == 1
        throw failure(innermostIsObject ? "'}' to close the object" : "']' to close the array")
    }
}
