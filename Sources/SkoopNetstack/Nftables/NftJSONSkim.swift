import Foundation
import SkoopModel

extension NftJSONParser {
    /// Reads nft.json's structure as a diagnosis needs it, leaving rules undecoded: tables,
    /// chains (with their hooks), sets and maps are decoded now; each rule is only located (its
    /// family, table and chain read from the skim) and decoded when its chain is first walked
    /// (``NftChain/decodedRules``). kube-proxy's file holds 110,000 chains and 90 MB of rules at
    /// 10,000 services, of which a diagnosis walks a few dozen chains.
    ///
    /// Whatever is wrong outside rules gives the error the full decoder gives (the file is then
    /// read by it). A malformed rule is met when its chain is decoded, with the full decoder's
    /// error for that item; a rule no packet reaches is never read (`skoop inspect` decodes
    /// everything, as iptables dumps are scanned and validated).
    public static func skim(_ bytes: SharedBytes, source: String) throws(InputError) -> NftRuleset {
        if let ruleset = skimmed(bytes, source: source) { return try ruleset.get() }
        return try parse(bytes, source: source)
    }

    /// What the file must be, in errors about its whole shape (as the strict read words them).
    static let documentShape = "nft -j list ruleset output ({\"nftables\": [...]})"

    /// Captured from each item: a rule's place, a chain's declaration (fields by number).
    private enum Field {
        static let ruleFamily = 0, ruleTable = 1, ruleChain = 2
        static let chainFamily = 3, chainTable = 4, chainName = 5, chainHandle = 6, chainHook = 7
    }

    private static let pick = JSONPick.members([
        ("rule", .members([("family", .capture(Field.ruleFamily)), ("table", .capture(Field.ruleTable)),
                           ("chain", .capture(Field.ruleChain))])),
        ("chain", .members([("family", .capture(Field.chainFamily)), ("table", .capture(Field.chainTable)),
                            ("name", .capture(Field.chainName)), ("handle", .capture(Field.chainHandle)),
                            ("hook", .capture(Field.chainHook))])),
    ])

    /// The skimmed ruleset; nil when anything outside rules is amiss (the full decoder words it).
    static func skimmed(_ bytes: SharedBytes, source: String) -> Result<NftRuleset, InputError>? {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        guard bytes.count < Int(UInt32.max),
              let skim = try? JSONListSkim.skim(bytes, source: source, listMember: "nftables", pick: pick,
                                                 threads: threads, splittingAbove: 8 << 20),
              onlyTheList(bytes.buffer, skim) else { return nil }
        let buffer = bytes.buffer
        var builder = Builder(source: source)
        // Rule items by chain: one group per run of consecutive rules of one chain (nft lists a
        // chain's rules together), compared byte for byte with the run's first rule.
        var groups: [(table: Int, chain: String, items: [NftRuleItem])] = []
        var runPlace: (family: Range<Int>, table: Range<Int>, chain: Range<Int>)?
        for index in skim.itemOffsets.indices {
            var found = [Range<Int>?](repeating: nil, count: 8)
            var mismatch = false
            for capture in skim.captures(ofItem: index) {
                if capture.field == JSONCapture.mismatch { mismatch = true } else { found[capture.field] = capture.range }
            }
            let isRule = found[Field.ruleFamily] != nil || found[Field.ruleTable] != nil || found[Field.ruleChain] != nil
            let isChain = found[Field.chainFamily] != nil || found[Field.chainName] != nil || found[Field.chainHook] != nil
            let item = NftRuleItem(index: Int32(index), start: UInt32(skim.itemOffsets[index]), end: UInt32(skim.itemEnds[index]))
            if isRule, !isChain, !mismatch, let family = found[Field.ruleFamily], let table = found[Field.ruleTable],
               let chain = found[Field.ruleChain] {
                if let run = runPlace, equal(buffer, run.family, family), equal(buffer, run.table, table),
                   equal(buffer, run.chain, chain) {
                    groups[groups.count - 1].items.append(item)
                    continue
                }
                guard let familyName = string(bytes, family), let nftFamily = NftFamily(rawValue: familyName),
                      let tableName = string(bytes, table), let chainName = string(bytes, chain) else { return nil }
                // Placed as the full decoder places a rule: its chain made where first named.
                builder.append([], nftFamily, tableName, chainName)
                groups.append((builder.table(nftFamily, tableName), chainName, [item]))
                runPlace = (family, table, chain)
                continue
            }
            runPlace = nil
            // Everything else is checked and decoded now, as the full decoder does.
            let range = skim.itemOffsets[index]..<skim.itemEnds[index]
            guard let span = JSONSpan.checked(buffer, range, depth: 2) else { return nil }
            if isChain, !isRule, !mismatch, found[Field.chainHook] == nil, let member = span.firstMember,
               member.count == 1, member.key == "chain", let chain = plainChain(bytes, found) {
                builder.add(chain)
                continue
            }
            guard let decoded = try? NftJSONItem(span: span, index: index) else { return nil }
            builder.add(decoded)
        }
        var ruleset: NftRuleset
        do {
            ruleset = try builder.finish()
        } catch {
            return .failure(error)
        }
        builder = Builder(source: source)  // its tables are the ruleset's: not to be copied when changed
        NftSkimmedFile.attach(groups, to: &ruleset, bytes: bytes, source: source)
        return .success(ruleset)
    }

    /// A chain without a hook from its captured members, as ``NftJSONItem`` reads it; nil when
    /// any is not plainly a string (or the handle an integer): the item is then decoded.
    private static func plainChain(_ bytes: SharedBytes, _ found: [Range<Int>?]) -> NftJSONItem? {
        guard let familyRange = found[Field.chainFamily], let familyName = string(bytes, familyRange),
              let family = NftFamily(rawValue: familyName),
              let tableRange = found[Field.chainTable], let table = string(bytes, tableRange),
              let nameRange = found[Field.chainName], let name = string(bytes, nameRange) else { return nil }
        var handle: Int?
        if let handleRange = found[Field.chainHandle] {
            let digits = bytes.buffer[handleRange]
            guard !digits.isEmpty, digits.count < 19, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  digits.first != 0x30 || digits.count == 1 else { return nil }
            handle = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        return .chain(family: family, table: table, name: name, handle: handle, base: nil)
    }

    /// A captured string without escapes (else nil: the item is decoded in full).
    private static func string(_ bytes: SharedBytes, _ range: Range<Int>) -> String? {
        let buffer = bytes.buffer
        guard range.count >= 2, buffer[range.lowerBound] == UInt8(ascii: "\""),
              buffer[range.upperBound - 1] == UInt8(ascii: "\"") else { return nil }
        let inner = buffer[(range.lowerBound + 1)..<(range.upperBound - 1)]
        guard !inner.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: inner), as: UTF8.self)
    }

    private static func equal(_ buffer: UnsafeBufferPointer<UInt8>, _ lhs: Range<Int>, _ rhs: Range<Int>) -> Bool {
        lhs.count == rhs.count && memcmp(buffer.baseAddress! + lhs.lowerBound, buffer.baseAddress! + rhs.lowerBound, lhs.count) == 0
    }
}
