import DataspaceCore

/// How a node's did:web names its log and its witness key: `host:port[/path…]/ledger` and
/// `…/witness`. A witness can therefore go from a checkpoint's origin to the member's DID,
/// and from there to the verifier key the member publishes in its DID document.
public enum LedgerNames {
    public static func logOrigin(for did: WebDID) -> String { base(did) + "/ledger" }
    public static func witnessName(for did: WebDID) -> String { base(did) + "/witness" }

    /// The DID whose log has this origin, if the origin has the form this node gives it.
    public static func did(forLogOrigin origin: String) -> WebDID? {
        guard origin.hasSuffix("/ledger") else { return nil }
        let parts = origin.dropLast("/ledger".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let host = parts.first, !host.isEmpty else { return nil }
        let specific = ([host.replacingOccurrences(of: ":", with: "%3A")] + parts.dropFirst()).joined(separator: ":")
        return try? WebDID("did:web:" + specific)
    }

    static func base(_ did: WebDID) -> String { ([did.authority] + did.path).joined(separator: "/") }
}
