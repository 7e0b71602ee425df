import Foundation
import SkoopModel
import SkoopKubernetes

/// Read access to a snapshot directory that never leaves it: no symbolic links are followed,
/// no `..` is accepted, and every file has a size limit.
public struct SnapshotDirectory: Sendable {
    /// The directory, as given.
    public let root: String
    /// The largest file read, in bytes.
    public let fileSizeLimit: Int

    /// Opens `path`; fails when it is not a directory.
    public init(path: String, fileSizeLimit: Int = 512 << 20) throws(InputError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError(source: path, expected: "a snapshot directory (with snapshot.json, k8s/ and nodes/)",
                             found: "no such directory")
        }
        self.root = path
        self.fileSizeLimit = fileSizeLimit
    }

    /// The contents of `relativePath`, or nil when it does not exist.
    /// Throws when the path would leave the snapshot, is a link or not a regular file, or is too large.
    public func read(_ relativePath: String) throws(InputError) -> Data? {
        guard let file = try open(relativePath) else { return nil }
        defer { close(file.descriptor) }
        // Exactly the size seen, plus one byte to notice a file that grows meanwhile.
        guard let buffer = malloc(file.size + 1) else {
            throw InputError(source: relativePath, expected: "memory for \(Self.sizeText(file.size))", found: "none left")
        }
        let filled = Self.fill(file.descriptor, buffer.assumingMemoryBound(to: UInt8.self), capacity: file.size + 1)
        guard filled <= file.size else {
            free(buffer)
            throw InputError(source: relativePath, expected: "a file that does not change while it is read", found: "a growing file")
        }
        return Data(bytesNoCopy: buffer, count: filled, deallocator: .free)
    }

    /// The contents of `relativePath` as bytes (what the JSON reader takes, without a copy from
    /// Data), or nil when it does not exist; the same checks as `read`.
    public func readBytes(_ relativePath: String) throws(InputError) -> [UInt8]? {
        guard let file = try open(relativePath) else { return nil }
        defer { close(file.descriptor) }
        var filled = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: file.size + 1) { buffer, count in
            filled = buffer.baseAddress.map { Self.fill(file.descriptor, $0, capacity: file.size + 1) } ?? 0
            count = min(filled, file.size)
        }
        guard filled <= file.size else {
            throw InputError(source: relativePath, expected: "a file that does not change while it is read", found: "a growing file")
        }
        return bytes
    }

    /// The size and modification time of `relativePath`; nil when it does not exist or is not a
    /// regular file (reading it says what is wrong). Not opened: a stamp costs no read.
    public func stamp(_ relativePath: String) throws(InputError) -> PodIndexStamp? {
        let full = try resolve(relativePath)
        var status = stat()
        guard lstat(full, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw InputError(source: relativePath, expected: "a readable file", found: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { return nil }
        return PodIndexStamp(size: Int(status.st_size), seconds: Int(status.st_mtim.tv_sec),
                             nanoseconds: Int(status.st_mtim.tv_nsec))
    }

    /// Maps a big buffer's pages in one call before filling it: taking a page fault for each of
    /// the 125,000 pages of a 500 MB pods.json costs more than copying the file.
    private static func prefault(_ buffer: UnsafeMutablePointer<UInt8>, capacity: Int) {
        let page = 4096
        guard capacity >= 1 << 22 else { return }
        let start = (Int(bitPattern: buffer) + page - 1) & ~(page - 1)
        let end = (Int(bitPattern: buffer) + capacity) & ~(page - 1)
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, 23)  // MADV_POPULATE_WRITE (Linux 5.14); advice only, errors ignored
    }

    /// The contents of `relativePath` mapped into memory (nil when it does not exist), with the
    /// checks of `read`. A 500 MB pods.json is then taken from the page cache as it is, neither
    /// copied nor backed by fresh memory, which costs more than the copy on a virtual machine.
    /// With `populate` false the pages are mapped by whoever reads them: the threads that skim
    /// a big list in parts then map their own parts side by side (``SharedBytes/prefault(_:)``),
    /// instead of one thread mapping 500 MB before any skimming starts.
    public func map(_ relativePath: String, populate: Bool = true) throws(InputError) -> SharedBytes? {
        guard let file = try open(relativePath) else { return nil }
        defer { close(file.descriptor) }
        guard file.size > 0 else { return SharedBytes(copying: []) }
        guard let mapped = mmap(nil, file.size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), file.descriptor, 0),
              mapped != MAP_FAILED else {
            throw InputError(source: relativePath, expected: "a file that can be mapped", found: String(cString: strerror(errno)))
        }
        let buffer = UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: file.size)
        let address = Int(bitPattern: mapped)
        let prefault: (@Sendable (Range<Int>) -> Void)? = populate ? nil : { @Sendable range in populateMapping(at: address, range) }
        return SharedBytes(buffer, release: { pointer, count in _ = munmap(UnsafeMutableRawPointer(mutating: pointer), count) },
                           prefault: prefault)
    }


    /// Reads from `descriptor` into `buffer` until the end of the file or `capacity` bytes.
    private static func fill(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int {
        prefault(buffer, capacity: capacity)
        var filled = 0
        while filled < capacity {
            let count = Glibc.read(descriptor, buffer + filled, capacity - filled)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        return filled
    }

    /// Whether `relativePath` holds exactly `data` (nil when it does not exist), compared in
    /// place: every node carries kube-proxy's identical 50 MB ruleset, and comparing it with the
    /// one already parsed must cost neither a fresh buffer nor a copy per node.
    public func contents(of relativePath: String, equal data: UnsafeRawBufferPointer) throws(InputError) -> Bool? {
        guard let file = try open(relativePath) else { return nil }
        defer { close(file.descriptor) }
        return try Self.firstEqual(file, relativePath, among: [data]) != nil
    }

    /// The position of the first of `candidates` that `relativePath` holds exactly; nil when
    /// none does or the file does not exist. The file is opened and read once, whatever the
    /// number of candidates (only those of its size are compared).
    public func firstMatch(of relativePath: String, among candidates: [UnsafeRawBufferPointer]) throws(InputError) -> Int? {
        // The size first, without opening the file: a file no candidate can match is not read
        // (the file is then opened once, to be parsed). Anything odd is left to `open` to word.
        var status = stat()
        if lstat(try resolve(relativePath), &status) == 0, status.st_mode & S_IFMT == S_IFREG,
           !candidates.contains(where: { $0.count == Int(status.st_size) }) {
            return nil
        }
        guard !candidates.isEmpty, let file = try open(relativePath) else { return nil }
        defer { close(file.descriptor) }
        return try Self.firstEqual(file, relativePath, among: candidates)
    }

    private static func firstEqual(_ file: (descriptor: Int32, size: Int), _ relativePath: String,
                                   among candidates: [UnsafeRawBufferPointer]) throws(InputError) -> Int? {
        let sameSize = candidates.indices.filter { candidates[$0].count == file.size }
        guard let first = sameSize.first else { return nil }
        if file.size == 0 { return first }
        guard let mapped = mmap(nil, file.size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.descriptor, 0),
              mapped != MAP_FAILED else {
            throw InputError(source: relativePath, expected: "a file that can be mapped", found: String(cString: strerror(errno)))
        }
        defer { munmap(mapped, file.size) }
        return sameSize.first { memcmp(mapped, candidates[$0].baseAddress!, file.size) == 0 }
    }

    /// Whether `relativePath` holds exactly `data` (nil when it does not exist).
    public func contents(of relativePath: String, equal data: Data) throws(InputError) -> Bool? {
        let outcome = data.withUnsafeBytes { raw in
            Result { () throws(InputError) -> Bool? in try contents(of: relativePath, equal: raw) }
        }
        return try outcome.get()
    }

    /// An open regular file of the snapshot and its size, or nil when it does not exist.
    private func open(_ relativePath: String) throws(InputError) -> (descriptor: Int32, size: Int)? {
        let full = try resolve(relativePath)
        // O_NOFOLLOW: the last component must not be a link either (resolve checked the folders).
        let descriptor = Glibc.open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT, ENOTDIR: return nil
            case ELOOP: throw InputError(source: relativePath, expected: "a regular file inside the snapshot",
                                         found: "a symbolic link (not followed)")
            default: throw InputError(source: relativePath, expected: "a readable file", found: String(cString: strerror(errno)))
            }
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw InputError(source: relativePath, expected: "a readable file", found: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw InputError(source: relativePath, expected: "a regular file inside the snapshot",
                             found: Self.kind(of: status.st_mode))
        }
        let size = Int(status.st_size)
        guard size <= fileSizeLimit else {
            close(descriptor)
            throw InputError(source: relativePath, expected: "a file of at most \(Self.sizeText(fileSizeLimit))",
                             found: Self.sizeText(size))
        }
        return (descriptor, size)
    }

    /// What a file that is not a regular one is, in FileManager's words (messages keep their wording).
    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: FileAttributeType.typeDirectory.rawValue
        case S_IFIFO: "NSFileTypeUnknown"
        case S_IFCHR: FileAttributeType.typeCharacterSpecial.rawValue
        case S_IFBLK: FileAttributeType.typeBlockSpecial.rawValue
        case S_IFSOCK: FileAttributeType.typeSocket.rawValue
        case S_IFLNK: FileAttributeType.typeSymbolicLink.rawValue
        default: "unknown file type"
        }
    }

    /// The text of `relativePath` (invalid UTF-8 is an error), or nil when it does not exist.
    public func readText(_ relativePath: String) throws(InputError) -> String? {
        guard let data = try read(relativePath) else { return nil }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(source: relativePath, expected: "UTF-8 text", found: "invalid UTF-8")
        }
        return text
    }

    /// The names of the subdirectories of `relativePath` (links and files are skipped), sorted.
    public func subdirectories(_ relativePath: String) throws(InputError) -> [String] {
        let full = try resolve(relativePath)
        // resolve checks the folders on the way; listing a link would follow it out of the snapshot.
        if let attributes = try? FileManager.default.attributesOfItem(atPath: full),
           attributes[.type] as? FileAttributeType == .typeSymbolicLink {
            throw InputError(source: relativePath, expected: "a directory inside the snapshot", found: "a symbolic link (not followed)")
        }
        // readdir's entry types, not a stat per entry: a 5,000-node snapshot lists 5,000 folders.
        guard let stream = opendir(full) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR):
                names.append(name)
            case Int32(DT_UNKNOWN):  // file systems that do not report types: ask
                var status = stat()
                if lstat(full + "/" + name, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { names.append(name) }
            default:
                break
            }
        }
        return names.sorted()
    }

    /// True when `relativePath` exists (as anything).
    public func exists(_ relativePath: String) -> Bool {
        guard let full = try? resolve(relativePath) else { return false }
        return (try? FileManager.default.attributesOfItem(atPath: full)) != nil
    }

    /// A size for messages: whole MiB when it is one, bytes otherwise (a small limit must not read "0 MiB").
    static func sizeText(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// The full path of `relativePath`, refusing `..`, absolute paths and links on the way.
    private func resolve(_ relativePath: String) throws(InputError) -> String {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard !relativePath.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0 == "." }) else {
            throw InputError(source: relativePath, expected: "a path inside the snapshot", found: relativePath)
        }
        var path = root
        for component in components.dropLast() {
            path += "/" + component
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
               attributes[.type] as? FileAttributeType == .typeSymbolicLink {
                throw InputError(source: relativePath, expected: "a path inside the snapshot",
                                 found: "\(component) is a symbolic link (not followed)")
            }
        }
        if let last = components.last { path += "/" + last }
        return path
    }
}

/// Maps the pages of `range` of the mapping at `address` in one call.
private func populateMapping(at address: Int, _ range: Range<Int>) {
    let page = 4096
    let start = (address + range.lowerBound) & ~(page - 1)
    let end = address + range.upperBound
    guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(aligned, end - start, 22)  // MADV_POPULATE_READ (Linux 5.14); advice only, errors ignored
}
