import DataspaceCatalog
import DataspaceCore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import DataspaceQuality

/// The public web portal: search with facets and dataset pages, in Chinese and English.
struct Portal: Sendable {
    let library: PortalTemplateLibrary
    let services: NodeServices

    init(services: NodeServices) throws {
        var library = PortalTemplateLibrary()
        try library.register(PortalTemplates.layout, named: "layout")
        try library.register(PortalTemplates.search, named: "search")
        try library.register(PortalTemplates.dataset, named: "dataset")
        try library.register(Self.ledgerTemplate, named: "ledger")
        try library.register("{{{html}}}", named: "operator")
        try library.register(AccountTemplates.login, named: "login")
        try library.register(AccountTemplates.invite, named: "invite")
        try library.register(AccountTemplates.account, named: "account")
        try library.register(AccountTemplates.message, named: "message")
        try library.register(AccountTemplates.authority, named: "authority")
        try library.register(AccessRequestTemplates.explore, named: "explore")
        try library.register(AccessRequestTemplates.request, named: "request")
        try library.register(AccessRequestTemplates.requests, named: "requests")
        try library.register(AccessRequestTemplates.download, named: "download")
        try library.register(AccountTemplates.audit, named: "audit")
        try library.register(PublisherTemplates.publish, named: "publish")
        try library.register(PublisherTemplates.draft, named: "draft")
        try library.register(PublisherTemplates.publisher, named: "publisher")
        self.library = library
        self.services = services
    }

    func register(on router: Router<NodeRequestContext>) {
        router.get("/") { request, _ in await searchPage(request) }
        router.get("/language") { request, _ in chooseLanguage(request) }
        router.get("/datasets/{prefix}/{local}") { _, context in await datasetPage(context) }
        router.get("/datasets/{prefix}/{local}/quality") { request, context in await qualityPage(request, context) }
        registerLedger(on: router)
        router.get("/static/portal.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: PortalTemplates.css + AccountTemplates.css)))
        }
        router.get("/static/publish.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=3600"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: PublisherTemplates.script)))
        }
    }

    /// A page in the request's language: `title` may be a `Bilingual` or a plain string.
    func page(title: any CustomStringConvertible & Sendable, template: String, context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let content = library.render(context, withTemplate: template) ?? ""
        let language = PortalLanguage.current
        let next = PortalLanguage.currentPath.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "%2F"
        let switcher: [[String: Any]] = [(PortalLanguage.zh, "中文", "zh-CN"), (.en, "English", "en"), (.both, "中英 Both", "zh-CN")].map { choice in
            ["code": choice.0.rawValue, "label": choice.1, "lang": choice.2, "next": next, "current": choice.0 == language]
        }
        let html = library.render(
            [
                "title": title.description, "nodeName": services.configuration.name, "did": services.did.value, "content": content,
                "htmlLang": language.htmlLang, "languages": switcher,
            ] as [String: Any],
            withTemplate: "layout") ?? ""
        var response = Responses.text(html, status: status, contentType: "text/html; charset=utf-8")
        response.headers[.contentLanguage] = language == .en ? "en" : language == .zh ? "zh-CN" : "zh-CN, en"
        response.headers[.vary] = "Accept-Language, Cookie"
        return response
    }

    /// Sets the language a person chose with the switch and returns to the page they were on.
    func chooseLanguage(_ request: Request) -> Response {
        let next = PortalAccounts.localTarget(request.query("next") ?? "/")
        guard let language = request.query("to").flatMap(PortalLanguage.init(rawValue:)) else {
            return PortalAccounts.redirect(next)
        }
        let secure = services.configuration.publicURL.hasPrefix("https://") ? "; Secure" : ""
        return PortalAccounts.redirect(next, cookie: "\(PortalLanguage.cookie)=\(language.rawValue); Max-Age=31536000; Path=/; SameSite=Lax\(secure)")
    }

    /// Every computation mode the offer grants, with its limits: "differentially private queries
    /// (…) · ε 1 per agreement, at most 0.5 a query", "private set intersection (…)", "secure
    /// aggregation (…)", then the declared unit, bounds, keys and match columns when the
    /// product's details are public; nil when the offer grants no computation.
    static func computeLabel(_ r: DatasetRecord) -> String? {
        let language = PortalLanguage.current
        guard let policy = try? CompiledPolicy(r.offer) else { return nil }
        var parts: [String] = []
        if let terms = policy.computeBudget {
            parts.append(language.pick("差分隐私查询（COUNT/SUM/AVG，在原处计算，数据不出域）", "differentially private queries (COUNT/SUM/AVG, computed in place, rows never leave)"))
            let symbol = terms.total.parameter == "epsilon" ? "ε" : "ρ"
            var budget = language.pick("每份合约 \(symbol) \(terms.total.amount)", "\(symbol) \(terms.total.amount) per agreement")
            if let q = terms.perQuery { budget += language.pick("，每次查询至多 \(q)", ", at most \(q) a query") }
            if let p = terms.perPeriod { budget += language.pick("，每 \(ISO8601.formatDuration(terms.period)) 至多 \(p)", ", at most \(p) per \(ISO8601.formatDuration(terms.period))") }
            parts.append(budget)
        }
        if let psi = policy.psiTerms {
            let runs = psi.runs.map { language.pick("，至多 \($0) 次", ", at most \($0) runs") } ?? ""
            let output = psi.output == .intersection
                ? language.pick("，可知哪些标识匹配", ", releases which identifiers matched") : language.pick("，仅知交集大小", ", releases only the intersection's size")
            parts.append(language.pick("隐私求交（每次至多 \(psi.maximumSetSize) 个标识\(runs)\(output)）", "private set intersection (at most \(psi.maximumSetSize) identifiers a run\(runs)\(output))"))
        }
        if let rounds = policy.aggregateRounds {
            parts.append(language.pick(
                "安全聚合（与其他提供方联合 COUNT/SUM，至多 \(rounds) 轮，仅交出秘密份额）",
                "secure aggregation (joint COUNT/SUM with other providers, at most \(rounds) rounds, as secret shares only)"))
        }
        guard !parts.isEmpty else { return nil }
        if let c = r.compute, r.detailsArePublic {
            if let unit = c.privacyUnit { parts.append(language.pick("隐私单位 \(unit)", "privacy unit \(unit)")) }
            if !c.bounds.isEmpty {
                parts.append(language.pick("可求和列 ", "summable ") + c.bounds.keys.sorted().map { "\($0) \(c.bounds[$0]?.description ?? "")" }.joined(separator: ", "))
            }
            if !c.publicKeys.isEmpty { parts.append(language.pick("公开分组键 ", "public keys ") + c.publicKeys.joined(separator: ", ")) }
            if !c.matchColumns.isEmpty { parts.append(language.pick("求交列 ", "match columns ") + c.matchColumns.joined(separator: ", ")) }
        }
        return parts.joined(separator: " · ")
    }

    static func protectionLabel(_ p: DeliveryProtection) -> String {
        let masked = p.masking.keys.sorted().map { "\($0) (\(p.masking[$0]?.description ?? ""))" }.joined(separator: ", ")
        let language = PortalLanguage.current
        return (masked.isEmpty ? "" : language.pick("脱敏：", "masked:") + " " + masked) + (p.watermark ? (masked.isEmpty ? "" : " · ") + language.pick("水印", "watermarked") : "")
    }

    /// The quality report of the current (or `?version=`) version as an HTML page with charts:
    /// scores and structure; the profile's values only if the publisher made them public. Core
    /// and withdrawn products show nothing beyond their catalog entry.
    func qualityPage(_ request: Request, _ routeContext: NodeRequestContext) async -> Response {
        do {
            let identifier = try identifierParameter(routeContext)
            let (record, signed) = try await QualityRoutes.signedReport(identifier, version: request.query("version"), services: services)
            let current = try await services.catalog.record(identifier)
            guard let current, current.detailsArePublic, record.detailsArePublic else {
                return page(
                    title: Bilingual("不公开", "Not public"), template: "search",
                    context: ["error": Bilingual("此数据产品的质量报告不公开", "The quality report of \(identifier) is not public"), "total": 0, "page": 1],
                    status: .notFound)
            }
            let report = PublicQualityReport.redacted(try JSONValue.parse(signed.json), showValues: record.profilePublic)
            let html = QualityReportHTML.render(report, title: record.title, language: PortalLanguage.current.choice)
            return Responses.text(html, contentType: "text/html; charset=utf-8")
        } catch let error as CatalogError {
            return page(title: Bilingual("未找到", "Not found"), template: "search", context: ["error": error.description, "total": 0, "page": 1], status: .notFound)
        } catch {
            return page(title: Bilingual("请求有误", "Bad request"), template: "search", context: ["error": "\(error)", "total": 0, "page": 1], status: .badRequest)
        }
    }

    /// Labels for the request's language (`PortalLanguage.current`).
    static func sectorLabel(_ s: Sector) -> String { PortalLanguage.current.pick(s.chineseLabel, s.englishLabel) }

    /// `一般数据 general-1` in Chinese (and side by side), `general-1` in English.
    static func gradeLabel(_ grade: DataGrade) -> String {
        PortalLanguage.current == .en ? grade.description : "\(grade.level.chineseLabel) \(grade)"
    }

    static func regionLabel(_ code: String) -> String {
        guard let r = try? RegionCode(code) else { return code }
        return PortalLanguage.current.pick(r.chineseName, r.englishName)
    }

    func searchPage(_ request: Request) async -> Response {
        var params: [String: String] = [:]
        for key in ["q", "sector", "region", "grade", "minScore"] { if let v = request.query(key) { params[key] = v } }
        func link(_ changes: [String: String?], page: Int = 1) -> String {
            var p = params
            for (k, v) in changes { p[k] = v }
            var items = p.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            if page > 1 { items.append("page=\(page)") }
            return "/" + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
        }
        // Only the filters that were given: a missing one must be absent from the context, not an
        // Optional in an Any (which a template prints as "nil" and the form then sends back).
        var context: [String: Any] = ["q": params["q"] ?? ""]
        for key in ["sector", "region", "grade", "minScore"] { context[key] = params[key] }
        do {
            var query = try ManagementRoutes.searchQuery(request)
            query.pageSize = 20
            let (results, records) = try await services.catalog.search(query)
            context["total"] = results.total
            context["page"] = query.page
            if query.page > 1 { context["previous"] = link([:], page: query.page - 1) }
            if query.page * query.pageSize < results.total { context["next"] = link([:], page: query.page + 1) }
            context["items"] = records.map { r -> [String: Any] in
                var item: [String: Any] = [
                    "identifier": r.identifier.description, "title": r.title, "description": String(r.description.prefix(240)),
                    "publisher": r.publisher.name, "sectorLabel": Self.sectorLabel(r.sector), "regionLabel": Self.regionLabel(r.region.value),
                    "grade": r.grade.description, "version": r.version,
                ]
                item["score"] = r.quality?.score.map { String(format: "%.2f", $0) }
                return item
            }
            context["sectorFacets"] = results.sectors.prefix(24).map { f -> [String: Any] in
                ["label": Sector(rawValue: f.value).map(Self.sectorLabel) ?? f.value, "count": f.count, "link": link(["sector": f.value])]
            }
            context["regionFacets"] = results.regions.prefix(20).map { f -> [String: Any] in
                ["label": Self.regionLabel(f.value), "count": f.count, "link": link(["region": f.value])]
            }
            context["gradeFacets"] = results.grades.map { f -> [String: Any] in
                ["label": PortalLanguage.current == .en ? f.value : "\(GradeLevel(rawValue: f.value)?.chineseLabel ?? "") \(f.value)", "count": f.count, "link": link(["grade": f.value])]
            }
            context["scoreFacets"] = results.scores.map { f -> [String: Any] in
                let lower = f.value.split(separator: "-").first.map(String.init) ?? ""
                return ["label": f.value == "unscored" ? Bilingual("未评估", "unscored") : "≥ \(lower) (\(f.value))", "count": f.count,
                        "link": f.value == "unscored" ? link([:]) : link(["minScore": lower])]
            }
            var active: [[String: Any]] = []
            if let s = params["sector"] { active.append(["label": Sector(rawValue: s).map(Self.sectorLabel) ?? s, "removeLink": link(["sector": nil])]) }
            if let r = params["region"] { active.append(["label": Self.regionLabel(r), "removeLink": link(["region": nil])]) }
            if let g = params["grade"] { active.append(["label": g, "removeLink": link(["grade": nil])]) }
            if let m = params["minScore"] { active.append(["label": Bilingual("质量 ≥ \(m)", "quality ≥ \(m)"), "removeLink": link(["minScore": nil])]) }
            if !active.isEmpty { context["activeFilters"] = ["items": active] }
            return page(title: params["q"].map { Bilingual("搜索 \($0)", "Search: \($0)") } ?? Bilingual("数据目录", "Catalog"), template: "search", context: context)
        } catch {
            context["error"] = (error as? ValidationError)?.description ?? "\(error)"
            context["total"] = 0
            context["page"] = 1
            return page(title: Bilingual("数据目录", "Catalog"), template: "search", context: context, status: .badRequest)
        }
    }

    func datasetPage(_ routeContext: NodeRequestContext) async -> Response {
        do {
            let identifier = try identifierParameter(routeContext)
            if identifier.creditCode != services.configuration.creditCode {
                // Another publisher's product (an agreement's link on the consumer's node): its
                // page is on the owner's node.
                if let owner = try await ResolveRoutes.ownerBaseURL(of: identifier, services: services) {
                    return Response(status: .temporaryRedirect, headers: [.location: owner + "/datasets/" + identifier.description])
                }
                return page(
                    title: Bilingual("未找到", "Not found"), template: "search",
                    context: ["error": Bilingual("此数据产品属于其他机构，本节点不知道其节点地址", "\(identifier) belongs to another organisation whose node this node does not know"), "total": 0, "page": 1],
                    status: .notFound)
            }
            let versions = try await services.catalog.versions(identifier)
            guard let r = versions.last else {
                return page(title: Bilingual("未找到", "Not found"), template: "search", context: ["error": Bilingual("没有此数据产品", "No product \(identifier)"), "total": 0, "page": 1], status: .notFound)
            }
            var temporal = "—"
            if let t = r.temporal {
                temporal = "\(t.start.map(ISO8601.formatDate) ?? "…") – \(t.end.map(ISO8601.formatDate) ?? "…")"
            }
            var context: [String: Any] = [
                "title": r.title, "description": r.description, "identifier": r.identifier.description,
                "ipv6": identifier.ipv6Address(in: services.catalog.addresses.prefix).description,
                "publisher": r.publisher.name, "creditCode": r.publisher.creditCode.value, "sectorLabel": Self.sectorLabel(r.sector),
                "region": r.region.value, "regionLabel": Self.regionLabel(r.region.value), "grade": Self.gradeLabel(r.grade),
                "keywords": r.keywords, "temporal": temporal, "license": r.license, "issued": ISO8601.format(r.issued),
                "modified": ISO8601.format(r.modified), "mediaType": r.distribution.format.mediaType, "byteSize": r.distribution.byteSize,
                "rowCount": r.distribution.rowCount, "sha256": r.distribution.sha256, "columns": r.distribution.columns.joined(separator: ", "),
                "offer": r.offer.json.encodedString(pretty: true), "withdrawn": r.status == .withdrawn,
                "versions": versions.reversed().map { v -> [String: Any] in
                    ["version": v.version, "status": v.status.rawValue, "modified": ISO8601.format(v.modified), "sha256": String(v.distribution.sha256.prefix(16)) + "…"]
                },
            ]
            context["score"] = r.quality?.score.map { String(format: "%.3f", $0) }
            context["gradeStatus"] = r.quality.map { q in q.grade.status.rawValue + (q.grade.status == .proposed ? "" : " by \(q.grade.by ?? "")") }
            if !r.protection.isEmpty { context["protection"] = Self.protectionLabel(r.protection) }
            context["terms"] = PolicySummary.lines(r.offer).map { ["chinese": $0.chinese, "english": $0.english] }
            // How the product can be computed on: shown even for core data (it says nothing of
            // the values); the columns named only where the details are public.
            context["computeModes"] = Self.computeLabel(r)
            if !r.detailsArePublic {
                for key in ["byteSize", "rowCount", "sha256", "columns", "offer", "terms", "score", "gradeStatus", "protection", "versions", "ipv6"] {
                    context[key] = nil
                }
                context["detailsWithheld"] = true
            }
            return page(title: r.title, template: "dataset", context: context, status: r.status == .withdrawn ? .gone : .ok)
        } catch {
            return page(title: Bilingual("标识有误", "Bad identifier"), template: "search", context: ["error": "\(error)", "total": 0, "page": 1], status: .badRequest)
        }
    }
}
