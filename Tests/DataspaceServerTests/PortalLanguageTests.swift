import DataspaceCore
@testable import DataspaceServer
import Foundation
import Testing

/// The portal's language switch: a person's choice (cookie) wins, then the browser's
/// `Accept-Language`; without either, both languages side by side. In English, the portal's
/// own words are all English: every page a person with every role can open is checked for
/// Chinese characters left over.
@Suite(.serialized) struct PortalLanguageTests {
    @Test(arguments: [
        ("zh-CN,zh;q=0.9,en;q=0.8", PortalLanguage.zh), ("en-US,en;q=0.9", .en), ("en;q=0.5, zh;q=0.6", .zh), ("fr-FR, en-GB;q=0.4", .en),
        ("fr-FR, de", .both), ("", .both), ("zh;q=0, en;q=0.1", .en), ("en, zh", .en), ("zh-TW;q=abc, en", .en), ("*", .both),
        (String(repeating: "en,", count: 2_000), .both), ("zh-Hans-CN", .zh), ("ZH", .zh), ("en;q=1.5", .both), ("en;q=nan,zh;q=0.2", .zh),
    ])
    func theBrowsersPreferenceChoosesTheLanguage(header: String, expected: PortalLanguage) {
        #expect(PortalLanguage.negotiate(header) == expected, "\(header.prefix(40))")
    }

    @Test func markersResolvePerLanguageAndSideBySide() {
        let template = "<h1>[[发布数据产品|Publish a data product]]</h1><p>[[已发布：|Published:]] {{title}}</p> [[x"
        #expect(PortalLanguage.zh.resolve(template: template) == "<h1>发布数据产品</h1><p>已发布： {{title}}</p> [[x")
        #expect(PortalLanguage.en.resolve(template: template) == "<h1>Publish a data product</h1><p>Published: {{title}}</p> [[x")
        #expect(PortalLanguage.both.resolve(template: template) == "<h1>发布数据产品 Publish a data product</h1><p>已发布 Published: {{title}}</p> [[x")
        let phrase = Bilingual("无法下架：", "Cannot withdraw:") + "no product X"
        #expect(PortalLanguage.$current.withValue(.zh) { phrase.description } == "无法下架：no product X")
        #expect(PortalLanguage.$current.withValue(.en) { phrase.description } == "Cannot withdraw: no product X")
        #expect(PortalLanguage.$current.withValue(.both) { phrase.description } == "无法下架 Cannot withdraw: no product X")
    }

    /// The page's text without tags, scripts and the given strings.
    static func visibleText(_ html: String, without known: [String]) -> String {
        var text = html.replacingOccurrences(of: "<script[^>]*>.*?</script>", with: " ", options: .regularExpression)
        text = text.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
        for k in known { text = text.replacingOccurrences(of: k, with: " ") }
        return text
    }

    static func chinese(in text: String) -> [String] {
        text.components(separatedBy: .newlines).filter { line in line.unicodeScalars.contains { (0x4e00...0x9fff).contains($0.value) || (0x3000...0x303f).contains($0.value) || (0xff00...0xffef).contains($0.value) } }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test func inEnglishEveryPageSpeaksEnglishAndTheSwitchRemembersAChoice() async throws {
        try await withNetwork([TestNetwork.authority]) { net in
            let base = net.url(0)
            let product = try await net.publish(
                0, ["title": "Air quality", "description": "Hourly AQI", "keywords": ["aqi"], "sector": "green-low-carbon", "region": "110000"])
            let identifier = try #require(product["identifier"]?.stringValue)
            let person = try await AccessRequestPortalTests.signIn(net, 0, "ada", roles: ["administrator", "publisher", "analyst", "auditor"])
            let csrf = try await PublisherPortalTests.csrf(base, cookie: person.cookie)
            let uploaded = try await PublisherPortalTests.upload(base, PublisherPortalTests.patients, cookie: person.cookie, csrf: csrf, name: "visits.csv")
            let draft = try #require(try JSONValue.parse(uploaded.body)["location"]?.stringValue)

            let known = [net.nodes[0].configuration.name, "中文", "中英", "分析员 ada"]
            var checked = 0
            for path in [
                "/", "/?q=air", "/?sector=green-low-carbon", "/datasets/" + identifier, "/ledger", "/account", "/publish", draft, "/publisher",
                "/explore", "/explore?provider=" + base, "/requests", "/audit", "/audit?type=nope", "/authority/members", "/datasets/nope/x",
                "/publish/drafts/" + String(repeating: "0", count: 32), "/datasets/" + identifier + "/quality",
            ] {
                let reply = try await raw(.GET, base + path, headers: [("Cookie", person.cookie), ("Accept-Language", "en-US,en;q=0.9")])
                #expect(reply.status < 500, "\(path): \(reply.status)")
                #expect(reply.text.contains("<html lang=\"en\">"), "\(path)")
                let left = Self.chinese(in: Self.visibleText(reply.text, without: known))
                #expect(left.isEmpty, "\(path) shows Chinese in English: \(left.prefix(5))")
                checked += 1
            }
            #expect(checked == 18)
            // The login page as someone not signed in, with a refusal on it.
            let login = try await raw(.POST, base + "/login", headers: [("Accept-Language", "en"), ("Content-Type", "application/x-www-form-urlencoded")], body: Data("login=x".utf8))
            #expect(Self.chinese(in: Self.visibleText(login.text, without: known)).isEmpty, "\(login.text.suffix(400))")

            // In Chinese the same page has no English headings; without a preference, both.
            let zh = try await raw(.GET, base + "/publisher", headers: [("Cookie", person.cookie), ("Accept-Language", "zh-CN")])
            #expect(zh.text.contains("<html lang=\"zh-CN\">") && zh.text.contains("我的发布") && !zh.text.contains("Incoming requests"))
            let both = try await raw(.GET, base + "/publisher", headers: [("Cookie", person.cookie)])
            #expect(both.text.contains("我的发布 Publishing") && both.text.contains("收到的申请 Incoming requests"))

            // The switch: a cookie for a year, back to the page; it beats the header.
            let chosen = try await raw(.GET, base + "/language?to=en&next=%2Fpublisher", followRedirects: false)
            #expect(chosen.status == 303 && chosen.headers.first(name: "Location") == "/publisher")
            let cookie = try #require(chosen.headers.first(name: "Set-Cookie"))
            #expect(cookie.hasPrefix("dataspace_lang=en;") && cookie.contains("Max-Age=31536000") && cookie.contains("SameSite=Lax"))
            let english = try await raw(.GET, base + "/publisher", headers: [("Cookie", person.cookie + "; dataspace_lang=en"), ("Accept-Language", "zh-CN")])
            #expect(english.text.contains("Incoming requests") && !english.text.contains("收到的申请"))
            #expect(english.headers.first(name: "Content-Language") == "en")
            for hostile in ["/language?to=klingon&next=%2F", "/language?to=en&next=https%3A%2F%2Fevil.example", "/language?to=en&next=%2F%2Fevil.example", "/language"] {
                let reply = try await raw(.GET, base + hostile, followRedirects: false)
                #expect(reply.status == 303, "\(hostile)")
                #expect(reply.headers.first(name: "Location")?.hasPrefix("/") == true && reply.headers.first(name: "Location")?.hasPrefix("//") == false, "\(hostile)")
            }
            #expect(try await raw(.GET, base + "/language?to=klingon", followRedirects: false).headers.first(name: "Set-Cookie") == nil)
        }
    }
}
