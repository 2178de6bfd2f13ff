import DataspaceApplication
import DataspaceCore
import DataspaceIdentity
import Foundation
import Hummingbird

/// A person's API tokens in the portal, on their account page: make one with some of their roles
/// (its text is shown once), see them all, revoke one. The same service as `/api/v1/tokens`.
struct PortalTokens: Sendable {
    let accounts: PortalAccounts

    func register(on router: Router<NodeRequestContext>) {
        router.post("/account/tokens") { request, _ in await issue(request) }
        router.post("/account/tokens/{id}/revoke") { request, context in await revoke(request, id: context.parameters.get("id") ?? "") }
    }

    /// What the account page shows of a person's tokens.
    static func listing(_ tokens: [PersonToken], now: Date) -> [[String: Any]] {
        tokens.map { t in
            let state =
                t.revokedAt != nil ? Bilingual("已撤销", "revoked") : t.expiresAt <= now ? Bilingual("已过期", "expired") : Bilingual("有效", "active")
            var row: [String: Any] = [
                "id": t.id, "name": t.name, "roles": t.scopes.sorted().map(\.rawValue).joined(separator: ", "),
                "created": ISO8601.format(t.createdAt), "expires": ISO8601.format(t.expiresAt), "state": state,
            ]
            if t.isLive(at: now) { row["live"] = true }
            return row
        }
    }

    func signedIn(_ request: Request) async -> Result<(account: PersonAccount, session: PortalSession, form: FormFields), PortalRefusal> {
        switch await accounts.require(PersonRole.allCases, request, returnTo: "/account") {
        case .failure(let refusal): return .failure(refusal)
        case .success(let person):
            let form: FormFields
            do { form = try await FormFields.read(request) } catch {
                let message = (error as? FormFields.Refusal)?.message ?? "the form could not be read"
                return .failure(PortalRefusal(response: await accounts.accountPage(person.account, person.session, error: message, status: .badRequest)))
            }
            guard PortalAccounts.csrfMatches(form, person.session) else {
                return .failure(
                    PortalRefusal(
                        response: accounts.portal.page(
                            title: Bilingual("请求被拒绝", "Refused"), template: "message",
                            context: ["error": Bilingual("表单已过期，请从账户页重新提交", "The form expired or came from elsewhere; submit it again from your account page")],
                            status: .forbidden)))
            }
            return .success((person.account, person.session, form))
        }
    }

    func issue(_ request: Request) async -> Response {
        let person: (account: PersonAccount, session: PortalSession, form: FormFields)
        switch await signedIn(request) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        let scopes = Set(PersonRole.allCases.filter { person.form["scope-" + $0.rawValue] == "on" })
        let days = Int(person.form["days"]) ?? -1
        do {
            let issued = try await accounts.accounts.issueToken(
                for: person.account, name: person.form["name"], scopes: scopes.isEmpty ? nil : scopes, days: days)
            accounts.services.logger.notice("API token issued", metadata: ["account": "\(person.account.id)", "token": "\(issued.token.id)"])
            return await accounts.accountPage(
                person.account, person.session,
                notice: Bilingual("新令牌只显示这一次，请立即复制保存", "The new token is shown this once; copy it now"), issued: issued.text, status: .created)
        } catch let error as AccountError {
            return await accounts.accountPage(person.account, person.session, error: error.message, status: .badRequest)
        } catch {
            return accounts.unavailable(error)
        }
    }

    func revoke(_ request: Request, id: String) async -> Response {
        let person: (account: PersonAccount, session: PortalSession, form: FormFields)
        switch await signedIn(request) {
        case .success(let p): person = p
        case .failure(let refusal): return refusal.response
        }
        do {
            // From the account page a person revokes their own tokens only.
            guard id.utf8.count <= 64, let token = try await accounts.accounts.store.token(id: id), token.accountID == person.account.id else {
                return await accounts.accountPage(person.account, person.session, error: Bilingual("没有这个令牌", "No such token of yours"), status: .notFound)
            }
            _ = try await accounts.accounts.revokeToken(id: token.id, by: person.account)
            accounts.services.logger.notice("API token revoked", metadata: ["token": "\(token.id)", "by": "\(person.account.id)"])
            return PortalAccounts.redirect("/account")
        } catch let error as AccountError {
            return await accounts.accountPage(person.account, person.session, error: error.message, status: .conflict)
        } catch {
            return accounts.unavailable(error)
        }
    }
}
