import DataspaceCore
import DataspaceIdentity
import DataspaceServer
import Foundation
import Testing

@Suite(.serialized) struct ManagementAPITests {
    /// Every operation says which roles a person's token needs for it (or is open); one left out
    /// would be for the admin token alone, silently.
    @Test func everyOperationNamesTheRolesThatMayCallIt() {
        let unnamed = ManagementAPI.all.map(\.id).filter { ManagementAccess.roles[$0] == nil && !ManagementAccess.open.contains($0) }
        #expect(unnamed.isEmpty, "operations without roles in ManagementAccess: \(unnamed)")
        let stale = Set(ManagementAccess.roles.keys).subtracting(ManagementAPI.all.map(\.id))
        #expect(stale.isEmpty, "ManagementAccess names operations that do not exist: \(stale)")
        #expect(ManagementAccess.roles(for: "publish") == [.publisher] && ManagementAccess.roles(for: "no such operation").isEmpty)
    }

    @Test func everyManagementRouteNeedsTheAdminToken() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            for route in ["/api/v1/node", "/api/v1/datasets", "/api/v1/search?q=x", "/api/v1/catalog/dcat", "/metrics"] {
                let none = try await raw(.GET, net.url(0) + route)
                #expect(none.status == 401, "\(route)")
                #expect(none.headers.first(name: "Content-Type") == "application/problem+json")
                let wrong = try await raw(.GET, net.url(0) + route, headers: [("Authorization", "Bearer dsa_wrong")])
                #expect(wrong.status == 401)
                #expect(wrong.json?["code"]?.stringValue == "bad_token")
            }
            let metrics = try await raw(.GET, net.url(0) + "/metrics", headers: [("Authorization", "Bearer \(net.nodes[0].adminToken)")])
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("hb_requests") || metrics.text.contains("http_"))
            // The public endpoints stay public.
            #expect(try await raw(.GET, net.url(0) + "/healthz").status == 200)
            #expect(try await raw(.GET, net.url(0) + "/.well-known/did.json").json?["id"]?.stringValue == net.nodes[0].did.value)
            #expect(try await raw(.GET, net.url(0) + "/.well-known/dspace-version").json?["protocolVersions"] != nil)
        }
    }

    func publishRaw(_ net: TestNetwork, metadata: String?, contentType: String = "text/csv", body: String) async throws -> RawReply {
        var headers = [("Authorization", "Bearer \(net.nodes[0].adminToken)"), ("Content-Type", contentType)]
        if let metadata { headers.append(("Dataspace-Metadata", metadata)) }
        return try await raw(.POST, net.url(0) + "/api/v1/datasets", headers: headers, body: Data(body.utf8))
    }

    static func encode(_ json: JSONValue) -> String { Base64URL.encode(json.encoded()) }

    @Test func badPublishRequestsNameTheProblemAndLeaveNothing() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let good = Self.encode(airQuality)
            let cases: [(String?, String, String, String)] = [
                (nil, "text/csv", "a\n1\n", "Dataspace-Metadata"),
                ("!!!", "text/csv", "a\n1\n", "Dataspace-Metadata"),
                (Self.encode(["title": "x", "description": "y", "sector": "finance"]), "text/csv", "a\n1\n", "sector"),
                (Self.encode(["title": "x", "description": "y", "sector": "transport", "region": "4401"]), "text/csv", "a\n1\n", "region"),
                (Self.encode(["description": "y", "sector": "transport"]), "text/csv", "a\n1\n", "title"),
                (Self.encode(["title": "x", "description": "y", "sector": "transport", "keywords": [1]]), "text/csv", "a\n1\n", "keywords[0]"),
                (Self.encode(["title": "x", "description": "y", "sector": "transport", "policy": ["permission": [["action": "fly"]]]]), "text/csv", "a\n1\n", "policy.permission[0].action"),
                (Self.encode(["title": "x", "description": "y", "sector": "transport", "temporalStart": "yesterday"]), "text/csv", "a\n1\n", "temporalStart"),
                (good, "application/pdf", "a\n1\n", "format"),
                (good, "text/csv", "a,b\n1,2\n3\n", "file:line 3"),
                (good, "text/csv", "a,b\n1,\u{1}\"\n", "file:line 2"),
                (good, "text/csv", "", "file"),
            ]
            for (metadata, type, body, field) in cases {
                let reply = try await publishRaw(net, metadata: metadata, contentType: type, body: body)
                #expect(reply.status == 400, "\(field): \(reply.text)")
                #expect(reply.json?["field"]?.stringValue == field, "\(reply.text)")
            }
            // Bad UTF-8 in the file.
            var headers = [("Authorization", "Bearer \(net.nodes[0].adminToken)"), ("Content-Type", "text/csv"), ("Dataspace-Metadata", good)]
            let badUTF8 = try await raw(.POST, net.url(0) + "/api/v1/datasets", headers: headers, body: Data([0x61, 0x0A, 0xFF, 0x0A]))
            #expect(badUTF8.status == 400)
            #expect(badUTF8.json?["detail"]?.stringValue?.contains("UTF-8") == true)
            // Too large for the configured 1 MiB limit.
            headers.removeAll { $0.0 == "Content-Type" }
            headers.append(("Content-Type", "text/csv"))
            let big = "a\n" + String(repeating: "1234567\n", count: 140_000)
            let tooLarge = try await raw(.POST, net.url(0) + "/api/v1/datasets", headers: headers, body: Data(big.utf8))
            #expect(tooLarge.status == 413)
            // Nothing was stored by any of them.
            #expect(try await net.nodes[0].store.allIdentifiers().isEmpty)
            let blobs = try FileManager.default.contentsOfDirectory(atPath: net.nodes[0].directory.blobsPath).filter { $0 != "tmp" && $0 != "querystores" }
            #expect(blobs.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: net.nodes[0].directory.blobsPath + "/querystores").filter { $0 != "tmp" }.isEmpty)
            let temps = try FileManager.default.contentsOfDirectory(atPath: net.nodes[0].directory.blobsPath + "/tmp")
            #expect(temps.isEmpty)
        }
    }

    @Test func badBodiesOnMembershipPeerAndAuthorityRoutesNameTheField() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            func post(_ node: Int, _ path: String, _ body: String) async throws -> RawReply {
                try await raw(.POST, net.url(node) + path, headers: [("Authorization", "Bearer \(net.nodes[node].adminToken)"), ("Content-Type", "application/json")], body: Data(body.utf8))
            }
            let cases: [(Int, String, String, Int, String?)] = [
                (1, "/api/v1/peers/catalog", "{}", 400, "provider"),
                (1, "/api/v1/peers/catalog", #"{"provider": "http://127.0.0.1:1", "sector": "finance"}"#, 400, "sector"),
                (1, "/api/v1/membership/apply", #"{"authorityURL": 7}"#, 400, "authorityURL"),
                (1, "/api/v1/membership/apply", "not json", 400, nil),
                (1, "/api/v1/membership/refresh", "", 404, nil),
                (0, "/api/v1/authority/revocations", "{}", 400, "subject"),
                (0, "/api/v1/authority/revocations", #"{"subject": "did:web:127.0.0.1%3A1"}"#, 404, nil),
                (0, "/api/v1/authority/applications/nope/approve", "", 404, nil),
                (0, "/api/v1/authority/applications/nope/reject", #"{"reason": "x"}"#, 404, nil),
            ]
            for (node, path, body, status, field) in cases {
                let reply = try await post(node, path, body)
                #expect(reply.status == status, "\(path) \(body): \(reply.text)")
                #expect(reply.headers.first(name: "Content-Type") == "application/problem+json")
                if let field { #expect(reply.json?["field"]?.stringValue == field, "\(path): \(reply.text)") }
            }
            let notApplied = try await raw(.GET, net.url(1) + "/api/v1/membership", headers: [("Authorization", "Bearer \(net.nodes[1].adminToken)")])
            #expect(notApplied.status == 404)
            let badStatus = try await raw(.GET, net.url(0) + "/api/v1/authority/applications?status=maybe", headers: [("Authorization", "Bearer \(net.nodes[0].adminToken)")])
            #expect(badStatus.status == 400)
            #expect(badStatus.json?["field"]?.stringValue == "status")
        }
    }

    @Test func datasetLifecycleThroughTheAPI() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let api = net.clients[0]
            let record = try await net.publish(0, airQuality)
            let id = try #require(record["identifier"]?.stringValue)
            #expect(record["distribution"]?["rowCount"]?.doubleValue == 2)
            let listed = try await api.call(.GET, "/api/v1/datasets")
            #expect(listed["items"]?.arrayValue?.count == 1)
            // What an update gives replaces the current value (keywords cleared here); the rest carries over.
            let v2 = try await api.publish(file: nil, metadata: ["title": "广州市水质监测", "description": "水质", "keywords": [], "sector": "green-low-carbon"], identifier: id)
            #expect(v2["version"]?.doubleValue == 2)
            #expect(v2["previousVersion"]?.doubleValue == 1)
            let shown = try await api.call(.GET, "/api/v1/datasets/\(id)")
            #expect(shown["versions"]?.arrayValue?.count == 2)
            let old = try await api.call(.GET, "/api/v1/datasets/\(id)?version=1")
            #expect(old["status"]?.stringValue == "superseded")
            let search = try await api.call(.GET, "/api/v1/search?q=%E6%B0%B4%E8%B4%A8")
            #expect(search["total"]?.doubleValue == 1)
            #expect(try await api.call(.GET, "/api/v1/search?q=%E7%A9%BA%E6%B0%94")["total"]?.doubleValue == 0)
            _ = try await api.call(.DELETE, "/api/v1/datasets/\(id)")
            #expect(try await api.call(.GET, "/api/v1/search")["total"]?.doubleValue == 0)
            let gone = try await raw(.GET, net.url(0) + "/resolve/\(id)")
            #expect(gone.status == 410)
            #expect(gone.json?["status"]?.stringValue == "withdrawn")
            for (path, status) in [("/api/v1/datasets/86.440100.11440100MB2C921900/XYZ", 400), ("/api/v1/search?grade=secret", 400),
                                   ("/api/v1/search?page=0", 400), ("/api/v1/search?region=99", 400), ("/api/v1/authority/applications", 404)] {
                let reply = try await raw(.GET, net.url(0) + path, headers: [("Authorization", "Bearer \(net.nodes[0].adminToken)")])
                #expect(reply.status == status, "\(path): \(reply.text)")
                #expect(reply.json?["detail"] != nil)
            }
            let missing = UnifiedIdentifier.mint(region: net.nodes[0].configuration.region, creditCode: net.nodes[0].configuration.creditCode)
            #expect(try await raw(.GET, net.url(0) + "/api/v1/datasets/\(missing)", headers: [("Authorization", "Bearer \(net.nodes[0].adminToken)")]).status == 404)
        }
    }

    @Test func identifiersResolveLocallyByRedirectAndByIPv6() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let record = try await net.publish(1, airQuality)
            let id = try #require(record["identifier"]?.stringValue)
            let local = try await raw(.GET, net.url(1) + "/resolve/\(id)")
            #expect(local.status == 200)
            let ipv6 = try #require(local.json?["ipv6"]?.stringValue)
            #expect(ipv6.hasPrefix("fd86:2:"))
            // The authority knows the prefix's owner and redirects.
            let atAuthority = try await raw(.GET, net.url(0) + "/resolve/\(id)")
            #expect(atAuthority.status == 200)  // AsyncHTTPClient follows the redirect
            #expect(atAuthority.json?["identifier"]?.stringValue == id)
            // A member redirects through its authority.
            let viaInstitute = try await raw(.GET, net.url(2) + "/resolve/\(id)")
            #expect(viaInstitute.json?["identifier"]?.stringValue == id)
            let back = try await raw(.GET, net.url(1) + "/resolve/ipv6/\(ipv6)")
            #expect(back.json?["identifier"]?.stringValue == id)
            #expect(try await raw(.GET, net.url(1) + "/resolve/ipv6/fd86:2::1").status == 404)
            #expect(try await raw(.GET, net.url(1) + "/resolve/ipv6/zz::1").status == 400)
            #expect(try await raw(.GET, net.url(1) + "/resolve/ipv6/fd99::1").status == 404)
            let malformed = try await raw(.GET, net.url(1) + "/resolve/86.440100.11440100MB2C921900/01M84W5371DMRV0")
            #expect(malformed.status == 400)
            #expect(malformed.json?["code"]?.stringValue == "identifier.check_character")
            let unknownPrefix = try await raw(.GET, net.url(0) + "/resolve/\(UnifiedIdentifier.mint(region: try RegionCode("310000"), creditCode: try CreditCode("91350100M000100Y43")))")
            #expect(unknownPrefix.status == 404)
        }
    }

    @Test func portalRendersSearchAndDatasetPages() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let record = try await net.publish(0, airQuality)
            let id = try #require(record["identifier"]?.stringValue)
            let home = try await raw(.GET, net.url(0) + "/?q=%E7%A9%BA%E6%B0%94")
            #expect(home.status == 200)
            #expect(home.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
            #expect(home.text.contains("广州市空气质量监测数据"))
            #expect(home.text.contains("行业 Sector"))
            #expect(home.text.contains("绿色低碳"))
            let page = try await raw(.GET, net.url(0) + "/datasets/\(id)")
            #expect(page.status == 200)
            #expect(page.text.contains(id))
            #expect(page.text.contains("使用条件 Terms"))
            #expect(page.text.contains("may use the data"))
            #expect(!page.text.contains("<script"))
            #expect(try await raw(.GET, net.url(0) + "/?sector=finance").status == 400)
            #expect(try await raw(.GET, net.url(0) + "/datasets/86.1/2").status == 400)
            #expect(try await raw(.GET, net.url(0) + "/static/portal.css").status == 200)
        }
    }

    /// What a person met in a browser: the search form, submitted with no filter, sent
    /// `sector=nil…` back and failed; pages printed "nil"; a consumer's agreement linked to a
    /// product page that 404s on its own node.
    @Test func portalFormsCarryNoNilAndForeignProductPagesGoToTheirOwner() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let record = try await net.publish(1, airQuality)
            let id = try #require(record["identifier"]?.stringValue)
            let home = try await raw(.GET, net.url(1) + "/")
            #expect(home.status == 200)
            #expect(!home.text.contains("nil"))
            #expect(!home.text.contains("name=\"sector\""))
            // What the form sends when submitted as rendered: only q.
            let submitted = try await raw(.GET, net.url(1) + "/?q=")
            #expect(submitted.status == 200)
            #expect(submitted.text.contains("广州市空气质量监测数据"))
            let filtered = try await raw(.GET, net.url(1) + "/?q=&sector=green-low-carbon")
            #expect(filtered.status == 200)
            #expect(filtered.text.contains("name=\"sector\" value=\"green-low-carbon\""))
            #expect(!filtered.text.contains("name=\"grade\""))
            let page = try await raw(.GET, net.url(1) + "/datasets/\(id)")
            #expect(page.status == 200)
            #expect(!page.text.contains("nil"))
            // On the institute's node (a consumer), the bureau's product redirects to the bureau's
            // page, through the authority that knows every member.
            let fromConsumer = try await raw(.GET, net.url(2) + "/datasets/\(id)", followRedirects: false)
            #expect(fromConsumer.status == 307)
            #expect(fromConsumer.headers.first(name: "Location")?.hasSuffix("/datasets/\(id)") == true)
            let fromAuthority = try await raw(.GET, net.url(0) + "/datasets/\(id)", followRedirects: false)
            #expect(fromAuthority.headers.first(name: "Location")?.hasSuffix("/datasets/\(id)") == true)
            #expect(fromAuthority.headers.first(name: "Location") != fromConsumer.headers.first(name: "Location"))
            let followed = try await raw(.GET, net.url(2) + "/datasets/\(id)")
            #expect(followed.status == 200)
            #expect(followed.text.contains("广州市空气质量监测数据"))
        }
    }
}
