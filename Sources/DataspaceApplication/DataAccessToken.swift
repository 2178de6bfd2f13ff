import DataspaceCore
import DataspaceIdentity
import Foundation

/// The bearer token in a TransferStartMessage's data address: signed by the provider, short-lived,
/// bound to one transfer process, its agreement and its consumer, and good for nothing but pulling
/// that transfer's data (`scope` = `dsp-pull`).
public struct DataAccessToken: Sendable {
    static let type = "data-access+jwt"
    static let scope = "dsp-pull"

    public let transferID: String
    public let agreementID: String
    public let consumer: String
    public let expiresAt: Date

    public static func issue(
        provider: WebDID, key: NodeKey, audience: String, transferID: String, agreementID: String, consumer: String, lifetime: TimeInterval,
        now date: Date
    ) throws -> (token: String, expiresAt: Date) {
        let now = date.timeIntervalSince1970.rounded(.down)
        let expires = now + lifetime
        let claims: [String: JSONValue] = [
            "iss": .string(provider.value), "sub": .string(consumer), "aud": .string(audience), "scope": .string(scope),
            "tp": .string(transferID), "agr": .string(agreementID), "iat": .number(now), "exp": .number(expires),
            "jti": .string(UUID().uuidString.lowercased()),
        ]
        let token = try CompactJWS.sign(claims: claims, type: type, kid: "\(provider.value)#\(DIDDocument.keyFragment)", key: key)
        return (token, Date(timeIntervalSince1970: expires))
    }

    /// Checks signature, type, audience, scope and expiry; the caller then checks the transfer.
    public static func verify(_ token: String, key: NodeKey, audience: String, now: Date) throws(IdentityError) -> DataAccessToken {
        let jws = try CompactJWS(parsing: token)
        try jws.verify(with: key.publicKey)
        guard jws.header["typ"]?.stringValue == type, jws.string("scope") == scope else {
            throw IdentityError(.malformedToken, "not a data access token")
        }
        guard jws.string("aud") == audience else { throw IdentityError(.wrongAudience, "token is not for this data plane") }
        guard let exp = jws.date("exp") else { throw IdentityError(.malformedToken, "exp missing or not a NumericDate between 1970 and 9999") }
        guard exp > now else { throw IdentityError(.expired, "data access token expired at \(ISO8601.format(exp)); request a new transfer") }
        guard let tp = jws.string("tp"), let agr = jws.string("agr"), let sub = jws.string("sub") else {
            throw IdentityError(.malformedToken, "data access token lacks tp, agr or sub")
        }
        return DataAccessToken(transferID: tp, agreementID: agr, consumer: sub, expiresAt: exp)
    }
}
