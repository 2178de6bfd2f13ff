import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceQuality
import Foundation
import HTTPTypes
import Hummingbird

/// The publisher's side of the portal. Publishing is two steps: the file is uploaded (the page
/// shows the upload's progress) and assessed into a draft; the review page shows the quality
/// report, the proposed grade and the columns that look personal, and asks for the metadata,
/// the grade (kept or overridden with a reason), the masking of each detected column and the
/// offer in plain choices. Confirming publishes through the catalog service like any upload,
/// attributed to the person. `/publisher` lists the node's products (withdraw), the
/// negotiations other organisations opened and the agreements in force with their deliveries.
struct PublisherPortal: Sendable {
    let accounts: PortalAccounts
    var services: NodeServices { accounts.services }
    var portal: Portal { accounts.portal }
    let drafts: PublishDrafts

    static let publishPath = "/publish"
    static let homePath = "/publisher"
    static let roles: [PersonRole] = [.publisher]
    /// Negotiations and agreements the publisher page lists, newest first.
    static let shown = 200
    /// Products per page of the publisher page.
    static let productsPerPage = 100
    /// The review form carries a description of up to 4,000 characters, percent-encoded.
    static let reviewFormBytes = 128 << 10

    /// Licences offered in the form (any other IRI can still be set through the API).
    static let licences: [(url: String, label: Bilingual)] = [
        ("https://creativecommons.org/licenses/by/4.0/", Bilingual("CC BY 4.0 署名", "CC BY 4.0 Attribution")),
        ("https://creativecommons.org/publicdomain/zero/1.0/", Bilingual("CC0 1.0 公共领域", "CC0 1.0 Public domain")),
        ("https://creativecommons.org/licenses/by-nc/4.0/", Bilingual("CC BY-NC 4.0 署名-非商业性使用", "CC BY-NC 4.0 Attribution-NonCommercial")),
        ("https://creativecommons.org/licenses/by-sa/4.0/", Bilingual("CC BY-SA 4.0 署名-相同方式共享", "CC BY-SA 4.0 Attribution-ShareAlike")),
    ]

    init(accounts: PortalAccounts) {
        self.accounts = accounts
        drafts = PublishDrafts(root: accounts.services.directory.path + "/drafts")
    }

    func register(on router: Router<NodeRequestContext>) {
        router.get("/publish") { request, _ in await uploadPage(request) }
        router.post("/publish/drafts") { request, _ in await upload(request) }
        router.get("/publish/drafts/{id}") { request, context in await reviewPage(request, id: context.parameters.get("id") ?? "") }
        router.post("/publish/drafts/{id}") { request, context in await confirm(request, id: context.parameters.get("id") ?? "") }
        router.post("/publish/drafts/{id}/discard") { request, context in await discard(request, id: context.parameters.get("id") ?? "") }
        router.get("/publisher") { request, _ in await homePage(request) }
        router.post("/publisher/datasets/{prefix}/{local}/withdraw") { request, context in
            await withdraw(request, identifier: (context.parameters.get("prefix") ?? "") + "/" + (context.parameters.get("local") ?? ""))
        }
    }

    typealias SignedIn = (account: PersonAccount, session: PortalSession)

    func signedIn(_ request: Request, returnTo: String) async -> Result<SignedIn, PortalRefusal> {
        await accounts.require(Self.roles, request, returnTo: returnTo)
    }

    // MARK: step 1: upload

    func uploadPage(_ request: Request) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.publishPath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        var context: [String: Any] = ["csrf": person.session.csrfToken, "limit": services.catalog.maximumFileBytes >> 20, "action": "/publish/drafts"]
        if let text = request.query("product") {
            do {
                let current = try await currentProduct(text)
                context["product"] = current.identifier.description
                context["productTitle"] = current.title
                context["action"] = "/publish/drafts?product=" + (current.identifier.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            } catch let error as CatalogError {
                return refused(Bilingual("无法发布新版本：", "Cannot publish a new version:") + error.message, status: error.code == .notFound ? .notFound : .conflict)
            } catch {
                return accounts.unavailable(error)
            }
        }
        return portal.page(title: Bilingual("发布数据产品", "Publish a data product"), template: "publish", context: context)
    }

    /// The active product a new version is for; the error names it when there is none.
    func currentProduct(_ text: String) async throws -> DatasetRecord {
        guard text.utf8.count <= 200, let identifier = try? UnifiedIdentifier(parsing: text) else {
            throw CatalogError(.notFound, "no product \(text.prefix(60))", field: "product")
        }
        guard let current = try await services.catalog.record(identifier) else {
            throw CatalogError(.notFound, "no product \(identifier)", field: "product")
        }
        guard current.status != .withdrawn else {
            throw CatalogError(.withdrawn, "product \(identifier) was withdrawn and cannot get new versions", field: "product")
        }
        return current
    }

    /// A problem the upload page's script shows in place: `{"detail": …}`.
    static func uploadRefusal(_ status: HTTPResponse.Status, _ field: String, _ detail: any CustomStringConvertible & Sendable) -> Response {
        Responses.json(["field": .string(field), "detail": .string(detail.description)], status: status)
    }

    /// Receives the file as the request body (the page's script sends it so it can show
    /// progress), stores it as a draft and assesses it. Answers `{"location": review page}`.
    func upload(_ request: Request) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.publishPath) {
        case .success(let p): person = p
        case .failure:
            await request.discardBody(upTo: 4 << 20)
            guard await accounts.person(request) != nil else {
                return Self.uploadRefusal(.unauthorized, "session", Bilingual("请先登录发布者账户", "Sign in with a publisher account first"))
            }
            return Self.uploadRefusal(.forbidden, "role", Bilingual("发布需要发布者角色，请联系管理员", "Publishing needs the publisher role; ask your administrator"))
        }
        guard SecretToken.equal(request.headers[.csrfToken] ?? "", person.session.csrfToken) else {
            await request.discardBody(upTo: 4 << 20)
            return Self.uploadRefusal(.forbidden, "csrf", Bilingual("页面已过期，请刷新后重新上传", "The page expired; reload it and upload again"))
        }
        let format: TabularFormat
        do { format = try TabularFormat(mediaType: request.headers[.contentType] ?? "") } catch {
            await request.discardBody(upTo: 4 << 20)
            return Self.uploadRefusal(.unsupportedMediaType, "file", Bilingual("只接受 CSV 或 JSON Lines 文件", "Only CSV (.csv) and JSON Lines (.jsonl) files can be published"))
        }
        var product: String?
        if let text = request.query("product") {
            do { product = try await currentProduct(text).identifier.description } catch let error as CatalogError {
                await request.discardBody(upTo: 4 << 20)
                return Self.uploadRefusal(.badRequest, "product", error.message)
            } catch {
                await request.discardBody(upTo: 4 << 20)
                return Self.uploadRefusal(.serviceUnavailable, "product", "the product could not be read; try again shortly")
            }
        }
        let name = Self.fileName(request.headers[.fileName])
        let stored: (id: String, file: String, bytes: Int64)
        let body = UploadStream(request.body)
        do {
            stored = try await drafts.store(body: body, limit: services.catalog.maximumFileBytes)
        } catch let error as PublishDrafts.DraftError {
            guard case .tooLarge = error else {
                services.logger.error("cannot store a portal upload", metadata: ["error": "draft file not writable"])
                return Self.uploadRefusal(.serviceUnavailable, "file", error.description)
            }
            await body.drain(upTo: ManagementRoutes.drainLimit)
            return Self.uploadRefusal(.contentTooLarge, "file", error.description)
        } catch {
            services.logger.error("cannot store a portal upload", metadata: ["error": "\(error)"])
            return Self.uploadRefusal(.serviceUnavailable, "file", PublishDrafts.DraftError.storage.description)
        }
        guard stored.bytes > 0 else {
            drafts.remove(stored.id)
            return Self.uploadRefusal(.badRequest, "file", Bilingual("文件是空的", "The file is empty"))
        }
        do {
            guard let assessment = try await services.publishing.run({ try await services.catalog.assessDraft(path: stored.file, format: format) }) else {
                drafts.remove(stored.id)
                return Self.uploadRefusal(.serviceUnavailable, "file", Bilingual("此节点未启用质量评估", "This node publishes without assessment; use the API"))
            }
            try drafts.describe(PublishDrafts.Draft(
                id: stored.id, owner: person.account.id, fileName: name, format: format, bytes: stored.bytes, created: services.catalog.currentTime,
                summary: PublishDrafts.summary(assessment), file: stored.file, product: product))
        } catch let error as CatalogError where error.code == .invalidFile {
            drafts.remove(stored.id)
            let line = error.field.flatMap { $0.hasPrefix("file:line ") ? " (\($0.dropFirst(5)))" : nil } ?? ""
            return Self.uploadRefusal(.unprocessableContent, "file", Bilingual("文件无法作为表格读取：", "The file cannot be read as a table:") + "\(error.message)\(line)")
        } catch {
            drafts.remove(stored.id)
            services.logger.error("cannot assess a portal upload", metadata: ["error": "\(error)"])
            return Self.uploadRefusal(.serviceUnavailable, "file", Bilingual("暂时无法评估文件，请稍后再试", "The file could not be assessed right now; try again shortly"))
        }
        services.logger.info("portal upload assessed", metadata: ["draft": "\(stored.id)", "bytes": "\(stored.bytes)", "by": "\(person.account.id)"])
        return Responses.json(["location": .string(Self.publishPath + "/drafts/" + stored.id)], status: .created)
    }

    /// The file's name as the browser sent it (percent-encoded), shortened and without paths.
    static func fileName(_ header: String?) -> String {
        let decoded = header.flatMap { $0.utf8.count <= 1_000 ? $0.removingPercentEncoding : nil } ?? ""
        let base = decoded.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = ShownText.safe(base, limit: 120)
        return clean.isEmpty ? "upload" : clean
    }

    // MARK: step 2: review and confirm

    /// The person's own draft, or the page to answer instead.
    func ownDraft(_ id: String, _ person: SignedIn) -> Result<PublishDrafts.Draft, PortalRefusal> {
        guard let draft = drafts.draft(id), draft.owner == person.account.id else {
            return .failure(PortalRefusal(response: portal.page(
                title: Bilingual("草稿", "Draft"), template: "message",
                context: ["error": Bilingual("没有这个草稿（可能已发布、已放弃或已过期）", "No such draft: it may have been published, discarded or expired")],
                status: .notFound)))
        }
        return .success(draft)
    }

    func reviewPage(_ request: Request, id: String) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.publishPath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        switch ownDraft(id, person) {
        case .failure(let refusal): return refusal.response
        case .success(let draft):
            do {
                let current = try await draft.product.asyncMap(currentProduct)
                return review(draft, current: current, person: person, form: nil, error: nil, status: .ok)
            } catch let error as CatalogError {
                return refused(Bilingual("无法发布新版本：", "Cannot publish a new version:") + error.message, status: .conflict)
            } catch {
                return accounts.unavailable(error)
            }
        }
    }

    /// The review page; `form` refills what was sent when it is shown again with `error`.
    func review(
        _ draft: PublishDrafts.Draft, current: DatasetRecord?, person: SignedIn, form: FormFields?, error: ValidationError?, status: HTTPResponse.Status
    ) -> Response {
        let summary = draft.summary
        let proposed = summary["grade"]?.stringValue ?? "general"
        // A new version starts from what the current version says.
        var defaults: [String: String] = [:]
        if let current {
            defaults = [
                "title": current.title, "description": current.description, "keywords": current.keywords.joined(separator: ", "),
                "sector": current.sector.rawValue, "region": current.region.value, "license": current.license,
                "temporalStart": current.temporal?.start.map(ISO8601.formatDate) ?? "", "temporalEnd": current.temporal?.end.map(ISO8601.formatDate) ?? "",
            ]
        }
        func value(_ name: String, _ fallback: String = "") -> String { form.map { $0[name] } ?? defaults[name] ?? fallback }
        let columns = (summary["columns"]?.arrayValue ?? []).enumerated().map { index, column -> [String: Any] in
            let values = column["values"]?.doubleValue ?? 0
            let nulls = column["nulls"]?.doubleValue ?? 0
            var row: [String: Any] = [
                "index": index, "name": column["name"]?.stringValue ?? "", "type": column["type"]?.stringValue ?? "",
                "nulls": values > 0 ? Self.percent(nulls / values) : "—",
            ]
            if let kind = column["sensitive"]?.stringValue {
                row["sensitive"] = kind
                row["share"] = Self.percent(column["share"]?.doubleValue ?? 0)
                let suggested = column["suggested"]?.stringValue ?? ""
                let kept = (column["name"]?.stringValue).flatMap { current?.protection.masking[$0]?.description }
                let chosen = value("mask.\(index)", kept ?? suggested)
                var options: [(String, Bilingual)] = [("", Bilingual("不脱敏", "not masked")), ("hide", Bilingual("隐藏", "hide")), ("hash", Bilingual("哈希", "keyed hash"))]
                if !suggested.isEmpty, !options.contains(where: { $0.0 == suggested }) {
                    options.insert((suggested, Bilingual("建议：\(suggested)", "suggested: \(suggested)")), at: 0)
                }
                if let kept, !options.contains(where: { $0.0 == kept }) {
                    options.insert((kept, Bilingual("当前：\(kept)", "current: \(kept)")), at: 0)
                }
                row["options"] = options.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == chosen] }
            }
            return row
        }
        let dimensions = (summary["dimensions"]?.arrayValue ?? []).map { d -> [String: Any] in
            ["dimension": d["dimension"]?.stringValue.map { name -> Any in Self.dimensionLabels[name] ?? name } ?? "", "score": d["score"]?.doubleValue.map(Self.score) ?? "n/a"]
        }
        let chosenGrade = value("grade", proposed)
        var gradeValues = ["general", "general-1", "general-2", "general-3", "general-4", "important", "core"]
        if !gradeValues.contains(proposed) { gradeValues.append(proposed) }
        let grades: [[String: Any]] = gradeValues.compactMap { text in
            guard let g = try? DataGrade(text) else { return nil }
            return ["value": text, "label": Bilingual("\(g.level.chineseLabel) \(text)" + (text == proposed ? "（建议）" : ""), "\(text)" + (text == proposed ? " (proposed)" : "")), "selected": text == chosenGrade]
        }
        let chosenSector = value("sector")
        let sectors: [[String: Any]] = Sector.allCases.map { s in
            ["value": s.rawValue, "label": Portal.sectorLabel(s), "selected": s.rawValue == chosenSector]
        }
        let chosenRegion = value("region", services.configuration.region.value)
        let chosenOfferRegion = value("offer.region")
        let regions = RegionCode.choices
        let chosenLicence = value("license", PublishRequest.defaultLicense)
        let chosenPurposes = Set(form?.all("offer.purpose") ?? [])
        var context: [String: Any] = [
            "id": draft.id, "csrf": person.session.csrfToken, "fileName": draft.fileName, "format": draft.format.rawValue,
            "bytes": draft.bytes, "rows": summary["rows"]?.doubleValue.map { Int($0) } ?? 0,
            "duplicateRows": summary["duplicateRows"]?.doubleValue.map { String(Int($0)) } ?? "n/a",
            "score": summary["score"]?.doubleValue.map(Self.score) ?? "n/a", "dimensions": dimensions,
            "proposed": proposed, "reasons": (summary["reasons"]?.arrayValue ?? []).compactMap(\.stringValue).map { ["text": $0] },
            "columns": columns, "hasSensitive": columns.contains { $0["sensitive"] != nil },
            "grades": grades, "sectors": sectors,
            "regions": regions.map { ["value": $0.value, "label": Portal.regionLabel($0.value), "selected": $0.value == chosenRegion] },
            "offerRegions": regions.map { ["value": $0.value, "label": Portal.regionLabel($0.value), "selected": $0.value == chosenOfferRegion] },
            "licences": Self.licences.map { ["value": $0.url, "label": $0.label, "selected": $0.url == chosenLicence] },
            "purposes": Purpose.all.map { ["value": $0, "checked": chosenPurposes.contains($0)] },
            "title": value("title"), "description": value("description"), "keywords": value("keywords"),
            "temporalStart": value("temporalStart"), "temporalEnd": value("temporalEnd"), "gradeReason": value("gradeReason"),
            "until": value("offer.until"), "maxDeliveries": value("offer.maxDeliveries"), "price": value("offer.price"),
            "watermark": form.map { $0["watermark"] == "on" } ?? current?.protection.watermark ?? false,
            "profilePublic": form.map { $0["profilePublic"] == "on" } ?? current?.profilePublic ?? false,
        ]
        if let current {
            context["isUpdate"] = true
            context["product"] = current.identifier.description
            context["productTitle"] = current.title
            context["version"] = current.version + 1
            context["keepOffer"] = form.map { $0["keepOffer"] == "on" } ?? true
            let terms = PolicySummary.lines(current.offer)
            context["currentTerms"] = terms.map { Bilingual($0.chinese, $0.english) }
        }
        if let error {
            let field = error.field ?? "file"
            context["error"] = error.message
            context["errorField"] = field
            context["errorLabel"] = Self.fieldLabels[field] ?? (field.hasPrefix("mask.") ? Bilingual("脱敏", "Masking") : Bilingual(zh: field, en: field, both: field))
            context["errorTarget"] = field.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "offer-maxDeliveries", with: "offer-max")
        }
        return portal.page(title: Bilingual("确认发布", "Review and publish"), template: "draft", context: context, status: status)
    }

    /// What the review form calls each field, for naming the one at fault.
    static let fieldLabels: [String: Bilingual] = [
        "title": Bilingual("标题", "Title"), "description": Bilingual("说明", "Description"), "keywords": Bilingual("关键词", "Keywords"), "sector": Bilingual("行业", "Sector"),
        "region": Bilingual("地区", "Region"), "license": Bilingual("许可", "Licence"), "temporalStart": Bilingual("时间范围起", "Temporal coverage from"),
        "temporalEnd": Bilingual("时间范围止", "Temporal coverage to"), "grade": Bilingual("数据分级", "Grade"), "gradeReason": Bilingual("调整理由", "Reason for a different grade"),
        "offer.purpose": Bilingual("允许的用途", "Purposes"), "offer.region": Bilingual("接收方所在地区", "Recipients within"), "offer.until": Bilingual("有效期至", "Valid until"),
        "offer.maxDeliveries": Bilingual("交付次数", "Deliveries per agreement"), "offer.price": Bilingual("价格", "Price"), "file": Bilingual("文件", "File"),
    ]

    /// Quality dimensions by name in both languages.
    static let dimensionLabels: [String: Bilingual] = [
        "completeness": Bilingual("完整性", "Completeness"), "validity": Bilingual("有效性", "Validity"), "consistency": Bilingual("一致性", "Consistency"),
        "uniqueness": Bilingual("唯一性", "Uniqueness"), "timeliness": Bilingual("及时性", "Timeliness"), "accuracy": Bilingual("准确性", "Accuracy"),
    ]

    static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "n/a" }
        let p = share * 100
        return p > 0 && p < 0.1 ? "<0.1%" : String(format: "%.1f%%", p)
    }

    /// Scores are 0…1; shown as percentages with one decimal, the precision that matters.
    static func score(_ s: Double) -> String { percent(s) }

    /// The publish request the review form stands for, each field checked; errors name the field.
    func publishRequest(_ form: FormFields, draft: PublishDrafts.Draft, by person: PersonAccount, now: Date) throws(ValidationError) -> PublishRequest {
        let title = form["title"].trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw ValidationError(code: "title.required", field: "title", message: "A title is required") }
        let license = form["license"]
        guard Self.licences.contains(where: { $0.url == license }) else {
            throw ValidationError(code: "license.unknown", field: "license", message: "choose a licence from the list")
        }
        let keywords = form["keywords"].split(whereSeparator: { $0 == "," || $0 == "，" || $0 == ";" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard keywords.count <= 30 else { throw ValidationError(code: "keywords.count", field: "keywords", message: "at most 30 keywords") }
        func optional(_ name: String) -> String? {
            let text = form[name].trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
        var masking: [String: JSONValue] = [:]
        for (index, column) in (draft.summary["columns"]?.arrayValue ?? []).enumerated() {
            guard column["sensitive"] != nil, let name = column["name"]?.stringValue else { continue }
            let rule = form["mask.\(index)"]
            guard !rule.isEmpty else { continue }
            do { _ = try MaskingRule(parsing: rule, field: "mask.\(index)") } catch {
                throw ValidationError(code: "masking.rule", field: "mask.\(index)", message: "choose a masking rule for \(name) from the list")
            }
            masking[name] = .string(rule)
        }
        let offer = OfferChoices(
            purposes: form.all("offer.purpose"), region: optional("offer.region"), until: optional("offer.until"),
            maxDeliveries: optional("offer.maxDeliveries"), price: optional("offer.price"))
        var request = PublishRequest(
            title: title, description: form["description"].trimmingCharacters(in: .whitespacesAndNewlines), keywords: keywords,
            sector: form["sector"], region: optional("region"), license: license, grade: optional("grade"),
            temporalStart: optional("temporalStart"), temporalEnd: optional("temporalEnd"), policy: try offer.policy(now: now),
            protection: ["masking": .object(masking), "watermark": .bool(form["watermark"] == "on")],
            gradeReason: optional("gradeReason"), decidedBy: person.id)
        request.profilePublic = form["profilePublic"] == "on"
        _ = try request.validate()
        return request
    }

    func confirm(_ request: Request, id: String) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.publishPath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        let form: FormFields
        do { form = try await FormFields.read(request, upTo: Self.reviewFormBytes) } catch {
            return refused((error as? FormFields.Refusal)?.message ?? "the form could not be read", status: .badRequest)
        }
        guard PortalAccounts.csrfMatches(form, person.session) else {
            return refused(Bilingual("表单已过期，请从草稿页重新提交", "The form expired or came from elsewhere; submit it again from the draft page"), status: .forbidden)
        }
        let draft: PublishDrafts.Draft
        switch ownDraft(id, person) {
        case .failure(let refusal): return refusal.response
        case .success(let d): draft = d
        }
        let current: DatasetRecord?
        do { current = try await draft.product.asyncMap(currentProduct) } catch let error as CatalogError {
            return refused(Bilingual("无法发布新版本：", "Cannot publish a new version:") + error.message, status: .conflict)
        } catch {
            return accounts.unavailable(error)
        }
        let metadata: PublishRequest
        do { metadata = try publishRequest(form, draft: draft, by: person.account, now: services.catalog.currentTime) } catch {
            return review(draft, current: current, person: person, form: form, error: error, status: .badRequest)
        }
        do {
            let chunks = try PublishDrafts.chunks(of: draft.file)
            let by = person.account.id
            let record = try await services.publishing.run {
                if let current {
                    try await services.catalog.update(
                        current.identifier, Self.changes(metadata, keepOffer: form["keepOffer"] == "on"), format: draft.format, body: chunks, by: by)
                } else {
                    try await services.catalog.publish(metadata, format: draft.format, body: chunks, by: by)
                }
            }
            drafts.remove(draft.id)
            services.logger.info("published", metadata: ["identifier": "\(record.identifier)", "version": "\(record.version)", "by": "\(by)"])
            return PortalAccounts.redirect(Self.homePath + "?published=" + (record.identifier.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        } catch let error as CatalogError {
            let field = error.field ?? "file"
            return review(draft, current: current, person: person, form: form, error: ValidationError(code: "publish", field: field, message: error.message), status: .badRequest)
        } catch {
            return accounts.unavailable(error)
        }
    }

    /// The review form as changes to the current version (the offer kept when asked).
    static func changes(_ request: PublishRequest, keepOffer: Bool) -> ProductChanges {
        var changes = ProductChanges()
        changes.title = request.title
        changes.description = request.description
        changes.keywords = request.keywords
        changes.sector = request.sector
        changes.region = request.region
        changes.license = request.license
        changes.grade = request.grade
        changes.gradeReason = request.gradeReason
        changes.temporalStart = request.temporalStart
        changes.temporalEnd = request.temporalEnd
        changes.protection = request.protection
        changes.decidedBy = request.decidedBy
        changes.profilePublic = request.profilePublic
        if !keepOffer { changes.policy = request.policy }
        return changes
    }

    func discard(_ request: Request, id: String) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.publishPath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        guard let form = try? await FormFields.read(request), PortalAccounts.csrfMatches(form, person.session) else {
            return refused(Bilingual("表单已过期", "The form expired or came from elsewhere; discard again from the draft page"), status: .forbidden)
        }
        if case .failure(let refusal) = ownDraft(id, person) { return refusal.response }
        drafts.remove(id)
        return PortalAccounts.redirect(Self.publishPath)
    }

    func refused(_ message: any CustomStringConvertible & Sendable, status: HTTPResponse.Status) -> Response {
        portal.page(title: Bilingual("发布数据产品", "Publish a data product"), template: "message", context: ["error": message], status: status)
    }

    // MARK: the publisher's overview

    func homePage(_ request: Request) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.homePath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        do {
            // Products a page at a time (the identifier order the catalog lists them in).
            let after = request.query("after").flatMap { $0.utf8.count <= 200 ? try? UnifiedIdentifier(parsing: $0) : nil }
            let records = try await services.catalog.store.activeRecords(after: after, limit: Self.productsPerPage)
            var titles = Dictionary(records.map { ($0.identifier.description, $0.title) }, uniquingKeysWith: { a, _ in a })
            let negotiations = try await services.store.negotiations(limit: Self.shown).filter { $0.role == .provider }
            let agreements = try await services.store.agreements(limit: Self.shown).filter { $0.role == .provider }
            // Products the requests and agreements name, wherever they are in the list: one read.
            var named = Set(negotiations.map(\.dataset)).union(agreements.map(\.dataset))
            if let published = request.query("published") { named.insert(published) }
            let missing = named.filter { titles[$0] == nil }.compactMap { $0.utf8.count <= 200 ? try? UnifiedIdentifier(parsing: $0) : nil }
            if !missing.isEmpty {
                for record in try await services.store.activeRecords(missing) { titles[record.identifier.description] = record.title }
            }
            let products = records.map { r -> [String: Any] in
                [
                    "identifier": r.identifier.description, "title": r.title, "version": r.version, "grade": Portal.gradeLabel(r.grade),
                    "score": r.quality?.score.map(Self.score) ?? "n/a", "modified": ISO8601.format(r.modified),
                ]
            }
            let incoming = negotiations.map { n -> [String: Any] in
                var row: [String: Any] = [
                    "dataset": n.dataset, "title": titles[n.dataset] ?? n.dataset, "consumer": n.counterparty, "purpose": n.purpose ?? "—",
                    "state": n.state.rawValue, "updated": ISO8601.format(n.updatedAt),
                ]
                if !n.reasons.isEmpty { row["reasons"] = n.reasons.joined(separator: "; ") }
                return row
            }
            // Counting reads the recent transfers: only when there is an agreement to count for.
            let counts = agreements.isEmpty ? [:] : try await services.contracts.deliveryCounts(agreements)
            var agreed: [[String: Any]] = []
            for a in agreements {
                let c = counts[a.id] ?? DeliveryCounts(reserved: 0, complete: 0)
                let compiled = try? a.compiled()
                var remaining = compiled?.remainingUses(action: "download", uses: c.used).map(String.init) ?? "∞"
                // A compute agreement's remaining privacy budget, from this provider's ledger.
                if let terms = compiled?.computeBudget, let status = try? await services.compute.budget(agreementID: a.id, consumer: a.consumer) {
                    remaining = "\(terms.total.parameter == "epsilon" ? "ε" : "ρ") \(status.remaining) / \(terms.total.amount)"
                }
                agreed.append([
                    "id": a.id, "title": titles[a.dataset] ?? a.dataset, "consumer": a.consumer, "purpose": a.purpose ?? "—",
                    "agreedAt": ISO8601.format(a.agreedAt), "deliveries": c.complete, "open": c.reserved, "remaining": remaining,
                ])
            }
            var context: [String: Any] = [
                "csrf": person.session.csrfToken, "products": products, "hasProducts": !products.isEmpty,
                "incoming": incoming, "hasIncoming": !incoming.isEmpty, "agreements": agreed, "hasAgreements": !agreed.isEmpty,
            ]
            if records.count == Self.productsPerPage, let last = records.last {
                context["moreProducts"] = Self.homePath + "?after=" + (last.identifier.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            }
            if let published = request.query("published"), published.utf8.count <= 200, let identifier = try? UnifiedIdentifier(parsing: published) {
                context["published"] = identifier.description
                context["publishedTitle"] = titles[identifier.description] ?? identifier.description
            }
            if let withdrawn = request.query("withdrawn"), withdrawn.utf8.count <= 200, let identifier = try? UnifiedIdentifier(parsing: withdrawn) {
                context["withdrawn"] = identifier.description
            }
            return portal.page(title: Bilingual("我的发布", "Publishing"), template: "publisher", context: context)
        } catch {
            return accounts.unavailable(error)
        }
    }

    func withdraw(_ request: Request, identifier text: String) async -> Response {
        let person: SignedIn
        switch await signedIn(request, returnTo: Self.homePath) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        guard let form = try? await FormFields.read(request), PortalAccounts.csrfMatches(form, person.session) else {
            return refused(Bilingual("表单已过期", "The form expired or came from elsewhere; withdraw again from the publishing page"), status: .forbidden)
        }
        guard form["confirm"] == "on" else {
            return refused(Bilingual("请勾选确认后再下架", "Tick the confirmation box to withdraw the product"), status: .badRequest)
        }
        do {
            let identifier = try UnifiedIdentifier(parsing: text)
            let record = try await services.catalog.withdraw(identifier, by: person.account.id)
            services.logger.info("withdrawn", metadata: ["identifier": "\(record.identifier)", "by": "\(person.account.id)"])
            return PortalAccounts.redirect(Self.homePath + "?withdrawn=" + (identifier.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        } catch let error as ValidationError {
            return refused(Bilingual("无法下架：", "Cannot withdraw:") + error.message, status: .badRequest)
        } catch let error as CatalogError {
            return refused(Bilingual("无法下架：", "Cannot withdraw:") + error.message, status: error.code == .notFound ? .notFound : .conflict)
        } catch {
            return accounts.unavailable(error)
        }
    }
}
