import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// Every parser refuses bad input with an InputError naming the source and line, never crashing.
@Suite struct IPRoute2MalformedInputTests {
    /// Each parser under one name, reduced to "parse this text".
    static let parsers: [(String, @Sendable (Data, String) throws -> Int)] = [
        ("link", { try NetInterface.parse($0, source: $1).count }),
        ("addr", { try InterfaceAddress.parse($0, source: $1).count }),
        ("route", { try Route.parse($0, source: $1).count }),
        ("rule", { try PolicyRule.parse($0, source: $1).count }),
        ("neigh", { try Neighbor.parse($0, source: $1).count }),
        ("fdb", { try FDBEntry.parse($0, source: $1).count }),
    ]

    func error(_ text: String, parser: Int) -> InputError? {
        let (name, parse) = Self.parsers[parser]
        do {
            _ = try parse(Data(text.utf8), "\(name).json")
            return nil
        } catch let error as InputError {
            return error
        } catch {
            return nil
        }
    }

    @Test(arguments: 0..<6) func emptyInput(parser: Int) throws {
        let error = try #require(self.error("", parser: parser))
        #expect(error.source == "\(Self.parsers[parser].0).json" && error.line == 1)
        #expect(error.found == "empty input")
        let blank = try #require(self.error("\n\n  \n", parser: parser))
        #expect(blank.line == 1 && blank.found == "empty input")
    }

    @Test(arguments: 0..<6) func truncatedInput(parser: Int) throws {
        let error = try #require(self.error("[\n{\"ifindex\": 1,\n \"ifname\": \"lo", parser: parser))
        #expect(error.line == 3 && error.expected == "a closing '\"'" && error.found == "end of input")
        let cut = try #require(self.error("[{\"a\": 1},\n", parser: parser))
        #expect(cut.line == 2 && cut.expected == "a JSON value")
    }

    @Test(arguments: 0..<6) func garbageAndWrongTopLevel(parser: Int) throws {
        let garbage = try #require(self.error("[]\nRTNETLINK answers: Invalid argument", parser: parser))
        #expect(garbage.line == 2 && garbage.expected == "the end of the JSON document")
        #expect(garbage.found == "RTNETLINK answers: Invalid argument")
        let object = try #require(self.error("{\"dst\": \"default\"}", parser: parser))
        #expect(object.line == 1 && object.expected.hasPrefix("a JSON array of") && object.found == "an object")
        let notObjects = try #require(self.error("[1, 2]", parser: parser))
        #expect(notObjects.expected.contains(" 0 of a JSON array of"))
        let binary = try #require(self.error("\u{1}\u{2}\u{7f}", parser: parser))
        #expect(binary.line == 1)
        let deep = try #require(self.error(String(repeating: "[", count: 100_000), parser: parser))
        #expect(deep.expected.contains("nested at most"))
    }

    @Test(arguments: 0..<6) func emptyArrayIsFine(parser: Int) throws {
        #expect(try Self.parsers[parser].1(Data("[]\n".utf8), "x") == 0)
    }

    @Test func missingRequiredFieldNamesTheElement() throws {
        let routes = "[\n{\"dst\": \"default\", \"dev\": \"eth0\"},\n{\"dev\": \"eth0\", \"flags\": []}\n]"
        let error = try #require(self.error(routes, parser: 2))
        #expect(error.source == "route.json" && error.line == 3)
        #expect(error.expected == "a destination in \"dst\" of route 1" && error.found == "no \"dst\"")
        let link = try #require(self.error("[{\"ifname\": \"lo\"}]", parser: 0))
        #expect(link.expected == "an integer in \"ifindex\" of interface 0")
        let rule = try #require(self.error("[{\"priority\": 5, \"src\": \"all\"}]", parser: 3))
        #expect(rule.expected.hasPrefix("a table, a goto or an action"))
        let neigh = try #require(self.error("[{\"dev\": \"eth0\"}]", parser: 4))
        #expect(neigh.expected == "an IP address in \"dst\" of neighbour 0")
        let fdb = try #require(self.error("[{\"mac\": \"aa:bb:cc:dd:ee:ff\"}]", parser: 5))
        #expect(fdb.expected == "a string in \"ifname\" of entry 0")
    }

    @Test func wrongTypesAreNamed() throws {
        let link = try #require(self.error("[{\"ifindex\": \"one\", \"ifname\": \"lo\"}]", parser: 0))
        #expect(link.expected == "an integer in \"ifindex\" of interface 0" && link.found == "\"one\"")
        let mtu = try #require(self.error("[{\"ifindex\": 1, \"ifname\": \"lo\", \"mtu\": 1.5}]", parser: 0))
        #expect(mtu.found == "1.5")
        let flags = try #require(self.error("[{\"ifindex\": 1, \"ifname\": \"lo\", \"flags\": [1]}]", parser: 0))
        #expect(flags.expected == "an array of strings in \"flags\" of interface 0")
        let gateway = try #require(self.error("[{\"dst\": \"default\", \"gateway\": \"10.0.0.300\"}]", parser: 2))
        #expect(gateway.expected == "an IP address in \"gateway\" of route 0" && gateway.found == "\"10.0.0.300\"")
        let type = try #require(self.error("[{\"type\": \"teleport\", \"dst\": \"default\"}]", parser: 2))
        #expect(type.expected.hasPrefix("a route type"))
        let mark = try #require(self.error("[{\"priority\": 1, \"fwmark\": \"0xZZ\", \"table\": \"main\"}]", parser: 3))
        #expect(mark.expected.hasPrefix("a 32-bit number"))
        let prefix = try #require(self.error("[{\"ifindex\": 1, \"ifname\": \"lo\", \"addr_info\": [{\"family\": \"inet\", \"local\": \"10.0.0.1\", \"prefixlen\": 40}]}]", parser: 1))
        #expect(prefix.expected == "a prefix length in \"prefixlen\" of interface 0 address 0")
        let hop = try #require(self.error("[{\"dst\": \"10.0.0.0/8\", \"nexthops\": [{\"gateway\": 7}]}]", parser: 2))
        #expect(hop.expected == "a string in \"gateway\" of route 0 nexthop 0")
    }

    @Test func unknownFieldsAreIgnoredAndDescriptionIsOneLine() throws {
        let routes = try Route.parse(Data(#"[{"dst":"10.0.0.0/8","dev":"eth0","future":{"x":[1,2,{"y":null}]},"flags":[]}]"#.utf8),
                                     source: "r")
        #expect(routes.count == 1 && routes[0].dev == "eth0")
        let error = InputError(source: "ip-route.json", line: 3, expected: "a destination in \"dst\" of route 1", found: "no \"dst\"")
        #expect(error.description == "ip-route.json:3: expected a destination in \"dst\" of route 1, found \"no \"dst\"\"")
    }
}

/// Every truncation of every real capture is refused with an error on a real line, never a crash.
@Suite struct IPRoute2TruncationTests {
    static let files = ["ip-link.json", "ip-addr.json", "ip-route.json", "ip-rule.json", "ip-neigh.json", "bridge-fdb.json"]

    @Test(arguments: 0..<6) func everyPrefixOfACaptureFails(parser: Int) throws {
        let path = "lab-basic/nodes/node1/netns/host/" + Self.files[parser]
        let whole = try Fixtures.data(path)
        let parse = IPRoute2MalformedInputTests.parsers[parser].1
        #expect(try parse(whole, path) > 0)
        let pretty = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: whole), options: .prettyPrinted)
        let lineCount = pretty.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        for input in [whole, pretty] {
            // A trailing newline may be cut away without changing the document.
            let body = input.last == UInt8(ascii: "\n") ? input.dropLast() : input[...]
            for length in stride(from: 0, to: body.count, by: max(1, body.count / 300)) {
                do {
                    _ = try parse(Data(body.prefix(length)), path)
                    Issue.record("a truncation to \(length) bytes parsed")
                } catch let error as InputError {
                    #expect(error.source == path && (1...lineCount).contains(error.line ?? 0), "\(error)")
                }
            }
        }
    }
}
