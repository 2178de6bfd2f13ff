import DataspaceContracts
import DataspaceCore
import DataspaceServer
import Foundation
import Testing

/// What a consumer's failures cost (docs/policies.md, "What counts as a delivery"): a local
/// failure followed by a retry uses one delivery, a provider that is down makes `fetch` exit 4
/// with its address, stalled transfers time out into a clear state on both sides, and both
/// parties' counts reconcile — between real nodes, through the real CLI where a person would.
@Suite(.serialized) struct DeliveryLifecycleTests {
    let controls = DeliveryControlTests()
    let cli = CLITests()
    let csv = "station,aqi\n" + (0..<300).map { "GZ\($0),\($0 % 300)" }.joined(separator: "\n") + "\n"

    func counts(_ net: TestNetwork, _ node: Int, _ agreement: String) async throws -> (delivered: Int, open: Int) {
        let a = try await net.clients[node].call(.GET, "/api/v1/agreements/\(agreement)")
        return (a["deliveries"]?.intValue ?? -1, a["reservedDeliveries"]?.intValue ?? -1)
    }

    @Test(.enabled(if: CLITests.available)) func aFailedLocalWriteRetriedCountsOnceAndBothSidesAgree() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let (_, agreement) = try await controls.agreed(net, metadata: DeliveryControlTests.metadata(count: 1), csv: csv)
            let consumerDir = net.root + "/node2"
            // A destination that cannot be written is refused before anything is requested.
            let nowhere = try await cli.runOffPool(["fetch", agreement, "--dir", consumerDir, "-o", net.root + "/missing/dir/out.csv"])
            #expect(nowhere.status == 64, "\(nowhere.stderr)")
            #expect(nowhere.stderr.contains(net.root + "/missing/dir") && nowhere.stderr.contains("does not exist"), "\(nowhere.stderr)")
            #expect(try await net.clients[2].call(.GET, "/api/v1/transfers")["items"]?.arrayValue?.isEmpty == true)

            // The local write fails after the transfer started: nothing is used, the transfer stays open.
            let output = net.root + "/out.csv"
            try FileManager.default.createDirectory(atPath: output + ".part", withIntermediateDirectories: true)
            let failed = try await cli.runOffPool(["fetch", agreement, "--dir", consumerDir, "-o", output])
            #expect(failed.status == 1, "\(failed.stderr)")
            #expect(failed.stderr.contains(output + ".part") && !failed.stderr.contains("Error("), "\(failed.stderr)")
            #expect(try await counts(net, 1, agreement) == (0, 1))

            // Retried once the way is clear — after the data token expired — the same transfer
            // continues with a fresh token, and one delivery is used.
            try FileManager.default.removeItem(atPath: output + ".part")
            net.clock.advance(by: net.nodes[1].configuration.accessTokenSeconds + 60)
            let retried = try await cli.runOffPool(["fetch", agreement, "--dir", consumerDir, "-o", output])
            #expect(retried.status == 0, "\(retried.stderr)")
            #expect(retried.stderr.contains("continuing transfer") && retried.stderr.contains("asking the provider for a fresh one"), "\(retried.stderr)")
            #expect(try String(contentsOfFile: output, encoding: .utf8) == csv)
            #expect(try await counts(net, 1, agreement) == (1, 0))
            #expect(try await counts(net, 2, agreement) == (1, 0))

            // Both counts, side by side, agree.
            let reconciled = try await cli.runOffPool(["reconcile", agreement, "--dir", consumerDir, "--json"])
            #expect(reconciled.status == 0, "\(reconciled.stderr)")
            let r = try JSONValue.parse(reconciled.stdout)
            #expect(r["agrees"] == .bool(true) && r["consumer"]?["delivered"]?.intValue == 1 && r["provider"]?["delivered"]?.intValue == 1, "\(r)")
            #expect(r["transfers"]?.arrayValue?.count == 1)

            // The one permitted delivery is used: another fetch is refused, with the reason.
            let again = try await cli.runOffPool(["fetch", agreement, "--dir", consumerDir, "-o", net.root + "/again.csv"])
            #expect(again.status == 3, "\(again.stdout)\(again.stderr)")
            #expect(again.stdout.contains("count"), "\(again.stdout)")
        }
    }

    @Test(.enabled(if: CLITests.available)) func aProviderThatIsDownMakesFetchExit4NamingIt() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let (_, agreement) = try await controls.agreed(net, metadata: DeliveryControlTests.metadata(count: 2), csv: csv)
            // The provider's node goes away: nothing listens at its address any more.
            let dead = "http://127.0.0.1:\(LoopbackPorts.free(count: 1)[0])"
            let stored = try #require(try await net.nodes[2].store.agreement(id: agreement))
            _ = try await net.nodes[2].store.updateNegotiation(id: stored.negotiationID) { $0.counterpartyAddress = dead + "/dsp" }

            let down = try await cli.runOffPool(["fetch", agreement, "--dir", net.root + "/node2", "-o", net.root + "/x.csv", "--attempts", "3"])
            #expect(down.status == 4, "\(down.stderr)")
            #expect(down.stderr.contains("provider \(dead) not answering") && down.stderr.contains("/3)") && down.stderr.contains("; retrying ("), "\(down.stderr)")
            #expect(down.stderr.contains("connection refused") && down.stderr.contains("Nothing was used"), "\(down.stderr)")
            #expect(!down.stderr.contains("NIO") && !down.stderr.contains("errno"), "\(down.stderr)")
            // continueOpen is a boolean or nothing.
            let bad = try await raw(
                .POST, net.url(2) + "/api/v1/transfers",
                headers: [("Authorization", "Bearer \(net.nodes[2].adminToken)"), ("Content-Type", "application/json")],
                body: Data(#"{"agreement": "\#(agreement)", "continueOpen": "yes"}"#.utf8))
            #expect(bad.status == 400 && bad.json?["field"]?.stringValue == "continueOpen", "\(bad.text)")
            // The request that never reached the provider is ended, not left REQUESTED.
            let transfers = try await net.clients[2].call(.GET, "/api/v1/transfers")["items"]?.arrayValue ?? []
            #expect(transfers.count == 1 && transfers.allSatisfy { $0["state"]?.stringValue == "TERMINATED" }, "\(transfers)")
            #expect(try await counts(net, 1, agreement) == (0, 0))
        }
    }

    @Test func aProviderThatRefusesTheStatementIsNamedWithItsReason() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let (_, agreement) = try await controls.agreed(net, metadata: DeliveryControlTests.metadata(count: 2), csv: csv)
            _ = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
            // The provider's address now leads to another node, which answers but refuses: the
            // consumer's token is addressed to the provider.
            let stored = try #require(try await net.nodes[2].store.agreement(id: agreement))
            let elsewhere = net.url(0) + "/dsp"
            _ = try await net.nodes[2].store.updateNegotiation(id: stored.negotiationID) { $0.counterpartyAddress = elsewhere }

            let r = try await net.clients[2].call(.GET, "/api/v1/agreements/\(agreement)/reconciliation")
            let problem = try #require(r["providerProblem"]?.stringValue, "\(r)")
            // The other node's own reason, read from its DSP error body: the token is not for it.
            #expect(problem.contains("the provider \(elsewhere) answered 401: token is addressed to") && problem.hasSuffix("(wrong_audience)"), "\(problem)")
            #expect(!problem.contains("{") && !problem.contains("Error("), "\(problem)")
            #expect(r["provider"] == .null && r["agrees"] == .bool(false), "\(r)")
            let lines = r["transfers"]?.arrayValue ?? []
            #expect(lines.count == 1 && lines.allSatisfy { $0["note"]?.stringValue == "the provider could not be asked" && $0["agrees"] == .bool(false) }, "\(lines)")
        }
    }

    @Test func stalledTransfersTimeOutIntoAClearStateOnBothSides() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau, TestNetwork.institute]) { net in
            let (_, agreement) = try await controls.agreed(net, metadata: DeliveryControlTests.metadata(count: 3), csv: csv)
            let provider = net.nodes[1].contracts
            let later = Date().addingTimeInterval(provider.transferTimeout + 60)

            // 1. Started but never fetched: the provider ends it and releases the delivery.
            let idle = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
            // 2. Fetched whole but never confirmed: the provider completes it (a use).
            let fetched = try await ContractFlowTests().transfer(net, consumer: 2, agreement: agreement)
            #expect(try await controls.get(fetched).status == 200)
            #expect(try await counts(net, 1, agreement) == (1, 1))
            // Nothing is stale yet.
            #expect(try await provider.expireStaleTransfers(now: Date()) == ContractService.ExpiryOutcome())

            let outcome = try await provider.expireStaleTransfers(now: later)
            #expect(outcome.terminated.count == 1 && outcome.completed.count == 1, "\(outcome)")
            #expect(try await counts(net, 1, agreement) == (1, 0))
            let idleID = try #require(idle["id"]?.stringValue)
            let fetchedID = try #require(fetched["id"]?.stringValue)
            let consumerStore = net.nodes[2].store
            await net.settle()
            let ended = try await consumerStore.transfer(id: idleID)
            #expect(ended?.state == .terminated && ended?.reasons.first?.contains("timed out") == true, "\(ended?.reasons ?? [])")
            #expect(try await consumerStore.transfer(id: fetchedID)?.state == .completed)
            // The consumer now counts what the provider counts.
            #expect(try await counts(net, 2, agreement) == (1, 0))
            let reconciliation = try await net.nodes[2].contracts.reconcile(agreementID: agreement)
            #expect(reconciliation.agrees, "\(reconciliation.lines.map(\.note))")
            #expect(reconciliation.lines.contains { $0.transfer == fetchedID && $0.note.contains("completed by the provider, never confirmed here") })

            // 3. Requested from a provider that never answers: the consumer ends it on its own.
            let stored = try #require(try await consumerStore.agreement(id: agreement))
            let dead = "http://127.0.0.1:\(LoopbackPorts.free(count: 1)[0])/dsp"
            _ = try await consumerStore.updateNegotiation(id: stored.negotiationID) { $0.counterpartyAddress = dead }
            let stuck = try await net.clients[2].call(.POST, "/api/v1/transfers", json: ["agreement": .string(agreement)])
            let stuckID = try #require(stuck["id"]?.stringValue)
            let consumerOutcome = try await net.nodes[2].contracts.expireStaleTransfers(now: later)
            #expect(consumerOutcome.terminated == [stuckID], "\(consumerOutcome)")
            let t = try #require(try await consumerStore.transfer(id: stuckID))
            #expect(t.state == .terminated && t.queue.isEmpty)
            #expect(t.reasons.first?.contains("did not start the transfer") == true, "\(t.reasons)")
        }
    }
}
