import Crypto
import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// The analyst's journey in the portal between real nodes: browse another member's catalog over
/// DSP, read the terms in plain words, request access for a purpose the offer does not allow and
/// read the provider's reason, request again for the right one and see the agreement — all
/// attributed to the person.
@Suite(.serialized) struct AccessRequestPortalTests {
    /// Signs `login` in on node `i`'s portal and returns the session cookie.
    static func signIn(_ net: TestNetwork, _ i: Int, _ login: String, roles: [String]) async throws -> (cookie: String, accountID: String) {
        let invited = try await net.clients[i].call(
            ManagementAPI.inviteAccount, json: ["login": .string(login), "displayName": .string("分析员 " + login), "roles": .array(roles.map { .string($0) })])
        let link = try #require(invited["invitationURL"]?.stringValue)
        let token = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value)
        _ = try await net.nodes[i].accounts.acceptInvitation(token: token, password: "correct horse battery")
        let form = try PortalAccountTests.FormPage(try await raw(.GET, net.url(i) + "/login"))
        let signedIn = try await PortalAccountTests.post(
            net.url(i) + "/login", ["csrf": form.csrf, "login": login, "password": "correct horse battery"], cookie: form.cookie)
        let cookie = try #require(signedIn.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
        return (cookie, try #require(invited["id"]?.stringValue))
    }

    static func page(_ url: String, cookie: String) async throws -> RawReply {
        try await raw(.GET, url, headers: [("Cookie", cookie)], followRedirects: false)
    }

    @Test func anAnalystIsRefusedForTheWrongPurposeThenAgreesForTheRightOne() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let dataset = try #require(try await net.publish(1, ContractFlowTests.metadata())["identifier"]?.stringValue)
            let analyst = try await Self.signIn(net, 2, "zhang", roles: ["analyst"])
            let base = net.url(2)

            // The member's catalog, read over DSP, with the offer in plain words and the button.
            let query = "?provider=" + (net.url(1).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") + "&q=%E7%A9%BA%E6%B0%94"
            let catalog = try await Self.page(base + "/explore" + query, cookie: analyst.cookie)
            #expect(catalog.status == 200, "\(catalog.text)")
            #expect(catalog.text.contains("广州市空气质量监测数据") && catalog.text.contains("申请使用 Request access"))
            #expect(catalog.text.contains("research") && !catalog.text.contains("odrl:"), "terms in words, not ODRL")
            let csrf = try PortalAccountTests.FormPage(catalog).csrf
            let fields = ["csrf": csrf, "provider": net.url(1), "dataset": dataset]

            // A purpose the offer does not allow: the provider refuses, and says why.
            var wrong = fields
            wrong["purpose"] = "commercial.marketing"
            let sent = try await PortalAccountTests.post(base + "/requests", wrong, cookie: analyst.cookie)
            #expect(sent.status == 303)
            let refusedPath = try #require(sent.headers.first(name: "Location"))
            #expect(refusedPath.hasPrefix("/requests/"))
            let refused = try await net.settled { try await Self.page(base + refusedPath, cookie: analyst.cookie) }
            #expect(refused.text.contains("TERMINATED"), "\(refused.text)")
            #expect(refused.text.contains("提供方拒绝了申请 The provider refused the request"))
            #expect(refused.text.contains("the policy requires purpose isAnyOf research, public-service"), "\(refused.text)")
            #expect(!refused.text.contains("http-equiv=\"refresh\""), "a settled request stops refreshing")

            // The right purpose: the agreement comes into force.
            var right = fields
            right["purpose"] = "research"
            let agreedPath = try #require(try await PortalAccountTests.post(base + "/requests", right, cookie: analyst.cookie).headers.first(name: "Location"))
            let agreed = try await net.settled { try await Self.page(base + agreedPath, cookie: analyst.cookie) }
            #expect(agreed.text.contains("FINALIZED"), "\(agreed.text)")
            #expect(agreed.text.contains("合约已生效 The agreement is in force") && agreed.text.contains("分析员 zhang"), "\(agreed.text)")

            // Both are listed; the API names the person who asked.
            let list = try await Self.page(base + "/requests", cookie: analyst.cookie)
            #expect(list.text.contains("TERMINATED") && list.text.contains("FINALIZED"))
            let id = String(agreedPath.dropFirst("/requests/".count))
            let negotiation = try await net.clients[2].call(ManagementAPI.showNegotiation, id)
            #expect(negotiation["requestedBy"]?.stringValue == analyst.accountID)
            #expect(negotiation["agreement"]?["id"]?.stringValue != nil)

            // Download: the node fetches the delivery, checks its SHA-256, keeps the receipt; the
            // browser then saves a file that is byte for byte what was published.
            #expect(agreed.text.contains("action=\"\(agreedPath)/download\""))
            #expect(try await PortalAccountTests.post(base + agreedPath + "/download", ["csrf": "forged"], cookie: analyst.cookie).status == 403)
            let started = try await PortalAccountTests.post(base + agreedPath + "/download", ["csrf": csrf], cookie: analyst.cookie)
            let downloadPath = try #require(started.headers.first(name: "Location"), "\(started.status) \(started.text)")
            #expect(downloadPath.hasPrefix("/downloads/"))
            // The node fetches on its own task: wait for that task, then for the messages it sent.
            await net.nodes[2].downloads.finished(String(downloadPath.dropFirst("/downloads/".count)))
            let done = try await net.settled { try await Self.page(base + downloadPath, cookie: analyst.cookie) }
            #expect(done.text.contains("校验通过 Checksum verified"), "\(done.text)")
            let file = try await Self.page(base + downloadPath + "/file", cookie: analyst.cookie)
            #expect(file.status == 200 && file.text == "station,aqi\nGZ001,42\nGZ002,57\n")
            #expect(file.headers.first(name: "Content-Disposition")?.hasPrefix("attachment;") == true)
            #expect(done.text.contains(SHA256.hash(data: file.body).map { String(format: "%02x", $0) }.joined()))
            #expect(try await raw(.GET, base + downloadPath + "/file", followRedirects: false).status == 303, "no session, no file")
            let transfers = try await net.clients[2].call(ManagementAPI.listTransfers)["items"]?.arrayValue ?? []
            #expect(transfers.first?["state"]?.stringValue == "COMPLETED", "the delivery is confirmed to the provider")

            // The provider's publisher sees both requests and the agreement with its delivery.
            let publisher = try await Self.signIn(net, 1, "chen", roles: ["publisher"])
            let publishing = try await Self.page(net.url(1) + "/publisher", cookie: publisher.cookie)
            #expect(publishing.text.contains("commercial.marketing") && publishing.text.contains("TERMINATED") && publishing.text.contains("FINALIZED"))
            #expect(publishing.text.contains(net.nodes[2].did.value) && publishing.text.contains("<td>1</td><td>0</td>"), "one delivery, none open")
        }
    }

    @Test func requestsAreRefusedWithAReasonForBadInputOtherRolesAndForgedForms() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let analyst = try await Self.signIn(net, 1, "zhang", roles: ["analyst"])
            let auditor = try await Self.signIn(net, 1, "qian", roles: ["auditor"])
            let base = net.url(1)
            let csrf = try PortalAccountTests.FormPage(try await Self.page(base + "/account", cookie: analyst.cookie)).csrf
            let good = ["csrf": csrf, "provider": net.url(0), "dataset": "91440100MA59AAAA0X/air", "purpose": "research"]

            for (change, expected) in [
                (["dataset": "<script>alert(1)</script>"], 400), (["purpose": "world-domination"], 400), (["provider": "file:///etc/passwd"], 400),
                (["provider": String(repeating: "h", count: 5_000)], 400), (["csrf": "forged"], 403),
            ] {
                let fields = good.merging(change) { _, new in new }
                let reply = try await PortalAccountTests.post(base + "/requests", fields, cookie: analyst.cookie)
                #expect(reply.status == expected, "\(change): \(reply.status)")
                #expect(!reply.text.contains("<script>alert"), "hostile input is escaped")
            }
            #expect(try await PortalAccountTests.post(base + "/requests", good, cookie: nil).status == 303)
            let auditorCSRF = try PortalAccountTests.FormPage(try await Self.page(base + "/account", cookie: auditor.cookie)).csrf
            var asAuditor = good
            asAuditor["csrf"] = auditorCSRF
            #expect(try await PortalAccountTests.post(base + "/requests", asAuditor, cookie: auditor.cookie).status == 403)
            let looking = try await Self.page(base + "/explore", cookie: auditor.cookie)
            #expect(looking.status == 200 && !looking.text.contains("action=\"/requests\""), "an auditor looks but cannot request")

            for query in ["?provider=ftp://example.org", "?provider=" + String(repeating: "h", count: 400), "?provider=http://127.0.0.1:1&q=x"] {
                let reply = try await Self.page(base + "/explore" + query, cookie: analyst.cookie)
                #expect([400, 502].contains(reply.status), "\(query.prefix(40)): \(reply.status)")
                #expect(reply.text.contains("class=\"error\""))
            }
            #expect(try await Self.page(base + "/requests/nope", cookie: analyst.cookie).status == 404)
            #expect(try await Self.page(base + "/downloads/nope", cookie: analyst.cookie).status == 404)
            #expect(try await Self.page(base + "/downloads/nope/file", cookie: analyst.cookie).status == 404)
            #expect(try await PortalAccountTests.post(base + "/requests/nope/download", ["csrf": csrf], cookie: analyst.cookie).status == 404)
            #expect(try await Self.page(base + "/requests", cookie: analyst.cookie).text.contains("No request yet"))
        }
    }
}
