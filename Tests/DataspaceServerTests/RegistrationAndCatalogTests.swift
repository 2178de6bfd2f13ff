import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import DataspaceServer
import Foundation
import Testing

@Suite(.serialized) struct RegistrationAndCatalogTests {
    @Test func membersRegisterPublishAndQueryEachOthersCatalogOverDSP() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            // Application is pending until the authority's admin approves it.
            let applied = try await net.clients[1].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(net.url(0))])
            #expect(applied["status"]?.stringValue == "pending")
            let pending = try await net.clients[0].call(.GET, "/api/v1/authority/applications?status=pending")
            #expect(pending["items"]?.arrayValue?.count == 1)
            #expect(pending["items"]?.arrayValue?.first?["creditCode"]?.stringValue == net.nodes[1].configuration.creditCode.value)
            _ = try await net.clients[0].call(.POST, "/api/v1/authority/applications/\(applied["applicationId"]?.stringValue ?? "")/approve")
            let member = try await net.clients[1].call(.POST, "/api/v1/membership/refresh")
            #expect(member["status"]?.stringValue == "approved")
            #expect(member["credential"]?["issuer"]?.stringValue == net.nodes[0].did.value)
            try await net.register(2)

            let published = try await net.publish(1, airQuality)
            let id = try #require(published["identifier"]?.stringValue)

            // The institute asks the bureau's catalog, authenticated by token + credential.
            let catalog = try await net.clients[2].call(.POST, "/api/v1/peers/catalog", json: ["provider": .string(net.url(1)), "q": "空气"])
            #expect(catalog["participantId"]?.stringValue == net.nodes[1].did.value)
            let datasets = catalog["dataset"]?.arrayValue ?? []
            #expect(datasets.map { $0["@id"]?.stringValue } == [id])
            #expect(datasets.first?["hasPolicy"]?.arrayValue?.first?["@type"]?.stringValue == "Offer")

            // A single dataset by id, the slash percent-encoded or not.
            let client = DSPCatalogClient(services: net.nodes[2])
            let dataset = try await client.requestDataset(provider: net.url(1), id: id)
            #expect(dataset["dct:title"]?.stringValue == "广州市空气质量监测数据")
            let token = try await net.nodes[2].token(for: net.nodes[1].did)
            let encoded = try await raw(.GET, net.url(1) + "/dsp/catalog/datasets/" + id.replacingOccurrences(of: "/", with: "%2F"), headers: [("Authorization", token)])
            #expect(encoded.status == 200)
            let unknownToken = try await net.nodes[2].token(for: net.nodes[1].did)
            let unknown = try await raw(.GET, net.url(1) + "/dsp/catalog/datasets/86.440100.11440100MB2C921900/NOTANID", headers: [("Authorization", unknownToken)])
            #expect(unknown.status == 404)
            #expect(unknown.json?["@type"]?.stringValue == "CatalogError")
        }
    }

    @Test func catalogPagesWithLinkHeaders() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            for n in 0..<5 {
                _ = try await net.publish(1, ["title": .string("交通流量 \(n)"), "description": "flow", "sector": "transport"])
            }
            var seen: Set<String> = []
            var url: String? = net.url(1) + "/dsp/catalog/request?limit=2"
            var pages = 0
            while let next = url {
                let token = try await net.nodes[2].token(for: net.nodes[1].did)
                let reply = try await raw(.POST, next, headers: [("Authorization", token), ("Content-Type", "application/json")], body: CatalogRequestMessage().json.encoded())
                #expect(reply.status == 200)
                for d in reply.json?["dataset"]?.arrayValue ?? [] { seen.insert(d["@id"]?.stringValue ?? "") }
                pages += 1
                url = reply.headers.first(name: "Link").flatMap { link in
                    link.split(separator: ",").first { $0.contains("rel=\"next\"") }.map { part in
                        String(part.split(separator: ";")[0]).trimmingCharacters(in: CharacterSet(charactersIn: " <>"))
                    }
                }
            }
            #expect(pages == 3)
            #expect(seen.count == 5)
        }
    }

    @Test func autoApprovalIssuesTheCredentialAtOnce() async throws {
        var authority = TestNetwork.authority
        authority.autoApprove = true
        try await withNetwork([authority, TestNetwork.bureau]) { net in
            let reply = try await net.clients[1].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(net.url(0))])
            #expect(reply["status"]?.stringValue == "approved")
            #expect(reply["credential"]?["id"]?.stringValue?.hasPrefix("urn:uuid:") == true)
            // Applying again is idempotent.
            let again = try await net.clients[1].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(net.url(0))])
            #expect(again["applicationId"] == reply["applicationId"])
        }
    }

    @Test func rejectionAndDuplicateCreditCodes() async throws {
        var impostor = TestNetwork.bureau
        impostor.name = "冒名者"
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, impostor]) { net in
            try await net.register(1)
            // A second DID with the same credit code is refused.
            do {
                _ = try await net.clients[2].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(net.url(0))])
                Issue.record("the authority accepted a duplicate credit code")
            } catch let failure as ManagementClient.Failure {
                // The authority refused (not an outage): a refusal the CLI reports with exit 3.
                #expect(failure.status == 403 && failure.code == "peer.refused")
                #expect(failure.detail.contains("already registered"))
            }
            let list = try await net.clients[0].call(.GET, "/api/v1/authority/applications")
            #expect(list["items"]?.arrayValue?.count == 1)
        }
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let applied = try await net.clients[1].call(.POST, "/api/v1/membership/apply", json: ["authorityURL": .string(net.url(0))])
            let id = applied["applicationId"]?.stringValue ?? ""
            // A reason is checked by the authority, not cut: blank or over 500 characters is a 400 naming it.
            for bad in ["   ", String(repeating: "长", count: 501)] {
                let reply = try await raw(
                    .POST, net.url(0) + "/api/v1/authority/applications/\(id)/reject",
                    headers: [("Authorization", "Bearer " + net.nodes[0].adminToken), ("Content-Type", "application/json")],
                    body: JSONValue.object(["reason": .string(bad)]).encoded())
                #expect(reply.status == 400)
                #expect(reply.json?["field"]?.stringValue == "reason")
            }
            let rejected = try await net.clients[0].call(.POST, "/api/v1/authority/applications/\(id)/reject", json: ["reason": "incomplete"])
            #expect(rejected["status"]?.stringValue == "rejected")
            let refreshed = try await net.clients[1].call(.POST, "/api/v1/membership/refresh")
            #expect(refreshed["status"]?.stringValue == "rejected")
            do {
                _ = try await net.clients[0].call(.POST, "/api/v1/authority/applications/\(id)/approve")
                Issue.record("approved a rejected application")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 409)
            }
        }
    }

    @Test func applicationsMustBeSignedByTheApplicantsKey() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let stranger = NodeKey()
            let profile = ParticipantProfile(
                name: "冒名", creditCode: net.nodes[1].configuration.creditCode, region: net.nodes[1].configuration.region,
                sector: .urbanGovernance, did: net.nodes[1].did)
            let forged = try AuthorityService.applicationToken(profile: profile, key: stranger, authority: net.nodes[0].did)
            let reply = try await raw(.POST, net.url(0) + "/identity/applications", headers: [("Content-Type", "application/json")],
                                      body: JSONValue.object(["application": .string(forged)]).encoded())
            #expect(reply.status == 401)
            #expect(reply.json?["code"]?.stringValue == "bad_signature")
            // Correctly signed, but with a credit code whose check character is wrong, or a bad region.
            for (claims, field) in [(["creditCode": JSONValue.string("11440100MB2C921901")], "creditCode"), (["region": "4401"], "region")] {
                var all: [String: JSONValue] = [
                    "name": "广州市数据局", "creditCode": .string(net.nodes[1].configuration.creditCode.value), "region": "440100", "sector": "urban-governance",
                ]
                for (k, v) in claims { all[k] = v }
                let token = try SelfIssuedToken.make(issuer: net.nodes[1].did, key: net.nodes[1].key, audience: net.nodes[0].did, credential: nil, extraClaims: all)
                let reply = try await raw(.POST, net.url(0) + "/identity/applications", body: JSONValue.object(["application": .string(token)]).encoded())
                #expect(reply.status == 400)
                #expect(reply.json?["field"]?.stringValue == field, "\(reply.text)")
            }
            let malformed = try await raw(.POST, net.url(0) + "/identity/applications", body: Data("{\"application\": 5}".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.json?["field"]?.stringValue == "application")
        }
    }
}
