import DataspaceContracts
import DataspaceCore
import Foundation
import Testing

/// What every contract store must do besides surviving races (ContractStoreRaceTests): keep
/// records exactly, find queued messages and stalled transfers, and keep usage — per backend.
@Suite struct ContractStoreConformanceTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    func transfer(_ id: String, state: TransferState, updated: Date, queued: Bool = false) -> TransferProcess {
        var t = TransferProcess(
            id: id, role: .consumer, providerPid: nil, consumerPid: id, agreementID: "agr", dataset: "86.440100.X/1", state: state,
            counterparty: "did:web:provider", counterpartyAddress: "http://127.0.0.1:1/dsp", format: "HttpData-PULL", now: updated)
        if queued { t.queue = [OutgoingMessage(url: "http://127.0.0.1:1/dsp/transfers/request", body: ["@type": "TransferRequestMessage"])] }
        return t
    }

    @Test(arguments: StorageBackend.available) func recordsRoundTripExactly(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        var t = transfer("t1", state: .requested, updated: Self.at, queued: true)
        t.reasons = ["one", "两"]
        t.sha256 = String(repeating: "ab", count: 32)
        t.byteSize = 1 << 40
        try await store.insertTransfer(t)
        let read = try #require(try await store.transfer(id: "t1"))
        #expect(read.reasons == t.reasons && read.sha256 == t.sha256 && read.byteSize == t.byteSize && read.queue == t.queue)
        #expect(read.updatedAt == Self.at && read.state == .requested)
        // An update from a stale copy loses; a read-modify-write does not.
        var stale = read
        _ = try await store.updateTransfer(id: "t1") { $0.reasons.append("three") }
        stale.reasons = ["stale"]
        await #expect(throws: ContractConflict.self) { _ = try await store.replaceTransfer(stale) }
        #expect(try await store.transfer(id: "t1")?.reasons == ["one", "两", "three"])
    }

    @Test(arguments: StorageBackend.available) func queuedMessagesAndStalledTransfersAreFound(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        try await store.insertTransfer(transfer("old-open", state: .started, updated: Self.at))
        try await store.insertTransfer(transfer("old-done", state: .completed, updated: Self.at))
        try await store.insertTransfer(transfer("new-open", state: .requested, updated: Self.at.addingTimeInterval(3_600), queued: true))
        let stalled = try await store.openTransfers(updatedBefore: Self.at.addingTimeInterval(60), limit: 10).map(\.id)
        #expect(stalled == ["old-open"])
        #expect(try await store.pendingOutboxes().transfers == ["new-open"])
        _ = try await store.updateTransfer(id: "new-open") { $0.queue.removeAll() }
        #expect(try await store.pendingOutboxes().transfers.isEmpty)
    }

    @Test(arguments: StorageBackend.available) func usageAndReceiptsAreKept(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        var reserved = transfer("p1", state: .started, updated: Self.at)
        reserved.role = .provider
        _ = try await store.insertNumberedTransfer(reserved) { _ in }
        let slot = try await store.beginDelivery(agreementID: "agr", transferID: "p1", at: Self.at) { _ in }
        let usage = UsageRecord(
            agreementID: "agr", transferID: "p1", consumer: "did:web:c", dataset: "d", at: Self.at, bytes: 10, rows: 2, rangeStart: 0, complete: true,
            sha256: String(repeating: "cd", count: 32))
        #expect(try await store.endDelivery(slot, bytes: 10, complete: true, at: Self.at, usage: usage, evidence: []))
        #expect(try await store.usage(agreementID: "agr") == [usage])
        #expect(try await store.usage(agreementID: "other").isEmpty)
        try await store.saveDeliveryReceipt(transferID: "p1", index: 7, receipt: "receipt text")
    }

    /// A leak is compared only with agreements whose consumer can hold a copy: those under which
    /// a data-plane request began, whether or not it finished.
    @Test(arguments: StorageBackend.available) func deliveredAgreementsAreThoseWhereARequestBegan(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        func agree(_ id: String, dataset: String, day: Double) async throws {
            let n = ContractNegotiation(
                id: "n-" + id, role: .provider, providerPid: "n-" + id, consumerPid: "c-" + id, state: .finalized, counterparty: "did:web:c",
                counterpartyAddress: "http://127.0.0.1:1/dsp", dataset: dataset, purpose: nil, offer: [:], now: Self.at)
            let a = ContractAgreement(
                id: id, negotiationID: n.id, role: .provider, dataset: dataset, provider: "did:web:p", consumer: "did:web:c", purpose: nil,
                agreedAt: Self.at.addingTimeInterval(day * 86_400), policy: ["uid": .string(id)], providerSignature: "sig", consumerSignature: "sig",
                recipient: RecipientFacts(did: "did:web:c", sector: nil, region: nil, role: nil))
            try await store.insertNegotiation(n, agreement: a)
        }
        func reserve(_ transfer: String, under agreement: String) async throws {
            var t = self.transfer(transfer, state: .started, updated: Self.at)
            t.role = .provider
            t.agreementID = agreement
            _ = try await store.insertNumberedTransfer(t) { _ in }
        }
        try await agree("finished", dataset: "d", day: 1)
        try await agree("cut-short", dataset: "d", day: 2)
        try await agree("reserved-only", dataset: "d", day: 3)
        try await agree("never-transferred", dataset: "d", day: 4)
        try await agree("other-product", dataset: "e", day: 5)
        for (transfer, agreement) in [("t1", "finished"), ("t2", "cut-short"), ("t3", "reserved-only"), ("t4", "other-product")] {
            try await reserve(transfer, under: agreement)
        }
        let finished = try await store.beginDelivery(agreementID: "finished", transferID: "t1", at: Self.at) { _ in }
        try await store.endDelivery(finished, bytes: 100, complete: true, at: Self.at, usage: nil, evidence: [])
        // Its process died mid-stream: no bytes recorded, yet the consumer may hold a part.
        _ = try await store.beginDelivery(agreementID: "cut-short", transferID: "t2", at: Self.at) { _ in }
        let other = try await store.beginDelivery(agreementID: "other-product", transferID: "t4", at: Self.at) { _ in }
        try await store.endDelivery(other, bytes: 0, complete: false, at: Self.at, usage: nil, evidence: [])

        #expect(try await store.deliveredAgreements(dataset: nil, limit: 10).map(\.id) == ["other-product", "cut-short", "finished"])
        #expect(try await store.deliveredAgreements(dataset: "d", limit: 10).map(\.id) == ["cut-short", "finished"])
        #expect(try await store.deliveredAgreements(dataset: "d", limit: 1).map(\.id) == ["cut-short"])
        #expect(try await store.deliveredAgreements(dataset: "no-such-product", limit: 10).isEmpty)
        #expect(try await store.agreements(limit: 10).count == 5)
    }
}

/// Queued messages are delivered from one replica at a time: claims exclude other owners until
/// they expire or are given up — on every backend.
@Suite struct OutboxClaimTests {
    @Test(arguments: StorageBackend.available) func aClaimExcludesOthersUntilItExpiresOrIsReleased(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.insertTransfer(ContractStoreConformanceTests().transfer("t", state: .requested, updated: at, queued: true))
        #expect(try await store.claimOutbox(.transfer, id: "t", owner: "a", now: at, until: at.addingTimeInterval(60)))
        #expect(try await !store.claimOutbox(.transfer, id: "t", owner: "b", now: at.addingTimeInterval(59), until: at.addingTimeInterval(119)))
        // The owner renews its own claim.
        #expect(try await store.claimOutbox(.transfer, id: "t", owner: "a", now: at.addingTimeInterval(30), until: at.addingTimeInterval(90)))
        #expect(try await !store.claimOutbox(.transfer, id: "t", owner: "b", now: at.addingTimeInterval(89), until: at.addingTimeInterval(149)))
        // An owner that stopped renewing (it died) loses the claim when it expires.
        #expect(try await store.claimOutbox(.transfer, id: "t", owner: "b", now: at.addingTimeInterval(91), until: at.addingTimeInterval(151)))
        // Releasing hands it over at once; only the owner can release.
        try await store.releaseOutbox(.transfer, id: "t", owner: "a")
        #expect(try await !store.claimOutbox(.transfer, id: "t", owner: "a", now: at.addingTimeInterval(92), until: at.addingTimeInterval(152)))
        try await store.releaseOutbox(.transfer, id: "t", owner: "b")
        #expect(try await store.claimOutbox(.transfer, id: "t", owner: "a", now: at.addingTimeInterval(93), until: at.addingTimeInterval(153)))
        // Claims race: of many replicas asking at once, one wins.
        try await store.insertTransfer(ContractStoreConformanceTests().transfer("u", state: .requested, updated: at, queued: true))
        let winners = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask { (try? await store.claimOutbox(.transfer, id: "u", owner: "r\(i)", now: at, until: at.addingTimeInterval(60))) ?? false }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(winners == 1)
        // A claim is not a change of the process: its revision and body stay.
        #expect(try await store.transfer(id: "u")?.revision == 0)
    }
}
