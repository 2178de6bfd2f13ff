import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import DataspaceServer
import Foundation
import Testing

/// Every refusal answers 401 with a DSP CatalogError body and never any data.
@Suite(.serialized) struct DSPSecurityTests {
    func catalogRequest(_ net: TestNetwork, token: String?) async throws -> RawReply {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", token)) }
        return try await raw(.POST, net.url(1) + "/dsp/catalog/request", headers: headers, body: CatalogRequestMessage().json.encoded())
    }

    func expectRefused(_ reply: RawReply, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == 401, sourceLocation: sourceLocation)
        #expect(reply.json?["@type"]?.stringValue == "CatalogError", sourceLocation: sourceLocation)
        #expect(reply.json?["code"]?.stringValue == code, sourceLocation: sourceLocation)
        #expect(reply.json?["dataset"] == nil, sourceLocation: sourceLocation)
        #expect(!reply.text.contains("空气"), sourceLocation: sourceLocation)
    }

    /// A caller whose DID document cannot be fetched now (its host does not answer) is told to
    /// try again — 503 with `Retry-After` — rather than refused for good; one whose host answers
    /// that it has no such document is refused (401).
    @Test func aCallerThatCannotBeVerifiedNowIsToldToRetry() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let credential = try #require(try await net.nodes[2].credential())
            let silent = try #require(WebDID(baseURL: "http://127.0.0.1:\(LoopbackPorts.free(count: 1)[0])"))
            let unreachable = try SelfIssuedToken.make(issuer: silent, key: NodeKey(), audience: net.nodes[1].did, credential: credential)
            let reply = try await catalogRequest(net, token: unreachable)
            #expect(reply.status == 503)
            #expect(reply.headers.first(name: "Retry-After") == "10")
            #expect(reply.json?["@type"]?.stringValue == "CatalogError")
            #expect(reply.json?["code"]?.stringValue == "verification_unavailable")
            #expect(reply.json?["dataset"] == nil)

            // A live host without the document: final.
            let missing = try WebDID(net.nodes[2].did.value + ":nobody")
            let unknown = try SelfIssuedToken.make(issuer: missing, key: NodeKey(), audience: net.nodes[1].did, credential: credential)
            expectRefused(try await catalogRequest(net, token: unknown), code: "did_resolution")
        }
    }

    @Test func refusesEveryKindOfBadCaller() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            try await net.register(1)
            try await net.register(2)
            _ = try await net.publish(1, airQuality)
            let caller = net.nodes[2]
            let credential = try #require(try await caller.credential())

            // A valid token works once…
            let good = try await caller.token(for: net.nodes[1].did)
            let accepted = try await catalogRequest(net, token: good)
            #expect(accepted.status == 200)
            #expect(accepted.json?["dataset"]?.arrayValue?.count == 1)
            // …and is refused when replayed.
            expectRefused(try await catalogRequest(net, token: good), code: "replayed")

            expectRefused(try await catalogRequest(net, token: nil), code: "missing_token")
            expectRefused(try await catalogRequest(net, token: "not-a-jwt"), code: "malformed_token")

            let expired = try SelfIssuedToken.make(
                issuer: caller.did, key: caller.key, audience: net.nodes[1].did, credential: credential, lifetime: 60, now: Date().addingTimeInterval(-900))
            expectRefused(try await catalogRequest(net, token: expired), code: "expired")

            let misaddressed = try SelfIssuedToken.make(issuer: caller.did, key: caller.key, audience: net.nodes[0].did, credential: credential)
            expectRefused(try await catalogRequest(net, token: misaddressed), code: "wrong_audience")

            let forged = try SelfIssuedToken.make(issuer: caller.did, key: NodeKey(), audience: net.nodes[1].did, credential: credential)
            expectRefused(try await catalogRequest(net, token: forged), code: "bad_signature")

            // The enterprise never registered: its own token has no credential.
            let unregistered = try SelfIssuedToken.make(issuer: net.nodes[3].did, key: net.nodes[3].key, audience: net.nodes[1].did, credential: nil)
            expectRefused(try await catalogRequest(net, token: unregistered), code: "credential_missing")

            // …and a credential it signs for itself is not from the trusted authority.
            let profile = ParticipantProfile(
                name: "智行科技", creditCode: net.nodes[3].configuration.creditCode, region: net.nodes[3].configuration.region,
                sector: .transport, did: net.nodes[3].did)
            let selfIssued = try MembershipCredential(
                id: "urn:uuid:rogue", issuer: net.nodes[3].did, subject: profile, issuedAt: Date(), expiresAt: Date().addingTimeInterval(3_600),
                revocationListURL: net.url(3) + "/identity/revocations").sign(with: net.nodes[3].key)
            let rogue = try SelfIssuedToken.make(issuer: net.nodes[3].did, key: net.nodes[3].key, audience: net.nodes[1].did, credential: selfIssued)
            expectRefused(try await catalogRequest(net, token: rogue), code: "credential_untrusted")

            // Someone else's credential presented by the enterprise.
            let borrowed = try SelfIssuedToken.make(issuer: net.nodes[3].did, key: net.nodes[3].key, audience: net.nodes[1].did, credential: credential)
            expectRefused(try await catalogRequest(net, token: borrowed), code: "credential_invalid")

            // After revocation the institute is refused on its next request.
            _ = try await net.clients[0].call(.POST, "/api/v1/authority/revocations", json: ["subject": .string(caller.did.value)])
            expectRefused(try await catalogRequest(net, token: try await caller.token(for: net.nodes[1].did)), code: "credential_revoked")
            let list = try await raw(.GET, net.url(0) + "/identity/revocations")
            #expect(list.status == 200)
            let revoked = try RevocationList.verify(list.text, issuerDocument: net.nodes[0].didDocument)
            #expect(revoked.revoked.count == 1)
        }
    }

    @Test func malformedMessagesAnswer400WithACatalogError() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let cases: [(String, String)] = [
                ("not json", "message.malformed"),
                (#"{"@type": "CatalogRequestMessage"}"#, "message.context"),
                (#"{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "DatasetRequestMessage"}"#, "message.type"),
                (#"{"@context": "https://example.org/other", "@type": "CatalogRequestMessage"}"#, "message.context"),
                (#"{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage", "filter": {"q": 1}}"#, "filter.type"),
                (#"{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage", "filter": [{"colour": "red"}]}"#, "filter.unknown"),
                (#"{"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage", "filter": [{"sector": "finance"}]}"#, "filter.value"),
            ]
            for (body, code) in cases {
                let token = try await net.nodes[2].token(for: net.nodes[1].did)
                let reply = try await raw(.POST, net.url(1) + "/dsp/catalog/request", headers: [("Authorization", token)], body: Data(body.utf8))
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json?["@type"]?.stringValue == "CatalogError")
                #expect(reply.json?["code"]?.stringValue == code, "\(body): \(reply.text)")
            }
            let token = try await net.nodes[2].token(for: net.nodes[1].did)
            let badPage = try await raw(.POST, net.url(1) + "/dsp/catalog/request?limit=0", headers: [("Authorization", token)], body: CatalogRequestMessage().json.encoded())
            #expect(badPage.status == 400)
        }
    }
}
