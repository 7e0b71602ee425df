import Foundation
import SkoopModel

extension NetworkPolicy {
    /// The NetworkPolicies of a manifest given as JSON: one NetworkPolicy, or a List of them
    /// (what `kubectl get -o json` prints). Other kinds are an error naming the kind found.
    public static func decodeManifest(json data: Data, source: String) throws(InputError) -> [NetworkPolicy] {
        let root = try DecodingContext.root(of: data, source: source, expectation: "a NetworkPolicy manifest")
        return try policies(in: root)
    }

    private static func policies(in node: JSONNode) throws(InputError) -> [NetworkPolicy] {
        let kind = try node["kind"].optionalString()
        switch kind {
        case "NetworkPolicy"?:
            return [try NetworkPolicy(json: node)]
        case "List"?, "NetworkPolicyList"?:
            var found: [NetworkPolicy] = []
            for item in try node["items"].array() { found += try policies(in: item) }
            return found
        default:
            throw node["kind"].error("kind: NetworkPolicy (or a List of them)")
        }
    }
}
