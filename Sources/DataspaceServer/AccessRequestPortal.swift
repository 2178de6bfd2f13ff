import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// The analyst's side of the portal: browse another member's catalog over DSP, read each offer's
/// terms in plain words, press 申请使用 / Request access (which runs the DSP negotiation), watch it
/// progress, read the provider's reasons when it is refused, and find the requests and agreements
/// again later. The same contract service as `POST /api/v1/negotiations`, attributed to the person.
struct AccessRequestPortal: Sendable {
    let accounts: PortalAccounts
    var services: NodeServices { accounts.services }
    var portal: Portal { accounts.portal }

    static let explorePath = "/explore"
    static let requestsPath = "/requests"
    /// Who may request access: analysts; publishers and auditors may look.
    static let requesters: [PersonRole] = [.analyst]
    static let readers: [PersonRole] = [.analyst, .publisher, .auditor]

    func register(on router: Router<NodeRequestContext>) {
        router.get("/explore") { request, _ in await explore(request) }
        router.post("/requests") { request, _ in await requestAccess(request) }
        router.get("/requests") { request, _ in await requestsPage(request) }
        router.get("/requests/{id}") { request, context in await requestPage(request, id: context.parameters.get("id") ?? "") }
    }

    // MARK: browsing a member's catalog

    /// One product of a member's catalog, as the page shows it.
    static func product(_ dataset: JSONValue) -> [String: Any]? {
        guard let id = dataset["@id"]?.stringValue, id.utf8.count <= 300 else { return nil }
        var row: [String: Any] = [
            "id": id, "title": dataset["dct:title"]?.stringValue ?? id, "description": dataset["dct:description"]?.stringValue ?? "",
            "grade": dataset["dataspace:grade"]?.stringValue ?? "", "region": dataset["dct:spatial"]?.stringValue ?? "",
            "sector": dataset["dcat:theme"]?.stringValue ?? "",
        ]
        let offers = dataset["hasPolicy"].map { $0.arrayValue ?? [$0] } ?? []
        if let offer = offers.first, let policy = try? UsagePolicy.parse(offer, path: "offer") {
            row["terms"] = PolicySummary.lines(policy).map { ["chinese": $0.chinese, "english": $0.english] }
        } else {
            row["noOffer"] = true
        }
        return row
    }

    func explore(_ request: Request) async -> Response {
        let person: (account: PersonAccount, session: PortalSession)
        switch await accounts.require(Self.readers, request, returnTo: Self.explorePath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        var context: [String: Any] = [
            "csrf": person.session.csrfToken, "canRequest": Self.requesters.contains(where: person.account.has),
            "purposes": Purpose.all.map { ["value": $0] },
        ]
        let provider = (request.query("provider") ?? "").trimmingCharacters(in: .whitespaces)
        let text = (request.query("q") ?? "").trimmingCharacters(in: .whitespaces)
        context["provider"] = provider
        context["q"] = text
        context["known"] = await knownProviders()
        guard !provider.isEmpty else { return portal.page(title: "浏览成员目录 Browse a member's catalog", template: "explore", context: context) }
        guard provider.utf8.count <= 300, provider.hasPrefix("http://") || provider.hasPrefix("https://") else {
            context["error"] = "成员地址应为 http(s)://… 的节点地址 The member's address is a node URL, http(s)://…"
            return portal.page(title: "浏览成员目录 Browse a member's catalog", template: "explore", context: context, status: .badRequest)
        }
        guard text.count <= 200 else {
            context["error"] = "搜索词最多 200 字 The search has at most 200 characters"
            return portal.page(title: "浏览成员目录 Browse a member's catalog", template: "explore", context: context, status: .badRequest)
        }
        var filter = CatalogRequestMessage.Filter()
        filter.query = text.isEmpty ? nil : text
        do {
            let reply = try await DSPCatalogClient(services: services).requestCatalog(
                provider: provider.trimmingCharacters(in: CharacterSet(charactersIn: "/")), filter: filter)
            let products = (reply.catalog["dataset"]?.arrayValue ?? []).prefix(200).compactMap(Self.product)
            context["products"] = Array(products)
            context["hasProducts"] = !products.isEmpty
            context["searched"] = true
            return portal.page(title: "浏览成员目录 Browse a member's catalog", template: "explore", context: context)
        } catch {
            context["error"] = "无法读取该成员的目录 The member's catalog could not be read: " + Self.reason(error)
            return portal.page(title: "浏览成员目录 Browse a member's catalog", template: "explore", context: context, status: .badGateway)
        }
    }

    /// Providers this node has negotiated with, as shortcuts.
    func knownProviders() async -> [[String: String]] {
        let negotiations = (try? await services.store.negotiations(limit: 200)) ?? []
        var seen = Set<String>()
        return negotiations.compactMap { n in
            guard n.role == .consumer else { return nil }
            let base = n.counterpartyAddress.hasSuffix(DSP.basePath) ? String(n.counterpartyAddress.dropLast(DSP.basePath.count)) : n.counterpartyAddress
            return seen.insert(base).inserted ? ["url": base] : nil
        }
    }

    /// What went wrong, for a person (never a library's type name).
    static func reason(_ error: any Error) -> String {
        switch error {
        case let e as ValidationError: e.message
        case let e as CatalogError: e.message
        case let e as PeerError: e.message
        case let e as ProtocolError: e.reason
        default: "the member did not answer as a Dataspace node"
        }
    }

    // MARK: requesting access

    func requestAccess(_ request: Request) async -> Response {
        let person: (account: PersonAccount, session: PortalSession)
        switch await accounts.require(Self.requesters, request, returnTo: Self.explorePath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        let form: FormFields
        do { form = try await FormFields.read(request) } catch {
            return refused((error as? FormFields.Refusal)?.message ?? "the form could not be read", status: .badRequest)
        }
        guard PortalAccounts.csrfMatches(form, person.session) else {
            return refused("表单已过期，请从目录页重新申请 The form expired or came from elsewhere; request again from the catalog page", status: .forbidden)
        }
        let provider = form["provider"].trimmingCharacters(in: .whitespaces)
        let purpose = form["purpose"]
        do {
            let dataset = try UnifiedIdentifier(parsing: form["dataset"])
            guard provider.utf8.count <= 300, provider.hasPrefix("http://") || provider.hasPrefix("https://") else {
                throw ValidationError(code: "provider.invalid", field: "provider", message: "the provider is a node URL, http(s)://…")
            }
            guard Purpose.isKnown(purpose) else {
                throw ValidationError(code: "purpose.unknown", field: "purpose", message: "choose a purpose from the list")
            }
            let n = try await services.contracts.requestContract(
                provider: provider.trimmingCharacters(in: CharacterSet(charactersIn: "/")), dataset: dataset, purpose: purpose, offerID: nil,
                by: person.account.id)
            services.logger.info("access requested", metadata: ["negotiation": "\(n.id)", "by": "\(person.account.id)"])
            return PortalAccounts.redirect(Self.requestsPath + "/" + n.id)
        } catch {
            return refused("申请未发出 The request was not sent: " + Self.reason(error), status: .badRequest)
        }
    }

    func refused(_ message: String, status: HTTPResponse.Status) -> Response {
        portal.page(title: "申请使用 Request access", template: "message", context: ["error": message], status: status)
    }

    // MARK: progress and history

    /// The steps a consumer's request goes through, the ones reached marked.
    static func steps(_ state: NegotiationState) -> [[String: Any]] {
        let order: [(NegotiationState, String)] = [
            (.requested, "已发出 Requested"), (.agreed, "提供方同意 Agreed by the provider"), (.verified, "已确认 Verified"),
            (.finalized, "合约生效 Agreement in force"),
        ]
        // A refused request was still sent: only its first step is done.
        let reached = order.firstIndex { $0.0 == state } ?? 0
        return order.enumerated().map { i, step in ["label": step.1, "done": i <= reached] }
    }

    func row(_ n: ContractNegotiation, names: [String: String]) -> [String: Any] {
        var row: [String: Any] = [
            "id": n.id, "dataset": n.dataset, "purpose": n.purpose ?? "—", "state": n.state.rawValue,
            "provider": n.counterpartyAddress.hasSuffix(DSP.basePath) ? String(n.counterpartyAddress.dropLast(DSP.basePath.count)) : n.counterpartyAddress,
            "updated": ISO8601.format(n.updatedAt), "by": n.requestedBy.map { names[$0] ?? ($0 == "admin-token" ? "管理令牌 admin token" : $0) } ?? "—",
        ]
        if n.state == .terminated { row["refused"] = true }
        if n.state == .finalized { row["agreed"] = true }
        if let a = n.agreementID { row["agreement"] = a }
        if !n.reasons.isEmpty { row["reasons"] = n.reasons.map { ["text": $0] } }
        return row
    }

    func names() async throws -> [String: String] {
        Dictionary(try await services.accounts.store.accounts().map { ($0.id, $0.displayName) }, uniquingKeysWith: { a, _ in a })
    }

    func requestsPage(_ request: Request) async -> Response {
        switch await accounts.require(Self.readers, request, returnTo: Self.requestsPath) {
        case .failure(let refusal): return refusal.response
        case .success: break
        }
        do {
            let names = try await names()
            let mine = try await services.store.negotiations(limit: 500).filter { $0.role == .consumer }
            let rows = mine.map { row($0, names: names) }
            return portal.page(title: "我的申请与合约 Requests and agreements", template: "requests", context: ["requests": rows, "hasRequests": !rows.isEmpty])
        } catch {
            return accounts.unavailable(error)
        }
    }

    func requestPage(_ request: Request, id: String) async -> Response {
        switch await accounts.require(Self.readers, request, returnTo: Self.requestsPath) {
        case .failure(let refusal): return refusal.response
        case .success: break
        }
        do {
            guard id.utf8.count <= 100, let n = try await services.store.negotiation(id: id), n.role == .consumer else {
                return portal.page(title: "申请 Request", template: "message", context: ["error": "没有这个申请 No such request"], status: .notFound)
            }
            var context = row(n, names: try await names())
            context["steps"] = Self.steps(n.state)
            // Until the negotiation ends the page reloads itself; the provider answers in seconds.
            if !n.state.isTerminal { context["pending"] = true }
            return portal.page(title: "申请使用 Request access", template: "request", context: context)
        } catch {
            return accounts.unavailable(error)
        }
    }
}
