import DataspaceCore
import Foundation

/// The membership credential the authority issues on approval: a W3C VC (data model 1.1) as a
/// JWT signed with EdDSA. Claims follow the VC-JWT mapping (`iss`, `sub`, `jti`, `nbf`, `exp`, `vc`).
public struct MembershipCredential: Sendable, Hashable {
    public static let type = "DataspaceMembershipCredential"
    public static let jwtType = "vc+jwt"

    public var id: String
    public var issuer: WebDID
    public var subject: ParticipantProfile
    public var role: String
    public var issuedAt: Date
    public var expiresAt: Date
    /// Where the issuer publishes revoked credential ids.
    public var revocationListURL: String

    public init(
        id: String, issuer: WebDID, subject: ParticipantProfile, role: String = "participant", issuedAt: Date,
        expiresAt: Date, revocationListURL: String
    ) {
        self.id = id
        self.issuer = issuer
        self.subject = subject
        self.role = role
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revocationListURL = revocationListURL
    }

    public func sign(with key: NodeKey) throws -> String {
        let subjectClaims: JSONValue = [
            "id": .string(subject.did.value), "name": .string(subject.name), "creditCode": .string(subject.creditCode.value),
            "region": .string(subject.region.value), "sector": .string(subject.sector.rawValue), "role": .string(role),
        ]
        let vc: JSONValue = [
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential", .string(Self.type)],
            "credentialSubject": subjectClaims,
            "credentialStatus": ["id": .string("\(revocationListURL)#\(id)"), "type": "DataspaceRevocationList"],
        ]
        let claims: [String: JSONValue] = [
            "iss": .string(issuer.value), "sub": .string(subject.did.value), "jti": .string(id),
            "nbf": .number(issuedAt.timeIntervalSince1970.rounded(.down)), "iat": .number(issuedAt.timeIntervalSince1970.rounded(.down)),
            "exp": .number(expiresAt.timeIntervalSince1970.rounded(.down)), "vc": vc,
        ]
        return try CompactJWS.sign(claims: claims, type: Self.jwtType, kid: "\(issuer.value)#\(DIDDocument.keyFragment)", key: key)
    }

    /// Reads the claims of a credential JWT (the signature is checked by `CredentialVerifier`).
    public static func decode(_ jws: CompactJWS) throws(IdentityError) -> MembershipCredential {
        func fail(_ why: String) -> IdentityError { IdentityError(.credentialInvalid, "membership credential: \(why)") }
        guard let iss = jws.string("iss"), let issuer = try? WebDID(iss) else { throw fail("iss is not a did:web") }
        guard let jti = jws.string("jti") else { throw fail("jti missing") }
        guard let nbf = jws.date("nbf") ?? jws.date("iat"), let exp = jws.date("exp") else { throw fail("nbf/exp missing or not NumericDates between 1970 and 9999") }
        guard let vc = jws.claims["vc"], let types = vc["type"]?.arrayValue?.compactMap(\.stringValue), types.contains(Self.type)
        else { throw fail("vc.type must include \(Self.type)") }
        guard let cs = vc["credentialSubject"] else { throw fail("credentialSubject missing") }
        let profile: ParticipantProfile
        do {
            profile = try ParticipantProfile.validated(
                name: cs["name"]?.stringValue ?? "", creditCode: cs["creditCode"]?.stringValue ?? "",
                region: cs["region"]?.stringValue ?? "", sector: cs["sector"]?.stringValue ?? "", did: cs["id"]?.stringValue ?? "")
        } catch {
            throw fail("credentialSubject.\(error.field ?? "?"): \(error.message)")
        }
        guard jws.string("sub") == profile.did.value else { throw fail("sub differs from credentialSubject.id") }
        let statusID = vc["credentialStatus"]?["id"]?.stringValue ?? ""
        let listURL = statusID.split(separator: "#").first.map(String.init) ?? ""
        return MembershipCredential(
            id: jti, issuer: issuer, subject: profile, role: cs["role"]?.stringValue ?? "participant", issuedAt: nbf,
            expiresAt: exp, revocationListURL: listURL)
    }
}

/// A signed list of revoked credential ids, published by the authority at `/identity/revocations`.
///
/// A list carries when it was issued (`iat`) and when the next one will be (`exp`, the next
/// update, as in a CRL): a verifier refuses a list past its next update (stale: a revocation may
/// be missing) and never lets one issued before the list it already holds replace it (an older
/// list replayed to hide a revocation; `RevocationLists`).
public struct RevocationList: Sendable, Hashable {
    public static let jwtType = "revocation-list+jwt"
    /// How long a list is good for: the authority answers every request with a fresh one.
    public static let defaultValidity: TimeInterval = 3_600
    public var issuer: WebDID
    public var issuedAt: Date
    public var nextUpdate: Date
    public var revoked: Set<String>

    public init(issuer: WebDID, issuedAt: Date, nextUpdate: Date? = nil, revoked: Set<String>) {
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.nextUpdate = nextUpdate ?? issuedAt.addingTimeInterval(Self.defaultValidity)
        self.revoked = revoked
    }

    public func sign(with key: NodeKey) throws -> String {
        try CompactJWS.sign(
            claims: [
                "iss": .string(issuer.value), "iat": .number(issuedAt.timeIntervalSince1970.rounded(.down)),
                "exp": .number(nextUpdate.timeIntervalSince1970.rounded(.down)),
                "revoked": .array(revoked.sorted().map { .string($0) }),
            ], type: Self.jwtType, kid: "\(issuer.value)#\(DIDDocument.keyFragment)", key: key)
    }

    /// Verifies the signature and freshness: `now` must lie between issue (less `clockSkew`) and
    /// next update (plus `clockSkew`).
    public static func verify(
        _ token: String, issuerDocument: DIDDocument, now: Date = Date(), clockSkew: TimeInterval = 60
    ) throws(IdentityError) -> RevocationList {
        let jws = try CompactJWS(parsing: token)
        try jws.verify(with: try issuerDocument.publicKey(for: jws.kid))
        guard jws.string("iss") == issuerDocument.id.value, let iat = jws.date("iat"), let next = jws.date("exp"),
            let revoked = jws.claims["revoked"]?.arrayValue, revoked.count <= 1_000_000
        else {
            throw IdentityError(.credentialInvalid, "revocation list is not from \(issuerDocument.id.value) or lacks iat/exp/revoked")
        }
        guard iat.addingTimeInterval(-clockSkew) <= now else {
            throw IdentityError(.credentialInvalid, "revocation list of \(issuerDocument.id.value) is issued in the future (\(ISO8601.format(iat)))")
        }
        guard now <= next.addingTimeInterval(clockSkew) else {
            throw IdentityError(.credentialInvalid, "revocation list of \(issuerDocument.id.value) is stale: its next update was due \(ISO8601.format(next))")
        }
        return RevocationList(issuer: issuerDocument.id, issuedAt: iat, nextUpdate: next, revoked: Set(revoked.compactMap(\.stringValue)))
    }
}

/// Answers whether a credential has been revoked by its issuer.
public protocol RevocationChecker: Sendable {
    func isRevoked(credentialID: String, issuer: WebDID) async throws(IdentityError) -> Bool
}
