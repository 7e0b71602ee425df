import Testing
import SkoopModel
import SkoopNetstack
import SkoopTestSupport

/// Regression: "\r\n" is one Character in Swift, so splitting on "\n" read a CRLF file as a
/// single line — an iptables dump became one comment and silently lost every rule.
@Suite struct LineEndingTests {
    static let host = "lab-basic/nodes/node1/netns/host/"

    func crlf(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\r\n") }

    @Test func iptablesDumpWithCRLFReadsLikeLF() throws {
        let text = try Fixtures.text(Self.host + "iptables.txt")
        let lf = try IPTablesSaveParser.parse(text, source: "iptables.txt")
        let crlf = try IPTablesSaveParser.parse(crlf(text), source: "iptables.txt")
        #expect(lf.ruleset.tables.flatMap(\.chains).map(\.rules.count).reduce(0, +) > 10)
        #expect(crlf.ruleset == lf.ruleset)
    }

    @Test func ipsetDumpWithCRLFReadsLikeLF() throws {
        let text = try Fixtures.text(Self.host + "ipset.txt")
        let lf = try IPSetParser.parse(text, source: "ipset.txt")
        #expect(try IPSetParser.parse(crlf(text), source: "ipset.txt") == lf)
        #expect(lf.sets.values.contains { !$0.members.isEmpty })
    }

    @Test func lineOrientedParsersReadCRLFLikeLF() throws {
        let sysctl = try Fixtures.text(Self.host + "sysctl.txt")
        let parsed = try SysctlParser.parse(crlf(sysctl), source: "sysctl.txt")
        #expect(parsed == (try SysctlParser.parse(sysctl, source: "sysctl.txt")))
        #expect(parsed["net.ipv4.ip_forward"] == "1")
        let sockets = try Fixtures.text(Self.host + "sockets.txt")
        #expect(try SocketTableParser.parse(crlf(sockets), source: "sockets.txt") == (try SocketTableParser.parse(sockets, source: "sockets.txt")))
        let ipvs = try Fixtures.text("constructed-ipvs/ipvs.txt")
        let table = try IPVSParser.parse(crlf(ipvs), source: "ipvs.txt")
        let lfTable = try IPVSParser.parse(ipvs, source: "ipvs.txt")
        #expect(!table.services.isEmpty)
        #expect(table == lfTable)
    }

    @Test func anErrorAfterCRLFLinesNamesTheRightLine() {
        #expect(throws: InputError.self) { try IPSetParser.parse("create A hash:ip\r\nadd B 10.0.0.1\r\n", source: "ipset.txt") }
        do {
            _ = try IPSetParser.parse("create A hash:ip\r\nadd B 10.0.0.1\r\n", source: "ipset.txt")
        } catch let error as InputError {
            #expect(error.line == 2)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
