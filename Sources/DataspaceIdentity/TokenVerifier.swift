import DataspaceCore
import Foundation

/// Checks self-issued ID tokens and the membership credentials inside them, in the order that
/// keeps the cheapest refusals first: shape, audience, time, signature (DID resolution), replay,
/// then the credential's issuer, signature, expiry and revocation.
public struct TokenVerifier: Sendable {
    public var audience: WebDID
    public var trustedAuthority: WebDID?
    public var resolver: any DIDResolver
    public var replayGuard: any ReplayGuard
    public var revocations: any RevocationChecker
    /// Tolerated clock difference between nodes.
    public var clockSkew: TimeInterval = 30

    public init(
        audience: WebDID, trustedAuthority: WebDID?, resolver: any DIDResolver, replayGuard: any ReplayGuard,
        revocations: any RevocationChecker
    ) {
        self.audience = audience
        self.trustedAuthority = trustedAuthority
        self.resolver = resolver
        self.replayGuard = replayGuard
        self.revocations = revocations
    }

    /// Verifies a token; with `requireCredential` the caller must hold a valid membership credential.
    public func verify(_ token: String, requireCredential: Bool = true, now: Date = Date()) async throws(IdentityError) -> VerifiedCaller {
        let jws = try CompactJWS(parsing: token)
        guard let iss = jws.string("iss"), let callerDID = try? WebDID(iss) else {
            throw IdentityError(.malformedToken, "iss must be the caller's did:web")
        }
        guard jws.string("sub") == iss else { throw IdentityError(.subjectMismatch, "a self-issued token needs sub equal to iss") }
        let audiences = jws.claims["aud"].map { $0.arrayValue?.compactMap(\.stringValue) ?? [$0.stringValue].compactMap { $0 } } ?? []
        guard audiences.contains(audience.value) else {
            throw IdentityError(.wrongAudience, "token is addressed to \(audiences.joined(separator: ", ")), not \(audience.value)")
        }
        guard let jti = jws.string("jti"), !jti.isEmpty else { throw IdentityError(.malformedToken, "jti missing") }
        guard let exp = jws.date("exp") else { throw IdentityError(.malformedToken, "exp missing or not a NumericDate between 1970 and 9999") }
        let iat = jws.date("iat") ?? jws.date("nbf")
        guard exp.addingTimeInterval(clockSkew) > now else { throw IdentityError(.expired, "token expired at \(ISO8601.format(exp))") }
        if let iat {
            guard iat.addingTimeInterval(-clockSkew) <= now else { throw IdentityError(.notYetValid, "token issued in the future") }
            guard exp.timeIntervalSince(iat) <= SelfIssuedToken.maximumLifetime else {
                throw IdentityError(.lifetimeTooLong, "token lifetime exceeds \(Int(SelfIssuedToken.maximumLifetime)) s")
            }
        } else {
            guard exp.timeIntervalSince(now) <= SelfIssuedToken.maximumLifetime + clockSkew else {
                throw IdentityError(.lifetimeTooLong, "token lifetime exceeds \(Int(SelfIssuedToken.maximumLifetime)) s")
            }
        }
        guard jws.kid.map({ $0.hasPrefix(iss + "#") || $0.hasPrefix("#") }) == true else {
            throw IdentityError(.unknownKey, "kid must name a key of the issuer \(iss)")
        }
        let document = try await resolver.resolve(callerDID)
        try jws.verify(with: try document.publicKey(for: jws.kid))

        var membership: MembershipCredential?
        if requireCredential {
            guard let credentialToken = jws.string("vc") else {
                throw IdentityError(.credentialMissing, "token carries no membership credential (claim vc)")
            }
            membership = try await verifyCredential(credentialToken, holder: callerDID, now: now)
        }
        let fresh: Bool
        do {
            fresh = try await replayGuard.record(jti: jti, issuer: iss, expiresAt: exp.addingTimeInterval(clockSkew))
        } catch {
            throw IdentityError(.replayed, "could not record token id: \(error)")
        }
        guard fresh else { throw IdentityError(.replayed, "token \(jti) was already used") }
        return VerifiedCaller(did: callerDID, membership: membership, tokenID: jti, claims: jws.claims)
    }

    /// Verifies a membership credential presented by `holder`.
    public func verifyCredential(_ token: String, holder: WebDID, now: Date = Date()) async throws(IdentityError) -> MembershipCredential {
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: token) } catch { throw IdentityError(.credentialInvalid, "membership credential: \(error.message)") }
        let credential = try MembershipCredential.decode(jws)
        guard let trustedAuthority else {
            throw IdentityError(.credentialUntrusted, "this node has no trusted authority configured")
        }
        guard credential.issuer == trustedAuthority else {
            throw IdentityError(.credentialUntrusted, "credential issued by \(credential.issuer.value), trusted authority is \(trustedAuthority.value)")
        }
        guard credential.subject.did == holder else {
            throw IdentityError(.credentialInvalid, "credential belongs to \(credential.subject.did.value), not the caller \(holder.value)")
        }
        guard credential.expiresAt.addingTimeInterval(clockSkew) > now else {
            throw IdentityError(.credentialExpired, "membership credential expired at \(ISO8601.format(credential.expiresAt))")
        }
        guard credential.issuedAt.addingTimeInterval(-clockSkew) <= now else {
            throw IdentityError(.credentialInvalid, "membership credential is not yet valid")
        }
        let issuerDocument = try await resolver.resolve(credential.issuer)
        do {
            try jws.verify(with: try issuerDocument.publicKey(for: jws.kid))
        } catch {
            throw IdentityError(.credentialInvalid, "membership credential signature: \(error.message)")
        }
        if try await revocations.isRevoked(credentialID: credential.id, issuer: credential.issuer) {
            throw IdentityError(.credentialRevoked, "membership credential \(credential.id) has been revoked by \(credential.issuer.value)")
        }
        return credential
    }
}
