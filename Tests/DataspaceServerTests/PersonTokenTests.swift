import DataspaceCore
import DataspaceIdentity
import DataspaceServer
import Foundation
import Testing

/// People's API tokens over real HTTP: `POST /api/v1/login`, roles per operation, attribution,
/// revocation, and `dataspace login`/`logout` acting as the person.
@Suite(.serialized) struct PersonTokenTests {
    /// Invites `login` with `roles` through the API and sets their password as they would.
    static func person(_ net: TestNetwork, _ login: String, roles: [String], admin: ManagementClient? = nil) async throws -> String {
        let invited = try await (admin ?? net.clients[0]).call(
            ManagementAPI.inviteAccount, json: ["login": .string(login), "displayName": .string(login), "roles": .array(roles.map { .string($0) })])
        let link = try #require(invited["invitationURL"]?.stringValue)
        let token = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value)
        _ = try await net.nodes[0].accounts.acceptInvitation(token: token, password: "correct horse battery")
        return try #require(invited["id"]?.stringValue)
    }

    static func login(_ net: TestNetwork, _ body: JSONValue) async throws -> RawReply {
        try await raw(.POST, net.url(0) + "/api/v1/login", headers: [("Content-Type", "application/json")], body: Data(body.encoded()))
    }

    @Test func tokensActAsTheirPersonWithinTheirRoles() async throws {
        try await withNetwork([TestNetwork.authority]) { net in
            let li = try await Self.person(net, "lina", roles: ["publisher", "analyst"])
            let wangID = try await Self.person(net, "wang", roles: ["administrator"])

            // A wrong password, a role the person lacks and a malformed body make no token.
            #expect(try await Self.login(net, ["login": "lina", "password": "wrong horse battery"]).status == 401)
            let lacking = try await Self.login(net, ["login": "lina", "password": "correct horse battery", "scopes": ["administrator"]])
            #expect(lacking.status == 403 && lacking.json?["field"]?.stringValue == "scopes")
            for (body, field) in [
                (["login": "lina", "password": "correct horse battery", "days": 0] as JSONValue, "days"),
                (["login": "lina", "password": "correct horse battery", "scopes": "publisher"], "scopes"),
                (["login": "lina"], "password"), (["login": "lina", "password": "correct horse battery", "name": .string(String(repeating: "长", count: 200))], "name"),
            ] {
                let refused = try await Self.login(net, body)
                #expect(refused.status == 400 && refused.json?["field"]?.stringValue == field, "\(refused.text)")
            }

            let analystReply = try await Self.login(net, ["login": "lina", "password": "correct horse battery", "scopes": ["analyst"], "name": "notebook"])
            #expect(analystReply.status == 201, "\(analystReply.text)")
            let analystToken = try #require(analystReply.json?["token"]?.stringValue)
            let publisherToken = try #require(try await Self.login(net, ["login": "lina", "password": "correct horse battery", "scopes": ["publisher"]]).json?["token"]?.stringValue)
            let adminToken = try #require(try await Self.login(net, ["login": "wang", "password": "correct horse battery"]).json?["token"]?.stringValue)
            let asAnalyst = ManagementClient(baseURL: net.url(0), adminToken: analystToken)
            let asPublisher = ManagementClient(baseURL: net.url(0), adminToken: publisherToken)
            let asAdministrator = ManagementClient(baseURL: net.url(0), adminToken: adminToken)

            // The publisher's token publishes; the analyst's is refused, naming the role it needs.
            let path = net.root + "/air.csv"
            try "station,aqi\nGZ001,42\n".write(toFile: path, atomically: true, encoding: .utf8)
            let published = try await asPublisher.publish(file: path, metadata: airQuality)
            #expect(published["identifier"]?.stringValue != nil)
            do {
                _ = try await asAnalyst.publish(file: path, metadata: airQuality)
                Issue.record("an analyst's token published")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 403 && failure.code == "role_required" && failure.detail.contains("publisher"), "\(failure)")
            }
            #expect(try await asAnalyst.call(ManagementAPI.search, query: ["q": "空气"])["total"] != nil)
            for (client, operation) in [(asAnalyst, ManagementAPI.listApplications), (asPublisher, ManagementAPI.listAccounts)] {
                await #expect(throws: ManagementClient.Failure.self) { try await client.call(operation) }
            }

            // A narrow token cannot make a wider one, even for a role the person holds.
            do {
                _ = try await asAnalyst.call(ManagementAPI.issueToken, json: ["name": "wider", "scopes": ["publisher"]])
                Issue.record("an analyst-only token made a publisher token")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 403 && failure.field == "scopes", "\(failure)")
            }
            let same = try await asAnalyst.call(ManagementAPI.issueToken, json: ["name": "same"])
            #expect(same["scopes"] == ["analyst"] && same["token"]?.stringValue?.hasPrefix("dst_") == true)
            _ = try await asAnalyst.call(ManagementAPI.revokeToken, try #require(same["id"]?.stringValue))

            // What an administrator's token does is theirs: the person they invite names them.
            _ = try await Self.person(net, "zhao", roles: ["auditor"], admin: asAdministrator)
            let accounts = try await net.clients[0].call(ManagementAPI.listAccounts)["items"]?.arrayValue ?? []
            #expect(accounts.first { $0["login"] == "zhao" }?["invitedBy"]?.stringValue == wangID)

            // Each person lists their own tokens; the admin token lists everyone's; secrets are never listed.
            let mine = try await asAnalyst.call(ManagementAPI.listTokens)["items"]?.arrayValue ?? []
            #expect(mine.count == 3 && mine.allSatisfy { $0["accountId"]?.stringValue == li && $0["token"] == nil })
            #expect((try await net.clients[0].call(ManagementAPI.listTokens)["items"]?.arrayValue ?? []).count == 4)
            let listed = try await raw(.GET, net.url(0) + "/api/v1/tokens", headers: [("Authorization", "Bearer " + analystToken)])
            // The whole secret, not the text after its last "_": base64url secrets may hold "_" themselves.
            let analystSecret = try #require(PersonToken.parse(analystToken)?.secret)
            #expect(listed.status == 200 && !listed.text.contains(analystSecret), "\(listed.text)")

            // Revoked, it is refused; so are a missing header and a made-up token.
            let analystID = try #require(analystReply.json?["id"]?.stringValue)
            _ = try await asAnalyst.call(ManagementAPI.revokeToken, analystID)
            for headers in [[("Authorization", "Bearer " + analystToken)], [], [("Authorization", "Bearer dst_" + String(repeating: "f", count: 32) + "_xxxxxxxxxxxxxxxxxxxxxx")]] {
                let refused = try await raw(.GET, net.url(0) + "/api/v1/node", headers: headers)
                #expect(refused.status == 401, "\(refused.text)")
            }
            #expect(try await asPublisher.call(ManagementAPI.nodeInfo)["did"] != nil)
        }
    }

    /// Runs the CLI off the cooperative pool with `input` on its standard input.
    static func cli(_ arguments: [String], input: String, environment: [String: String]) async throws -> CLITests.Result {
        let binary = try #require(CLITests.binary)
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: binary)
                        process.arguments = arguments
                        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
                        let stdin = Pipe(), out = Pipe(), err = Pipe()
                        process.standardInput = stdin
                        process.standardOutput = out
                        process.standardError = err
                        try process.run()
                        stdin.fileHandleForWriting.write(Data(input.utf8))
                        try stdin.fileHandleForWriting.close()
                        let o = out.fileHandleForReading.readDataToEndOfFile()
                        let e = err.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        return CLITests.Result(
                            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
                    })
            }.start()
        }
    }

    @Test(.enabled(if: CLITests.available)) func theCLILogsInAsAPersonAndOut() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            _ = try await Self.person(net, "lina", roles: ["analyst"])
            let credentials = net.root + "/home/credentials.json"
            let environment = ["DATASPACE_CREDENTIALS": credentials, "DATASPACE_TOKEN": "", "DATASPACE_DIR": net.root + "/nowhere"]
            let node = ["--node", net.url(0)]

            let wrong = try await Self.cli(["login", "--login", "lina"] + node, input: "wrong horse battery\n", environment: environment)
            #expect(wrong.status == 3, "\(wrong.stderr)")
            #expect(!FileManager.default.fileExists(atPath: credentials))

            let login = try await Self.cli(["login", "--login", "lina", "--days", "7"] + node, input: "correct horse battery\n", environment: environment)
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.stdout.contains("analyst") && !login.stdout.contains("dst_"), "\(login.stdout)")
            let attributes = try FileManager.default.attributesOfItem(atPath: credentials)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            // Commands with --node act as li: reading works, publishing is refused for the role.
            let listed = try await Self.cli(["datasets", "--json"] + node, input: "", environment: environment)
            #expect(listed.status == 0, "\(listed.stderr)")
            let csv = net.root + "/air.csv"
            try "station,aqi\nGZ001,42\n".write(toFile: csv, atomically: true, encoding: .utf8)
            let publish = try await Self.cli(
                ["publish", csv, "--title", "空气", "--description", "AQI", "--sector", "green-low-carbon"] + node, input: "", environment: environment)
            #expect(publish.status == 3 && publish.stderr.contains("publisher"), "\(publish.stderr)")

            let logout = try await Self.cli(["logout"] + node, input: "", environment: environment)
            #expect(logout.status == 0, "\(logout.stderr)")
            let tokens = try await net.clients[0].call(ManagementAPI.listTokens)["items"]?.arrayValue ?? []
            #expect(tokens.count == 1 && tokens[0]["revokedAt"] != nil)
            let after = try await Self.cli(["datasets"] + node, input: "", environment: environment)
            #expect(after.status == 64 && after.stderr.contains("dataspace login"), "\(after.stderr)")
        }
    }

    @Test func aPersonMakesAndRevokesATokenOnTheAccountPage() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let base = net.url(0)
            _ = try await Self.person(net, "lina", roles: ["publisher", "analyst"])
            _ = try await Self.person(net, "zhao", roles: ["analyst"])
            let otherToken = try #require(try await Self.login(net, ["login": "zhao", "password": "correct horse battery"]).json?["id"]?.stringValue)
            let loginForm = try PortalAccountTests.FormPage(try await raw(.GET, base + "/login"))
            let signedIn = try await PortalAccountTests.post(
                base + "/login", ["csrf": loginForm.csrf, "login": "lina", "password": "correct horse battery"], cookie: loginForm.cookie)
            let session = try #require(signedIn.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            let page = try await raw(.GET, base + "/account", headers: [("Cookie", session)], followRedirects: false)
            #expect(page.status == 200 && page.text.contains("No token yet"))
            let csrf = try PortalAccountTests.FormPage(page).csrf

            // Made with the analyst role only and a hostile name: shown once, escaped.
            let made = try await PortalAccountTests.post(
                base + "/account/tokens", ["csrf": csrf, "name": "<script>alert(1)</script>", "scope-analyst": "on", "days": "30"], cookie: session)
            #expect(made.status == 201)
            #expect(made.text.contains("&lt;script&gt;") && !made.text.contains("<script>alert"))
            let marker = "id=\"issued-token\">"
            let start = try #require(made.text.range(of: marker)).upperBound
            let token = String(made.text[start...].prefix { $0 != "<" })
            #expect(token.hasPrefix("dst_"))
            let asToken = ManagementClient(baseURL: base, adminToken: token)
            #expect(try await asToken.call(ManagementAPI.nodeInfo)["did"] != nil)
            await #expect(throws: ManagementClient.Failure.self) { try await asToken.call(ManagementAPI.withdrawDataset, "a", "b") }
            let reloaded = try await raw(.GET, base + "/account", headers: [("Cookie", session)], followRedirects: false)
            #expect(!reloaded.text.contains(token) && reloaded.text.contains("analyst"), "the text is shown once only")

            // Bad input is named on the page; forms without the CSRF token are refused.
            for (fields, expected) in [
                (["csrf": csrf, "name": "", "days": "30"], "1 to 80"), (["csrf": csrf, "name": "x", "days": "9999"], "1 to 365"),
                (["csrf": csrf, "name": String(repeating: "长", count: 1_000), "days": "30"], "1 to 80"),
                (["csrf": csrf, "name": String(repeating: "长", count: 4_000), "days": "30"], "larger than 16 KiB"),
            ] {
                let refused = try await PortalAccountTests.post(base + "/account/tokens", fields, cookie: session)
                #expect(refused.status == 400 && refused.text.contains(expected), "\(refused.status)")
            }
            #expect(try await PortalAccountTests.post(base + "/account/tokens", ["name": "x", "days": "30"], cookie: session).status == 403)
            #expect(try await PortalAccountTests.post(base + "/account/tokens", ["csrf": csrf, "name": "x", "days": "30"], cookie: nil).status == 303)

            // Someone else's token cannot be revoked from here; one's own can, and is refused after.
            let id = try #require(token.split(separator: "_").dropFirst().first.map(String.init))
            #expect(try await PortalAccountTests.post(base + "/account/tokens/\(otherToken)/revoke", ["csrf": csrf], cookie: session).status == 404)
            #expect(try await PortalAccountTests.post(base + "/account/tokens/\(id)/revoke", [:], cookie: session).status == 403)
            #expect(try await PortalAccountTests.post(base + "/account/tokens/\(id)/revoke", ["csrf": csrf], cookie: session).status == 303)
            await #expect(throws: ManagementClient.Failure.self) { try await asToken.call(ManagementAPI.nodeInfo) }
        }
    }
}
