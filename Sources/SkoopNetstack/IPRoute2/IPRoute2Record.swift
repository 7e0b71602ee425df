import Foundation
import SkoopModel

/// A value made from each object of an iproute2 JSON array (a route, a neighbour, an FDB entry).
/// Its one generic initialiser serves both readers: the flat fast path first, and the strict
/// JSON tree when the fast path gives up, so values and errors are the strict reader's.
protocol IPRoute2Record {
    /// What every element needs besides itself, e.g. the family of "default" routes.
    associatedtype Context = Void
    /// The whole input as errors describe it: "a JSON array of routes (ip -j route show)".
    static var arrayDescription: String { get }
    /// One element as errors name it: "route" (then "route 3 of ...").
    static var elementName: String { get }

    init<Fields: IPRoute2Fields>(_ e: Fields, context: Context) throws(Fields.Failure)
}

extension IPRoute2Record {
    /// Every element of `data`: the fast path when it can read them, else the strict reader.
    static func parseRecords(_ data: Data, source: String, context: Context) throws(InputError) -> [Self] {
        if let records = parseFlat(data, context: context) { return records }
        return try parseStrictly(data, source: source, context: context)
    }

    /// The fast path: nil when `data` is anything but an array of flat objects of plain values,
    /// or when any element would fail (the strict reader then says why, and where).
    static func parseFlat(_ data: Data, context: Context) -> [Self]? {
        FlatJSONScanner.decodeArray(data) { e throws(FlatGiveUp) in try Self(e, context: context) }
    }

    /// The strict reader: a whole JSON tree, whose errors name the line and the element.
    static func parseStrictly(_ data: Data, source: String, context: Context) throws(InputError) -> [Self] {
        let elements = try IPRoute2Element.elements(
            of: data, source: source, expected: arrayDescription, element: elementName)
        var result: [Self] = []
        result.reserveCapacity(elements.count)
        for e in elements { result.append(try Self(e, context: context)) }
        return result
    }
}
