import Foundation
import Testing
import SkoopModel
@testable import SkoopKubernetes
import SkoopTestSupport

/// The pod index (k8s/pods.index) stands in for skimming pods.json: a catalogue read from it must
/// answer every lookup as the skimmed one does, and an index of another pods.json, or a damaged
/// one, must never be used (nor crash anything).
@Suite struct PodIndexTests {
    static let stamp = PodIndexStamp(size: 0, seconds: 1_700_000_000, nanoseconds: 42)

    /// Pods whose names need decoding, share a name, give up their address, have no namespace.
    static let podsText = #"{"apiVersion":"v1","kind":"List","items":["# + [
        #"{"kind":"Pod","metadata":{"name":"plain","namespace":"ns"},"spec":{"nodeName":"n1"},"status":{"podIP":"10.0.0.1","phase":"Running"}}"#,
        #"{"metadata":{"name":"caf\u00e9","namespace":"ns"},"spec":{"nodeName":"n2"},"status":{"podIP":"10.0.0.2"}}"#,
        #"{"metadata":{"name":"crème","namespace":"ns"},"status":{"podIPs":[{"ip":"10.0.0.3"},{"ip":"fd00::3"}]}}"#,
        #"{"metadata":{"name":"no-namespace"},"status":{"podIP":"10.0.0.4"}}"#,
        #"{"metadata":{"name":"done","namespace":"ns"},"status":{"podIP":"10.0.0.5","phase":"Succeeded"}}"#,
        #"{"metadata":{"name":"plain","namespace":"ns"},"status":{"podIP":"10.0.0.6"}}"#,
        #"{"metadata":{"name":"host","namespace":"other"},"spec":{"hostNetwork":true,"nodeName":"n1"},"status":{"podIP":"192.168.0.1"}}"#,
    ].joined(separator: ",") + "]}"

    static func source(_ text: String) -> SourceData { SourceData(bytes: Array(text.utf8), source: "k8s/pods.json") }

    static func index(of text: String, stamp: PodIndexStamp? = nil) throws -> [UInt8] {
        let stamp = stamp ?? PodIndexStamp(size: text.utf8.count, seconds: Self.stamp.seconds, nanoseconds: Self.stamp.nanoseconds)
        return try #require(try PodCatalog.makeIndex(of: source(text), stamp: stamp)).bytes
    }

    /// The index written a second after pods.json, unless `indexStamp` says otherwise.
    static func cluster(pods text: String, index: [UInt8]?, stamp: PodIndexStamp? = nil,
                        indexStamp: PodIndexStamp? = nil) throws -> ClusterState {
        let stamp = stamp ?? PodIndexStamp(size: text.utf8.count, seconds: Self.stamp.seconds, nanoseconds: Self.stamp.nanoseconds)
        let indexStamp = indexStamp ?? PodIndexStamp(size: index?.count ?? 0, seconds: Self.stamp.seconds + 1, nanoseconds: 0)
        let input = index.map { bytes in PodIndexInput(source: "k8s/pods.index", podsStamp: stamp, indexStamp: indexStamp) { bytes } }
        return try ClusterState.decode(KubernetesDocuments(pods: source(text), podIndex: input))
    }

    @Test func anIndexedCatalogueAnswersEveryLookupAsTheSkimmedOne() throws {
        let skimmed = try Self.cluster(pods: Self.podsText, index: nil)
        let indexed = try Self.cluster(pods: Self.podsText, index: Self.index(of: Self.podsText))
        #expect(skimmed.pods.prebuilt == nil && indexed.pods.prebuilt != nil, "the index was used")
        let strict = try KubernetesJSON.pods(Data(Self.podsText.utf8), source: "k8s/pods.json")
        #expect(indexed.pods.qualifiedNames == strict.map(\.qualifiedName))
        for pod in strict {
            #expect(indexed.pod(namespace: pod.namespace, name: pod.name) == skimmed.pod(namespace: pod.namespace, name: pod.name))
            for ip in pod.podIPs { #expect(indexed.ipCache.owner(of: ip) == skimmed.ipCache.owner(of: ip), "\(ip)") }
        }
        #expect(indexed.pod(namespace: "ns", name: "plain") == strict[0], "the first of a name wins")
        #expect(indexed.pod(namespace: "ns", name: "café") == strict[1])
        #expect(indexed.pod(namespace: "", name: "no-namespace") == strict[3])
        #expect(indexed.pod(namespace: "ns", name: "cafe") == nil)
        #expect(indexed.ipCache.pod(ip: IPAddress("fd00::3")!) == strict[2])
        #expect(indexed.ipCache.pod(ip: IPAddress("10.0.0.5")!) == nil, "a finished pod gives its address up")
        #expect(indexed.ipCache.pod(ip: IPAddress("10.0.0.6")!) == strict[5])
        #expect(indexed.ipCache.pod(ip: IPAddress("192.168.0.1")!) == nil, "a host-network pod's address is its node's")
        #expect(indexed.pods(onNode: "n1") == skimmed.pods(onNode: "n1"))
        #expect(Set(indexed.namespaces.keys) == Set(skimmed.namespaces.keys) && indexed.namespaces.keys.contains("other"))
        #expect(try indexed.pods.all() == strict)
        #expect(indexed.decodeFailures.isEmpty)
    }

    @Test func theLabsPodsRoundTripThroughAnIndex() throws {
        let text = String(decoding: try Fixtures.data("lab-basic/k8s/pods.json"), as: UTF8.self)
        let skimmed = try Self.cluster(pods: text, index: nil)
        let indexed = try Self.cluster(pods: text, index: Self.index(of: text))
        #expect(indexed.pods.prebuilt != nil && indexed.pods.count == skimmed.pods.count && indexed.pods.count >= 3)
        #expect(try indexed.pods.all() == skimmed.pods.all())
        for pod in try skimmed.pods.all() {
            #expect(indexed.pod(namespace: pod.namespace, name: pod.name) == pod)
            for ip in pod.podIPs { #expect(indexed.ipCache.owner(of: ip) == skimmed.ipCache.owner(of: ip)) }
        }
    }

    @Test func anIndexIsUsedBesideItsOwnContentOnly() throws {
        let index = try Self.index(of: Self.podsText)
        let size = Self.podsText.utf8.count
        // Copied elsewhere: another modification time, the same bytes (checked by their hash).
        for copied in [PodIndexStamp(size: size, seconds: Self.stamp.seconds + 1, nanoseconds: Self.stamp.nanoseconds),
                       PodIndexStamp(size: size, seconds: Self.stamp.seconds, nanoseconds: 0)] {
            #expect(try Self.cluster(pods: Self.podsText, index: index, stamp: copied).pods.isFromIndex, "\(copied)")
        }
        // Edited: the same size, another address and another time.
        let edited = Self.podsText.replacingOccurrences(of: "10.0.0.6", with: "10.0.0.8")
        #expect(edited.utf8.count == size && edited != Self.podsText)
        let cluster = try Self.cluster(pods: edited, index: index,
                                       stamp: PodIndexStamp(size: size, seconds: Self.stamp.seconds + 1, nanoseconds: 0))
        #expect(!cluster.pods.isFromIndex)
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.8")!)?.podIPs == [IPAddress("10.0.0.8")!])
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.6")!) == nil)
        // Edited within the clock's granularity: the same size and time, the index no newer
        // than pods.json (git's "racy" case): the content decides.
        let racy = try Self.cluster(pods: edited, index: index,
                                    indexStamp: PodIndexStamp(size: index.count, seconds: Self.stamp.seconds, nanoseconds: Self.stamp.nanoseconds))
        #expect(!racy.pods.isFromIndex)
        #expect(try Self.cluster(pods: Self.podsText, index: index,
                                 indexStamp: PodIndexStamp(size: index.count, seconds: Self.stamp.seconds, nanoseconds: Self.stamp.nanoseconds))
            .pods.isFromIndex, "the same content is still its own")
        // The same time, but pods.json is not the size the index was made from.
        let longer = Self.podsText + "\n"
        let grown = try Self.cluster(pods: longer, index: index, stamp: PodIndexStamp(
            size: longer.utf8.count, seconds: Self.stamp.seconds, nanoseconds: Self.stamp.nanoseconds))
        #expect(!grown.pods.isFromIndex && grown.pods.count == 7)
    }

    @Test func contentHashesAreXXH64() {
        // The published test vectors: an index written on one machine is checked on another.
        #expect(ContentHash.xxh64(UnsafeRawBufferPointer(start: nil, count: 0)) == 0xEF46_DB37_51D8_E999)
        #expect(Array("abc".utf8).withUnsafeBytes { ContentHash.xxh64($0) } == 0x44BC_2CF5_AD77_0999)
        // A file of several pieces: a byte changed in the last one changes the fingerprint.
        var bytes = [UInt8](repeating: 7, count: 20 << 20)
        let original = ContentHash.of(SharedBytes(copying: bytes))
        #expect(original == ContentHash.of(SharedBytes(copying: bytes)))
        bytes[bytes.count - 3] = 8
        #expect(ContentHash.of(SharedBytes(copying: bytes)) != original)
    }

    /// Every truncation and a flipped byte in each header field: the index is set aside and
    /// pods.json skimmed, without a crash or a wrong answer.
    @Test func aDamagedIndexIsSetAsideNeverTrusted() throws {
        let index = try Self.index(of: Self.podsText)
        for length in stride(from: 0, to: index.count, by: 7) {
            let cluster = try Self.cluster(pods: Self.podsText, index: Array(index.prefix(length)))
            #expect(cluster.pods.prebuilt == nil, "truncated to \(length)")
            #expect(cluster.pod(namespace: "ns", name: "plain")?.podIPs == [IPAddress("10.0.0.1")!])
        }
        // The magic, the version, the size, the time with the content hash, the body's hash,
        // the count, an entry, the last byte.
        for offsets in [[0], [8], [12], [20, 36], [28, 40], [44], [52], [70], [index.count - 1]] {
            var damaged = index
            for offset in offsets { damaged[offset] ^= 0xFF }
            #expect(try Self.cluster(pods: Self.podsText, index: damaged).pods.prebuilt == nil, "bytes \(offsets)")
        }
        var extended = index
        extended.append(0)
        #expect(try Self.cluster(pods: Self.podsText, index: extended).pods.prebuilt == nil, "trailing bytes")
    }

    /// Damage anywhere (bytes flipped at random, reproducibly): the index is set aside, or (the
    /// damage hit only its record of pods.json's time) answers every lookup as the skim does.
    @Test func randomDamageIsSetAsideOrHarmless() throws {
        let skimmed = try Self.cluster(pods: Self.podsText, index: nil)
        let index = try Self.index(of: Self.podsText)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let addresses = ["10.0.0.1", "10.0.0.3", "10.0.0.6", "fd00::3", "192.168.0.1", "10.9.9.9"].compactMap(IPAddress.init)
        var accepted = 0
        for _ in 0..<300 {
            var damaged = index
            for _ in 0..<(1 + next() % 4) { damaged[next() % damaged.count] ^= UInt8(truncatingIfNeeded: 1 + next() % 255) }
            let cluster = try Self.cluster(pods: Self.podsText, index: damaged)
            guard cluster.pods.isFromIndex else { continue }
            for (namespace, name) in [("ns", "plain"), ("ns", "café"), ("", "no-namespace"), ("x", "y")] {
                #expect(cluster.pod(namespace: namespace, name: name) == skimmed.pod(namespace: namespace, name: name))
            }
            for address in addresses { #expect(cluster.ipCache.owner(of: address) == skimmed.ipCache.owner(of: address)) }
            #expect(cluster.pods.qualifiedNames == skimmed.pods.qualifiedNames)
            #expect(cluster.pods(onNode: "n1") == skimmed.pods(onNode: "n1"))
            #expect(cluster.namespaces.keys.sorted() == skimmed.namespaces.keys.sorted())
            accepted += 1
        }
        #expect(accepted < 20, "only damage to the recorded time may leave the index in use")
    }

    /// Forged: an index of one pods.json stamped as another of the same size. A pod read from
    /// pods.json that is not the one the index names is an error naming the index, not a wrong
    /// pod. (Names kept as bytes of the file follow the file; an escaped one the index holds.)
    @Test func aPodThatIsNotTheIndexsIsAnErrorNamingTheIndex() throws {
        let renamed = Self.podsText.replacingOccurrences(of: #"caf\u00e9"#, with: #"caf\u00e8"#)
        #expect(renamed != Self.podsText && renamed.utf8.count == Self.podsText.utf8.count)
        let cluster = try Self.cluster(pods: renamed, index: Self.index(of: Self.podsText))
        #expect(cluster.pods.prebuilt != nil)
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.2")!) == nil)
        #expect(cluster.pod(namespace: "ns", name: "café") == nil)
        let failure = try #require(cluster.decodeFailures.first)
        #expect(failure.source == "k8s/pods.index")
        #expect(failure.description.contains("ns/cafè") && failure.description.contains("skoop index"), "\(failure)")
        #expect(cluster.pod(namespace: "ns", name: "crème") != nil, "the other pods are still found")
    }

    /// Forged with a valid hash: an address moved to another pod. pods.json has the last word:
    /// the pod the index names does not hold the address, so the lookup reports the index.
    @Test func aPodThatDoesNotHoldTheAddressIsAnErrorNamingTheIndex() throws {
        var index = try Self.index(of: Self.podsText)
        func key(_ address: String, _ position: UInt64) -> [UInt8] {
            guard case .v4(let v4) = IPAddress(address)! else { return [] }
            return withUnsafeBytes(of: (UInt64(v4.value) << 32 | position).littleEndian, Array.init)
        }
        let original = key("10.0.0.6", 5), forged = key("10.0.0.7", 5)
        let at = try #require((0...(index.count - 8)).first { Array(index[$0..<($0 + 8)]) == original })
        index.replaceSubrange(at..<(at + 8), with: forged)
        let body = index[52...].withUnsafeBytes { ContentHash.xxh64($0) }
        index.replaceSubrange(44..<52, with: withUnsafeBytes(of: body.littleEndian, Array.init))
        let cluster = try Self.cluster(pods: Self.podsText, index: index)
        #expect(cluster.pods.isFromIndex)
        #expect(cluster.ipCache.pod(ip: IPAddress("10.0.0.7")!) == nil)
        let failure = try #require(cluster.decodeFailures.first)
        #expect(failure.source == "k8s/pods.index" && failure.description.contains("does not hold 10.0.0.7"), "\(failure)")
    }

    @Test func namesHashTheSameInEveryRun() {
        // Fixed values: an index written by one run is read by another.
        var namespace = "team-39", name = "svc-02999-7d4b9c52f-qrsmx"
        let hash = namespace.withUTF8 { ns in name.withUTF8 { PodNameIndex.hash(ns, $0) } }
        #expect(hash == 0x5E5D_679A, "\(String(hash, radix: 16))")
        var swapped = "team-39/svc-02999-7d4b9c52f-qrsmx", empty = ""
        #expect(hash != swapped.withUTF8 { whole in empty.withUTF8 { PodNameIndex.hash($0, whole) } })
    }
}
