import DataspaceCore
import DataspaceIdentity
import Foundation
import HTTPTypes
import Hummingbird

/// The authority officer's pages: membership applications to approve or reject, the member
/// directory, revocation with a reason. Only on an authority node, only for a person with the
/// administrator role; every decision is attributed to that person (record and evidence).
struct AuthorityPortal: Sendable {
    let accounts: PortalAccounts
    var services: NodeServices { accounts.services }
    var portal: Portal { accounts.portal }

    static let path = "/authority/members"

    func register(on router: Router<NodeRequestContext>) {
        router.get("/authority/members") { request, _ in await membersPage(request) }
        router.post("/authority/members/{id}/{action}") { request, context in
            await decide(request, id: context.parameters.get("id") ?? "", action: context.parameters.get("action") ?? "")
        }
    }

    func notAuthority() -> Response {
        portal.page(title: Bilingual("不是登记机构", "Not an authority"), template: "message",
            context: ["error": Bilingual("此节点不是登记机构", "This node is not the data space's registration authority")], status: .notFound)
    }

    func membersPage(_ request: Request, error: (any CustomStringConvertible & Sendable)? = nil, notice: (any CustomStringConvertible & Sendable)? = nil, status: HTTPResponse.Status = .ok) async -> Response {
        guard let authority = services.authority else { return notAuthority() }
        let person: (account: PersonAccount, session: PortalSession)
        switch await accounts.require(.administrator, request, returnTo: Self.path) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        do {
            let all = try await authority.store.applications(status: nil).sorted { $0.submittedAt > $1.submittedAt }
            let names = Dictionary(try await services.accounts.store.accounts().map { ($0.id, $0.displayName) }, uniquingKeysWith: { a, _ in a })
            func who(_ id: String?) -> String { id.map { names[$0] ?? ($0 == "admin-token" ? PortalLanguage.current.pick("管理令牌", "admin token") : $0) } ?? "—" }
            func row(_ a: MembershipApplication) -> [String: Any] {
                var row: [String: Any] = [
                    "id": a.id, "name": a.profile.name, "creditCode": a.profile.creditCode.value, "did": a.profile.did.value,
                    "region": Portal.regionLabel(a.profile.region.value), "sector": Portal.sectorLabel(a.profile.sector),
                    "submitted": ISO8601.format(a.submittedAt), "decidedBy": who(a.decidedBy),
                ]
                row["decided"] = a.decidedAt.map(ISO8601.format)
                row["reason"] = a.reason
                if let revoked = a.revokedAt {
                    row["revoked"] = ISO8601.format(revoked)
                    row["revokedBy"] = who(a.revokedBy)
                    row["revocationReason"] = a.revocationReason ?? "—"
                }
                return row
            }
            var context: [String: Any] = [
                "csrf": person.session.csrfToken, "officer": person.account.displayName,
                "pending": all.filter { $0.status == .pending }.map(row),
                "members": all.filter { $0.status == .approved && $0.revokedAt == nil }.map(row),
                "closed": all.filter { $0.status == .rejected || $0.revokedAt != nil }.map(row),
            ]
            context["error"] = error
            context["notice"] = notice
            return portal.page(title: Bilingual("成员管理", "Members"), template: "authority", context: context, status: status)
        } catch {
            return accounts.unavailable(error)
        }
    }

    func decide(_ request: Request, id: String, action: String) async -> Response {
        guard let authority = services.authority else { return notAuthority() }
        let person: (account: PersonAccount, session: PortalSession)
        switch await accounts.require(.administrator, request, returnTo: Self.path) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        guard let form = try? await FormFields.read(request), PortalAccounts.csrfMatches(form, person.session) else {
            return await membersPage(request, error: Bilingual("表单已过期，请重新提交", "The form expired or came from elsewhere; submit it again"), status: .forbidden)
        }
        let reason = form["reason"]
        do {
            let by = person.account.id
            let decided: MembershipApplication
            switch action {
            case "approve":
                decided = try await authority.approve(id: id, by: by)
            case "reject":
                decided = try await authority.reject(id: id, reason: reason, by: by)
            case "revoke":
                // In the portal a revocation states why, for the member and the auditors.
                guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    return await membersPage(request, error: Bilingual("请填写撤销理由", "Give a reason for the revocation"), status: .badRequest)
                }
                decided = try await authority.revoke(id, reason: reason, by: by)
            default:
                return await membersPage(request, error: Bilingual("未知操作 \(action.prefix(40))", "Unknown action \(action.prefix(40))"), status: .notFound)
            }
            services.logger.notice("membership decision", metadata: ["action": "\(action)", "application": "\(decided.id)", "by": "\(by)"])
            return PortalAccounts.redirect(Self.path)
        } catch let error as RegistrationError {
            let status: HTTPResponse.Status = error.code == .notFound ? .notFound : error.code == .conflict ? .conflict : .badRequest
            return await membersPage(request, error: error.message, status: status)
        } catch {
            return accounts.unavailable(error)
        }
    }
}
