import AsyncHTTPClient
import DataspaceApplication
import DataspaceCore
import DataspaceServer
import Foundation
import Logging
import Synchronization
import Testing

/// People in the portal over real HTTP: an administrator's invitation, setting a password,
/// signing in and out, and every refusal a browser can meet on the way — with a clear page,
/// never a 500.
@Suite struct PortalAccountTests {
    /// A browser's view of a form page: the CSRF field and the cookie set with it.
    struct FormPage {
        var csrf: String
        var cookie: String?

        init(_ reply: RawReply) throws {
            let text = reply.text
            let marker = "name=\"csrf\" value=\""
            let start = try #require(text.range(of: marker)).upperBound
            let end = try #require(text[start...].firstIndex(of: "\""))
            csrf = String(text[start..<end])
            cookie = reply.headers["Set-Cookie"].first.flatMap { $0.split(separator: ";").first.map(String.init) }
        }
    }

    static func form(_ fields: [String: String]) -> Data {
        Data(fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&").utf8)
    }

    static func post(_ url: String, _ fields: [String: String], cookie: String?) async throws -> RawReply {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let cookie { headers.append(("Cookie", cookie)) }
        return try await raw(.POST, url, headers: headers, body: form(fields), followRedirects: false)
    }

    @Test func anInvitedPublisherSetsAPasswordSignsInSeesTheAccountAndSignsOut() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let base = net.url(0)
            let invited = try await net.clients[0].call(
                ManagementAPI.inviteAccount, json: ["login": "li.na", "displayName": "李娜 <Clerk>", "roles": ["publisher", "auditor"]])
            let link = try #require(invited["invitationURL"]?.stringValue)
            #expect(link.hasPrefix(base + "/invite?token="))
            let token = try #require(link.split(separator: "=", maxSplits: 1).last.map(String.init))
            let accept = base + "/invite"
            #expect(invited["passwordHash"] == nil)
            let listed = try await net.clients[0].call(ManagementAPI.listAccounts)
            #expect(listed["items"]?.arrayValue?.first?["status"]?.stringValue == "invited")

            // The invitation page, then its form: refused without the form's cookie, with
            // differing passwords, with a short one; accepted once.
            let invitePage = try await raw(.GET, link)
            #expect(invitePage.status == 200)
            #expect(invitePage.text.contains("李娜 &lt;Clerk&gt;"))
            let inviteForm = try FormPage(invitePage)
            let forged = try await Self.post(accept, ["token": token, "csrf": inviteForm.csrf, "password": "a good long password", "confirm": "a good long password"], cookie: nil)
            #expect(forged.status == 403)
            let differ = try await Self.post(accept, ["token": token, "csrf": inviteForm.csrf, "password": "a good long password", "confirm": "another"], cookie: inviteForm.cookie)
            #expect(differ.status == 400)
            #expect(differ.text.contains("The two passwords differ"))
            let short = try await Self.post(accept, ["token": token, "csrf": inviteForm.csrf, "password": "short", "confirm": "short"], cookie: inviteForm.cookie)
            #expect(short.status == 400)
            #expect(short.text.contains("10 to 256 characters"))
            let accepted = try await Self.post(accept, ["token": token, "csrf": inviteForm.csrf, "password": "a good long password", "confirm": "a good long password"], cookie: inviteForm.cookie)
            #expect(accepted.status == 303)
            #expect(accepted.headers.first(name: "Location") == "/login?next=%2Faccount")
            #expect(try await raw(.GET, link).status == 404)

            // Signing in: a wrong password, a forged form, a foreign `next`, then the real thing.
            let loginPage = try await raw(.GET, base + "/login?next=//evil.example/")
            let loginForm = try FormPage(loginPage)
            #expect(!loginPage.text.contains("evil.example"))
            let wrong = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "li.na", "password": "not the password"], cookie: loginForm.cookie)
            #expect(wrong.status == 401)
            #expect(wrong.text.contains("The login or the password is wrong"))
            let noCookie = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "li.na", "password": "a good long password"], cookie: nil)
            #expect(noCookie.status == 403)
            let signedIn = try await Self.post(
                base + "/login", ["csrf": loginForm.csrf, "login": "li.na", "password": "a good long password", "next": "//evil.example/"],
                cookie: loginForm.cookie)
            #expect(signedIn.status == 303)
            #expect(signedIn.headers.first(name: "Location") == "/account")
            let setCookie = try #require(signedIn.headers.first(name: "Set-Cookie"))
            #expect(setCookie.hasPrefix("dataspace_session="))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"))  // the test node's URL is http
            let session = try #require(setCookie.split(separator: ";").first.map(String.init))

            let account = try await raw(.GET, base + "/account", headers: [("Cookie", session)], followRedirects: false)
            #expect(account.status == 200)
            #expect(account.text.contains("发布员 publisher") && account.text.contains("审计员 auditor"))
            #expect(account.text.contains("李娜 &lt;Clerk&gt;"))
            #expect(try await raw(.GET, base + "/account", followRedirects: false).status == 303)
            #expect(try await raw(.GET, base + "/account", headers: [("Cookie", "dataspace_session=forged")], followRedirects: false).status == 303)

            // Signing out needs the session's CSRF token; after it the cookie is worth nothing.
            let accountForm = try FormPage(account)
            let forgedOut = try await Self.post(base + "/logout", ["csrf": "guess"], cookie: session)
            #expect(forgedOut.status == 403)
            #expect(try await raw(.GET, base + "/account", headers: [("Cookie", session)], followRedirects: false).status == 200)
            let out = try await Self.post(base + "/logout", ["csrf": accountForm.csrf], cookie: session)
            #expect(out.status == 303)
            #expect(try await raw(.GET, base + "/account", headers: [("Cookie", session)], followRedirects: false).status == 303)

            // An administrator disables the account: its sessions end and sign-in is refused.
            let again = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "li.na", "password": "a good long password"], cookie: loginForm.cookie)
            let second = try #require(again.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            // A session ends by itself after its lifetime (the nodes' clock is the test's).
            #expect(try await raw(.GET, base + "/account", headers: [("Cookie", second)], followRedirects: false).status == 200)
            net.clock.advance(by: AccountService.sessionLifetime + 1)
            #expect(try await raw(.GET, base + "/account", headers: [("Cookie", second)], followRedirects: false).status == 303)
            let third = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "li.na", "password": "a good long password"], cookie: loginForm.cookie)
            let thirdCookie = try #require(third.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            let id = try #require(invited["id"]?.stringValue)
            let disabled = try await net.clients[0].call(ManagementAPI.updateAccount, id, json: ["status": "disabled"])
            #expect(disabled["status"]?.stringValue == "disabled")
            #expect(try await raw(.GET, base + "/account", headers: [("Cookie", thirdCookie)], followRedirects: false).status == 303)
            let refused = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "li.na", "password": "a good long password"], cookie: loginForm.cookie)
            #expect(refused.status == 403)
        }
    }

    /// Empty, malformed and hostile values on every account form and operation: a page or a
    /// problem naming the field, never a 500, and nothing echoed unescaped.
    @Test func hostileAccountInputIsRefusedWithAClearMessage() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let base = net.url(0)
            let loginForm = try FormPage(try await raw(.GET, base + "/login"))
            let hostile = ["", "<script>alert(1)</script>", String(repeating: "x", count: 5_000), "%zz", "\u{0}"]
            for value in hostile {
                let reply = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": value, "password": value], cookie: loginForm.cookie)
                #expect([400, 401].contains(reply.status), "\(value.prefix(20)): \(reply.status)")
                #expect(!reply.text.contains("<script>alert"))
            }
            let huge = try await raw(
                .POST, base + "/login", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", loginForm.cookie ?? "")],
                body: Data(repeating: UInt8(ascii: "a"), count: 100_000), followRedirects: false)
            #expect(huge.status == 400)
            let badEncoding = try await raw(
                .POST, base + "/login", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", loginForm.cookie ?? "")],
                body: Data("csrf=%E4%&login=%zz".utf8), followRedirects: false)
            #expect(badEncoding.status == 400)

            for (body, field) in [
                (#"{"login": "ab", "displayName": "x", "roles": ["analyst"]}"#, "login"),
                (#"{"login": "<script>", "displayName": "x", "roles": ["analyst"]}"#, "login"),
                (#"{"login": "okay", "displayName": "", "roles": ["analyst"]}"#, "displayName"),
                (#"{"login": "okay", "displayName": "x", "roles": ["root"]}"#, "roles"),
                (#"{"login": "okay", "displayName": "x", "roles": "analyst"}"#, "roles"),
                (#"{"login": "okay", "displayName": "x", "roles": []}"#, "roles"),
                (#"{"displayName": "x", "roles": ["analyst"]}"#, "login"),
            ] {
                let reply = try await raw(
                    .POST, base + "/api/v1/accounts", headers: [("Authorization", "Bearer " + net.nodes[0].adminToken), ("Content-Type", "application/json")],
                    body: Data(body.utf8))
                #expect(reply.status == 400, "\(body)")
                #expect(reply.json?["field"]?.stringValue == field, "\(body): \(reply.text)")
            }
            let unknown = try await raw(
                .PATCH, base + "/api/v1/accounts/nobody", headers: [("Authorization", "Bearer " + net.nodes[0].adminToken), ("Content-Type", "application/json")],
                body: Data(#"{"status": "invited"}"#.utf8))
            #expect(unknown.status == 400)
            #expect(unknown.json?["field"]?.stringValue == "status")
            let invitation = try await raw(.GET, base + "/invite?token=" + String(repeating: "t", count: 3_000))
            #expect(invitation.status == 404)
        }
    }

    /// A person of node `i` with `roles`, invited through the API, signed in through the forms:
    /// their session cookie, the session's CSRF token and their account id.
    static func signedIn(_ net: TestNetwork, _ i: Int, login: String, name: String, roles: [String]) async throws -> (cookie: String, csrf: String, id: String) {
        let invited = try await net.clients[i].call(
            ManagementAPI.inviteAccount, json: ["login": .string(login), "displayName": .string(name), "roles": .array(roles.map { .string($0) })])
        let link = try #require(invited["invitationURL"]?.stringValue)
        let inviteForm = try FormPage(try await raw(.GET, link))
        let password = "password of \(login)"
        let token = try #require(link.split(separator: "=", maxSplits: 1).last.map(String.init))
        _ = try await post(net.url(i) + "/invite", ["token": token, "csrf": inviteForm.csrf, "password": password, "confirm": password], cookie: inviteForm.cookie)
        let loginForm = try FormPage(try await raw(.GET, net.url(i) + "/login"))
        let reply = try await post(net.url(i) + "/login", ["csrf": loginForm.csrf, "login": login, "password": password], cookie: loginForm.cookie)
        let cookie = try #require(reply.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
        let account = try FormPage(try await raw(.GET, net.url(i) + "/account", headers: [("Cookie", cookie)]))
        return (cookie, account.csrf, try #require(invited["id"]?.stringValue))
    }

    /// The authority's officer approves, rejects (with a reason) and revokes (with a reason) in
    /// the portal; every decision names them in the record and in the evidence log. Other roles,
    /// forged forms and non-authority nodes are refused.
    @Test func anOfficerDecidesMembershipInThePortalAndIsNamedInTheEvidence() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let officer = try await Self.signedIn(net, 0, login: "officer", name: "审批员 Officer", roles: ["administrator"])
            let auditor = try await Self.signedIn(net, 0, login: "auditor", name: "Auditor", roles: ["auditor"])
            let applied = try await net.clients[1].call(ManagementAPI.applyForMembership, json: ["authorityURL": .string(net.url(0))])
            #expect(applied["status"]?.stringValue == "pending")
            let bureauApplication = try #require(applied["applicationId"]?.stringValue)
            let members = net.url(0) + "/authority/members"

            #expect(try await raw(.GET, members, followRedirects: false).status == 303)
            let refused = try await raw(.GET, members, headers: [("Cookie", auditor.cookie)], followRedirects: false)
            #expect(refused.status == 403)
            #expect(refused.text.contains("This needs the administrator role"))
            let page = try await raw(.GET, members, headers: [("Cookie", officer.cookie)], followRedirects: false)
            #expect(page.status == 200)
            #expect(page.text.contains("广州市数据局"))
            let approveURL = members + "/\(bureauApplication)/approve"
            #expect(try await Self.post(approveURL, ["csrf": "forged"], cookie: officer.cookie).status == 403)
            #expect(try await Self.post(approveURL, ["csrf": auditor.csrf], cookie: auditor.cookie).status == 403)
            let approved = try await Self.post(approveURL, ["csrf": officer.csrf], cookie: officer.cookie)
            #expect(approved.status == 303)
            let again = try await Self.post(approveURL, ["csrf": officer.csrf], cookie: officer.cookie)
            #expect(again.status == 409)
            #expect(again.text.contains("already approved"))

            let institute = try await net.clients[2].call(ManagementAPI.applyForMembership, json: ["authorityURL": .string(net.url(0))])
            let instituteApplication = try #require(institute["applicationId"]?.stringValue)
            let rejectURL = members + "/\(instituteApplication)/reject"
            let noReason = try await Self.post(rejectURL, ["csrf": officer.csrf, "reason": "  "], cookie: officer.cookie)
            #expect(noReason.status == 400)
            #expect(noReason.text.contains("Give the applicant a reason"))
            #expect(try await Self.post(rejectURL, ["csrf": officer.csrf, "reason": "<b>营业执照已过期</b>"], cookie: officer.cookie).status == 303)
            let revoked = try await Self.post(members + "/\(bureauApplication)/revoke", ["csrf": officer.csrf, "reason": "数据泄露 leak"], cookie: officer.cookie)
            #expect(revoked.status == 303)
            #expect(try await Self.post(members + "/nonexistent/approve", ["csrf": officer.csrf], cookie: officer.cookie).status == 404)
            #expect(try await Self.post(members + "/\(bureauApplication)/explode", ["csrf": officer.csrf], cookie: officer.cookie).status == 404)

            let after = try await raw(.GET, members, headers: [("Cookie", officer.cookie)])
            #expect(after.text.contains("&lt;b&gt;营业执照已过期&lt;/b&gt;"))
            #expect(after.text.contains("数据泄露 leak"))
            #expect(after.text.contains("审批员 Officer"))
            let applications = try await net.clients[0].call(ManagementAPI.listApplications)
            let records = Dictionary(
                (applications["items"]?.arrayValue ?? []).compactMap { a in a["id"]?.stringValue.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
            #expect(records[bureauApplication]?["decidedBy"]?.stringValue == officer.id)
            #expect(records[bureauApplication]?["revokedBy"]?.stringValue == officer.id)
            #expect(records[instituteApplication]?["decidedBy"]?.stringValue == officer.id)

            let events = try await net.settled { try await net.clients[0].call(ManagementAPI.ledgerEvents, query: ["limit": "1000"]) }
            let decisions = (events["events"]?.arrayValue ?? []).compactMap(\.["event"]).filter {
                ["credential.issued", "participant.rejected", "credential.revoked"].contains($0["type"]?.stringValue ?? "")
            }
            #expect(decisions.count == 3, "\(events)")
            #expect(decisions.allSatisfy { $0["by"]?.stringValue == officer.id }, "\(decisions)")

            // Not an authority: the page says so. Another organisation's session means nothing here.
            let bureauOfficer = try await Self.signedIn(net, 1, login: "boss", name: "Boss", roles: ["administrator"])
            #expect(try await raw(.GET, net.url(1) + "/authority/members", headers: [("Cookie", bureauOfficer.cookie)]).status == 404)
            #expect(try await raw(.GET, members, headers: [("Cookie", bureauOfficer.cookie)], followRedirects: false).status == 303)
            #expect(try await raw(.GET, net.url(0) + "/audit", headers: [("Cookie", bureauOfficer.cookie)], followRedirects: false).status == 303)

            // The auditor reads the same decisions with names: the officer's, the members'.
            let audit = net.url(0) + "/audit"
            let all = try await raw(.GET, audit, headers: [("Cookie", auditor.cookie)])
            #expect(all.status == 200)
            #expect(all.text.contains("<strong>审批员 Officer</strong>"))
            #expect(all.text.contains("<strong>广州市数据局</strong>"))
            #expect(all.text.contains("凭证撤销 Credential revoked"))
            let revocations = try await raw(.GET, audit + "?type=credential.revoked", headers: [("Cookie", auditor.cookie)])
            #expect(revocations.text.components(separatedBy: "<code>credential.").count - 1 == 1)
            #expect(!revocations.text.contains("<code>credential.issued</code>"))
            let byParty = try await raw(.GET, audit + "?party=%E5%8D%8E%E5%8D%97", headers: [("Cookie", auditor.cookie)])  // 华南
            #expect(byParty.text.contains("申请被拒 Application rejected"))
            #expect(!byParty.text.contains("凭证签发 Credential issued"))
            let future = try await raw(.GET, audit + "?since=2999-01-01", headers: [("Cookie", auditor.cookie)])
            #expect(future.text.contains("No entry matches"))
            let past = try await raw(.GET, audit + "?until=2000-01-01", headers: [("Cookie", auditor.cookie)])
            #expect(past.text.contains("No entry matches"))
            let untilNow = try await raw(.GET, audit + "?until=2999-01-01T00:00:00Z", headers: [("Cookie", auditor.cookie)])
            #expect(untilNow.text.contains("凭证撤销 Credential revoked"))
            for (query, field) in [("type=bogus", "type"), ("since=yesterday", "since"), ("until=2026-13-45", "until"), ("after=-1", "after")] {
                let bad = try await raw(.GET, audit + "?" + query, headers: [("Cookie", auditor.cookie)])
                #expect(bad.status == 400, "\(query)")
                #expect(bad.text.contains(field), "\(query)")
            }
            let analyst = try await Self.signedIn(net, 0, login: "analyst", name: "Analyst", roles: ["analyst"])
            #expect(try await raw(.GET, audit, headers: [("Cookie", analyst.cookie)]).status == 403)
            #expect(try await raw(.GET, audit, followRedirects: false).status == 303)
            // The officer's account page leads to both of their tasks.
            let officerAccount = try await raw(.GET, net.url(0) + "/account", headers: [("Cookie", officer.cookie)])
            #expect(officerAccount.text.contains("href=\"/authority/members\"") && officerAccount.text.contains("href=\"/audit\""))
        }
    }

    /// Every line the nodes log, at every level.
    final class CapturedLog: Sendable {
        let lines = Mutex<[String]>([])

        struct Handler: LogHandler {
            let log: CapturedLog
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                let fields = (metadata.merging(event.metadata ?? [:]) { _, new in new }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                log.lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
            }
        }

        var logger: Logger { Logger(label: "captured") { _ in Handler(log: self) } }
    }

    /// Secrets never reach the log, at any level: not the password, the invitation token, the
    /// session token or the CSRF token — across invitation, sign-in, a failed sign-in and sign-out.
    @Test func secretsNeverReachTheLog() async throws {
        let captured = CapturedLog()
        try await withNetwork([TestNetwork.bureau], logger: captured.logger) { net in
            let base = net.url(0)
            let invited = try await net.clients[0].call(
                ManagementAPI.inviteAccount, json: ["login": "secretive", "displayName": "Secretive", "roles": ["analyst"]])
            let link = try #require(invited["invitationURL"]?.stringValue)
            let invitationToken = try #require(link.split(separator: "=", maxSplits: 1).last.map(String.init))
            let password = "Correct-Horse-7731-Battery"
            let inviteForm = try FormPage(try await raw(.GET, link))
            _ = try await Self.post(base + "/invite", ["token": invitationToken, "csrf": inviteForm.csrf, "password": password, "confirm": password], cookie: inviteForm.cookie)
            let loginForm = try FormPage(try await raw(.GET, base + "/login"))
            _ = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "secretive", "password": password + "-wrong"], cookie: loginForm.cookie)
            let signedIn = try await Self.post(base + "/login", ["csrf": loginForm.csrf, "login": "secretive", "password": password], cookie: loginForm.cookie)
            let cookie = try #require(signedIn.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            let sessionToken = try #require(cookie.split(separator: "=", maxSplits: 1).last.map(String.init))
            let account = try FormPage(try await raw(.GET, base + "/account", headers: [("Cookie", cookie)]))
            _ = try await Self.post(base + "/logout", ["csrf": account.csrf], cookie: cookie)

            let lines = captured.lines.withLock { $0 }
            #expect(lines.contains { $0.contains("person signed in") })  // the log is being read
            for secret in [password, invitationToken, sessionToken, account.csrf, loginForm.csrf] {
                let leaks = lines.filter { $0.contains(secret) }
                #expect(leaks.isEmpty, "\(leaks.prefix(3))")
            }
        }
    }
}
