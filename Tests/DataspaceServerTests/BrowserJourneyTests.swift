import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// Portal journeys in a real browser (Selenium + Debian's Chromium, headless), against real
/// nodes on loopback. Screenshots of every step go to `$DATASPACE_SCREENSHOTS` (default
/// `.build/browser-screenshots/<journey>`). In CI (`CI=true`) a missing browser fails the run.
@Suite(.serialized) struct BrowserJourneyTests {
    static var chromium: String { ProcessInfo.processInfo.environment["DATASPACE_CHROMIUM"] ?? "/usr/bin/chromium" }
    static var chromedriver: String { ProcessInfo.processInfo.environment["DATASPACE_CHROMEDRIVER"] ?? "/usr/bin/chromedriver" }

    static var browserAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
            && Conformance.python(with: ["selenium"]) != nil
    }

    /// Every journey runs as a browser asking for Chinese, then for English.
    static let languages = ["zh-CN", "en-US"]

    static func screenshots(_ journey: String) -> String {
        let root = ProcessInfo.processInfo.environment["DATASPACE_SCREENSHOTS"]
            ?? Conformance.packageRoot.appendingPathComponent(".build/browser-screenshots").path
        return root + "/" + journey
    }

    /// Runs the journey script on a thread of its own: it blocks for seconds while the browser
    /// talks to the nodes, whose handlers need the test process's few shared threads.
    static func runScript(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let python = try #require(Conformance.python(with: ["selenium"]))
        let script = Conformance.packageRoot.appendingPathComponent("Tests/Browser/portal_journeys.py").path
        return try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try Conformance.run(python, [script] + arguments) }) }.start()
        }
    }

    @Test(.enabled(if: browserAvailable || Conformance.isCI), arguments: BrowserJourneyTests.languages) func aPersonAcceptsAnInvitationSignsInSearchesAndSignsOut(lang: String) async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            _ = try await net.publish(0, airQuality)
            let invited = try await net.clients[0].call(
                ManagementAPI.inviteAccount, json: ["login": "li.na", "displayName": "李娜", "roles": ["publisher", "analyst"]])
            let folder = Self.screenshots("person-" + lang)
            try? FileManager.default.removeItem(atPath: folder)
            let (status, output) = try await Self.runScript([
                "person", "--base", net.url(0), "--invitation", try #require(invited["invitationURL"]?.stringValue), "--login", "li.na",
                "--name", "李娜", "--title", "广州市空气质量监测数据", "--query", "空气质量", "--lang", lang, "--screenshots", folder,
            ])
            #expect(status == 0, "\(output)")
            let steps = output.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap { $0["step"]?.stringValue }
            #expect(
                steps == [
                    "invitation", "invitation-passwords-differ", "sign-in-form", "sign-in-wrong-password", "account", "search-results",
                    "product-page", "signed-out", "account-needs-sign-in",
                ], "\(output)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }
            #expect(files.count == steps.count)
        }
    }

    @Test(.enabled(if: browserAvailable || Conformance.isCI), arguments: BrowserJourneyTests.languages) func theAuthoritysOfficerApprovesOneApplicantAndRejectsAnother(lang: String) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            for i in [1, 2] { _ = try await net.clients[i].call(ManagementAPI.applyForMembership, json: ["authorityURL": .string(net.url(0))]) }
            let invited = try await net.clients[0].call(
                ManagementAPI.inviteAccount, json: ["login": "officer", "displayName": "审批员张", "roles": ["administrator"]])
            let folder = Self.screenshots("officer-" + lang)
            try? FileManager.default.removeItem(atPath: folder)
            let (status, output) = try await Self.runScript([
                "officer", "--base", net.url(0), "--invitation", try #require(invited["invitationURL"]?.stringValue), "--login", "officer",
                "--name", "审批员张", "--approve", "广州市数据局", "--reject", "华南研究院 Institute", "--lang", lang, "--screenshots", folder,
            ])
            #expect(status == 0, "\(output)")
            let steps = output.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap { $0["step"]?.stringValue }
            #expect(steps == ["officer-account", "applications-waiting", "reject-needs-reason", "decided"], "\(output)")
            let applications = try await net.clients[0].call(ManagementAPI.listApplications)
            let statuses = Dictionary(
                (applications["items"]?.arrayValue ?? []).compactMap { a in a["name"]?.stringValue.map { ($0, a["status"]?.stringValue ?? "") } },
                uniquingKeysWith: { a, _ in a })
            #expect(statuses == ["广州市数据局": "approved", "华南研究院 Institute": "rejected"])
        }
    }

    @Test(.enabled(if: browserAvailable || Conformance.isCI), arguments: BrowserJourneyTests.languages) func aPublisherPublishesThenAnotherOrganisationsAnalystIsRefusedForTheWrongPurposeThenAgrees(lang: String) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            // The bureau's publisher publishes in the browser: upload, quality report, offer from choices.
            let publisher = try await net.clients[1].call(
                ManagementAPI.inviteAccount, json: ["login": "chen.jing", "displayName": "陈静", "roles": ["publisher"]])
            let publisherFolder = Self.screenshots("publisher-" + lang)
            try? FileManager.default.removeItem(atPath: publisherFolder)
            let publishing = try await Self.runScript([
                "publisher", "--base", net.url(1), "--invitation", try #require(publisher["invitationURL"]?.stringValue), "--login", "chen.jing",
                "--name", "陈静", "--title", "广州市空气质量监测数据", "--offer-purposes", "research,public-service", "--lang", lang, "--screenshots", publisherFolder,
            ])
            #expect(publishing.status == 0, "\(publishing.output)")
            let publisherSteps = publishing.output.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap { $0["step"]?.stringValue }
            #expect(
                publisherSteps == ["publisher-account", "file-chosen", "quality-report", "price-refused", "published", "product-terms"],
                "\(publishing.output)")
            let invited = try await net.clients[2].call(
                ManagementAPI.inviteAccount, json: ["login": "zhang.wei", "displayName": "张伟", "roles": ["analyst"]])
            let folder = Self.screenshots("analyst-" + lang)
            try? FileManager.default.removeItem(atPath: folder)
            let (status, output) = try await Self.runScript([
                "analyst", "--base", net.url(2), "--invitation", try #require(invited["invitationURL"]?.stringValue), "--login", "zhang.wei",
                "--name", "张伟", "--provider", net.url(1), "--title", "广州市空气质量监测数据", "--query", "空气质量",
                "--wrong-purpose", "commercial.marketing", "--purpose", "research", "--lang", lang, "--screenshots", folder,
            ])
            #expect(status == 0, "\(output)")
            let steps = output.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap { $0["step"]?.stringValue }
            #expect(
                steps == [
                    "analyst-account", "member-catalog", "refused-wrong-purpose", "agreement-in-force", "downloaded-verified",
                    "requests-and-agreements",
                ],
                "\(output)")
            let agreements = try await net.clients[2].call(ManagementAPI.listAgreements)["items"]?.arrayValue ?? []
            #expect(agreements.count == 1)
            // The checksum the page showed is the one of the file as published.
            let lines = output.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            let shown = lines.first { $0["step"]?.stringValue == "downloaded-verified" }?["sha256"]?.stringValue
            let published = try await net.clients[1].call(ManagementAPI.listDatasets)["items"]?.arrayValue?.first?["distribution"]?["sha256"]?.stringValue
            #expect(shown != nil && shown == published, "\(String(describing: shown)) vs \(String(describing: published))")
        }
    }

    @Test(.enabled(if: browserAvailable || Conformance.isCI), arguments: BrowserJourneyTests.languages) func anAuditorReadsTheLogByNameAndVerifiesAReceiptByUpload(lang: String) async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            _ = try await net.publish(0, airQuality)
            let invited = try await net.clients[0].call(
                ManagementAPI.inviteAccount, json: ["login": "zhou.min", "displayName": "周敏", "roles": ["auditor"]])
            let folder = Self.screenshots("auditor-" + lang)
            try? FileManager.default.removeItem(atPath: folder)
            let (status, output) = try await Self.runScript([
                "auditor", "--base", net.url(0), "--invitation", try #require(invited["invitationURL"]?.stringValue), "--login", "zhou.min",
                "--name", "周敏", "--title", "广州市空气质量监测数据", "--lang", lang, "--screenshots", folder,
            ])
            #expect(status == 0, "\(output)")
            let steps = output.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.compactMap { $0["step"]?.stringValue }
            #expect(
                steps == ["auditor-account", "evidence-log", "filtered", "receipt-verified", "altered-receipt-refused"], "\(output)")
        }
    }
}
