import DataspaceCore
import Foundation

/// The newest revocation list accepted per issuer, and when it was fetched.
///
/// An authority signs a fresh list for every request, so two checks fetching at once can be
/// answered out of order. An older list never replaces a newer one (a replayed old list cannot
/// hide a revocation). If the newer list was fetched after the older one was asked for, the two
/// fetches overlapped and the check is answered from the newer list; otherwise the older list is
/// refused, as a replay would be.
public struct RevocationLists: Sendable {
    private var newest: [WebDID: (list: RevocationList, fetched: Date)] = [:]

    public init() {}

    /// The list accepted for `issuer` if it was fetched less than `maximumAge` seconds before `now`.
    public func fresh(_ issuer: WebDID, now: Date, maximumAge: TimeInterval) -> RevocationList? {
        guard let held = newest[issuer], now.timeIntervalSince(held.fetched) < maximumAge else { return nil }
        return held.list
    }

    /// Takes a verified `list`, asked for at `askedAt` and received at `fetchedAt`; returns the
    /// list to answer from: `list`, or the newer one held if that arrived while `list` was on
    /// its way.
    public mutating func accept(_ list: RevocationList, askedAt: Date, fetchedAt: Date) throws(IdentityError) -> RevocationList {
        if let held = newest[list.issuer], list.issuedAt < held.list.issuedAt {
            guard held.fetched >= askedAt else {
                throw IdentityError(
                    .credentialInvalid,
                    "revocation list of \(list.issuer.value) issued \(ISO8601.format(list.issuedAt)) is older than the one already held (\(ISO8601.format(held.list.issuedAt)))")
            }
            return held.list
        }
        newest[list.issuer] = (list, fetchedAt)
        return list
    }
}
