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
    /// Negotiations the requests page reads, newest first.
    static let requestsShown = 200

    func register(on router: Router<NodeRequestContext>) {
        router.get("/explore") { request, _ in await explore(request) }
        router.post("/requests") { request, _ in await requestAccess(request) }
        router.get("/requests") { request, _ in await requestsPage(request) }
        router.get("/requests/{id}") { request, context in await requestPage(request, id: context.parameters.get("id") ?? "") }
        router.post("/requests/{id}/download") { request, context in await startDownload(request, id: context.parameters.get("id") ?? "") }
        router.get("/downloads/{id}") { request, context in await downloadPage(request, id: context.parameters.get("id") ?? "") }
        router.get("/downloads/{id}/file") { request, context in await downloadFile(request, id: context.parameters.get("id") ?? "") }
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
        guard !provider.isEmpty else { return portal.page(title: Bilingual("浏览成员目录", "Browse a member's catalog"), template: "explore", context: context) }
        guard provider.utf8.count <= 300, provider.hasPrefix("http://") || provider.hasPrefix("https://") else {
            context["error"] = "成员地址应为 http(s)://… 的节点地址 The member's address is a node URL, http(s)://…"
            return portal.page(title: Bilingual("浏览成员目录", "Browse a member's catalog"), template: "explore", context: context, status: .badRequest)
        }
        guard text.count <= 200 else {
            context["error"] = Bilingual("搜索词最多 200 字", "The search has at most 200 characters")
            return portal.page(title: Bilingual("浏览成员目录", "Browse a member's catalog"), template: "explore", context: context, status: .badRequest)
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
            return portal.page(title: Bilingual("浏览成员目录", "Browse a member's catalog"), template: "explore", context: context)
        } catch {
            context["error"] = Bilingual("无法读取该成员的目录：", "The member's catalog could not be read:") + Self.reason(error)
            return portal.page(title: Bilingual("浏览成员目录", "Browse a member's catalog"), template: "explore", context: context, status: .badGateway)
        }
    }

    /// Providers this node has negotiated with, as shortcuts.
    func knownProviders() async -> [[String: String]] {
        let negotiations = (try? await services.store.negotiations(limit: 200)) ?? []
        var seen = Set<String>()
        return negotiations.compactMap { n in
            guard n.role == .consumer else { return nil }
            let base = Self.providerBase(n)
            return seen.insert(base).inserted ? ["url": base] : nil
        }
    }

    /// What went wrong, for a person (never a library's type name); `otherwise` for the rest.
    static func reason(_ error: any Error, otherwise: String = "the member did not answer as a Dataspace node") -> String {
        switch error {
        case let e as PortalDownloads.DownloadFailure: e.description
        case let e as ValidationError: e.message
        case let e as CatalogError: e.message
        case let e as PeerError: e.message
        case let e as ProtocolError: e.reason
        case let e as ContractNotFound: e.description
        case let e as TransitionError: e.message
        default: otherwise
        }
    }

    /// The provider's base URL of a negotiation (its DSP address without the DSP path).
    static func providerBase(_ n: ContractNegotiation) -> String {
        n.counterpartyAddress.hasSuffix(DSP.basePath) ? String(n.counterpartyAddress.dropLast(DSP.basePath.count)) : n.counterpartyAddress
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
            return refused(Bilingual("表单已过期，请从目录页重新申请", "The form expired or came from elsewhere; request again from the catalog page"), status: .forbidden)
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
            return refused(Bilingual("申请未发出：", "The request was not sent:") + Self.reason(error), status: .badRequest)
        }
    }

    func refused(_ message: any CustomStringConvertible & Sendable, status: HTTPResponse.Status) -> Response {
        portal.page(title: Bilingual("申请使用", "Request access"), template: "message", context: ["error": message], status: status)
    }

    // MARK: progress and history

    /// The steps a consumer's request goes through, the ones reached marked.
    static func steps(_ state: NegotiationState) -> [[String: Any]] {
        let order: [(NegotiationState, Bilingual)] = [
            (.requested, Bilingual("已发出", "Requested")), (.agreed, Bilingual("提供方同意", "Agreed by the provider")), (.verified, Bilingual("已确认", "Verified")),
            (.finalized, Bilingual("合约生效", "Agreement in force")),
        ]
        // A refused request was still sent: only its first step is done.
        let reached = order.firstIndex { $0.0 == state } ?? 0
        return order.enumerated().map { i, step in ["label": step.1, "done": i <= reached] }
    }

    func row(_ n: ContractNegotiation, names: [String: String]) -> [String: Any] {
        var row: [String: Any] = [
            "id": n.id, "dataset": n.dataset, "purpose": n.purpose ?? "—", "state": n.state.rawValue,
            "provider": Self.providerBase(n),
            "updated": ISO8601.format(n.updatedAt), "by": n.requestedBy.map { names[$0] ?? ($0 == "admin-token" ? PortalLanguage.current.pick("管理令牌", "admin token") : $0) } ?? "—",
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
            let mine = try await services.store.negotiations(limit: Self.requestsShown).filter { $0.role == .consumer }
            let rows = mine.map { row($0, names: names) }
            return portal.page(title: Bilingual("我的申请与合约", "Requests and agreements"), template: "requests", context: ["requests": rows, "hasRequests": !rows.isEmpty])
        } catch {
            return accounts.unavailable(error)
        }
    }

    func requestPage(_ request: Request, id: String) async -> Response {
        let person: (account: PersonAccount, session: PortalSession)
        switch await accounts.require(Self.readers, request, returnTo: Self.requestsPath) {
        case .failure(let refusal): return refusal.response
        case .success(let p): person = p
        }
        do {
            guard id.utf8.count <= 100, let n = try await services.store.negotiation(id: id), n.role == .consumer else {
                return portal.page(title: Bilingual("申请", "Request"), template: "message", context: ["error": Bilingual("没有这个申请", "No such request")], status: .notFound)
            }
            var context = row(n, names: try await names())
            context["steps"] = Self.steps(n.state)
            context["csrf"] = person.session.csrfToken
            context["canDownload"] = n.state == .finalized && Self.requesters.contains(where: person.account.has)
            // Until the negotiation ends the page reloads itself; the provider answers in seconds.
            if !n.state.isTerminal { context["pending"] = true }
            return portal.page(title: Bilingual("申请使用", "Request access"), template: "request", context: context)
        } catch {
            return accounts.unavailable(error)
        }
    }

    // MARK: downloading under an agreement

    func startDownload(_ request: Request, id: String) async -> Response {
        let person: (account: PersonAccount, session: PortalSession)
        switch await accounts.require(Self.requesters, request, returnTo: Self.requestsPath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        guard let form = try? await FormFields.read(request), PortalAccounts.csrfMatches(form, person.session) else {
            return refused(Bilingual("表单已过期，请从申请页重新下载", "The form expired or came from elsewhere; download again from the request page"), status: .forbidden)
        }
        do {
            guard id.utf8.count <= 100, let n = try await services.store.negotiation(id: id), n.role == .consumer, let agreement = n.agreementID else {
                return portal.page(title: Bilingual("下载", "Download"), template: "message", context: ["error": Bilingual("没有这个已生效的合约", "No agreement in force for this request")], status: .notFound)
            }
            let transfer = try await services.downloads.start(agreementID: agreement, contracts: services.contracts, logger: services.logger)
            services.logger.info("portal download started", metadata: ["transfer": "\(transfer)", "by": "\(person.account.id)"])
            return PortalAccounts.redirect("/downloads/" + transfer)
        } catch {
            return refused(Bilingual("无法开始下载：", "The delivery could not start:") + Self.reason(error, otherwise: "try again"), status: .conflict)
        }
    }

    /// A transfer this node asked for, with its file when one is in place.
    func consumerTransfer(_ id: String) async throws -> (TransferProcess, file: String)? {
        guard id.utf8.count <= 100, let t = try await services.store.transfer(id: id), t.role == .consumer else { return nil }
        return (t, services.downloads.destination(transferID: t.id, dataset: t.dataset, mediaType: t.mediaType))
    }

    func downloadPage(_ request: Request, id: String) async -> Response {
        switch await accounts.require(Self.readers, request, returnTo: Self.requestsPath) {
        case .failure(let refusal): return refusal.response
        case .success: break
        }
        do {
            guard let (t, file) = try await consumerTransfer(id) else {
                return portal.page(title: Bilingual("下载", "Download"), template: "message", context: ["error": Bilingual("没有这个下载", "No such download")], status: .notFound)
            }
            var context: [String: Any] = ["id": t.id, "dataset": t.dataset, "agreement": t.agreementID, "state": t.state.rawValue]
            if let p = await services.downloads.progress(t.id) {
                context["received"] = p.received
                if let total = p.total, total > 0 {
                    context["total"] = total
                    context["percent"] = Int(min(100, p.received * 100 / total))
                }
                if let error = p.error { context["error"] = error }
                if let sha = p.sha256, p.error == nil { context["sha256"] = sha }
                if let index = p.receiptIndex { context["receipt"] = index }
                if !p.finished { context["pending"] = true }
                if p.finished, p.error == nil, FileManager.default.fileExists(atPath: file) { context["ready"] = true }
            } else if FileManager.default.fileExists(atPath: file) {
                // Fetched by this node earlier (or by another replica): the file was checked before it was put in place.
                context["ready"] = true
                context["sha256"] = t.sha256 ?? ""
            } else if !t.state.isTerminal {
                context["elsewhere"] = true
            } else {
                context["error"] = t.reasons.isEmpty ? Bilingual("这次交付没有留下文件", "This delivery left no file here") : t.reasons.joined(separator: "; ")
            }
            return portal.page(title: Bilingual("下载", "Download"), template: "download", context: context)
        } catch {
            return accounts.unavailable(error)
        }
    }

    func downloadFile(_ request: Request, id: String) async -> Response {
        switch await accounts.require(Self.readers, request, returnTo: Self.requestsPath) {
        case .failure(let refusal): return refusal.response
        case .success: break
        }
        do {
            guard let (t, file) = try await consumerTransfer(id), FileManager.default.fileExists(atPath: file) else {
                return portal.page(title: Bilingual("下载", "Download"), template: "message", context: ["error": Bilingual("文件不在这里", "The file is not here")], status: .notFound)
            }
            let name = (file as NSString).lastPathComponent
            var headers = HTTPFields()
            headers[.contentType] = t.mediaType ?? "text/csv"
            headers[.contentDisposition] = "attachment; filename=\"\(name)\""
            headers[.cacheControl] = "no-store"
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            if let size { headers[.contentLength] = String(size) }
            let body = ResponseBody { writer in
                guard let handle = FileHandle(forReadingAtPath: file) else { return }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 256 << 10), !chunk.isEmpty {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        } catch {
            return accounts.unavailable(error)
        }
    }
}
