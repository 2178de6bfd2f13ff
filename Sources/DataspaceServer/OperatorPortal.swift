import Crypto
import DataspaceContracts
import DataspaceCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Operator pages for agreements and transfers. Signing in with the admin token sets an HttpOnly,
/// SameSite=Strict cookie (`Secure` when the node's URL is https) holding an expiry, a random
/// session id and an HMAC over both keyed by the admin token (never the token itself). A session
/// lasts `sessionLifetime`; logging out ends it for good (its id is kept in the store until it
/// would have expired). The pages are read-only, so there is nothing to forge across sites.
struct OperatorPortal: Sendable {
    static let cookieName = "dataspace_operator"
    static let sessionLifetime: TimeInterval = 8 * 3_600
    /// Agreements the operator page lists, newest first (each costs a delivery count).
    static let agreementsShown = 100
    let portal: Portal
    let services: NodeServices
    let library: PortalTemplateLibrary

    init(portal: Portal, services: NodeServices) throws {
        var library = PortalTemplateLibrary()
        try library.register(OperatorTemplates.login, named: "login")
        try library.register(OperatorTemplates.agreements, named: "agreements")
        try library.register(OperatorTemplates.transfers, named: "transfers")
        self.library = library
        self.portal = portal
        self.services = services
    }

    var sessionKey: SymmetricKey { SymmetricKey(data: Data(services.adminToken.utf8)) }

    /// A new session's cookie value: `EXPIRES.ID.MAC`.
    func newSession(now: Date) -> String {
        let expires = Int64(now.timeIntervalSince1970.rounded(.down) + Self.sessionLifetime)
        let id = Hex.encode(Data(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("operator-session|\(expires)|\(id)".utf8), using: sessionKey)
        return "\(expires).\(id).\(Hex.encode(Data(mac)))"
    }

    /// The session a request carries, if its MAC verifies and it has not expired.
    func session(_ request: Request, now: Date) -> (id: String, expires: Int64)? {
        guard let cookies = request.headers[.cookie] else { return nil }
        for part in cookies.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0] == Self.cookieName else { continue }
            let fields = pair[1].split(separator: ".").map(String.init)
            guard fields.count == 3, fields[0].count <= 12, let expires = Int64(fields[0]), fields[1].count == 32,
                let mac = Hex.decode(fields[2]),
                HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data("operator-session|\(expires)|\(fields[1])".utf8), using: sessionKey),
                Double(expires) > now.timeIntervalSince1970
            else { return nil }
            return (fields[1], expires)
        }
        return nil
    }

    func signedIn(_ request: Request) async -> Bool {
        guard let session = session(request, now: Date()) else { return false }
        return !((try? await services.store.operatorSessionEnded(id: session.id)) ?? true)
    }

    var cookieAttributes: String {
        "HttpOnly; SameSite=Strict; Path=/operator" + (services.configuration.publicURL.hasPrefix("https://") ? "; Secure" : "")
    }

    func render(_ title: any CustomStringConvertible & Sendable, _ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        portal.page(title: title, template: "operator", context: ["html": library.render(context, withTemplate: template) ?? ""], status: status)
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    func register(on router: Router<NodeRequestContext>) {
        router.get("/operator/login") { _, _ in render(Bilingual("运营登录", "Operator"), "login", [:]) }
        router.post("/operator/login") { request, _ in
            let body = (try? await request.body.collect(upTo: 4_096)).map { String(buffer: $0) } ?? ""
            let token = body.split(separator: "&").compactMap { field -> String? in
                let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, kv[0] == "token" else { return nil }
                return kv[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }.first ?? ""
            guard Data(SHA256.hash(data: Data(token.utf8))) == Data(SHA256.hash(data: Data(services.adminToken.utf8))) else {
                return render(Bilingual("运营登录", "Operator"), "login", ["error": Bilingual("令牌无效", "The admin token is not valid for this node")], status: .unauthorized)
            }
            return Self.redirect(
                "/operator/agreements", cookie: "\(Self.cookieName)=\(newSession(now: Date())); Max-Age=\(Int(Self.sessionLifetime)); \(cookieAttributes)")
        }
        router.post("/operator/logout") { request, _ in
            if let session = session(request, now: Date()) {
                do { try await services.store.endOperatorSession(id: session.id, expiresAt: Date(timeIntervalSince1970: Double(session.expires))) } catch {
                    services.logger.error("cannot record an operator logout", metadata: ["error": "\(error)"])
                    return Responses.problem(status: .serviceUnavailable, code: "logout.failed", detail: "the logout could not be recorded; try again")
                }
            }
            return Self.redirect("/operator/login", cookie: "\(Self.cookieName)=; Max-Age=0; \(cookieAttributes)")
        }
        router.get("/operator/agreements") { request, _ in
            guard await signedIn(request) else { return Self.redirect("/operator/login") }
            return await problemJSON { try await agreementsPage() }
        }
        router.get("/operator/transfers") { request, _ in
            guard await signedIn(request) else { return Self.redirect("/operator/login") }
            return await problemJSON { try await transfersPage() }
        }
    }

    func agreementsPage() async throws -> Response {
        let store = services.store
        var rows: [[String: Any]] = []
        // The newest agreements, each with its negotiation's state from one read of the newest negotiations.
        let negotiationList = try await store.negotiations(limit: 1_000)
        let states = Dictionary(negotiationList.map { ($0.id, $0.state.rawValue) }, uniquingKeysWith: { a, _ in a })
        let agreements = try await store.agreements(limit: Self.agreementsShown)
        let allCounts = try await services.contracts.deliveryCounts(agreements)
        for a in agreements {
            var state = states[a.negotiationID]
            if state == nil { state = try await store.negotiation(id: a.negotiationID)?.state.rawValue }
            let shownState = state ?? "?"
            let counts = allCounts[a.id] ?? DeliveryCounts(reserved: 0, complete: 0)
            let deliveries = counts.reserved > 0 ? "\(counts.complete) (+\(counts.reserved) open)" : "\(counts.complete)"
            let remaining = (try? a.compiled())?.remainingUses(action: "download", uses: counts.used).map(String.init) ?? "∞"
            rows.append([
                "id": a.id, "role": a.role.rawValue, "state": shownState, "dataset": a.dataset,
                "counterparty": a.role == .provider ? a.consumer : a.provider, "purpose": a.purpose ?? "—", "deliveries": deliveries,
                "remaining": remaining, "agreedAt": ISO8601.format(a.agreedAt), "digest": String(a.digest.prefix(16)) + "…",
            ])
        }
        let negotiations = negotiationList.prefix(100).map { n -> [String: Any] in
            [
                "id": n.id, "role": n.role.rawValue, "state": n.state.rawValue, "dataset": n.dataset, "counterparty": n.counterparty,
                "reasons": n.reasons.joined(separator: "; "), "updated": ISO8601.format(n.updatedAt),
            ]
        }
        return render(Bilingual("合约", "Agreements"), "agreements", ["agreements": rows, "negotiations": negotiations, "shown": Self.agreementsShown])
    }

    func transfersPage() async throws -> Response {
        let transfers = try await services.store.transfers(agreementID: nil, limit: 500).map { t -> [String: Any] in
            [
                "id": t.id, "role": t.role.rawValue, "state": t.state.rawValue, "agreement": t.agreementID, "delivery": t.sequence.map(String.init) ?? "—",
                "reasons": t.reasons.joined(separator: "; "), "updated": ISO8601.format(t.updatedAt),
            ]
        }
        let usage = AgreementUsage.summarize(try await services.store.usage(agreementID: nil)).map { u -> [String: Any] in
            ["agreement": u.agreementID, "requests": u.requests, "complete": u.completeDeliveries, "bytes": u.bytes, "rows": u.rows]
        }
        return render(Bilingual("传输", "Transfers"), "transfers", ["transfers": transfers, "usage": usage])
    }
}
