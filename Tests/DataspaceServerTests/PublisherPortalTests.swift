import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// The publisher's journey in the portal on a real node: upload a file (as the page's script
/// sends it), read the draft's quality report and the columns that look personal, describe the
/// product, choose masking and build the offer from plain choices, publish; then find it on the
/// publishing page, read its terms in words, and withdraw it — all attributed to the person.
@Suite(.serialized) struct PublisherPortalTests {
    /// A CSV whose `mobile` column holds mobile numbers (the detector flags it as personal).
    static let patients: String = {
        var text = "clinic,mobile,visits\n"
        for i in 0..<40 { text += "C\(i % 4),139\(String(format: "%08d", 10_000_000 + i * 7_919)),\(i % 9)\n" }
        return text
    }()

    /// URL-encodes fields in order; a name may repeat (checkboxes).
    static func encoded(_ fields: [(String, String)]) -> Data {
        Data(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&").utf8)
    }

    static func post(_ url: String, _ fields: [(String, String)], cookie: String?) async throws -> RawReply {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let cookie { headers.append(("Cookie", cookie)) }
        return try await raw(.POST, url, headers: headers, body: encoded(fields), followRedirects: false)
    }

    /// Sends a file the way the upload page's script does.
    static func upload(_ base: String, _ body: String, cookie: String?, csrf: String, type: String = "text/csv", name: String = "%E5%B0%B1%E8%AF%8A.csv") async throws -> RawReply {
        var headers = [("Content-Type", type), ("X-CSRF-Token", csrf), ("X-File-Name", name)]
        if let cookie { headers.append(("Cookie", cookie)) }
        return try await raw(.POST, base + "/publish/drafts", headers: headers, body: Data(body.utf8), followRedirects: false)
    }

    static func csrf(_ base: String, cookie: String) async throws -> String {
        try PortalAccountTests.FormPage(try await AccessRequestPortalTests.page(base + "/account", cookie: cookie)).csrf
    }

    static func reviewFields(csrf: String) -> [(String, String)] {
        [
            ("csrf", csrf), ("title", "门诊就诊记录 Clinic visits"), ("description", "各门诊就诊次数"), ("keywords", "门诊, visits"),
            ("sector", "healthcare"), ("region", "440100"), ("license", "https://creativecommons.org/licenses/by/4.0/"),
            ("grade", "general-3"), ("mask.1", "partial:3,4"), ("watermark", "on"),
            ("offer.purpose", "research"), ("offer.purpose", "public-service"), ("offer.region", "440000"), ("offer.until", "2099-06-30"),
            ("offer.maxDeliveries", "2"), ("offer.price", "9.9"),
        ]
    }

    @Test func aPublisherUploadsReviewsThenPublishesWithAnOfferBuiltFromChoices() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let base = net.url(0)
            let publisher = try await AccessRequestPortalTests.signIn(net, 0, "li.na", roles: ["publisher", "auditor"])
            let csrf = try await Self.csrf(base, cookie: publisher.cookie)
            let form = try await AccessRequestPortalTests.page(base + "/publish", cookie: publisher.cookie)
            #expect(form.status == 200 && form.text.contains("data-csrf=\"\(csrf)\"") && form.text.contains("/static/publish.js"))
            let script = try await raw(.GET, base + "/static/publish.js")
            #expect(script.status == 200 && script.text.contains("upload.onprogress"))

            // Step 1: the upload becomes a draft with what the assessment found.
            let uploaded = try await Self.upload(base, Self.patients, cookie: publisher.cookie, csrf: csrf)
            #expect(uploaded.status == 201, "\(uploaded.text)")
            let location = try #require(try JSONValue.parse(uploaded.body)["location"]?.stringValue)
            #expect(location.hasPrefix("/publish/drafts/"))
            let review = try await AccessRequestPortalTests.page(base + location, cookie: publisher.cookie)
            #expect(review.status == 200)
            #expect(review.text.contains("就诊.csv") && review.text.contains("mobile (100.0%)"), "the personal column is named")
            #expect(review.text.contains("<option value=\"partial:3,4\" selected>"), "its suggested masking is preselected")
            #expect(review.text.contains("id=\"draft-score\">100.0%"), "\(review.text)")
            #expect(!review.text.contains("13910000000"), "no value of the file is shown")

            // Step 2: publish, lowering the proposed grade with a reason; the offer is written from the choices.
            #expect(review.text.contains("id=\"draft-grade\">general-3"))
            let fields = Self.reviewFields(csrf: csrf).map { $0.0 == "grade" ? ("grade", "general-2") : $0 } + [("gradeReason", "号码交付时脱敏 numbers leave masked")]
            let published = try await Self.post(base + location, fields, cookie: publisher.cookie)
            #expect(published.status == 303, "\(published.text)")
            let home = try #require(published.headers.first(name: "Location"))
            #expect(home.hasPrefix("/publisher?published="))
            let page = try await AccessRequestPortalTests.page(base + home, cookie: publisher.cookie)
            #expect(page.text.contains("已发布 Published") && page.text.contains("门诊就诊记录 Clinic visits"))
            let identifier = try #require(try await net.clients[0].call(ManagementAPI.listDatasets)["items"]?.arrayValue?.first?["identifier"]?.stringValue)
            let parts = identifier.split(separator: "/").map(String.init)
            let record = try await net.clients[0].call(ManagementAPI.showDataset, parts[0], parts[1])
            #expect(record["protection"]?["masking"]?["mobile"]?.stringValue == "partial:3,4")
            #expect(record["protection"]?["watermark"]?.boolValue == true)
            #expect(record["grade"]?.stringValue == "general-2", "\(record)")
            let terms = try await raw(.GET, base + "/datasets/" + identifier)
            for words in ["at most 2 deliveries", "only for recipients within Guangdong", "until 2099-06-30T23:59:59+08:00", "public-service, research", "9.90 CNY per delivery"] {
                #expect(terms.text.contains(words), "\(words)")
            }
            #expect(try await AccessRequestPortalTests.page(base + location, cookie: publisher.cookie).status == 404, "a published draft is gone")

            // Who published is in the evidence, by name on the audit page.
            let audit = try await net.settled { try await AccessRequestPortalTests.page(base + "/audit?type=product.published", cookie: publisher.cookie) }
            #expect(audit.text.contains("分析员 li.na"), "\(audit.text)")

            // A new version: the same upload, the review starts from the current version's words,
            // and the offer is kept unless the publisher rewrites it.
            #expect(page.text.contains("href=\"/publish?product=\(identifier)\""))
            let versionPage = try await AccessRequestPortalTests.page(base + "/publish?product=" + identifier, cookie: publisher.cookie)
            #expect(versionPage.status == 200 && versionPage.text.contains("id=\"new-version-of\"") && versionPage.text.contains("action=\"/publish/drafts?product="))
            #expect(try await AccessRequestPortalTests.page(base + "/publish?product=86.440100.X%2Fnope", cookie: publisher.cookie).status == 404)
            var headers = [("Content-Type", "text/csv"), ("X-CSRF-Token", csrf), ("X-File-Name", "v2.csv"), ("Cookie", publisher.cookie)]
            let bad = try await raw(.POST, base + "/publish/drafts?product=nope", headers: headers, body: Data(Self.patients.utf8), followRedirects: false)
            #expect(bad.status == 400 && bad.text.contains("product"))
            let v2 = Self.patients + "C9,13900000000,1\n"
            let secondUpload = try await raw(
                .POST, base + "/publish/drafts?product=" + (identifier.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                headers: headers, body: Data(v2.utf8), followRedirects: false)
            headers.removeAll()
            let secondLocation = try #require(try JSONValue.parse(secondUpload.body)["location"]?.stringValue, "\(secondUpload.text)")
            let secondReview = try await AccessRequestPortalTests.page(base + secondLocation, cookie: publisher.cookie)
            #expect(secondReview.text.contains("value=\"门诊就诊记录 Clinic visits\"") && secondReview.text.contains("name=\"keepOffer\" id=\"keep-offer\" checked"))
            #expect(secondReview.text.contains("at most 2 deliveries"), "the offer being kept is shown in words")
            let versioned = try await Self.post(
                base + secondLocation,
                [("csrf", csrf), ("title", "门诊就诊记录 v2"), ("description", "各门诊就诊次数"), ("sector", "healthcare"), ("license", "https://creativecommons.org/licenses/by/4.0/"),
                 ("grade", "general-3"), ("mask.1", "hash"), ("keepOffer", "on")],
                cookie: publisher.cookie)
            #expect(versioned.status == 303, "\(versioned.text.components(separatedBy: "form-error").dropFirst().first?.prefix(300) ?? "")")
            let second = try await net.clients[0].call(ManagementAPI.showDataset, parts[0], parts[1])
            #expect(second["version"]?.intValue == 2 && second["title"]?.stringValue == "门诊就诊记录 v2")
            #expect(second["offer"] == record["offer"], "the offer was kept")
            #expect(second["protection"]?["masking"]?["mobile"]?.stringValue == "hash")
            let versionAudit = try await net.settled { try await AccessRequestPortalTests.page(base + "/audit?type=product.versioned", cookie: publisher.cookie) }
            #expect(versionAudit.text.contains("分析员 li.na"), "who published the version is in the evidence")

            // Withdraw: needs the confirmation box, then the product leaves the catalog.
            let withdraw = base + "/publisher/datasets/" + identifier + "/withdraw"
            #expect(try await Self.post(withdraw, [("csrf", csrf)], cookie: publisher.cookie).status == 400)
            #expect(try await Self.post(withdraw, [("csrf", "forged"), ("confirm", "on")], cookie: publisher.cookie).status == 403)
            let withdrawn = try await Self.post(withdraw, [("csrf", csrf), ("confirm", "on")], cookie: publisher.cookie)
            #expect(withdrawn.status == 303)
            #expect(try await net.clients[0].call(ManagementAPI.showDataset, parts[0], parts[1])["status"]?.stringValue == "withdrawn")
            let after = try await AccessRequestPortalTests.page(base + "/publisher", cookie: publisher.cookie)
            #expect(after.text.contains("Nothing published yet"))
        }
    }

    @Test func everyFormRefusesBadInputOnThePageAndOnlyItsOwnerMayUseADraft() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let base = net.url(0)
            let publisher = try await AccessRequestPortalTests.signIn(net, 0, "li.na", roles: ["publisher"])
            let other = try await AccessRequestPortalTests.signIn(net, 0, "wang.wu", roles: ["publisher"])
            let analyst = try await AccessRequestPortalTests.signIn(net, 0, "zhang", roles: ["analyst"])
            let csrf = try await Self.csrf(base, cookie: publisher.cookie)

            // Uploads: refused without a session, with a wrong token, a wrong type, empty, not a table.
            #expect(try await Self.upload(base, Self.patients, cookie: nil, csrf: csrf).status == 401)
            #expect(try await Self.upload(base, Self.patients, cookie: publisher.cookie, csrf: "forged").status == 403)
            #expect(try await Self.upload(base, Self.patients, cookie: publisher.cookie, csrf: csrf, type: "application/pdf").status == 415)
            #expect(try await Self.upload(base, "", cookie: publisher.cookie, csrf: csrf).status == 400)
            // Past the node's upload limit (1 MiB on test nodes): refused, and nothing is left behind.
            let huge = try await Self.upload(base, "a,b\n" + String(repeating: "1,2\n", count: 300_000), cookie: publisher.cookie, csrf: csrf)
            #expect(huge.status == 413 && huge.text.contains("MiB"), "\(huge.status) \(huge.text.prefix(200))")
            let draftsFolder = net.nodes[0].directory.path + "/drafts"
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: draftsFolder)) ?? []).isEmpty, "a refused upload leaves no draft")
            let broken = try await Self.upload(base, "a,b\n\"open,2\n", cookie: publisher.cookie, csrf: csrf)
            #expect(broken.status == 422 && broken.text.contains("never closed"), "\(broken.text)")
            let analystCSRF = try await Self.csrf(base, cookie: analyst.cookie)
            #expect(try await Self.upload(base, Self.patients, cookie: analyst.cookie, csrf: analystCSRF).status == 403, "an analyst cannot publish")
            #expect(try await AccessRequestPortalTests.page(base + "/publish", cookie: analyst.cookie).status == 403)
            #expect(try await AccessRequestPortalTests.page(base + "/publisher", cookie: analyst.cookie).status == 403)
            #expect(try await AccessRequestPortalTests.page(base + "/publish", cookie: "dataspace_session=forged").status == 303)
            let hostileName = try await Self.upload(base, Self.patients, cookie: publisher.cookie, csrf: csrf, name: "%3Cscript%3Ealert(1)%3C%2Fscript%3E.csv")
            let location = try #require(try JSONValue.parse(hostileName.body)["location"]?.stringValue)
            let review = try await AccessRequestPortalTests.page(base + location, cookie: publisher.cookie)
            #expect(review.status == 200 && !review.text.contains("<script>alert") && review.text.contains("script&gt;.csv"), "only the name after the last slash, escaped")

            // Someone else's draft does not exist for them; nor do made-up ids.
            #expect(try await AccessRequestPortalTests.page(base + location, cookie: other.cookie).status == 404)
            let otherCSRF = try await Self.csrf(base, cookie: other.cookie)
            #expect(try await Self.post(base + location, Self.reviewFields(csrf: otherCSRF), cookie: other.cookie).status == 404)
            #expect(try await Self.post(base + location + "/discard", [("csrf", otherCSRF)], cookie: other.cookie).status == 404)
            for id in ["nope", "../../etc", String(repeating: "a", count: 32), String(repeating: "z", count: 500)] {
                #expect(try await AccessRequestPortalTests.page(base + "/publish/drafts/" + id, cookie: publisher.cookie).status == 404, "\(id.prefix(20))")
            }

            // The review form: each bad value is named on the page, with what was typed kept.
            let good = Self.reviewFields(csrf: csrf)
            for (name, value, field) in [
                ("title", "", "title"), ("sector", "<script>alert(1)</script>", "sector"), ("region", "999999", "region"),
                ("license", "javascript:alert(1)", "license"), ("grade", "secret", "grade"), ("mask.1", "reveal-all", "mask.1"),
                ("offer.purpose", "world-domination", "offer.purpose"), ("offer.region", "12", "offer.region"),
                ("offer.until", "2020-01-01", "offer.until"), ("offer.until", "tomorrow", "offer.until"),
                ("offer.maxDeliveries", "-1", "offer.maxDeliveries"), ("offer.maxDeliveries", String(repeating: "9", count: 40), "offer.maxDeliveries"),
                ("offer.price", "1e9", "offer.price"), ("offer.price", "9.999", "offer.price"), ("temporalStart", "31/12/2025", "temporalStart"),
                ("title", String(repeating: "长", count: 4_000), "title"), ("grade", "general", "gradeReason"),
            ] {
                var fields = good.filter { $0.0 != name || (name == "offer.purpose" && $0.1 == "research") }
                fields.append((name, value))
                let reply = try await Self.post(base + location, fields, cookie: publisher.cookie)
                #expect(reply.status == 400, "\(name)=\(value.prefix(20)): \(reply.status)")
                #expect(reply.text.contains("id=\"form-error\" data-field=\"\(field)\""), "\(name)=\(value.prefix(20)) names \(field)")
                #expect(!reply.text.contains("<script>alert"), "escaped")
            }
            let tooBig = try await Self.post(base + location, good + [("description", String(repeating: "长", count: 40_000))], cookie: publisher.cookie)
            #expect(tooBig.status == 400 && tooBig.text.contains("class=\"error\""))
            #expect(try await Self.post(base + location, good.map { $0.0 == "csrf" ? ("csrf", "forged") : $0 }, cookie: publisher.cookie).status == 403)
            #expect(try await Self.post(base + location, good, cookie: nil).status == 303, "no session: sign in first")
            for query in ["?after=%3Cscript%3E", "?after=" + String(repeating: "9", count: 500), "?published=nope&withdrawn=%00"] {
                let reply = try await AccessRequestPortalTests.page(base + "/publisher" + query, cookie: publisher.cookie)
                #expect(reply.status == 200 && !reply.text.contains("<script>"), "\(query.prefix(30))")
            }
            // Nothing above was published.
            #expect(try await net.clients[0].call(ManagementAPI.listDatasets)["items"]?.arrayValue?.isEmpty == true)

            // Discarding removes the draft.
            #expect(try await Self.post(base + location + "/discard", [("csrf", csrf)], cookie: publisher.cookie).status == 303)
            #expect(try await AccessRequestPortalTests.page(base + location, cookie: publisher.cookie).status == 404)
        }
    }
}
