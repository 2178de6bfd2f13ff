import DataspaceCore
import DataspaceIdentity
import Foundation
import Synchronization
import Testing

/// A DID resolver over a fixed table (the HTTP resolver is exercised by the server tests).
struct TableResolver: DIDResolver {
    let documents: [WebDID: DIDDocument]
    func resolve(_ did: WebDID) async throws(IdentityError) -> DIDDocument {
        guard let d = documents[did] else { throw IdentityError(.didResolution, "unknown \(did.value)") }
        return d
    }
}

final class MemoryReplayGuard: ReplayGuard {
    let seen = Mutex<Set<String>>([])
    func record(jti: String, issuer: String, expiresAt: Date) async throws -> Bool {
        seen.withLock { $0.insert(issuer + jti).inserted }
    }
}

struct FixedRevocations: RevocationChecker {
    let revoked: Set<String>
    func isRevoked(credentialID: String, issuer: WebDID) async throws(IdentityError) -> Bool { revoked.contains(credentialID) }
}

/// An authority, a participant and the callee, each with its own key and DID document.
struct Fixture {
    let authorityKey = NodeKey(), callerKey = NodeKey(), calleeKey = NodeKey(), strangerKey = NodeKey()
    let authority: WebDID, caller: WebDID, callee: WebDID
    let credential: MembershipCredential
    let credentialToken: String

    init(expires: Date = Date().addingTimeInterval(86_400)) throws {
        authority = try WebDID("did:web:127.0.0.1%3A9000")
        caller = try WebDID("did:web:127.0.0.1%3A9001")
        callee = try WebDID("did:web:127.0.0.1%3A9002")
        let profile = try ParticipantProfile.validated(
            name: "广州市数据局", creditCode: CreditCode.completing("11440100MB2C92190").value, region: "440100", sector: "urban-governance",
            did: caller.value)
        credential = MembershipCredential(
            id: "urn:uuid:c1", issuer: authority, subject: profile, issuedAt: Date().addingTimeInterval(-60), expiresAt: expires,
            revocationListURL: "http://127.0.0.1:9000/identity/revocations")
        credentialToken = try credential.sign(with: authorityKey)
    }

    func document(_ did: WebDID, _ key: NodeKey) -> DIDDocument {
        DIDDocument.forNode(did: did, key: key, baseURL: did.baseURL)
    }

    func verifier(revoked: Set<String> = [], trusted: WebDID? = nil, replay: MemoryReplayGuard = MemoryReplayGuard()) -> TokenVerifier {
        TokenVerifier(
            audience: callee, trustedAuthority: trusted ?? authority,
            resolver: TableResolver(documents: [authority: document(authority, authorityKey), caller: document(caller, callerKey), callee: document(callee, calleeKey)]),
            replayGuard: replay, revocations: FixedRevocations(revoked: revoked))
    }

    func token(key: NodeKey? = nil, audience: WebDID? = nil, credential: String? = nil, lifetime: TimeInterval = 120, now: Date = Date()) throws -> String {
        try SelfIssuedToken.make(issuer: caller, key: key ?? callerKey, audience: audience ?? callee, credential: credential ?? credentialToken, lifetime: lifetime, now: now)
    }
}

func refusal(_ body: () async throws -> Void) async -> IdentityError.Code? {
    do {
        try await body()
        return nil
    } catch let error as IdentityError {
        return error.code
    } catch {
        return nil
    }
}

@Suite struct TokenVerifierTests {
    @Test func acceptsAValidTokenAndReturnsTheCredentialClaims() async throws {
        let f = try Fixture()
        let caller = try await f.verifier().verify(try f.token())
        #expect(caller.did == f.caller)
        #expect(caller.membership?.subject.region.value == "440100")
        #expect(caller.membership?.subject.sector == .urbanGovernance)
    }

    @Test func refusesReplay() async throws {
        let f = try Fixture()
        let verifier = f.verifier()
        let token = try f.token()
        _ = try await verifier.verify(token)
        #expect(await refusal { _ = try await verifier.verify(token) } == .replayed)
    }

    @Test func refusesExpiredTokens() async throws {
        let f = try Fixture()
        let old = try f.token(lifetime: 60, now: Date().addingTimeInterval(-600))
        #expect(await refusal { _ = try await f.verifier().verify(old) } == .expired)
    }

    @Test func refusesTokensForAnotherAudience() async throws {
        let f = try Fixture()
        let token = try f.token(audience: try WebDID("did:web:127.0.0.1%3A9999"))
        #expect(await refusal { _ = try await f.verifier().verify(token) } == .wrongAudience)
    }

    @Test func refusesTokensSignedByAKeyThatIsNotTheCallers() async throws {
        let f = try Fixture()
        let forged = try f.token(key: f.strangerKey)
        #expect(await refusal { _ = try await f.verifier().verify(forged) } == .badSignature)
    }

    @Test func refusesRevokedCredentials() async throws {
        let f = try Fixture()
        #expect(await refusal { _ = try await f.verifier(revoked: ["urn:uuid:c1"]).verify(try f.token()) } == .credentialRevoked)
    }

    @Test func refusesCredentialsFromAnUntrustedIssuer() async throws {
        let f = try Fixture()
        let other = try WebDID("did:web:127.0.0.1%3A9555")
        #expect(await refusal { _ = try await f.verifier(trusted: other).verify(try f.token()) } == .credentialUntrusted)
    }

    @Test func refusesExpiredCredentials() async throws {
        let f = try Fixture(expires: Date().addingTimeInterval(-3_600))
        #expect(await refusal { _ = try await f.verifier().verify(try f.token()) } == .credentialExpired)
    }

    @Test func refusesCredentialsSignedByAnyoneButTheAuthority() async throws {
        let f = try Fixture()
        let selfSigned = try f.credential.sign(with: f.callerKey)
        #expect(await refusal { _ = try await f.verifier().verify(try f.token(credential: selfSigned)) } == .credentialInvalid)
    }

    @Test func refusesSomeoneElsesCredential() async throws {
        let f = try Fixture()
        var stolen = f.credential
        stolen.subject.did = try WebDID("did:web:127.0.0.1%3A9444")
        let token = try f.token(credential: try stolen.sign(with: f.authorityKey))
        #expect(await refusal { _ = try await f.verifier().verify(token) } == .credentialInvalid)
    }

    @Test func refusesMissingCredentialAndOverlongLifetime() async throws {
        let f = try Fixture()
        let bare = try SelfIssuedToken.make(issuer: f.caller, key: f.callerKey, audience: f.callee, credential: nil)
        #expect(await refusal { _ = try await f.verifier().verify(bare) } == .credentialMissing)
        // A hand-made token with a one-hour lifetime.
        let iat = Date().timeIntervalSince1970.rounded(.down)
        let long = try CompactJWS.sign(
            claims: ["iss": .string(f.caller.value), "sub": .string(f.caller.value), "aud": .string(f.callee.value), "jti": "x1",
                     "iat": .number(iat), "exp": .number(iat + 3_600), "vc": .string(f.credentialToken)],
            type: "JWT", kid: "\(f.caller.value)#key-1", key: f.callerKey)
        #expect(await refusal { _ = try await f.verifier().verify(long) } == .lifetimeTooLong)
    }

    @Test(arguments: ["", "a.b", "a.b.c", "eyJhbGciOiJub25lIn0.e30.AAAA"])
    func refusesMalformedTokens(_ token: String) async throws {
        let f = try Fixture()
        let code = await refusal { _ = try await f.verifier().verify(token) }
        #expect(code == .malformedToken || code == .unsupportedAlgorithm)
    }

    @Test func tamperedPayloadFailsSignature() async throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        var claims = try CompactJWS(parsing: parts.joined(separator: ".")).claims
        claims["aud"] = .string(f.callee.value)
        claims["jti"] = "tampered"
        let forgedPayload = Base64URL.encode(JSONValue.object(claims).encoded())
        let forged = [parts[0], forgedPayload, parts[2]].joined(separator: ".")
        #expect(await refusal { _ = try await f.verifier().verify(forged) } == .badSignature)
    }
}

@Suite struct RevocationListTests {
    @Test func signedListVerifiesOnlyWithTheIssuersKey() throws {
        let f = try Fixture()
        let list = try RevocationList(issuer: f.authority, issuedAt: Date(), revoked: ["urn:uuid:a", "urn:uuid:b"]).sign(with: f.authorityKey)
        let verified = try RevocationList.verify(list, issuerDocument: f.document(f.authority, f.authorityKey))
        #expect(verified.revoked == ["urn:uuid:a", "urn:uuid:b"])
        #expect(throws: IdentityError.self) { try RevocationList.verify(list, issuerDocument: f.document(f.authority, f.strangerKey)) }
    }

    /// A list past its next update might miss a revocation; one from the future is not yet valid.
    @Test func staleAndFutureListsAreRefused() throws {
        let f = try Fixture()
        let document = f.document(f.authority, f.authorityKey)
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let list = try RevocationList(issuer: f.authority, issuedAt: issued, revoked: ["urn:uuid:a"]).sign(with: f.authorityKey)
        let fresh = try RevocationList.verify(list, issuerDocument: document, now: issued.addingTimeInterval(60))
        #expect(fresh.nextUpdate == issued.addingTimeInterval(RevocationList.defaultValidity))
        #expect(throws: IdentityError.self) { try RevocationList.verify(list, issuerDocument: document, now: issued.addingTimeInterval(2 * 3_600)) }
        #expect(throws: IdentityError.self) { try RevocationList.verify(list, issuerDocument: document, now: issued.addingTimeInterval(-600)) }
    }

    /// Lists are signed when asked for, so two fetches at once may answer out of order: the older
    /// one, arriving last, neither replaces the newer list nor fails its check — it is answered
    /// from the newer one. An older list asked for after the newer one arrived is a replay and is
    /// refused. Held lists expire by the time they were fetched.
    @Test func anOlderListArrivingLateIsAnsweredFromTheNewerOne() throws {
        let f = try Fixture()
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        let older = RevocationList(issuer: f.authority, issuedAt: t, revoked: [])
        let newer = RevocationList(issuer: f.authority, issuedAt: t.addingTimeInterval(1), revoked: ["urn:uuid:a"])
        var lists = RevocationLists()
        #expect(lists.fresh(f.authority, now: t, maximumAge: 30) == nil)
        // Both asked for at t; the newer answered at t+2, the older at t+3.
        #expect(try lists.accept(newer, askedAt: t, fetchedAt: t.addingTimeInterval(2)) == newer)
        #expect(try lists.accept(older, askedAt: t, fetchedAt: t.addingTimeInterval(3)) == newer)
        #expect(lists.fresh(f.authority, now: t.addingTimeInterval(31), maximumAge: 30) == newer)
        #expect(lists.fresh(f.authority, now: t.addingTimeInterval(32), maximumAge: 30) == nil)
        // The older list again, asked for after the newer one was held: refused.
        #expect(throws: IdentityError.self) { try lists.accept(older, askedAt: t.addingTimeInterval(40), fetchedAt: t.addingTimeInterval(41)) }
        // In order, the newer list replaces the older.
        var inOrder = RevocationLists()
        #expect(try inOrder.accept(older, askedAt: t, fetchedAt: t) == older)
        #expect(try inOrder.accept(newer, askedAt: t.addingTimeInterval(1), fetchedAt: t.addingTimeInterval(2)) == newer)
        #expect(inOrder.fresh(f.authority, now: t.addingTimeInterval(2), maximumAge: 0) == nil)
        #expect(inOrder.fresh(f.authority, now: t.addingTimeInterval(2), maximumAge: 30) == newer)
    }
}

@Suite struct TokenTimeTests {
    /// NumericDates outside 1970…9999 are malformed: they never reach date arithmetic or formatting.
    @Test func numericDatesOutsideTheWindowAreMissing() throws {
        for value in [JSONValue.number(1e300), .number(-1e300), .number(-1), .number(253_402_300_800), .string("soon")] {
            let header = Base64URL.encode(Data(#"{"alg":"EdDSA"}"#.utf8))
            let payload = Base64URL.encode(JSONValue.object(["exp": value, "iat": value]).encoded())
            let jws = try CompactJWS(parsing: header + "." + payload + "." + Base64URL.encode(Data(repeating: 1, count: 64)))
            #expect(jws.date("exp") == nil, "\(value)")
        }
    }
}

@Suite struct Base64URLTests {
    @Test func roundTripsAndMatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let encoded = Base64URL.encode(bytes)
            let reference = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(encoded == reference)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test func rejectsWhatIsNotUnpaddedBase64URL() {
        #expect(Base64URL.decode("YQ==") == nil)  // padding
        #expect(Base64URL.decode("a+b/") == nil)  // standard alphabet
        #expect(Base64URL.decode("abcde") == nil)  // impossible length
        #expect(Base64URL.decode("YR") == nil)  // non-zero trailing bits
        #expect(Base64URL.decode("YQ") == Data("a".utf8))
        #expect(Base64URL.decode("") == Data())
    }
}
