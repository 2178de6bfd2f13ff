import AsyncHTTPClient
import NIOHTTP1
import DataspaceProtocol
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceServer
import Foundation
import Testing

/// Negotiation and transfer between real nodes over loopback HTTP: authority, provider (bureau),
/// consumers (institute, enterprise).
@Suite struct ContractFlowTests {
    static let policy: JSONValue = [
        "permission": [
            [
                "action": "use",
                "constraint": [
                    ["leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": ["research", "public-service"]],
                    ["leftOperand": "count", "operator": "lteq", "rightOperand": "2"],
                ],
                "duty": [["action": "compensate", "constraint": [["leftOperand": "payAmount", "operator": "eq", "rightOperand": "9.90"]]]],
            ]
        ]
    ]

    static func metadata() -> JSONValue {
        var m = airQuality.objectValue ?? [:]
        m["policy"] = policy
        return .object(m)
    }

    func negotiate(_ net: TestNetwork, consumer: Int, provider: Int, dataset: String, purpose: String, terms: JSONValue? = nil) async throws -> JSONValue {
        var body: [String: JSONValue] = ["provider": .string(net.url(provider)), "dataset": .string(dataset), "purpose": .string(purpose)]
        if let terms { body["terms"] = terms }
        let started = try await net.clients[consumer].call(.POST, "/api/v1/negotiations", json: .object(body))
        let id = try #require(started["id"]?.stringValue)
        return try await net.clients[consumer].call(.GET, "/api/v1/negotiations/\(id)?wait=60")
    }

    func transfer(_ net: TestNetwork, consumer: Int, agreement: String) async throws -> JSONValue {
        let started = try await net.clients[consumer].call(.POST, "/api/v1/transfers", json: ["agreement": .string(agreement)])
        let id = try #require(started["id"]?.stringValue)
        return try await net.clients[consumer].call(.GET, "/api/v1/transfers/\(id)?wait=60")
    }

    /// The whole contract path on each store: registration, publishing, negotiation, two
    /// deliveries and a refused third, usage — SQLite, and PostgreSQL as replicas use it.
    @Test(arguments: TestNetwork.Database.available) func negotiateFetchAndCountLimit(_ database: TestNetwork.Database) async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute], database: database) { net in
            try await net.register(1)
            try await net.register(2)
            let csv = "station,aqi\n" + (0..<5_000).map { "GZ\($0),\($0 % 300)" }.joined(separator: "\n") + "\n"
            let record = try await net.publish(1, Self.metadata(), csv: csv)
            let dataset = try #require(record["identifier"]?.stringValue)

            let n = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research.medical")
            #expect(n["state"]?.stringValue == "FINALIZED", "\(n)")
            let agreement = try #require(n["agreement"])
            let agreementID = try #require(agreement["id"]?.stringValue)
            #expect(agreement["remainingUses"]?.doubleValue == 2)
            #expect(agreement["compensation"]?["amount"]?.doubleValue == 9.9)

            // Both signatures verify against the parties' DID documents, and the provider holds the same agreement.
            let stored = try #require(try await net.nodes[2].store.agreement(id: agreementID))
            try stored.verifySignatures(provider: net.nodes[1].didDocument, consumer: net.nodes[2].didDocument)
            let providerCopy = try await net.clients[1].call(.GET, "/api/v1/agreements/\(agreementID)")
            #expect(providerCopy["sha256"]?.stringValue == stored.digest)
            #expect(providerCopy["consumerSignature"]?.stringValue == stored.consumerSignature)
            #expect(providerCopy["state"]?.stringValue == "FINALIZED")

            // Two deliveries are permitted and checked end to end.
            for delivery in 1...2 {
                let t = try await transfer(net, consumer: 2, agreement: agreementID)
                #expect(t["state"]?.stringValue == "STARTED", "\(t)")
                let endpoint = try #require(t["dataAddress"]?["endpoint"]?.stringValue)
                let token = try #require(t["dataAddress"]?["token"]?.stringValue)
                let path = net.root + "/fetched-\(delivery).csv"
                let result = try await DataPlaneClient().download(endpoint: endpoint, token: token, to: path)
                #expect(result.sha256 == record["distribution"]?["sha256"]?.stringValue)
                #expect(try String(contentsOfFile: path, encoding: .utf8) == csv)
                let tid = try #require(t["id"]?.stringValue)
                let done = try await net.clients[2].call(.POST, "/api/v1/transfers/\(tid)/complete")
                #expect(done["state"]?.stringValue == "COMPLETED")
            }

            // A byte range resumes mid-file.
            let third = try await transfer(net, consumer: 2, agreement: agreementID)
            #expect(third["state"]?.stringValue == "TERMINATED")
            let reasons = third["reasons"]?.arrayValue?.compactMap(\.stringValue).joined() ?? ""
            #expect(reasons.contains("delivery 3 exceeds the limit (count lteq 2)"), "\(reasons)")

            // The provider recorded usage per delivery, rows included.
            let usage = try await net.clients[1].call(.GET, "/api/v1/usage?agreement=\(agreementID)")
            let summary = try #require(usage["summary"]?.arrayValue?.first)
            #expect(summary["completeDeliveries"]?.doubleValue == 2)
            #expect(summary["rows"]?.doubleValue == 10_000)
            #expect(summary["bytes"]?.doubleValue == Double(csv.utf8.count * 2))
            let providerTransfers = try await net.clients[1].call(.GET, "/api/v1/transfers?agreement=\(agreementID)")
            let states = providerTransfers["items"]?.arrayValue?.compactMap { $0["state"]?.stringValue }.sorted()
            #expect(states == ["COMPLETED", "COMPLETED", "TERMINATED"])
        }
    }

    @Test func purposeOutsideThePolicyIsRefusedWithTheReason() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.enterprise]) { net in
            try await net.register(1)
            try await net.register(2)
            let dataset = try #require(try await net.publish(1, Self.metadata())["identifier"]?.stringValue)
            let n = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "commercial.marketing")
            #expect(n["state"]?.stringValue == "TERMINATED")
            let reasons = n["reasons"]?.arrayValue?.compactMap(\.stringValue).joined() ?? ""
            #expect(reasons.contains("purpose is commercial.marketing, but the policy requires purpose isAnyOf research, public-service"), "\(reasons)")
            #expect(n["agreement"] == nil)
            // The provider keeps the refused negotiation for audit.
            let incoming = try await net.clients[1].call(.GET, "/api/v1/negotiations")
            #expect(incoming["items"]?.arrayValue?.first?["state"]?.stringValue == "TERMINATED")
        }
    }

    @Test func counterOfferAcceptedThenAgreed() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let dataset = try #require(try await net.publish(1, Self.metadata())["identifier"]?.stringValue)
            // Ask for ten deliveries instead of two: the provider counters with its own offer.
            var terms = Self.policy
            if case .object(var o) = terms, var perms = o["permission"]?.arrayValue, case .object(var rule) = perms[0] {
                rule["constraint"] = [["leftOperand": "count", "operator": "lteq", "rightOperand": "10"]]
                perms[0] = .object(rule)
                o["permission"] = .array(perms)
                terms = .object(o)
            }
            let offered = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research", terms: terms)
            #expect(offered["state"]?.stringValue == "OFFERED", "\(offered)")
            let id = try #require(offered["id"]?.stringValue)
            _ = try await net.clients[2].call(.POST, "/api/v1/negotiations/\(id)/accept")
            let final = try await net.clients[2].call(.GET, "/api/v1/negotiations/\(id)?wait=60")
            #expect(final["state"]?.stringValue == "FINALIZED", "\(final)")
            #expect(final["agreement"]?["remainingUses"]?.doubleValue == 2)
        }
    }

    @Test func terminationByEitherSideAndOtherConsumersAreRefused() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            for i in 1...3 { try await net.register(i) }
            let dataset = try #require(try await net.publish(1, Self.metadata())["identifier"]?.stringValue)
            let n = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "public-service")
            let agreementID = try #require(n["agreement"]?["id"]?.stringValue)

            // Another member asking for a transfer under the institute's agreement gets 404.
            let providerDID = net.nodes[1].did
            let token = try await net.nodes[3].token(for: providerDID)
            let request: JSONValue = [
                "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "TransferRequestMessage", "consumerPid": "urn:uuid:x-1",
                "agreementId": .string(agreementID), "format": "HttpData-PULL", "callbackAddress": .string(net.url(3) + "/dsp/callback"),
            ]
            let stolen = try await raw(.POST, net.url(1) + "/dsp/transfers/request", headers: [("Authorization", "Bearer \(token)")], body: request.encoded())
            #expect(stolen.status == 404)
            #expect(stolen.json?["@type"]?.stringValue == "TransferError")
            // Without a token: 401.
            let anonymous = try await raw(.POST, net.url(1) + "/dsp/transfers/request", body: request.encoded())
            #expect(anonymous.status == 401)

            // The consumer terminates a second negotiation while it waits on a counter-offer; the provider learns it.
            let second = try await negotiate(
                net, consumer: 2, provider: 1, dataset: dataset, purpose: "research",
                terms: ["permission": [["action": "use"]]])
            let secondID = try #require(second["id"]?.stringValue)
            let terminated = try await net.clients[2].call(.POST, "/api/v1/negotiations/\(secondID)/terminate", json: ["reason": "changed our mind"])
            #expect(terminated["state"]?.stringValue == "TERMINATED")
            let providerPid = try #require(second["providerPid"]?.stringValue)
            let providerSide = try await net.clients[1].call(.GET, "/api/v1/negotiations/\(providerPid)?wait=10")
            #expect(providerSide["state"]?.stringValue == "TERMINATED")
            #expect(providerSide["reasons"]?.arrayValue?.first?.stringValue == "changed our mind")
            // Accepting a terminated negotiation is an invalid transition.
            do {
                _ = try await net.clients[2].call(.POST, "/api/v1/negotiations/\(secondID)/accept")
                Issue.record("accepting a terminated negotiation succeeded")
            } catch let failure as ManagementClient.Failure {
                #expect(failure.status == 409)
            }

            // Once the authority revokes the institute, its running transfer delivers nothing more.
            let running = try await transfer(net, consumer: 2, agreement: agreementID)
            let endpoint = try #require(running["dataAddress"]?["endpoint"]?.stringValue)
            let dataToken = try #require(running["dataAddress"]?["token"]?.stringValue)
            #expect(try await raw(.GET, endpoint, headers: [("Authorization", "Bearer \(dataToken)")]).status == 200)
            _ = try await net.clients[0].call(.POST, "/api/v1/authority/revocations", json: ["subject": .string(net.nodes[2].did.value)])
            let afterRevocation = try await raw(.GET, endpoint, headers: [("Authorization", "Bearer \(dataToken)")])
            #expect(afterRevocation.status == 403)
            #expect(afterRevocation.json?["code"]?.stringValue == "credential_revoked")
        }
    }

    @Test func replayedForgedMalformedAndOutOfOrderMessagesAreRefused() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute, TestNetwork.enterprise]) { net in
            for i in 1...3 { try await net.register(i) }
            let dataset = try #require(try await net.publish(1, Self.metadata())["identifier"]?.stringValue)
            let final = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")
            let providerPid = try #require(final["providerPid"]?.stringValue)
            let consumerPid = try #require(final["consumerPid"]?.stringValue)
            let provider = net.nodes[1], institute = net.nodes[2], enterprise = net.nodes[3]
            let context: JSONValue = ["https://w3id.org/dspace/2025/1/context.jsonld"]
            let accepted: JSONValue = [
                "@context": context, "@type": "ContractNegotiationEventMessage", "providerPid": .string(providerPid),
                "consumerPid": .string(consumerPid), "eventType": "ACCEPTED",
            ]
            let eventsURL = net.url(1) + "/dsp/negotiations/\(providerPid)/events"

            // Out of order: ACCEPTED for a FINALIZED negotiation.
            let token = try await institute.token(for: provider.did)
            let invalid = try await raw(.POST, eventsURL, headers: [("Authorization", "Bearer \(token)")], body: accepted.encoded())
            #expect(invalid.status == 400)
            #expect(invalid.json?["@type"]?.stringValue == "ContractNegotiationError")
            #expect(invalid.json?["code"]?.stringValue == "transition.invalid")
            // Replayed token: refused before the message is even read.
            let replayed = try await raw(.POST, eventsURL, headers: [("Authorization", "Bearer \(token)")], body: accepted.encoded())
            #expect(replayed.status == 401)
            #expect(replayed.json?["code"]?.stringValue == "replayed")
            // Another member addressing the institute's negotiation: as if it did not exist.
            let other = try await raw(.POST, eventsURL, headers: [("Authorization", "Bearer \(try await enterprise.token(for: provider.did))")], body: accepted.encoded())
            #expect(other.status == 404)
            let peek = try await raw(.GET, net.url(1) + "/dsp/negotiations/\(providerPid)", headers: [("Authorization", try await enterprise.token(for: provider.did))])
            #expect(peek.status == 404)
            // Malformed bodies name the problem.
            let empty = try await raw(.POST, net.url(1) + "/dsp/negotiations/request", headers: [("Authorization", try await institute.token(for: provider.did))], body: Data("{}".utf8))
            #expect(empty.status == 400)
            #expect(empty.json?["reason"]?.arrayValue?.first?.stringValue?.contains("@context") == true)
            let noPid: JSONValue = ["@context": context, "@type": "ContractRequestMessage", "offer": ["@type": "Offer", "@id": "x", "permission": [["action": "use"]]]]
            let missing = try await raw(.POST, net.url(1) + "/dsp/negotiations/request", headers: [("Authorization", try await institute.token(for: provider.did))], body: noPid.encoded())
            #expect(missing.status == 400)
            #expect(missing.json?["code"]?.stringValue == "message.consumerPid")

            // A counter-offered negotiation on the consumer side, then agreements forged in its name.
            let offered = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research", terms: ["permission": [["action": "use"]]])
            let offeredPid = try #require(offered["id"]?.stringValue)
            let offeredProviderPid = try #require(offered["providerPid"]?.stringValue)
            let agreement = ContractTerms.agreement(
                id: "urn:uuid:forged", offer: try UsagePolicy.parse(try #require(offered["offer"])), purpose: "research", target: dataset,
                provider: provider.did.value, consumer: institute.did.value, at: Date())
            func agreementMessage(_ agreement: JSONValue, signedBy key: NodeKey) throws -> JSONValue {
                let signature = try DetachedSignature.sign(ContractAgreement.canonicalBytes(agreement), kid: "\(provider.did.value)#key-1", key: key)
                return DSPNegotiationMessages.agreement(providerPid: offeredProviderPid, consumerPid: offeredPid, agreement: agreement, signature: signature)
            }
            let callbackURL = net.url(2) + "/dsp/callback/negotiations/\(offeredPid)/agreement"
            let wrongKey = try await raw(
                .POST, callbackURL, headers: [("Authorization", try await provider.token(for: institute.did))], body: try agreementMessage(agreement, signedBy: NodeKey()).encoded())
            #expect(wrongKey.status == 400)
            #expect(wrongKey.json?["code"]?.stringValue == "signature.invalid")
            var widened = agreement.objectValue ?? [:]
            widened["prohibition"] = [["action": "distribute"]]
            let changedTerms = try await raw(
                .POST, callbackURL, headers: [("Authorization", try await provider.token(for: institute.did))],
                body: try agreementMessage(.object(widened), signedBy: provider.key).encoded())
            #expect(changedTerms.status == 400)
            #expect(changedTerms.json?["code"]?.stringValue == "agreement.terms")
            // Correctly signed, but the consumer never accepted the counter-offer: out of order.
            let early = try await raw(
                .POST, callbackURL, headers: [("Authorization", try await provider.token(for: institute.did))], body: try agreementMessage(agreement, signedBy: provider.key).encoded())
            #expect(early.status == 400)
            #expect(early.json?["code"]?.stringValue == "transition.invalid")
            // From a member that is not the provider of this negotiation: 404.
            let stranger = try await raw(
                .POST, callbackURL, headers: [("Authorization", try await enterprise.token(for: institute.did))], body: try agreementMessage(agreement, signedBy: enterprise.key).encoded())
            #expect(stranger.status == 404)
            let still = try await net.clients[2].call(.GET, "/api/v1/negotiations/\(offeredPid)")
            #expect(still["state"]?.stringValue == "OFFERED")
        }
    }

    @Test func deliveriesAfterTheValidityWindowAreRefused() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            // The window closes a minute from now on the nodes' clock, which the test then moves on.
            let until = net.clock.now().addingTimeInterval(60).timeIntervalSince1970.rounded(.up)
            var metadata = airQuality.objectValue ?? [:]
            metadata["policy"] = [
                "permission": [
                    ["action": "use", "constraint": [["leftOperand": "dateTime", "operator": "lteq", "rightOperand": .string(ISO8601.format(Date(timeIntervalSince1970: until)))]]]
                ]
            ]
            let dataset = try #require(try await net.publish(1, .object(metadata))["identifier"]?.stringValue)
            let n = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")
            let agreementID = try #require(n["agreement"]?["id"]?.stringValue)
            let t = try await transfer(net, consumer: 2, agreement: agreementID)
            #expect(t["state"]?.stringValue == "STARTED")
            let endpoint = try #require(t["dataAddress"]?["endpoint"]?.stringValue)
            let token = try #require(t["dataAddress"]?["token"]?.stringValue)
            net.clock.advance(by: 120)
            do {
                _ = try await DataPlaneClient().download(endpoint: endpoint, token: token, to: net.root + "/late.csv")
                Issue.record("a delivery after the validity window succeeded")
            } catch let error as DataPlaneClient.DownloadError {
                #expect(error.status == 403)
                #expect(error.message.contains("dateTime"), "\(error.message)")
            }
            let late = try await transfer(net, consumer: 2, agreement: agreementID)
            #expect(late["state"]?.stringValue == "TERMINATED")
            #expect(late["reasons"]?.arrayValue?.first?.stringValue?.contains("the policy requires dateTime lteq") == true, "\(late)")
        }
    }

    @Test func operatorPagesShowAgreementsBehindTheAdminToken() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let dataset = try #require(try await net.publish(1, Self.metadata())["identifier"]?.stringValue)
            let n = try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")
            let agreementID = try #require(n["agreement"]?["id"]?.stringValue)
            _ = try await transfer(net, consumer: 2, agreement: agreementID)

            let anonymous = try await raw(.GET, net.url(1) + "/operator/agreements", followRedirects: false)
            #expect(anonymous.status == 303)
            #expect(anonymous.headers.first(name: "Location") == "/operator/login")
            let wrong = try await raw(
                .POST, net.url(1) + "/operator/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data("token=nope".utf8))
            #expect(wrong.status == 401)
            let token = net.nodes[1].adminToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let login = try await raw(
                .POST, net.url(1) + "/operator/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data("token=\(token)".utf8), followRedirects: false)
            #expect(login.status == 303)
            let cookie = try #require(login.headers.first(name: "Set-Cookie"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(!cookie.contains(net.nodes[1].adminToken), "the cookie must not carry the admin token itself")
            let session = String(cookie.prefix { $0 != ";" })
            let page = try await raw(.GET, net.url(1) + "/operator/agreements", headers: [("Cookie", session)])
            #expect(page.status == 200)
            #expect(page.text.contains(agreementID))
            #expect(page.text.contains("FINALIZED"))
            let transfers = try await raw(.GET, net.url(1) + "/operator/transfers", headers: [("Cookie", session)])
            #expect(transfers.text.contains("STARTED"))
            // Another node's session value does not open this node's pages.
            let foreign = try await raw(.GET, net.url(2) + "/operator/agreements", headers: [("Cookie", session)], followRedirects: false)
            #expect(foreign.status == 303)
        }
    }

    @Test func suspendedTransfersDeliverNothingUntilResumed() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            let dataset = try #require(try await net.publish(1, Self.metadata())["identifier"]?.stringValue)
            let agreementID = try #require(try await negotiate(net, consumer: 2, provider: 1, dataset: dataset, purpose: "research")["agreement"]?["id"]?.stringValue)
            let t = try await transfer(net, consumer: 2, agreement: agreementID)
            let id = try #require(t["id"]?.stringValue)
            let providerPid = try #require(t["providerPid"]?.stringValue)
            let endpoint = try #require(t["dataAddress"]?["endpoint"]?.stringValue)
            let token = try #require(t["dataAddress"]?["token"]?.stringValue)

            // The provider suspends: its data plane stops at once and the consumer learns it.
            _ = try await net.clients[1].call(.POST, "/api/v1/transfers/\(providerPid)/suspend", json: ["reason": "maintenance window"])
            let blocked = try await raw(.GET, endpoint, headers: [("Authorization", "Bearer \(token)")])
            #expect(blocked.status == 409)
            await net.settle()
            let suspended = try await net.clients[2].call(.GET, "/api/v1/transfers/\(id)")
            #expect(suspended["state"]?.stringValue == "SUSPENDED")
            #expect(suspended["reasons"]?.arrayValue?.first?.stringValue == "maintenance window")

            // The consumer resumes; the provider answers with a fresh data address that works.
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(id)/resume")
            await net.settle()
            let resumed = try await net.clients[2].call(.GET, "/api/v1/transfers/\(id)")
            #expect(resumed["state"]?.stringValue == "STARTED", "\(resumed)")
            let fresh = try #require(resumed["dataAddress"]?["token"]?.stringValue)
            #expect(fresh != token)
            let result = try await DataPlaneClient().download(endpoint: endpoint, token: fresh, to: net.root + "/resumed.csv")
            #expect(result.bytes > 0)

            // Suspending and resuming back to back keeps both messages, in order.
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(id)/suspend")
            _ = try await net.clients[2].call(.POST, "/api/v1/transfers/\(id)/resume")
            await net.settle()
            let provider = try await net.clients[1].call(.GET, "/api/v1/transfers/\(providerPid)")
            #expect(provider["state"]?.stringValue == "STARTED", "\(provider)")
            #expect(provider["pendingDelivery"] == .bool(false))
        }
    }

    @Test func providerInitiatedOfferAcceptedByTheConsumer() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            try await net.register(1)
            try await net.register(2)
            var metadata = airQuality.objectValue ?? [:]
            metadata["policy"] = ["permission": [["action": "use", "constraint": [["leftOperand": "count", "operator": "lteq", "rightOperand": "1"]]]]]
            let dataset = try #require(try await net.publish(1, .object(metadata))["identifier"]?.stringValue)
            let offered = try await net.clients[1].call(.POST, "/api/v1/offers", json: ["consumer": .string(net.url(2)), "dataset": .string(dataset)])
            #expect(offered["state"]?.stringValue == "OFFERED")
            let providerPid = try #require(offered["id"]?.stringValue)
            // The consumer sees the offer arrive, then accepts it.
            await net.settle()
            let incoming = try await net.clients[2].call(.GET, "/api/v1/negotiations")["items"]?.arrayValue?.first { $0["providerPid"]?.stringValue == providerPid }
            let consumerID = try #require(incoming?["id"]?.stringValue)
            #expect(incoming?["state"]?.stringValue == "OFFERED")
            _ = try await net.clients[2].call(.POST, "/api/v1/negotiations/\(consumerID)/accept")
            let final = try await net.clients[2].call(.GET, "/api/v1/negotiations/\(consumerID)?wait=60")
            #expect(final["state"]?.stringValue == "FINALIZED", "\(final)")
            #expect(final["agreement"]?["remainingUses"]?.doubleValue == 1)
            let providerSide = try await net.clients[1].call(.GET, "/api/v1/negotiations/\(providerPid)?wait=10")
            #expect(providerSide["state"]?.stringValue == "FINALIZED")
            #expect(providerSide["consumerPid"]?.stringValue == consumerID)
        }
    }

    /// Bad requests to the contract management API name the field at fault, before any peer is contacted.
    @Test func badContractRequestsNameTheField() async throws {
        try await withNetwork([TestNetwork.bureau]) { net in
            let api = net.clients[0]
            func refusal(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async -> ManagementClient.Failure? {
                do {
                    _ = try await api.call(method, path, json: body)
                    return nil
                } catch {
                    return error as? ManagementClient.Failure
                }
            }
            let missing = await refusal(.POST, "/api/v1/negotiations", ["dataset": "86.440100.11440100MB2C921900/01M84W5371DMRVD"])
            #expect(missing?.status == 400 && missing?.field == "provider")
            let badID = await refusal(.POST, "/api/v1/negotiations", ["provider": "http://127.0.0.1:1", "dataset": "not-an-id"])
            #expect(badID?.status == 400 && badID?.field == "dataset")
            let purpose = await refusal(
                .POST, "/api/v1/negotiations", ["provider": "http://127.0.0.1:1", "dataset": "86.440100.11440100MB2C921900/01M84W5371DMRVD", "purpose": "espionage"])
            #expect(purpose?.status == 400 && purpose?.field == "purpose")
            let wait = await refusal(.GET, "/api/v1/negotiations/urn:uuid:x?wait=500")
            #expect(wait?.status == 400 && wait?.field == "wait")
            #expect(await refusal(.GET, "/api/v1/negotiations/urn:uuid:unknown")?.status == 404)
            #expect(await refusal(.GET, "/api/v1/transfers/urn:uuid:unknown")?.status == 404)
            #expect(await refusal(.POST, "/api/v1/transfers", ["agreement": "urn:uuid:unknown"])?.status == 404)
            let noAgreement = await refusal(.POST, "/api/v1/transfers", [:])
            #expect(noAgreement?.status == 400 && noAgreement?.field == "agreement")
            #expect(await refusal(.POST, "/api/v1/offers", ["consumer": "http://127.0.0.1:1", "dataset": "bad"])?.field == "dataset")
            // Without the admin token nothing is answered.
            let anonymous = try await raw(.GET, net.url(0) + "/api/v1/agreements")
            #expect(anonymous.status == 401)
        }
    }
}
