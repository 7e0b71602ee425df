import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

@Suite("ipset save parser and membership")
struct IPSetTests {
    func fields(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, proto: UInt8 = 6) -> IPSetPacketFields {
        IPSetPacketFields(src: IPAddress(src)!, dst: IPAddress(dst)!, sport: sport, dport: dport, proto: proto)
    }

    @Test("the lab's KUBE-CLUSTER-IP hash:ip,port set")
    func labSet() throws {
        let sets = try IPSetParser.parse(try Fixtures.text("lab-basic/nodes/node1/netns/host/ipset.txt"), source: "ipset.txt")
        let set = try #require(sets.sets["KUBE-CLUSTER-IP"])
        #expect(set.type == .hashIPPort)
        #expect(set.family == .inet)
        #expect(set.members.count == 2)
        #expect(set.options.contains("comment"))
        let packet = fields("10.244.1.3", 40000, "10.96.0.10", 80)
        #expect(sets.contains(packet, inSet: "KUBE-CLUSTER-IP", flags: [.destination, .destination]) == true)
        #expect(sets.contains(packet, inSet: "KUBE-CLUSTER-IP", flags: [.source, .destination]) == false)
        #expect(sets.contains(fields("10.244.1.3", 40000, "10.96.0.10", 80, proto: 17), inSet: "KUBE-CLUSTER-IP",
                              flags: [.destination, .destination]) == false)
        #expect(sets.contains(fields("10.244.1.3", 40000, "10.96.0.10", 81), inSet: "KUBE-CLUSTER-IP",
                              flags: [.destination, .destination]) == false)
        #expect(sets.contains(packet, inSet: "NO-SUCH-SET", flags: [.destination]) == nil)
    }

    @Test("hash:net with nomatch, from a real ipset save")
    func hashNetNomatch() throws {
        let sets = try IPSetParser.parse(capturedIPSetSave, source: "captured")
        #expect(sets.sets["KUBE-Y"]?.type == .hashNet)
        #expect(sets.contains(fields("1.1.1.1", 1, "10.2.0.1", 2), inSet: "KUBE-Y", flags: [.destination]) == true)
        #expect(sets.contains(fields("1.1.1.1", 1, "10.1.0.1", 2), inSet: "KUBE-Y", flags: [.destination]) == false)
        #expect(sets.contains(fields("10.2.0.1", 1, "11.0.0.1", 2), inSet: "KUBE-Y", flags: [.destination]) == false)
        #expect(sets.contains(fields("10.2.0.1", 1, "11.0.0.1", 2), inSet: "KUBE-Y", flags: [.source]) == true)
        #expect(sets.contains(fields("9.9.9.9", 1, "10.96.0.10", 53, proto: 17), inSet: "KUBE-X", flags: [.destination, .destination]) == true)
    }

    @Test("hash:ip, hash:ip,port,ip, hash:ip,port,net, bitmap:port, list:set and an unknown type")
    func otherTypes() throws {
        let text = """
        create A hash:ip family inet hashsize 1024 maxelem 65536
        add A 10.0.0.1
        create LB hash:ip,port,ip family inet
        add LB 10.0.0.1,tcp:80,10.0.0.9
        create NET hash:ip,port,net family inet
        add NET 10.0.0.1,udp:53,10.9.0.0/16
        create PORTS bitmap:port range 0-1024
        add PORTS 22
        create LIST list:set size 8
        add LIST A
        add LIST PORTS
        create ODD hash:ip,mark family inet
        add ODD 10.0.0.1,0x10
        create SIX hash:ip family inet6
        add SIX fd00::1
        """
        let sets = try IPSetParser.parse(text, source: "t")
        #expect(sets.contains(fields("10.0.0.1", 1, "2.2.2.2", 2), inSet: "A", flags: [.source]) == true)
        #expect(sets.contains(fields("10.0.0.2", 1, "2.2.2.2", 2), inSet: "A", flags: [.source]) == false)
        #expect(sets.contains(fields("10.0.0.9", 1, "10.0.0.1", 80), inSet: "LB", flags: [.destination, .destination, .source]) == true)
        #expect(sets.contains(fields("10.0.0.8", 1, "10.0.0.1", 80), inSet: "LB", flags: [.destination, .destination, .source]) == false)
        #expect(sets.contains(fields("10.9.3.3", 1, "10.0.0.1", 53, proto: 17), inSet: "NET", flags: [.destination, .destination, .source]) == true)
        #expect(sets.contains(fields("10.8.3.3", 1, "10.0.0.1", 53, proto: 17), inSet: "NET", flags: [.destination, .destination, .source]) == false)
        #expect(sets.contains(fields("1.1.1.1", 5, "2.2.2.2", 22), inSet: "PORTS", flags: [.destination]) == true)
        #expect(sets.contains(fields("1.1.1.1", 5, "2.2.2.2", 22, proto: 17), inSet: "PORTS", flags: [.destination]) == true)
        #expect(sets.contains(fields("1.1.1.1", 5, "2.2.2.2", 23), inSet: "PORTS", flags: [.destination]) == false)
        #expect(sets.contains(fields("10.0.0.1", 5, "2.2.2.2", 99), inSet: "LIST", flags: [.source]) == true)
        #expect(sets.contains(fields("1.1.1.1", 5, "2.2.2.2", 22), inSet: "LIST", flags: [.destination]) == true)
        #expect(sets.contains(fields("1.1.1.1", 5, "2.2.2.2", 99), inSet: "LIST", flags: [.destination]) == false)
        #expect(sets.sets["ODD"]?.type == .other("hash:ip,mark"))
        #expect(sets.contains(fields("10.0.0.1", 5, "2.2.2.2", 99), inSet: "ODD", flags: [.source, .source]) == nil)
        #expect(sets.sets["SIX"]?.family == .inet6)
        let v6 = IPSetPacketFields(src: IPAddress("fd00::1")!, dst: IPAddress("fd00::2")!, sport: 1, dport: 2, proto: 6)
        #expect(sets.contains(v6, inSet: "SIX", flags: [.source]) == true)
        // Fewer flags than dimensions never match (the kernel rejects such rules).
        #expect(sets.contains(fields("10.9.3.3", 1, "10.0.0.1", 53, proto: 17), inSet: "NET", flags: [.destination]) == false)
    }

    @Test("malformed ipset lines", arguments: [
        ("add A 10.0.0.1\n", 1, "created earlier"),
        ("create A hash:ip\nadd A notanaddress\n", 2, "hash:ip member"),
        ("create A hash:ip,port\nadd A 10.0.0.1\n", 2, "hash:ip,port member"),
        ("create A hash:ip\ncreate A hash:ip\n", 2, "once"),
        ("destroy A now\n", 1, "create or add"),
        ("create A\n", 1, "create NAME TYPE"),
    ])
    func malformed(text: String, line: Int, expected: String) {
        do {
            _ = try IPSetParser.parse(text, source: "s.txt")
            Issue.record("expected an InputError")
        } catch let error as InputError {
            #expect(error.line == line)
            #expect(error.source == "s.txt")
            #expect(error.expected.contains(expected))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
