import SkoopModel

/// The pod index (k8s/pods.index): the catalogue of pods.json as a skim builds it, written when
/// the snapshot is taken and read back instead of skimming. Skimming 150,000 pods (500 MB) is
/// most of a diagnosis of a big cluster; reading their index is a few milliseconds, so the cost
/// follows the path, not the cluster.
///
/// An index is used only beside the pods.json it was made from: the same size and modification
/// time, with the index written after it (else a same-size edit within the clock's granularity
/// could pass, git's "racy" case), or the same content hash (a snapshot copied elsewhere). Its
/// body carries its own hash, so damage anywhere sets it aside. Set aside, pods.json is skimmed
/// as if there were none. A pod an address lookup returns must hold that address in pods.json.
/// Pods are still decoded from pods.json, strictly, and one whose name is not the index's is an
/// error naming the index.
extension PodCatalog {
    static let indexMagic = Array("SKOOPPOD".utf8)
    static let indexVersion: UInt32 = 4

    /// Skims pods.json and makes its index; nil when pods.json is not a Kubernetes List (it is
    /// then decoded whole, and an index would not help). Errors are those a diagnosis reports.
    public static func makeIndex(of pods: SourceData, stamp: PodIndexStamp) throws(InputError) -> (bytes: [UInt8], pods: Int)? {
        guard let catalog = try skim(pods), let bytes = catalog.indexBytes(stamp: stamp) else { return nil }
        return (bytes, catalog.count)
    }

    /// The index of this catalogue; nil when it was not skimmed from a List.
    func indexBytes(stamp: PodIndexStamp) -> [UInt8]? {
        guard case .lazy(let items) = storage else { return nil }
        var writer = IndexWriter()
        writer.bytes.reserveCapacity(entries.count * 120 + 1024)
        writer.append(UInt64(entries.count))
        for (index, entry) in entries.enumerated() {
            writer.append(UInt64(items.skim.itemOffsets[index]))
            writer.append(UInt64(items.skim.itemEnds[index]))
            for text in [entry.namespace, entry.name, entry.nodeName, entry.phase] { writer.append(text) }
            writer.append(UInt32(entry.addresses.lowerBound))
            writer.append(UInt32(entry.addresses.upperBound))
            writer.append(entry.nameHash)
            writer.append(UInt8(entry.hostNetwork ? 1 : 0))
        }
        writer.append(UInt64(addresses.count))
        for address in addresses { writer.append(address) }
        writer.append(UInt64(texts.decoded.count))
        for string in texts.decoded { writer.append(string: string) }
        buildNameIndex()
        let names = nameIndexKeys()
        writer.append(UInt64(names.count))
        for key in names { writer.append(key) }
        let byAddress = addressIndex()
        writer.append(UInt64(byAddress.ipv4.count))
        for key in byAddress.ipv4 { writer.append(key) }
        let ipv6 = byAddress.ipv6.sorted { $0.key < $1.key }
        writer.append(UInt64(ipv6.count))
        for (address, position) in ipv6 {
            writer.append(address.high)
            writer.append(address.low)
            writer.append(UInt64(position))
        }
        let namespaces = namespaces().sorted()
        writer.append(UInt64(namespaces.count))
        for namespace in namespaces { writer.append(string: namespace) }
        var header = IndexWriter()
        header.bytes += Self.indexMagic
        header.append(Self.indexVersion)
        for value in [stamp.size, stamp.seconds, stamp.nanoseconds] { header.append(Int64(value)) }
        header.append(ContentHash.of(items.bytes))
        header.append(writer.bytes.withUnsafeBytes { ContentHash.xxh64($0) })
        return header.bytes + writer.bytes
    }

    /// The catalogue `input` describes, over `pods`; nil when the index is not of this pods.json,
    /// of another version, or damaged.
    static func indexed(_ input: PodIndexInput, pods: SourceData) throws(InputError) -> PodCatalog? {
        guard let data = try? input.read() else { return nil }
        let bytes = try pods.sharedBytes()
        guard bytes.count == input.podsStamp.size else { return nil }
        return data.withUnsafeBytes { raw in
            var reader = IndexReader(bytes: raw)
            guard isOfThisFile(&reader, input, pods: bytes) else { return nil }
            return Self.read(&reader, stamp: input.podsStamp, source: input.source, pods: bytes, podsSource: pods.source)
        }
    }

    /// Reads the header: true when the index is of this version, intact, and of these bytes.
    private static func isOfThisFile(_ reader: inout IndexReader, _ input: PodIndexInput, pods bytes: SharedBytes) -> Bool {
        guard reader.bytes.count >= indexMagic.count, reader.bytes.prefix(indexMagic.count).elementsEqual(indexMagic) else {
            return false
        }
        reader.offset = indexMagic.count
        guard reader.integer(UInt32.self) == indexVersion,
              let size = reader.integer(Int64.self), let seconds = reader.integer(Int64.self),
              let nanoseconds = reader.integer(Int64.self), let contentHash = reader.integer(UInt64.self),
              let bodyHash = reader.integer(UInt64.self), Int(size) == bytes.count,
              ContentHash.xxh64(UnsafeRawBufferPointer(rebasing: reader.bytes[reader.offset...])) == bodyHash else { return false }
        let stamp = input.podsStamp
        if (Int(seconds), Int(nanoseconds)) == (stamp.seconds, stamp.nanoseconds), input.indexStamp.isNewer(than: stamp) {
            return true
        }
        return ContentHash.of(bytes) == contentHash
    }

    private static func read(_ reader: inout IndexReader, stamp: PodIndexStamp, source: String,
                             pods bytes: SharedBytes, podsSource: String) -> PodCatalog? {
        guard let count = reader.count(ofRecords: 77) else { return nil }
        var entries: [Entry] = [], offsets: [Int] = [], ends: [Int] = []
        entries.reserveCapacity(count)
        offsets.reserveCapacity(count)
        ends.reserveCapacity(count)
        var decodedNeeded = 0, addressesNeeded = 0
        func inFile(_ text: CatalogText) -> Bool {
            if text.count == -1 {
                guard text.offset >= 0, text.offset < Int(Int32.max) else { return false }
                decodedNeeded = max(decodedNeeded, text.offset + 1)
                return true
            }
            return text.count >= 0 && text.offset >= 0 && text.offset <= stamp.size - text.count
        }
        for _ in 0..<count {
            guard let start = reader.integer(UInt64.self), let end = reader.integer(UInt64.self), start < end,
                  end <= UInt64(stamp.size),
                  let namespace = reader.text(), let namespace, inFile(namespace),
                  let name = reader.text(), let name, inFile(name),
                  let nodeName = reader.text(), nodeName.map(inFile) ?? true,
                  let phase = reader.text(), phase.map(inFile) ?? true,
                  let lower = reader.integer(UInt32.self), let upper = reader.integer(UInt32.self), lower <= upper,
                  let hash = reader.integer(UInt32.self), let hostNetwork = reader.integer(UInt8.self), hostNetwork <= 1
            else { return nil }
            addressesNeeded = max(addressesNeeded, Int(upper))
            offsets.append(Int(start))
            ends.append(Int(end))
            entries.append(Entry(namespace: namespace, name: name, nodeName: nodeName, phase: phase, hostNetwork: hostNetwork == 1,
                                 addresses: Int(lower)..<Int(upper), nameHash: hash))
        }
        guard let addressCount = reader.count(ofRecords: 17), addressCount >= addressesNeeded else { return nil }
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(addressCount)
        for _ in 0..<addressCount {
            guard let address = reader.address() else { return nil }
            addresses.append(address)
        }
        guard let decodedCount = reader.count(ofRecords: 4), decodedCount >= decodedNeeded else { return nil }
        var texts = CatalogTexts(bytes: bytes)
        for _ in 0..<decodedCount {
            guard let string = reader.string() else { return nil }
            texts.decoded.append(string)
        }
        guard let names = positionKeys(&reader, below: count), names.count == count,
              let ipv4 = positionKeys(&reader, below: count),
              let ipv6Count = reader.count(ofRecords: 24) else { return nil }
        var ipv6: [IPv6Address: Int] = [:]
        for _ in 0..<ipv6Count {
            guard let high = reader.integer(UInt64.self), let low = reader.integer(UInt64.self),
                  let position = reader.integer(UInt64.self), position < UInt64(count) else { return nil }
            ipv6[IPv6Address(high: high, low: low)] = Int(position)
        }
        guard let namespaceCount = reader.count(ofRecords: 4) else { return nil }
        var namespaces: Set<String> = []
        for _ in 0..<namespaceCount {
            guard let namespace = reader.string() else { return nil }
            namespaces.insert(namespace)
        }
        guard reader.offset == reader.bytes.count else { return nil }
        let items = LazyItems<Pod>(bytes: bytes, source: podsSource, skim: JSONListSkim(itemOffsets: offsets, itemEnds: ends),
                                   kind: "Pod", plural: "pods", decodeItem: Pod.init(json:))
        let prebuilt = Prebuilt(names: PodNameIndex(sorted: names), addresses: PodAddressIndex(ipv4: ipv4, ipv6: ipv6),
                                namespaces: namespaces, source: source)
        return PodCatalog(entries: entries, addresses: addresses, texts: texts, storage: .lazy(items), prebuilt: prebuilt)
    }

    /// A list of `key << 32 | position` keys, every position below `limit`.
    private static func positionKeys(_ reader: inout IndexReader, below limit: Int) -> [UInt64]? {
        guard let count = reader.count(ofRecords: 8) else { return nil }
        var keys: [UInt64] = []
        keys.reserveCapacity(count)
        for _ in 0..<count {
            guard let key = reader.integer(UInt64.self), key & 0xFFFF_FFFF < UInt64(limit) else { return nil }
            keys.append(key)
        }
        return keys
    }
}
