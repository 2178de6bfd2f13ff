import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceSQLite
import Foundation
import Testing

/// The contract store's guarantees under concurrency — compare-and-swap transitions, exact
/// delivery reservations, agreements a peer cannot overwrite — held against every storage
/// backend (`StorageBackend.available`): the conformance suite a new backend must pass.
@Suite struct ContractStoreRaceTests {
    func transfer(_ id: String, agreement: String = "agr-1") -> TransferProcess {
        TransferProcess(
            id: id, role: .provider, providerPid: id, consumerPid: "c-" + id, agreementID: agreement, dataset: "86.440100.X/1", state: .started,
            counterparty: "did:web:consumer", counterpartyAddress: "http://127.0.0.1:1/dsp/callback", format: "HttpData-PULL")
    }

    @Test(arguments: StorageBackend.available) func transitionsFromTheSameReadAreCompareAndSwap(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        try await store.insertTransfer(transfer("t1"))
        let read = try #require(try await store.transfer(id: "t1"))
        // Many writers computed their transition from the same read; exactly one may store it.
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<32 {
                group.addTask {
                    var t = read
                    t.reasons = ["writer \(i)"]
                    t.state = i % 2 == 0 ? .suspended : .terminated
                    do {
                        _ = try await store.replaceTransfer(t)
                        return "win"
                    } catch is ContractConflict {
                        return "conflict"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.filter { $0 == "win" }.count == 1 && outcomes.filter { $0 == "conflict" }.count == 31, "\(outcomes)")
        let stored = try #require(try await store.transfer(id: "t1"))
        #expect(stored.revision == read.revision + 1)
        // Read-modify-write updates never conflict: each sees the one before.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { _ = try? await store.updateTransfer(id: "t1") { $0.reasons.append("x") } } }
        }
        #expect(try await store.transfer(id: "t1")?.reasons.count == 21)
    }

    @Test(arguments: StorageBackend.available) func deliveriesAreReservedExactlyUnderConcurrency(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        let limit = 5
        // 40 transfers race for a limit of 5: exactly 5 are accepted, each reserving one delivery.
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<40 {
                group.addTask {
                    do {
                        _ = try await store.insertNumberedTransfer(transfer("t\(i)")) { next in
                            if next > limit { throw ContractConflict("limit") }
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(admitted == limit)
        #expect(try await store.deliveryCounts(agreementID: "agr-1") == DeliveryCounts(reserved: limit, complete: 0))
        // A transfer that ends before delivering releases its reservation: another may take it.
        let accepted = try await store.deliveries(agreementID: "agr-1")
        let first = try #require(accepted.first)
        _ = try await store.updateTransfer(id: first.transferID) { $0.state = .terminated }
        #expect(try await store.deliveryCounts(agreementID: "agr-1") == DeliveryCounts(reserved: limit - 1, complete: 0))
        _ = try await store.insertNumberedTransfer(transfer("late")) { next in #expect(next == limit) }
        await #expect(throws: DeliveryUnavailable.self) {
            _ = try await store.beginDelivery(agreementID: "agr-1", transferID: first.transferID, at: Date()) { _ in }
        }
    }

    @Test(arguments: StorageBackend.available) func aDeliveryIsUsedOnceWhateverItsRequestsDo(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        let reserved = try await store.insertNumberedTransfer(transfer("t", agreement: "a")) { next in #expect(next == 1) }
        #expect(reserved.sequence == 1)
        let first = try await store.beginDelivery(agreementID: "a", transferID: "t", at: Date()) { uses in #expect(uses == 0) }
        #expect(first.number == 1 && !first.continued)
        // A parallel request joins the same delivery.
        let parallel = try await store.beginDelivery(agreementID: "a", transferID: "t", at: Date()) { _ in }
        #expect(parallel.number == 1)
        #expect(try await store.endDelivery(first, bytes: 100, complete: false, at: Date(), usage: nil, evidence: []) == false)
        let resumed = try await store.beginDelivery(agreementID: "a", transferID: "t", at: Date()) { uses in #expect(uses == 0) }
        #expect(resumed.number == 1 && resumed.continued)
        // The first request to stream the whole file consumes the use; the second does not.
        #expect(try await store.endDelivery(resumed, bytes: 900, complete: true, at: Date(), usage: nil, evidence: []) == true)
        #expect(try await store.endDelivery(parallel, bytes: 1_000, complete: true, at: Date(), usage: nil, evidence: []) == false)
        #expect(try await store.deliveryCounts(agreementID: "a") == DeliveryCounts(reserved: 0, complete: 1))
        // A repeat after the consumer failed to store it joins the same, used delivery.
        let repeatRequest = try await store.beginDelivery(agreementID: "a", transferID: "t", at: Date()) { _ in }
        #expect(repeatRequest.continued)
        #expect(try await store.endDelivery(repeatRequest, bytes: 1_000, complete: true, at: Date(), usage: nil, evidence: []) == false)
        // Ending the transfer afterwards does not give the use back.
        _ = try await store.updateTransfer(id: "t") { $0.state = .terminated }
        #expect(try await store.deliveryCounts(agreementID: "a") == DeliveryCounts(reserved: 0, complete: 1))
        let record = try #require(try await store.deliveries(agreementID: "a").first)
        #expect(record.state == .complete && record.bytes == 3_000 && record.requests == 4 && record.completedAt != nil)
        // A streaming mark left by a process that died is cleared at start-up.
        _ = try await store.insertNumberedTransfer(transfer("u", agreement: "a")) { _ in }
        _ = try await store.beginDelivery(agreementID: "a", transferID: "u", at: Date()) { _ in }
        #expect(try await store.delivery(transferID: "u")?.streaming == true)
        try await store.releaseStreamingDeliveries()
        #expect(try await store.delivery(transferID: "u")?.streaming == false)
    }

    @Test(arguments: StorageBackend.available) func aPeerReusingAnAgreementIdCannotOverwriteAnotherNegotiationsAgreement(_ backend: StorageBackend) async throws {
        let store = try await backend.contractStore()
        func negotiation(_ id: String) -> ContractNegotiation {
            ContractNegotiation(
                id: id, role: .consumer, providerPid: "p-" + id, consumerPid: id, state: .agreed, counterparty: "did:web:p", counterpartyAddress: "http://x",
                dataset: "d", purpose: nil, offer: [:])
        }
        func agreement(_ negotiation: String, provider: String) -> ContractAgreement {
            ContractAgreement(
                id: "same-id", negotiationID: negotiation, role: .consumer, dataset: "d", provider: provider, consumer: "did:web:c", purpose: nil,
                agreedAt: Date(timeIntervalSince1970: 1_800_000_000), policy: ["uid": "same-id"], providerSignature: "sig", consumerSignature: nil,
                recipient: RecipientFacts(did: "did:web:c", sector: nil, region: nil, role: nil))
        }
        try await store.insertNegotiation(negotiation("n1"), agreement: agreement("n1", provider: "did:web:honest"))
        await #expect(throws: ContractConflict.self) {
            try await store.insertNegotiation(negotiation("n2"), agreement: agreement("n2", provider: "did:web:rogue"))
        }
        #expect(try await store.agreement(id: "same-id")?.provider == "did:web:honest")
        #expect(try await store.negotiation(id: "n2") == nil)
    }
}

/// Important data's masking cannot be declared weaker than the grade requires.
@Suite struct GradeControlsMaskingTests {
    @Test func aDeclaredRuleThatRevealsMoreIsReplacedForImportantData() {
        let suggested: [String: MaskingRule] = ["id_number": .partial(keepStart: 3, keepEnd: 4), "phone": .partial(keepStart: 3, keepEnd: 4)]
        let declared = DeliveryProtection(masking: ["id_number": .partial(keepStart: 18, keepEnd: 0), "phone": .hide, "note": .round(decimals: 0)])
        let important = CatalogService.controls(for: DataGrade(level: .important), declared: declared, suggested: suggested)
        #expect(important.masking["id_number"] == .partial(keepStart: 3, keepEnd: 4), "18 kept characters would reveal the whole number")
        #expect(important.masking["phone"] == .hide, "a stricter declared rule stays")
        #expect(important.masking["note"] == .round(decimals: 0))
        #expect(important.watermark)
        // General data follows what the publisher declared.
        #expect(CatalogService.controls(for: .general, declared: declared, suggested: suggested) == declared)
    }
}
