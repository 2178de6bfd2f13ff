import AsyncHTTPClient
import DataspaceCore
import DataspaceIdentity
import DataspaceServer
import Foundation
import Hummingbird
import NIOHTTP1
import Testing

/// The whole HTTP surface under attack, against real nodes on loopback: requests built to hit
/// every numeric edge, a seeded random-request generator over every route, and the
/// authorization matrix generated from the router's own route table. A trap anywhere would take
/// the node (and this test process) down; every answer must be below 500.
@Suite(.serialized, .tags(.hostile)) struct HostileRequestTests {
    /// Who may call a route.
    enum Access: Sendable, Equatable {
        /// Public by the standard (DID document, catalog pages, tiles, resolution, portal).
        case open
        /// Management API and metrics: the node's admin token.
        case admin
        /// DSP endpoints: a member's self-issued ID token with a membership credential.
        case member
        /// The data plane: a provider-signed data access token for that transfer.
        case dataToken
        /// The authority's application status: the applicant's own self-issued token.
        case applicant
        /// Operator pages: a session cookie from signing in with the admin token.
        case operatorSession
        /// The operator sign-in form: the admin token in the form body, nothing else.
        case signIn
        /// A person's page or action: a portal session cookie, else a redirect to sign in.
        case personSession
        /// A portal upload sent by the page's script: a session cookie, else 401 with a reason.
        case personUpload
        /// A form submitted before signing in (sign-in, invitation): refused without the form's
        /// CSRF cookie, whatever the Authorization header says (or unknown invitation: 404).
        case personForm
        /// A person's own API token: the admin token authenticates but is refused (it is nobody's).
        case personToken
    }

    /// Every route the router serves, with who may call it. A route added without an entry here
    /// fails `everyRouteHasAnAccessRuleAndEnforcesIt`.
    static let accessRules: [String: Access] = [
        "GET /": .open, "GET /.well-known/did.json": .open, "GET /.well-known/dspace-version": .open, "GET /healthz": .open,
        "GET /static/portal.css": .open, "GET /api/openapi.yaml": .open, "GET /api/openapi.json": .open,
        "GET /datasets/{prefix}/{local}": .open, "GET /datasets/{prefix}/{local}/quality": .open,
        "GET /resolve/ipv6/{address}": .open, "GET /resolve/{prefix}/{local}": .open,
        "GET /ledger": .open, "POST /ledger": .open, "GET /ledger/checkpoint": .open, "GET /ledger/consistency": .open,
        "GET /ledger/receipt/{index}": .open, "GET /ledger/tile/**": .open, "POST /ledger/witness/add-checkpoint": .open,
        "GET /identity/revocations": .open, "POST /identity/applications": .open, "GET /identity/applications/{id}": .applicant,
        "GET /operator/login": .open, "POST /operator/login": .signIn, "POST /operator/logout": .open,
        "GET /operator/agreements": .operatorSession, "GET /operator/transfers": .operatorSession,
        "GET /metrics": .admin,
        "GET /login": .open, "POST /login": .personForm, "POST /logout": .personSession, "GET /account": .personSession,
        "GET /invite": .open, "POST /invite": .personForm,
        "GET /audit": .personSession, "GET /authority/members": .personSession, "POST /authority/members/{id}/{action}": .personSession,
        "GET /api/v1/accounts": .admin, "POST /api/v1/accounts": .admin, "PATCH /api/v1/accounts/{id}": .admin,
        "GET /explore": .personSession, "POST /requests": .personSession, "GET /requests": .personSession, "GET /requests/{id}": .personSession,
        "POST /requests/{id}/download": .personSession, "GET /downloads/{id}": .personSession, "GET /downloads/{id}/file": .personSession,
        "GET /publish": .personSession, "POST /publish/drafts": .personUpload, "GET /publish/drafts/{id}": .personSession,
        "POST /publish/drafts/{id}": .personSession, "POST /publish/drafts/{id}/discard": .personSession, "GET /publisher": .personSession,
        "POST /publisher/datasets/{prefix}/{local}/withdraw": .personSession, "GET /static/publish.js": .open, "GET /language": .open,
        "POST /account/tokens": .personSession, "POST /account/tokens/{id}/revoke": .personSession, "POST /api/v1/login": .open, "GET /api/v1/tokens": .admin, "POST /api/v1/tokens": .personToken, "DELETE /api/v1/tokens/{id}": .admin,
        "POST /dsp/catalog/request": .member, "GET /dsp/catalog/datasets/**": .member,
        "POST /dsp/negotiations/request": .member, "GET /dsp/negotiations/{pid}": .member,
        "POST /dsp/negotiations/{pid}/request": .member, "POST /dsp/negotiations/{pid}/events": .member,
        "POST /dsp/negotiations/{pid}/agreement/verification": .member, "POST /dsp/negotiations/{pid}/termination": .member,
        "POST /dsp/transfers/request": .member, "GET /dsp/transfers/{pid}": .member, "POST /dsp/transfers/{pid}/start": .member,
        "POST /dsp/transfers/{pid}/completion": .member, "POST /dsp/transfers/{pid}/suspension": .member,
        "POST /dsp/transfers/{pid}/termination": .member, "GET /dsp/agreements/{id}/deliveries": .member, "POST /dsp/compute/{id}/query": .member, "POST /dsp/compute/{id}/psi": .member, "POST /dsp/compute/{id}/aggregate": .member,
        "POST /dsp/aggregation/rounds": .member, "POST /dsp/aggregation/rounds/{round}/shares": .member,
        "POST /dsp/aggregation/rounds/{round}/result": .member, "POST /dsp/aggregation/rounds/{round}/abort": .member, "GET /dsp/compute/{id}/budget": .member,
        "GET /dsp/callback/negotiations/{pid}": .member, "POST /dsp/callback/negotiations/offers": .member,
        "POST /dsp/callback/negotiations/{pid}/offers": .member, "POST /dsp/callback/negotiations/{pid}/agreement": .member,
        "POST /dsp/callback/negotiations/{pid}/events": .member, "POST /dsp/callback/negotiations/{pid}/termination": .member,
        "POST /dsp/callback/transfers/{pid}/start": .member, "POST /dsp/callback/transfers/{pid}/completion": .member,
        "POST /dsp/callback/transfers/{pid}/suspension": .member, "POST /dsp/callback/transfers/{pid}/termination": .member,
        "GET /data/{pid}": .dataToken, "GET /data/{pid}/receipt": .dataToken,
        "GET /api/v1/node": .admin, "GET /api/v1/datasets": .admin, "POST /api/v1/datasets": .admin,
        "GET /api/v1/datasets/{prefix}/{local}": .admin, "PUT /api/v1/datasets/{prefix}/{local}": .admin,
        "DELETE /api/v1/datasets/{prefix}/{local}": .admin, "GET /api/v1/datasets/{prefix}/{local}/quality": .admin,
        "POST /api/v1/datasets/{prefix}/{local}/grade": .admin, "GET /api/v1/search": .admin, "GET /api/v1/catalog/dcat": .admin,
        "POST /api/v1/peers/catalog": .admin, "POST /api/v1/quality/trace": .admin,
        "GET /api/v1/membership": .admin, "POST /api/v1/membership/apply": .admin, "POST /api/v1/membership/refresh": .admin,
        "GET /api/v1/authority/applications": .admin, "POST /api/v1/authority/applications/{id}/approve": .admin,
        "POST /api/v1/authority/applications/{id}/reject": .admin, "POST /api/v1/authority/revocations": .admin,
        "GET /api/v1/negotiations": .admin, "POST /api/v1/negotiations": .admin, "GET /api/v1/negotiations/{id}": .admin,
        "POST /api/v1/negotiations/{id}/accept": .admin, "POST /api/v1/negotiations/{id}/terminate": .admin, "POST /api/v1/offers": .admin,
        "GET /api/v1/agreements": .admin, "GET /api/v1/agreements/{id}": .admin, "GET /api/v1/agreements/{id}/reconciliation": .admin,
        "POST /api/v1/agreements/{id}/query": .admin, "POST /api/v1/agreements/{id}/psi": .admin, "POST /api/v1/aggregations": .admin, "GET /api/v1/agreements/{id}/budget": .admin,
        "GET /api/v1/transfers": .admin, "POST /api/v1/transfers": .admin, "GET /api/v1/transfers/{id}": .admin,
        "POST /api/v1/transfers/{id}/complete": .admin, "POST /api/v1/transfers/{id}/suspend": .admin,
        "POST /api/v1/transfers/{id}/resume": .admin, "POST /api/v1/transfers/{id}/terminate": .admin,
        "GET /api/v1/transfers/{id}/receipts": .admin, "POST /api/v1/transfers/{id}/receipts": .admin,
        "GET /api/v1/usage": .admin, "GET /api/v1/ledger": .admin, "GET /api/v1/ledger/events": .admin,
        "GET /api/v1/ledger/events/{index}": .admin,
    ]

    /// The kinds of credential a request can carry.
    enum Credential: String, CaseIterable, Sendable {
        case none, malformed, forged, expired, notYetValid, replayed, wrongAudience, anotherMember, admin
    }

    /// A network with a product, a finalized agreement and a started transfer between the bureau
    /// (provider, node 1) and the institute (consumer, node 2); the enterprise (node 3) is another
    /// member with nothing of its own there.
    struct Scene {
        let net: TestNetwork
        let dataset: String
        let providerNegotiation: String
        let consumerNegotiation: String
        let providerTransfer: String
        let consumerTransfer: String
        let dataToken: String
        let applicationID: String
    }

    static func scene(_ net: TestNetwork) async throws -> Scene {
        try await net.register(1)
        try await net.register(2)
        try await net.register(3)
        let record = try await net.publish(1, ContractFlowTests.metadata())
        let dataset = try #require(record["identifier"]?.stringValue)
        let n = try await ContractFlowTests().negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")
        let agreementID = try #require(n["agreement"]?["id"]?.stringValue)
        let t = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreementID)
        let consumerTransfer = try #require(t["id"]?.stringValue)
        let providerNegotiation = try #require(try await net.nodes[1].store.negotiations(limit: 10).first?.id)
        let providerTransfer = try #require(try await net.nodes[1].store.transfers(agreementID: agreementID, limit: 10).first?.id)
        let applications = try await net.clients[0].call(.GET, "/api/v1/authority/applications")
        let applicationID = try #require(applications["items"]?.arrayValue?.first?["id"]?.stringValue)
        return Scene(
            net: net, dataset: dataset, providerNegotiation: providerNegotiation, consumerNegotiation: try #require(n["id"]?.stringValue),
            providerTransfer: providerTransfer, consumerTransfer: consumerTransfer,
            dataToken: try #require(t["dataAddress"]?["token"]?.stringValue), applicationID: applicationID)
    }

    /// Which node answers a route in the matrix, and the concrete path with the scene's ids.
    static func target(_ route: String, _ s: Scene) -> (node: Int, path: String) {
        let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
        var path = parts[1]
        let prefixLocal = s.dataset
        path = path.replacingOccurrences(of: "{prefix}/{local}", with: prefixLocal)
        var node = 1
        if path.hasPrefix("/dsp/callback/") {
            node = 2
            path = path.replacingOccurrences(of: "{pid}", with: path.contains("/transfers/") ? s.consumerTransfer : s.consumerNegotiation)
        } else if path.hasPrefix("/dsp/") || path.hasPrefix("/data/") {
            path = path.replacingOccurrences(of: "{pid}", with: path.contains("/negotiations/") ? s.providerNegotiation : s.providerTransfer)
        } else if path.hasPrefix("/identity/") || path.hasPrefix("/api/v1/authority/") || path.hasPrefix("/authority/") || path.hasPrefix("/ledger/witness/") {
            node = 0
        }
        path = path.replacingOccurrences(of: "{id}", with: path.contains("/applications/") ? s.applicationID : s.consumerTransfer)
        path = path.replacingOccurrences(of: "{index}", with: "0")
        path = path.replacingOccurrences(of: "{action}", with: "approve")
        path = path.replacingOccurrences(of: "{address}", with: "fd86:2::1")
        if path.hasSuffix("/tile/**") { path = path.replacingOccurrences(of: "**", with: "0/000.p/1") }
        if path.hasSuffix("/datasets/**") { path = path.replacingOccurrences(of: "**", with: s.dataset) }
        return (node, path)
    }

    static func header(_ credential: Credential, node: Int, _ s: Scene) async throws -> String? {
        let net = s.net
        let caller = net.nodes[3]
        let audience = net.nodes[node].did
        let credentialJWT = try await caller.credential()
        switch credential {
        case .none: return nil
        case .malformed: return "Bearer not.a-token"
        case .forged: return "Bearer " + (try SelfIssuedToken.make(issuer: caller.did, key: NodeKey(), audience: audience, credential: credentialJWT))
        case .expired:
            return "Bearer "
                + (try SelfIssuedToken.make(issuer: caller.did, key: caller.key, audience: audience, credential: credentialJWT, lifetime: 60, now: Date().addingTimeInterval(-900)))
        case .notYetValid:
            return "Bearer " + (try SelfIssuedToken.make(issuer: caller.did, key: caller.key, audience: audience, credential: credentialJWT, now: Date().addingTimeInterval(900)))
        case .replayed:
            let token = try SelfIssuedToken.make(issuer: caller.did, key: caller.key, audience: audience, credential: credentialJWT)
            // Spend it once on the catalog, so the matrix request is its replay.
            _ = try await raw(.POST, net.url(node) + "/dsp/catalog/request", headers: [("Authorization", "Bearer " + token)], body: Data("{}".utf8))
            return "Bearer " + token
        case .wrongAudience:
            return "Bearer " + (try SelfIssuedToken.make(issuer: caller.did, key: caller.key, audience: net.nodes[(node + 1) % 3].did, credential: credentialJWT))
        case .anotherMember: return "Bearer " + (try await caller.token(for: audience))
        case .admin: return "Bearer " + net.nodes[node].adminToken
        }
    }

    /// What a credential may get from a route of `access`: nil when any answer below 500 that is
    /// not a refusal of authentication is right.
    static func expectation(_ access: Access, _ credential: Credential, route: String) -> (allowed: Set<Int>?, forbidden: Set<Int>) {
        switch access {
        case .open:
            return (nil, [401, 403])
        case .admin:
            return credential == .admin ? (nil, [401, 403]) : ([401], [])
        case .member:
            switch credential {
            case .anotherMember:
                // Authenticated, but another member's processes do not exist for it.
                if route.contains("{pid}") { return route.hasPrefix("GET") ? ([404], []) : (Set(400..<500).subtracting([401, 403]), []) }
                return (nil, [401, 403])
            default: return ([401], [])
            }
        case .dataToken:
            return ([401], [])
        case .applicant:
            return credential == .anotherMember ? ([404], []) : ([401], [])
        case .operatorSession:
            return ([303], [])
        case .signIn:
            // The matrix sends no admin token in the form, whatever the Authorization header says.
            return ([401], [])
        case .personSession:
            return ([303], [])
        case .personUpload:
            return ([401], [])
        case .personForm:
            return ([403, 404], [])
        case .personToken:
            return credential == .admin ? ([403], []) : ([401], [])
        }
    }

    @Test func everyRouteHasAnAccessRuleAndEnforcesIt() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            let s = try await Self.scene(net)
            // The route table is the router's own: the authority serves every route a node has.
            let routes = try NodeApplication.buildRouter(services: net.nodes[0]).routes.map { "\($0.method) \($0.path)" }
            let unlisted = routes.filter { Self.accessRules[$0] == nil }
            #expect(unlisted.isEmpty, "routes without an access rule: \(unlisted)")
            let stale = Set(Self.accessRules.keys).subtracting(routes)
            #expect(stale.isEmpty, "access rules for routes that no longer exist: \(stale.sorted())")

            var checked = 0
            for route in routes.sorted() {
                guard let access = Self.accessRules[route] else { continue }
                let (node, path) = Self.target(route, s)
                let method = HTTPMethod(rawValue: String(route.split(separator: " ")[0]))
                for credential in Credential.allCases {
                    var headers: [(String, String)] = [("Content-Type", "application/json")]
                    if let h = try await Self.header(credential, node: node, s) { headers.append(("Authorization", h)) }
                    let body: Data? = method == .GET || method == .DELETE ? nil : Data("{}".utf8)
                    let reply = try await raw(method, net.url(node) + path, headers: headers, body: body, followRedirects: false)
                    let (allowed, forbidden) = Self.expectation(access, credential, route: route)
                    #expect(reply.status < 500, "\(route) with \(credential): \(reply.status) \(reply.text.prefix(200))")
                    if let allowed { #expect(allowed.contains(reply.status), "\(route) with \(credential): \(reply.status), expected \(allowed.sorted())") }
                    #expect(!forbidden.contains(reply.status), "\(route) with \(credential): \(reply.status) \(reply.text.prefix(200))")
                    checked += 1
                }
            }
            #expect(checked == routes.count * Credential.allCases.count)

            // A data token opens only its own transfer: the institute's token on another transfer
            // id, and a data token forged with another key, are refused.
            let stranger = try await raw(.GET, net.url(1) + "/data/\(UUID().uuidString.lowercased())", headers: [("Authorization", "Bearer " + s.dataToken)])
            #expect(stranger.status == 404)
            let forgedData = try CompactJWS.sign(
                claims: [
                    "iss": .string(net.nodes[1].did.value), "sub": .string(net.nodes[3].did.value), "aud": .string(net.url(1) + "/data"),
                    "scope": "dsp-pull", "tp": .string(s.providerTransfer), "agr": "x", "iat": .number(Date().timeIntervalSince1970.rounded(.down)),
                    "exp": .number(Date().timeIntervalSince1970.rounded(.down) + 60), "jti": "j",
                ], type: "data-access+jwt", kid: "\(net.nodes[1].did.value)#key-1", key: NodeKey())
            #expect(try await raw(.GET, net.url(1) + "/data/\(s.providerTransfer)", headers: [("Authorization", "Bearer " + forgedData)]).status == 401)

            // A revoked member is refused on every member route, with a token it signed correctly.
            _ = try await net.clients[0].call(.POST, "/api/v1/authority/revocations", json: ["subject": .string(net.nodes[3].did.value)])
            for route in routes.sorted() where Self.accessRules[route] == .member {
                let (node, path) = Self.target(route, s)
                let method = HTTPMethod(rawValue: String(route.split(separator: " ")[0]))
                let token = try await net.nodes[3].token(for: net.nodes[node].did)
                let reply = try await raw(
                    method, net.url(node) + path, headers: [("Authorization", "Bearer " + token), ("Content-Type", "application/json")],
                    body: method == .GET ? nil : Data("{}".utf8))
                #expect(reply.status == 401, "\(route) with a revoked member's token: \(reply.status)")
                #expect(reply.json?["code"]?.stringValue == "credential_revoked", "\(route): \(reply.text.prefix(200))")
            }
        }
    }

    // MARK: numbers and paths at every edge

    /// Requests aimed at the conversions that used to trap (page numbers, tile coordinates, token
    /// times, policy numbers, ranges), each answered below 500 with the node still healthy.
    @Test func numbersAtEveryEdgeAreAnsweredNotTrapped() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            let s = try await Self.scene(net)
            let base = net.url(1)
            let huge = ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615", "18446744073709551616", "1e400", "-1", "0", "NaN"]
            var urls: [String] = []
            for n in huge {
                urls += [
                    "/?page=\(n)", "/?minScore=\(n)", "/ledger?before=\(n)", "/ledger/receipt/\(n)", "/ledger/consistency?old=\(n)&new=\(n)",
                    "/ledger/consistency?old=0&new=\(n)", "/datasets/\(s.dataset)/quality?version=\(n)", "/resolve/ipv6/\(n)",
                ]
            }
            urls += [
                "/ledger/tile/0/x018/x446/x744/x073/x709/x551/999", "/ledger/tile/0/x018/x446/x744/x073/x709/x551/615",
                "/ledger/tile/63/x999/x999/x999/x999/x999/x999/999", "/ledger/tile/entries/x018/x446/x744/x073/x709/x551/999.p/255",
                "/ledger/tile/0/000.p/0", "/ledger/tile/0/000.p/256", "/ledger/tile/64/000", "/ledger/tile/-1/000", "/ledger/tile/0/%2e%2e/000",
                "/ledger/tile/0/" + String(repeating: "x000/", count: 400) + "000",
            ]
            for url in urls {
                let reply = try await raw(.GET, base + url)
                #expect(reply.status < 500, "\(url): \(reply.status) \(reply.text.prefix(200))")
            }
            // The management API converts the same numbers at its edge and names the field.
            for (path, field) in [
                ("/api/v1/search?page=9223372036854775807", "page"), ("/api/v1/search?pageSize=1e400", "pageSize"),
                ("/api/v1/datasets?limit=9223372036854775808", "limit"), ("/api/v1/ledger/events?limit=-9223372036854775808", "limit"),
            ] {
                let reply = try await raw(.GET, base + path, headers: [("Authorization", "Bearer " + net.nodes[1].adminToken)])
                #expect(reply.status == 400 && reply.json?["field"]?.stringValue == field, "\(path): \(reply.status) \(reply.text)")
            }
            let peerPage = try await raw(
                .POST, base + "/api/v1/peers/catalog", headers: [("Authorization", "Bearer " + net.nodes[1].adminToken)],
                body: Data(#"{"provider": "http://127.0.0.1:1", "page": 1e300}"#.utf8))
            #expect(peerPage.status == 400 && peerPage.json?["field"]?.stringValue == "page", "\(peerPage.text)")
            let dspPage = try await raw(
                .POST, base + "/dsp/catalog/request?page=9223372036854775807",
                headers: [("Authorization", "Bearer " + (try await net.nodes[2].token(for: net.nodes[1].did)))], body: Data("{}".utf8))
            #expect(dspPage.status == 400)

            // Tokens whose times are out of any sane range are malformed, not a crash.
            let caller = net.nodes[3]
            for exp in ["1e300", "-1e300", "1.7976931348623157e308", "-9223372036854775809", "253402300800", "\"soon\""] {
                let header = Base64URL.encode(Data(#"{"alg":"EdDSA","kid":"\#(caller.did.value)#key-1"}"#.utf8))
                let claims = #"{"iss":"\#(caller.did.value)","sub":"\#(caller.did.value)","aud":"\#(net.nodes[1].did.value)","jti":"j\#(exp.count)","exp":\#(exp),"iat":\#(exp)}"#
                let token = header + "." + Base64URL.encode(Data(claims.utf8)) + "." + Base64URL.encode(Data(repeating: 7, count: 64))
                let reply = try await raw(.POST, base + "/dsp/catalog/request", headers: [("Authorization", "Bearer " + token)], body: Data("{}".utf8))
                #expect(reply.status == 401, "exp \(exp): \(reply.status) \(reply.text.prefix(200))")
            }

            // Range headers at every edge on the data plane.
            for range in ["bytes=0-", "bytes=-0", "bytes=9223372036854775807-", "bytes=-9223372036854775808", "bytes=1-0", "bytes=0-9223372036854775807", "bytes=--1", "bytes=-9223372036854775807"] {
                let reply = try await raw(.GET, base + "/data/\(s.providerTransfer)", headers: [("Authorization", "Bearer " + s.dataToken), ("Range", range)])
                #expect(reply.status < 500, "Range \(range): \(reply.status)")
            }

            // Bodies: a number beyond Double, nesting past the parser's limit, a body past the cap.
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            for body in [#"{"@type": 1e400}"#, deep, String(repeating: "x", count: 3 << 20)] {
                let reply = try await raw(
                    .POST, base + "/dsp/negotiations/request",
                    headers: [("Authorization", "Bearer " + (try await net.nodes[2].token(for: net.nodes[1].did))), ("Content-Type", "application/json")],
                    body: Data(body.utf8))
                #expect((400..<500).contains(reply.status), "body of \(body.count) bytes: \(reply.status) \(reply.text.prefix(200))")
            }
            #expect(try await raw(.GET, base + "/healthz").status == 200)
        }
    }

    // MARK: random requests

    /// A seeded generator of hostile requests over every public, DSP and data route (and the
    /// management API with the admin token): random paths and ids, numbers at every boundary,
    /// broken tokens, malformed and oversized bodies. Every answer is below 500 — except a 502
    /// from a management call that had to reach a peer — and the node stays up.
    @Test func randomRequestsOverEveryRouteAreAnsweredBelow500() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            let s = try await Self.scene(net)
            let routes = Self.accessRules.keys.sorted()
            var rng = SeededRandom(seed: 0x1D5_2026)
            let values = [
                "0", "1", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616", "1e400", "NaN",
                "1.5", "0x10", "%00", "%2e%2e", "..", "%2F", "%25", "٣", "１", "' OR 1=1 --", "<script>", "did:web:169.254.169.254",
                "did:web:127.0.0.1%3A1", "did:web:a:%2e%2e:b", String(repeating: "a", count: 5_000), "", "🙂", s.dataset, s.providerTransfer,
            ]
            let bodies = [
                "", "{}", "[]", "null", "1e400", #"{"@context": "x", "@type": "ContractRequestMessage"}"#, "{\"a\":" + String(repeating: "[", count: 600),
                #"{"page": 9.9e307, "limit": -1, "wait": 1e400, "provider": "http://169.254.169.254"}"#, "\u{0}\u{1}\u{2}", "not json",
                #"{"application": "a.b.c"}"#, #"{"receipt": "x"}"#, String(repeating: "{\"k\":", count: 50),
            ]
            func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
            var answered = 0
            for i in 0..<1_500 {
                let route = pick(routes)
                let access = Self.accessRules[route] ?? .open
                let (node, concretePath) = Self.target(route, s)
                var path = concretePath
                // Replace one path segment with a hostile value half of the time.
                if rng.next() % 2 == 0 {
                    var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    if segments.count > 2 {
                        let at = 1 + Int(rng.next() % UInt64(segments.count - 1))
                        segments[at] = pick(values).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "x"
                    }
                    path = segments.joined(separator: "/")
                }
                let query = (0..<Int(rng.next() % 3)).map { _ in
                    "\(pick(["page", "limit", "pageSize", "before", "old", "new", "version", "wait", "after", "since", "minScore", "q", "type"]))=\(pick(values).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
                }
                let url = net.url(node) + path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
                var headers: [(String, String)] = [("Content-Type", pick(["application/json", "text/csv", "application/x-ndjson", "x/y"]))]
                switch rng.next() % 4 {
                case 0: headers.append(("Authorization", "Bearer " + net.nodes[node].adminToken))
                case 1: headers.append(("Authorization", "Bearer " + (try await net.nodes[2].token(for: net.nodes[node].did))))
                case 2: headers.append(("Authorization", pick(["Bearer", "Bearer a.b.c", "Basic x", "Bearer " + String(repeating: "A", count: 9_000)])))
                default: break
                }
                if rng.next() % 5 == 0 { headers.append(("Range", "bytes=\(pick(values))-\(pick(values))")) }
                if rng.next() % 7 == 0 { headers.append(("Dataspace-Metadata", pick(values))) }
                let method = HTTPMethod(rawValue: String(route.split(separator: " ")[0]))
                let body: Data? = method == .GET ? nil : Data(pick(bodies).utf8)
                let reply = try await raw(method, url, headers: headers, body: body, followRedirects: false)
                let peerCall = access == .admin && reply.status == 502
                #expect(reply.status < 500 || peerCall, "#\(i) \(method) \(url.prefix(300)): \(reply.status) \(reply.text.prefix(300))")
                answered += 1
            }
            #expect(answered == 1_500)
            #expect(try await raw(.GET, net.url(1) + "/healthz").status == 200)
            #expect(try await raw(.GET, net.url(0) + "/healthz").status == 200)
        }
    }
}

extension Tag {
    @Tag static var hostile: Self
}
