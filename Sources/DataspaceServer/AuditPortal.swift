import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import Foundation
import HTTPTypes
import Hummingbird

/// The auditor's view of the node's evidence log: entries with names and titles where the node
/// knows them (its own organisation and products, the people who decided, the members an
/// authority registered) instead of bare DIDs, account ids and identifiers; filters by event
/// type, party and time; each entry links to its receipt. For people with the auditor or
/// administrator role. Verifying a receipt someone hands over is on the public `/ledger` page.
struct AuditPortal: Sendable {
    let accounts: PortalAccounts
    var services: NodeServices { accounts.services }
    var portal: Portal { accounts.portal }

    static let path = "/audit"
    /// Entries read per page before the party and end-time filters apply.
    static let scanLimit = 1_000
    static let pageSize = 50

    func register(on router: Router<NodeRequestContext>) {
        router.get("/audit") { request, _ in await auditPage(request) }
    }

    /// The filters as typed, each checked; a bad one is named on the page.
    struct Filters {
        var type: String?
        var party: String?
        var since: Date?
        var until: Date?
        var after: UInt64?
    }

    static func filters(_ request: Request) throws -> Filters {
        var filters = Filters()
        if let type = request.query("type"), !type.isEmpty {
            guard LedgerEvent.Kind(rawValue: type) != nil else { throw ValidationError(code: "type.invalid", field: "type", message: "unknown event type") }
            filters.type = type
        }
        if let party = request.query("party")?.trimmingCharacters(in: .whitespaces), !party.isEmpty {
            guard party.count <= 200 else { throw ValidationError(code: "party.invalid", field: "party", message: "a party has at most 200 characters") }
            filters.party = party
        }
        /// A date (the whole day) or a date-time; `endOfDay` moves a bare date to its end.
        func time(_ name: String, endOfDay: Bool) throws -> Date? {
            guard let text = request.query(name), !text.isEmpty else { return nil }
            let isDate = text.utf8.count == 10
            guard text.utf8.count <= 40, let date = ISO8601.parseDateTime(isDate ? text + "T00:00:00Z" : text) else {
                throw ValidationError(code: "\(name).invalid", field: name, message: "\(name) is a date like 2026-12-01")
            }
            return isDate && endOfDay ? date.addingTimeInterval(86_400) : date
        }
        filters.since = try time("since", endOfDay: false)
        filters.until = try time("until", endOfDay: true)
        if let text = request.query("after"), !text.isEmpty {
            guard text.utf8.count <= 20, let after = UInt64(text) else { throw ValidationError(code: "after.invalid", field: "after", message: "after is an entry index") }
            filters.after = after
        }
        return filters
    }

    /// Names the node knows for identifiers that appear in its entries.
    func directory() async throws -> [String: String] {
        var names: [String: String] = [services.did.value: services.configuration.name, "admin-token": PortalLanguage.current.pick("管理令牌", "admin token")]
        for account in try await services.accounts.store.accounts() { names[account.id] = account.displayName }
        if let authority = services.authority {
            for application in try await authority.store.applications(status: nil) { names[application.profile.did.value] = application.profile.name }
        }
        return names
    }

    func auditPage(_ request: Request) async -> Response {
        switch await accounts.require([.auditor, .administrator], request, returnTo: Self.path) {
        case .success: break
        case .failure(let refusal): return refusal.response
        }
        var context: [String: Any] = [
            "types": LedgerEvent.Kind.allCases.map { kind in
                ["value": kind.rawValue, "selected": request.query("type") == kind.rawValue] as [String: Any]
            },
            "party": request.query("party") ?? "", "since": request.query("since") ?? "", "until": request.query("until") ?? "",
        ]
        let filters: Filters
        do { filters = try Self.filters(request) } catch let error as ValidationError {
            context["error"] = Bilingual("筛选条件有误：", "A filter is wrong:") + "\(error.field ?? ""): \(error.message)"
            return portal.page(title: Bilingual("存证审计", "Audit"), template: "audit", context: context, status: .badRequest)
        } catch { return accounts.unavailable(error) }
        do {
            var names = try await directory()
            var looked: Set<String> = []  // products already looked up for a name, found or not
            let rows = try await services.store.ledgerEntries(
                type: filters.type, since: filters.since.map { Int64($0.timeIntervalSince1970.rounded(.down)) }, after: filters.after,
                limit: Self.scanLimit)
            let tiles = services.ledger.log.tiles
            // Entries are read a bundle (256) at a time, once per page, not once per entry.
            var bundles: [UInt64: [[UInt8]]] = [:]
            func entry(_ index: UInt64) throws -> [UInt8]? {
                let bundle = index / TilePath.width
                if bundles[bundle] == nil { bundles[bundle] = try tiles.entries(bundle: bundle) }
                let entries = bundles[bundle] ?? []
                let offset = Int(index % TilePath.width)
                return offset < entries.count ? entries[offset] : nil
            }
            var items: [[String: Any]] = []
            var lastScanned: UInt64?
            var reachedUntil = false
            // A page's worth of rows at a time: parsed, their products named in one query, then filtered.
            scanning: for chunk in stride(from: 0, to: rows.count, by: Self.pageSize).map({ rows[$0..<min($0 + Self.pageSize, rows.count)] }) {
                var parsed: [(row: LedgerEntryRow, fields: [String: JSONValue])] = []
                for row in chunk where row.index < tiles.size {
                    if let until = filters.until, Double(row.time) >= until.timeIntervalSince1970 {
                        reachedUntil = true
                        break
                    }
                    guard let bytes = try entry(row.index), let event = try? JSONValue.parse(bytes), let fields = event.objectValue else { continue }
                    parsed.append((row, fields))
                }
                let products = Set(parsed.compactMap { $0.fields["product"]?.stringValue ?? $0.fields["dataset"]?.stringValue })
                    .filter { names[$0] == nil && !looked.contains($0) }
                looked.formUnion(products)
                let identifiers = products.compactMap { try? UnifiedIdentifier(parsing: $0) }
                for record in try await services.store.activeRecords(identifiers) { names[record.identifier.description] = record.title }
                // Withdrawn products keep their titles too; looked up one by one, a few per page.
                for identifier in identifiers.prefix(20) where names[identifier.description] == nil {
                    if let record = try await services.catalog.record(identifier) { names[identifier.description] = record.title }
                }
                for (row, fields) in parsed {
                    lastScanned = row.index
                    let shown = Self.describe(fields, names: names)
                    if let party = filters.party {
                        let needle = party.lowercased()
                        guard shown.contains(where: { ($0["value"] as? String ?? "").lowercased().contains(needle) || ($0["raw"] as? String ?? "").lowercased().contains(needle) })
                        else { continue }
                    }
                    items.append([
                        "index": row.index, "type": fields["type"]?.stringValue ?? "", "label": Self.label(fields["type"]?.stringValue ?? ""),
                        "time": ISO8601.format(Date(timeIntervalSince1970: Double(row.time))), "fields": shown,
                    ])
                    if items.count == Self.pageSize { break scanning }
                }
                if reachedUntil { break }
            }
            context["items"] = items
            context["count"] = items.count
            if (items.count == Self.pageSize || rows.count == Self.scanLimit), let last = lastScanned {
                var query = ["after=\(last)"]
                for key in ["type", "party", "since", "until"] {
                    if let value = request.query(key), !value.isEmpty {
                        query.append(key + "=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                    }
                }
                context["next"] = Self.path + "?" + query.joined(separator: "&")
            }
            return portal.page(title: Bilingual("存证审计", "Audit"), template: "audit", context: context)
        } catch {
            return accounts.unavailable(error)
        }
    }

    /// An entry's fields for people: names beside the identifiers the node can name.
    static func describe(_ fields: [String: JSONValue], names: [String: String]) -> [[String: Any]] {
        fields.keys.sorted().filter { !["type", "time", "evidenceId"].contains($0) }.compactMap { key in
            guard let value = fields[key] else { return nil }
            let raw: String = value.stringValue ?? value.encodedString(pretty: false)
            var item: [String: Any] = ["key": key, "raw": raw, "value": names[raw] ?? raw]
            if names[raw] != nil { item["named"] = true }
            return item
        }
    }

    static func label(_ type: String) -> Bilingual {
        switch type {
        case "participant.registered": Bilingual("成员申请", "Membership applied")
        case "participant.rejected": Bilingual("申请被拒", "Application rejected")
        case "credential.issued": Bilingual("凭证签发", "Credential issued")
        case "credential.revoked": Bilingual("凭证撤销", "Credential revoked")
        case "product.published": Bilingual("产品发布", "Product published")
        case "product.versioned": Bilingual("新版本", "New version")
        case "product.withdrawn": Bilingual("产品下架", "Product withdrawn")
        case "product.graded": Bilingual("分级确认", "Grade decided")
        case "negotiation.agreed": Bilingual("合约达成", "Contract agreed")
        case "negotiation.terminated": Bilingual("协商终止", "Negotiation ended")
        case "transfer.delivered": Bilingual("数据交付", "Data delivered")
        case "compute.query.charged": Bilingual("隐私计算查询", "Private query answered")
        case "compute.query.refunded": Bilingual("查询预算退回", "Query budget refunded")
        case "compute.psi.run": Bilingual("隐私求交", "Private set intersection run")
        case "compute.aggregate.contribution": Bilingual("安全聚合出资（秘密份额）", "Secure aggregation: shares contributed")
        case "aggregation.round.opened": Bilingual("聚合轮次开启", "Aggregation round opened")
        case "aggregation.share.received": Bilingual("收到秘密份额", "Aggregation share received")
        case "aggregation.round.released": Bilingual("聚合结果交付", "Aggregation sum released")
        case "aggregation.round.aborted": Bilingual("聚合轮次中止", "Aggregation round aborted")
        default: Bilingual(zh: type, en: type, both: type)
        }
    }
}
