import DataspaceContracts
import DataspaceCore
import DataspacePostgres
import DataspaceSQLite
import DataspaceTestSupport
import Foundation
import Logging
import Testing

/// The privacy-budget ledger on every backend: exact sums, no overspending under concurrency
/// (on PostgreSQL from two replicas at once), refunds given once.
@Suite struct PrivacyBudgetStoreTests {
    static func stores(_ backend: StorageBackend) async throws -> [any PrivacyBudgetStore] {
        switch backend {
        case .sqlite:
            let store = try SQLiteStore()
            return [store, store]
        case .postgres:
            let location = try await TestPostgres.freshDatabase()
            var logger = Logger(label: "dataspace.postgres.test")
            logger.logLevel = .error
            return [try await PostgresStore(location: location, logger: logger), try await PostgresStore(location: location, logger: logger)]
        }
    }

    static func amount(_ text: String) -> PrivacyAmount { PrivacyAmount(decimal: text)! }

    static func charge(_ id: String, _ amount: String, delta: String = "0", period: Int64 = 0) -> PrivacyCharge {
        PrivacyCharge(queryID: id, agreementID: "agr-1", amount: Self.amount(amount), delta: Self.amount(delta), period: period, at: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test(arguments: StorageBackend.available) func tenthsAddUpExactlyAndTheEleventhIsRefused(_ backend: StorageBackend) async throws {
        let store = try await Self.stores(backend)[0]
        let limits = PrivacyLimits(total: Self.amount("1"), period: nil, delta: .zero)
        for i in 0..<10 {
            let spent = try await store.chargePrivacy(Self.charge("q\(i)", "0.1"), limits: limits, evidence: [])
            #expect(spent.total == PrivacyAmount(billionths: UInt64(i + 1) * 100_000_000))
        }
        do {
            _ = try await store.chargePrivacy(Self.charge("q10", "0.000000001"), limits: limits, evidence: [])
            Issue.record("a charge past the total was accepted")
        } catch let e as PrivacyBudgetExhausted {
            #expect(e.limit == "total")
            #expect(e.spent.total == Self.amount("1"))
        }
        #expect(try await store.privacySpend(agreementID: "agr-1", period: 0).total == Self.amount("1"))
        #expect(try await store.privacySpend(agreementID: "other", period: 0) == PrivacySpend())
    }

    @Test(arguments: StorageBackend.available) func concurrentChargesNeverOverspend(_ backend: StorageBackend) async throws {
        let replicas = try await Self.stores(backend)
        let limits = PrivacyLimits(total: Self.amount("1"), period: Self.amount("0.7"), delta: Self.amount("0.00001"))
        // 60 queries of 0.05 race from two replicas for a total of 1 and a period cap of 0.7:
        // exactly 14 fit (14 × 0.05 = 0.7).
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<60 {
                let store = replicas[i % 2]
                group.addTask {
                    do {
                        _ = try await store.chargePrivacy(Self.charge("race-\(i)", "0.05", delta: "0.000001"), limits: limits, evidence: [])
                        return true
                    } catch is PrivacyBudgetExhausted {
                        return false
                    } catch {
                        Issue.record("charge failed: \(error)")
                        return false
                    }
                }
            }
            var n = 0
            for await ok in group where ok { n += 1 }
            return n
        }
        // δ allows 10 charges of 10⁻⁶, fewer than the period's 14: δ is the binding limit.
        #expect(accepted == 10)
        let spent = try await replicas[1].privacySpend(agreementID: "agr-1", period: 0)
        #expect(spent.total == Self.amount("0.5"))
        #expect(spent.period == Self.amount("0.5"))
        #expect(spent.delta == Self.amount("0.00001"))
    }

    @Test(arguments: StorageBackend.available) func periodsAreCappedApartAndRefundsAreGivenOnce(_ backend: StorageBackend) async throws {
        let store = try await Self.stores(backend)[0]
        let limits = PrivacyLimits(total: Self.amount("1"), period: Self.amount("0.3"), delta: .zero)
        _ = try await store.chargePrivacy(Self.charge("a", "0.3", period: 0), limits: limits, evidence: [])
        do {
            _ = try await store.chargePrivacy(Self.charge("b", "0.1", period: 0), limits: limits, evidence: [])
            Issue.record("the period cap was passed")
        } catch let e as PrivacyBudgetExhausted {
            #expect(e.limit == "period")
            // The failed charge left nothing behind, not even on the total.
            #expect(e.spent.total == Self.amount("0.3"))
        }
        let next = try await store.chargePrivacy(Self.charge("c", "0.2", period: 1), limits: limits, evidence: [])
        #expect(next.total == Self.amount("0.5"))
        #expect(next.period == Self.amount("0.2"))
        #expect(try await store.refundPrivacy(queryID: "c", evidence: []))
        #expect(try await store.refundPrivacy(queryID: "c", evidence: []) == false)
        #expect(try await store.refundPrivacy(queryID: "never", evidence: []) == false)
        let after = try await store.privacySpend(agreementID: "agr-1", period: 1)
        #expect(after.total == Self.amount("0.3"))
        #expect(after.period == .zero)
    }
}
