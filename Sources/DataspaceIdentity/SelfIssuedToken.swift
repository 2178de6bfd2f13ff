import DataspaceCore
import Foundation

/// A self-issued ID token in the style of the Eclipse Decentralized Claims Protocol: signed by the
/// caller's own key, `iss` = `sub` = the caller's DID, `aud` = the callee's DID, a fresh `jti` and
/// a lifetime of at most five minutes. The caller's membership credential rides inline in the
/// `vc` claim (see docs/identity.md for why inline rather than a credential query).
public enum SelfIssuedToken {
    public static let jwtType = "JWT"
    public static let maximumLifetime: TimeInterval = 300

    public static func make(
        issuer: WebDID, key: NodeKey, audience: WebDID, credential: String?, lifetime: TimeInterval = 120,
        now: Date = Date(), extraClaims: [String: JSONValue] = [:]
    ) throws -> String {
        let iat = now.timeIntervalSince1970.rounded(.down)
        var claims: [String: JSONValue] = [
            "iss": .string(issuer.value), "sub": .string(issuer.value), "aud": .string(audience.value),
            "jti": .string(UUID().uuidString.lowercased()), "iat": .number(iat),
            "exp": .number(iat + min(lifetime, maximumLifetime)),
        ]
        if let credential { claims["vc"] = .string(credential) }
        for (k, v) in extraClaims { claims[k] = v }
        return try CompactJWS.sign(claims: claims, type: jwtType, kid: "\(issuer.value)#\(DIDDocument.keyFragment)", key: key)
    }
}

/// Remembers token ids until they expire so a captured token cannot be used twice.
public protocol ReplayGuard: Sendable {
    /// Records `jti`; returns false if it was already recorded (a replay).
    func record(jti: String, issuer: String, expiresAt: Date) async throws -> Bool
}

/// A caller whose token and credential verified: who it is and what its credential asserts.
public struct VerifiedCaller: Sendable, Hashable {
    public var did: WebDID
    /// The membership credential's claims; nil for tokens that need no credential (applications).
    public var membership: MembershipCredential?
    public var tokenID: String
    public var claims: [String: JSONValue]
}

/// Remembers operator sessions that were logged out before they expired (sessions themselves
/// are stateless signed cookies), so a copied cookie stops working at logout on every replica.
public protocol OperatorSessionStore: Sendable {
    func endOperatorSession(id: String, expiresAt: Date) async throws
    func operatorSessionEnded(id: String) async throws -> Bool
}
