import Foundation
import SkoopModel
@testable import SkoopNetstack
import SkoopTestSupport
import Testing

/// The fast path of the route, neighbour and FDB parsers reads what the strict JSON reader
/// reads, value for value, and leaves everything else (and every error) to it.
@Suite struct IPRoute2FastPathTests {
    /// One parser three ways: `fast` is nil when the fast path gave up, `strict` reads a JSON tree,
    /// `parse` is the public parser its callers see.
    struct Reader: Sendable {
        var fast: @Sendable (Data) -> [AnyHashable]?
        var strict: @Sendable (Data) throws(InputError) -> [AnyHashable]
        var parse: @Sendable (Data) throws(InputError) -> [AnyHashable]
    }

    static func routes(_ family: AddressFamily) -> Reader {
        Reader(fast: { Route.parseFlat($0, context: family) },
               strict: { (data) throws(InputError) in try Route.parseStrictly(data, source: "t.json", context: family) },
               parse: { (data) throws(InputError) in try Route.parse(data, source: "t.json", family: family) })
    }
    static let neighbours = Reader(
        fast: { Neighbor.parseFlat($0, context: ()) },
        strict: { (data) throws(InputError) in try Neighbor.parseStrictly(data, source: "t.json", context: ()) },
        parse: { (data) throws(InputError) in try Neighbor.parse(data, source: "t.json") })
    static let fdb = Reader(
        fast: { FDBEntry.parseFlat($0, context: ()) },
        strict: { (data) throws(InputError) in try FDBEntry.parseStrictly(data, source: "t.json", context: ()) },
        parse: { (data) throws(InputError) in try FDBEntry.parse(data, source: "t.json") })

    /// Checks that the public parser gives exactly what the strict reader gives; true when the fast path took it.
    @discardableResult
    static func expectSameAsStrict(_ reader: Reader, _ data: Data, _ comment: String) -> Bool {
        let strict = Result { () throws(InputError) in try reader.strict(data) }
        let fast = reader.fast(data)
        if let fast { #expect(.success(fast) == strict, "\(comment)") }
        switch (Result { () throws(InputError) in try reader.parse(data) }, strict) {
        case (.success(let values), .success(let expected)): #expect(values == expected, "\(comment)")
        case (.failure(let error), .failure(let expected)): #expect(error.description == expected.description, "\(comment)")
        case (let got, let expected): Issue.record("\(comment): \(got) but strictly \(expected)")
        }
        return fast != nil
    }

    @Test func everyFixtureReadsTheSameBothWays() throws {
        let readers = ["ip-route.json": Self.routes(.inet), "ip-route6.json": Self.routes(.inet6),
                       "ip-neigh.json": Self.neighbours, "bridge-fdb.json": Self.fdb]
        let files = try #require(FileManager.default.enumerator(at: Fixtures.root, includingPropertiesForKeys: nil))
        var checked = 0
        var fast = 0
        for case let url as URL in files {
            guard let reader = readers[url.lastPathComponent] else { continue }
            if Self.expectSameAsStrict(reader, try Data(contentsOf: url), url.path) { fast += 1 }
            checked += 1
        }
        #expect(checked >= 100)
        // Real captures are flat apart from multipath routes: most of them go the fast way.
        #expect(fast * 2 > checked)
    }

    /// Tables shaped like a 5,000-node flannel cluster's.
    static func bigTables(_ count: Int) -> (routes: Data, neighbours: Data, fdb: Data) {
        var routes: [String] = []
        var neighbours: [String] = []
        var fdb: [String] = []
        for index in 0..<count {
            let (high, low) = (index / 250, index % 250)
            routes.append(#"{"dst":"10.64.\#(index % 256).0/24","gateway":"10.64.\#(index % 256).0","dev":"flannel.1","flags":["onlink"]}"#)
            neighbours.append(#"{"dst":"10.\#(high).\#(low).2","dev":"cni0","lladdr":"3a:04:00:00:\#(String(format: "%02x:%02x", high, low))","state":["\#(index % 3 == 0 ? "STALE" : "REACHABLE")"]}"#)
            fdb.append(#"{"mac":"0e:01:00:00:\#(String(format: "%02x:%02x", high, low))","ifname":"flannel.1","dst":"172.20.\#(high).\#(low)","flags":["self"],"state":"permanent"}"#)
        }
        routes.append(#"{"dst":"default","gateway":"172.20.0.1","dev":"eth0","protocol":"dhcp","metric":100,"flags":[]}"#)
        routes.append(#"{"type":"local","dst":"10.64.0.1","dev":"cni0","table":"local","protocol":"kernel","scope":"host","prefsrc":"10.64.0.1","flags":[]}"#)
        routes.append(#"{"dst":"fd00::/64","dev":"eth0","protocol":"kernel","metric":256,"pref":"medium","flags":["linkdown","onlink"]}"#)
        func array(_ items: [String]) -> Data { Data(("[" + items.joined(separator: ",") + "]\n").utf8) }
        return (array(routes), array(neighbours), array(fdb))
    }

    @Test func bigTablesGoTheFastWayWithTheSameValues() throws {
        let tables = Self.bigTables(5_000)
        for (name, reader, data) in [("routes", Self.routes(.inet), tables.routes), ("neighbours", Self.neighbours, tables.neighbours),
                                     ("fdb", Self.fdb, tables.fdb)] {
            let fast = try #require(reader.fast(data), "\(name)")
            #expect(fast.count >= 5_000)
            #expect(Self.expectSameAsStrict(reader, data, name))
        }
        let routes = try Route.parse(tables.routes, source: "r")
        #expect(routes[3].description == "10.64.3.0/24 via 10.64.3.0 dev flannel.1 onlink")
        #expect(routes.last?.family == .inet6 && routes.last?.flags == ["linkdown", "onlink"])
        #expect(routes[routes.count - 3].metric == 100 && routes[routes.count - 2].scope == .host)
        let neighbours = try Neighbor.parse(tables.neighbours, source: "n")
        #expect(neighbours[1] == Neighbor(destination: IPAddress("10.0.1.2")!, dev: "cni0", lladdr: "3a:04:00:00:00:01"))
        #expect(neighbours[0].states == ["STALE"])
        let fdb = try FDBEntry.parse(tables.fdb, source: "f")
        #expect(fdb[251] == FDBEntry(mac: "0e:01:00:00:01:01", ifname: "flannel.1", dst: IPAddress("172.20.1.1"),
                                     state: "permanent", flags: ["self"]))
    }

    /// Inputs inside the fast path's subset that the strict reader accepts.
    static let flatInputs: [(Reader, String)] = [
        (routes(.inet), " \r\n[ {\r\n \"dst\" : \"10.0.0.0/8\" ,\t\"dev\":\"eth0\", \"flags\" : [ \"onlink\" , \"dead\" ] } ] \n"),
        // JSONValue's subscript takes the last of repeated keys.
        (routes(.inet), #"[{"dst":"10.0.0.1","dst":"10.0.0.2/31","dev":"a","dev":null,"metric":-0,"metric":7}]"#),
        (routes(.inet), "[{\"dst\":\"default\",\"future\":[],\"x\":true,\"y\":false,\"z\":null,\"n\":-12,\"s\":\"\u{7f}~\"}]"),
        (routes(.inet6), #"[{"dst":"default","via":null,"nexthops":null,"tos":"0X1f","metric":4294967295}]"#),
        (routes(.inet), #"[{"dst":"default","nexthops":[],"tos":16,"table":"100","scope":"253","type":"throw"}]"#),
        (routes(.inet), "[]"),
        // More keys than the member table first holds, and than its 64-bit index tells apart.
        (routes(.inet), "[{" + (0..<80).map { "\"k\($0)\":\($0)," }.joined() + #""":"","dst":"10.1.2.0/24","dev":"eth1"}]"#),
        (neighbours, #"[{"dst":"fe80::1","dev":"eth0","router":null,"proxy":false,"state":"PERMANENT"},{"dst":"10.0.0.1"}]"#),
        (fdb, #"[{"mac":"aa:bb:cc:dd:ee:ff","ifname":"vx","vlan":10,"vni":-1,"master":null,"flags":"self"}]"#),
    ]

    @Test(arguments: 0..<flatInputs.count) func flatInputsStayOnTheFastWay(index: Int) {
        let (reader, text) = Self.flatInputs[index]
        #expect(Self.expectSameAsStrict(reader, Data(text.utf8), text))
    }

    /// Inputs outside the fast path's subset, valid or not: the strict reader decides, values and errors alike.
    static let leftToTheStrictReader: [(Reader, String)] = [
        (routes(.inet), #"[{"dst":"10.0.0.0/8","dev":"eth\u0030"}]"#),
        (routes(.inet), #"[{"dst":"10.0.0.0/8","dev":"eth0\\"}]"#),
        (routes(.inet), #"[{"dst":"10.0.0.0/8","dev":"éth0"}]"#),
        (routes(.inet), "[{\"dst\":\"10.0.0.0/8\",\"dev\":\"e\tth0\"}]"),
        (routes(.inet), #"[{"dst":"10.99.0.0/24","nexthops":[{"gateway":"192.168.56.1","dev":"ens4","weight":1}],"flags":[]}]"#),
        (routes(.inet), #"[{"dst":"10.99.0.0/24","nexthops":["x"]}]"#),
        (routes(.inet), #"[{"dst":"default","via":{"family":"inet6","host":"fe80::1"},"dev":"eth0"}]"#),
        (routes(.inet), #"[{"dst":"default","via":"fe80::1"}]"#),
        (routes(.inet), #"[{"dst":"default","gateway":"10.0.0.300"}]"#),
        (routes(.inet), #"[{"dst":"10.0.0.0/33"}]"#),
        (routes(.inet), #"[{"dst":"default","gateway":7}]"#),
        (routes(.inet), #"[{"dst":"default","metric":1.5}]"#),
        (routes(.inet), #"[{"dst":"default","metric":1e3}]"#),
        (routes(.inet), #"[{"dst":"default","metric":01}]"#),
        (routes(.inet), #"[{"dst":"default","metric":-1}]"#),
        (routes(.inet), #"[{"dst":"default","metric":99999999999999999999}]"#),
        (routes(.inet), #"[{"dst":"default","metric":-9223372036854775809}]"#),
        (routes(.inet), #"[{"dst":"default","tos":"0x100"}]"#),
        (routes(.inet), #"[{"dst":"default","tos":"16x"}]"#),
        (routes(.inet), #"[{"dst":"default","flags":[1]}]"#),
        (routes(.inet), #"[{"dst":"default","flags":true}]"#),
        (routes(.inet), #"[{"type":"teleport","dst":"default"}]"#),
        (routes(.inet), #"[{"dst":"default","scope":"galaxy"}]"#),
        (routes(.inet), #"[{"dev":"eth0","flags":[]}]"#),
        (routes(.inet), #"[{"dst":"default"},{}]"#),
        (routes(.inet), "[\n{\"dst\": \"default\",\n \"dev\": \"lo"),
        (routes(.inet), "[{\"dst\": \"default\"},\n"),
        (routes(.inet), "[]\nRTNETLINK answers: Invalid argument"),
        (routes(.inet), #"[{"dst":"default"}]]"#),
        (routes(.inet), #"[{"dst":"default"},]"#),
        (routes(.inet), #"[{"dst":"default",}]"#),
        (routes(.inet), #"[{"dst" "default"}]"#),
        (routes(.inet), #"[{"dst":"default"} {"dst":"default"}]"#),
        (routes(.inet), #"[{"dst":"default","x":tru}]"#),
        (routes(.inet), #"[{"dst":"default","x":nulls}]"#),
        (routes(.inet), #"[{"dst":"default","x":-}]"#),
        (routes(.inet), #"{"dst":"default"}"#),
        (routes(.inet), "[1, 2]"),
        (routes(.inet), ""),
        (routes(.inet), "\u{FEFF}[]"),
        (neighbours, #"[{"dev":"eth0"}]"#),
        (neighbours, #"[{"dst":"10.0.0.1","dev":"eth0","state":["REACHABLE",null]}]"#),
        (neighbours, #"[{"dst":"10.0.0.1","lladdr":{"a":1}}]"#),
        (neighbours, #"[{"dst":"10.0.0.1","dev":["eth0"]}]"#),
        (fdb, #"[{"mac":"aa:bb:cc:dd:ee:ff"}]"#),
        (fdb, #"[{"mac":"aa:bb:cc:dd:ee:ff","ifname":"vx","dst":"not-an-ip"}]"#),
        (fdb, #"[{"mac":"aa:bb:cc:dd:ee:ff","ifname":"vx","vlan":"10"}]"#),
        (fdb, #"[{"mac":"aa:bb:cc:dd:ee:ff","ifname":"vx","state":["permanent"]}]"#),
    ]

    @Test(arguments: 0..<leftToTheStrictReader.count) func otherInputsAreTheStrictReadersToJudge(index: Int) {
        let (reader, text) = Self.leftToTheStrictReader[index]
        #expect(reader.fast(Data(text.utf8)) == nil, "\(text)")
        Self.expectSameAsStrict(reader, Data(text.utf8), text)
    }

    @Test func aSliceOfABiggerBufferReadsTheSame() throws {
        let text = Data(#"xx[{"dst":"10.1.0.0/16","dev":"eth0","flags":[]}]"#.utf8)
        let slice = text.dropFirst(2)
        let routes = try #require(Route.parseFlat(slice, context: .inet))
        #expect(routes == [Route(destination: IPPrefix("10.1.0.0/16")!, dev: "eth0")])
    }
}
