import DataspaceApplication
import DataspaceIdentity
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// People in the portal: sign-in, sign-out, accepting an invitation, and the account page.
///
/// The session cookie holds a random token (the store keeps its digest), HttpOnly,
/// SameSite=Lax, `Secure` when the node's URL is https. Every form carries a CSRF token: the
/// session's own once signed in; before that (sign-in, invitation) a random one that must match
/// a cookie set with the form (double submit), so another site cannot sign a browser in as
/// someone else either.
struct PortalAccounts: Sendable {
    static let sessionCookie = "dataspace_session"
    static let formCookie = "dataspace_form"
    let portal: Portal
    let services: NodeServices
    var accounts: AccountService { services.accounts }

    var secure: Bool { services.configuration.publicURL.hasPrefix("https://") }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Max-Age=\(maxAge); Path=/; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// The signed-in person, if the request's session is live.
    func person(_ request: Request) async -> (account: PersonAccount, session: PortalSession)? {
        guard let token = RequestCookies(request)[Self.sessionCookie] else { return nil }
        do { return try await accounts.session(token: token) } catch {
            services.logger.error("cannot read a portal session", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The signed-in person holding `role`, or the page to answer instead: a redirect to sign in
    /// (back to `path` afterwards), or 403 naming the role that is missing.
    func require(_ role: PersonRole, _ request: Request, returnTo path: String) async -> Result<(account: PersonAccount, session: PortalSession), PortalRefusal> {
        await require([role], request, returnTo: path)
    }

    /// The signed-in person holding any of `roles`, or the page to answer instead.
    func require(_ roles: [PersonRole], _ request: Request, returnTo path: String) async -> Result<(account: PersonAccount, session: PortalSession), PortalRefusal> {
        guard let signedIn = await person(request) else {
            let next = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return .failure(PortalRefusal(response: Self.redirect("/login?next=" + next)))
        }
        guard roles.contains(where: signedIn.account.has) else {
            let chinese = roles.map(\.chineseLabel).joined(separator: "或")
            let english = roles.map(\.rawValue).joined(separator: " or ")
            return .failure(PortalRefusal(response: portal.page(
                title: Bilingual("无权操作", "Not allowed"), template: "message",
                context: ["error": Bilingual("此页面需要\(chinese)角色，请联系管理员", "This needs the \(english) role; ask your administrator")], status: .forbidden)))
        }
        return .success(signedIn)
    }

    /// Whether a submitted form's CSRF token is the session's.
    static func csrfMatches(_ form: FormFields, _ session: PortalSession) -> Bool {
        SecretToken.equal(form["csrf"], session.csrfToken)
    }

    /// Whether a form submitted before signing in carries the token of the cookie set with it.
    static func formTokenMatches(_ form: FormFields, _ request: Request) -> Bool {
        guard let cookie = RequestCookies(request)[formCookie], !cookie.isEmpty else { return false }
        return SecretToken.equal(form["csrf"], cookie)
    }

    /// Renders a pre-session form with a fresh double-submit token.
    func preSessionForm(_ title: any CustomStringConvertible & Sendable, _ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let token = SecretToken.make()
        var context = context
        context["csrf"] = token
        var response = portal.page(title: title, template: template, context: context, status: status)
        response.headers[.setCookie] = cookie(Self.formCookie, token, maxAge: 3_600)
        return response
    }

    /// `发布者 publisher` in Chinese (and side by side), `publisher` in English.
    static func roleLabel(_ role: PersonRole) -> String {
        PortalLanguage.current == .en ? role.rawValue : "\(role.chineseLabel) \(role.rawValue)"
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// Where to go after signing in: a path on this node only, never another site.
    static func localTarget(_ text: String) -> String {
        guard text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"), text.utf8.count <= 512,
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return "/account" }
        return text
    }

    func register(on router: Router<NodeRequestContext>) {
        router.get("/login") { request, _ in
            preSessionForm(Bilingual("登录", "Sign in"), "login", ["next": Self.localTarget(request.query("next") ?? "/account")])
        }
        router.post("/login") { request, _ in await signIn(request) }
        router.post("/logout") { request, _ in await signOut(request) }
        // The invitation token travels in the query, not the path: request paths are logged.
        router.get("/invite") { request, _ in
            let token = request.query("token") ?? ""
            do {
                let account = try await accounts.invitation(token: token)
                var response = preSessionForm(Bilingual("接受邀请", "Accept invitation"), "invite", ["token": token, "login": account.login, "displayName": account.displayName])
                if let referrerPolicy = HTTPField.Name("Referrer-Policy") { response.headers[referrerPolicy] = "no-referrer" }
                return response
            } catch let error as AccountError {
                return portal.page(title: Bilingual("邀请无效", "Invitation"), template: "message", context: ["error": error.message], status: .notFound)
            } catch {
                return unavailable(error)
            }
        }
        router.post("/invite") { request, _ in await acceptInvitation(request) }
        router.get("/account") { request, _ in
            guard let (account, session) = await person(request) else { return Self.redirect("/login?next=%2Faccount") }
            return await accountPage(account, session)
        }
        PortalTokens(accounts: self).register(on: router)
    }

    /// The account page, with the person's API tokens; `issued` is a new token's text, shown once.
    func accountPage(
        _ account: PersonAccount, _ session: PortalSession, error: (any CustomStringConvertible & Sendable)? = nil, notice: (any CustomStringConvertible & Sendable)? = nil, issued: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        var context = accountContext(account, session)
        do {
            let tokens = PortalTokens.listing(try await accounts.tokens(of: account), now: accounts.now())
            context["tokens"] = tokens
            context["hasTokens"] = !tokens.isEmpty
        } catch {
            return unavailable(error)
        }
        context["tokenRoles"] = account.roles.sorted().map { ["value": $0.rawValue, "label": Self.roleLabel($0)] }
        context["error"] = error
        context["notice"] = notice
        context["issued"] = issued
        return portal.page(title: Bilingual("我的账户", "My account"), template: "account", context: context, status: status)
    }

    func accountContext(_ account: PersonAccount, _ session: PortalSession) -> [String: Any] {
        var links: [[String: Any]] = []
        if account.has(.administrator), services.authority != nil { links.append(["href": AuthorityPortal.path, "label": Bilingual("成员管理", "Members")]) }
        if PublisherPortal.roles.contains(where: account.has) {
            links.append(["href": PublisherPortal.homePath, "label": Bilingual("我的发布", "Publishing")])
            links.append(["href": PublisherPortal.publishPath, "label": Bilingual("发布数据产品", "Publish a data product")])
        }
        if account.has(.auditor) || account.has(.administrator) { links.append(["href": AuditPortal.path, "label": Bilingual("存证审计", "Evidence audit")]) }
        if AccessRequestPortal.readers.contains(where: account.has) {
            links.append(["href": AccessRequestPortal.explorePath, "label": Bilingual("浏览成员目录", "Browse members' catalogs")])
            links.append(["href": AccessRequestPortal.requestsPath, "label": Bilingual("我的申请与合约", "Requests and agreements")])
        }
        links.append(["href": "/", "label": Bilingual("数据目录", "Catalog")])
        return [
            "links": links,
            "displayName": account.displayName, "login": account.login, "csrf": session.csrfToken,
            "roles": account.roles.sorted().map { ["label": Self.roleLabel($0)] },
            "expires": ISO8601DateFormatter().string(from: session.expiresAt),
        ]
    }

    func unavailable(_ error: any Error) -> Response {
        services.logger.error("portal account action failed", metadata: ["error": "\(error)"])
        return portal.page(title: Bilingual("暂不可用", "Unavailable"), template: "message", context: ["error": Bilingual("服务暂不可用，请稍后再试", "The node cannot do this right now; try again shortly")], status: .serviceUnavailable)
    }

    func signIn(_ request: Request) async -> Response {
        let form: FormFields
        do { form = try await FormFields.read(request) } catch let refusal as FormFields.Refusal {
            return preSessionForm(Bilingual("登录", "Sign in"), "login", ["error": refusal.message, "next": "/account"], status: .badRequest)
        } catch { return unavailable(error) }
        let next = Self.localTarget(form["next"])
        var context: [String: Any] = ["login": form["login"], "next": next]
        guard Self.formTokenMatches(form, request) else {
            context["error"] = Bilingual("表单已过期，请重新提交", "The form expired or came from elsewhere; submit it again")
            return preSessionForm(Bilingual("登录", "Sign in"), "login", context, status: .forbidden)
        }
        do {
            let signIn = try await services.signIns.run { try await accounts.signIn(login: form["login"], password: form["password"]) }
            services.logger.info("person signed in", metadata: ["account": "\(signIn.account.id)"])
            return Self.redirect(next, cookie: cookie(Self.sessionCookie, signIn.token, maxAge: Int(AccountService.sessionLifetime)))
        } catch let error as AccountError {
            context["error"] = Self.message(error)
            let status: HTTPResponse.Status = error.kind == .throttled ? .tooManyRequests : error.kind == .forbidden ? .forbidden : .unauthorized
            return preSessionForm(Bilingual("登录", "Sign in"), "login", context, status: status)
        } catch is WorkLimiter.Busy {
            return portal.page(title: Bilingual("繁忙", "Busy"), template: "message", context: ["error": Bilingual("登录请求过多，请稍后再试", "Too many sign-ins at once; try again shortly")], status: .serviceUnavailable)
        } catch { return unavailable(error) }
    }

    func signOut(_ request: Request) async -> Response {
        guard let (_, session) = await person(request), let token = RequestCookies(request)[Self.sessionCookie] else {
            return Self.redirect("/login", cookie: cookie(Self.sessionCookie, "", maxAge: 0))
        }
        guard let form = try? await FormFields.read(request), Self.csrfMatches(form, session) else {
            return portal.page(title: Bilingual("请求被拒绝", "Refused"), template: "message", context: ["error": Bilingual("表单已过期，请从页面重新退出", "The form expired or came from elsewhere; sign out from the page again")], status: .forbidden)
        }
        do { try await accounts.signOut(token: token) } catch { return unavailable(error) }
        return Self.redirect("/", cookie: cookie(Self.sessionCookie, "", maxAge: 0))
    }

    func acceptInvitation(_ request: Request) async -> Response {
        let form: FormFields
        do { form = try await FormFields.read(request) } catch let refusal as FormFields.Refusal {
            return portal.page(title: Bilingual("接受邀请", "Accept invitation"), template: "message", context: ["error": refusal.message], status: .badRequest)
        } catch { return unavailable(error) }
        let token = form["token"]
        let invited: PersonAccount
        do { invited = try await accounts.invitation(token: token) } catch let error as AccountError {
            return portal.page(title: Bilingual("邀请无效", "Invitation"), template: "message", context: ["error": error.message], status: .notFound)
        } catch { return unavailable(error) }
        let context: [String: Any] = ["token": token, "login": invited.login, "displayName": invited.displayName]
        guard Self.formTokenMatches(form, request) else {
            var refused = context
            refused["error"] = Bilingual("表单已过期，请重新提交", "The form expired or came from elsewhere; submit it again")
            return preSessionForm(Bilingual("接受邀请", "Accept invitation"), "invite", refused, status: .forbidden)
        }
        guard form["password"] == form["confirm"] else {
            var refused = context
            refused["error"] = Bilingual("两次输入的密码不一致", "The two passwords differ")
            return preSessionForm(Bilingual("接受邀请", "Accept invitation"), "invite", refused, status: .badRequest)
        }
        do {
            _ = try await services.signIns.run { try await accounts.acceptInvitation(token: token, password: form["password"]) }
            return Self.redirect("/login?next=%2Faccount")
        } catch let error as AccountError {
            var refused = context
            refused["error"] = Self.message(error)
            return preSessionForm(Bilingual("接受邀请", "Accept invitation"), "invite", refused, status: .badRequest)
        } catch { return unavailable(error) }
    }

    /// A refusal in both languages where the words are known, else the service's own message.
    static func message(_ error: AccountError) -> any CustomStringConvertible & Sendable {
        switch error.kind {
        case .unauthenticated: Bilingual("登录名或密码错误", "The login or the password is wrong")
        case .throttled: Bilingual(zh: "失败次数过多，请 15 分钟后再试", en: error.message, both: "失败次数过多，请 15 分钟后再试 " + error.message)
        case .forbidden: Bilingual(zh: "账户已停用", en: error.message, both: "账户已停用 " + error.message)
        default: error.message
        }
    }
}

/// A page that answers a request instead of the one asked for (sign in first, not allowed).
struct PortalRefusal: Error {
    var response: Response
}
