import DataspaceCatalog
import DataspaceContracts
import DataspaceIdentity
import DataspacePostgres
import DataspaceSQLite
import DataspaceTestSupport
import Foundation
import Testing

/// The storage backends the conformance tests run against: SQLite (a fresh in-memory database
/// per test) and PostgreSQL (a fresh database per test on the server `TestPostgres` finds or
/// starts). A new backend passes this suite before a node may use it.
enum StorageBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// PostgreSQL joins when a server can be had (always in CI, where its absence fails the run).
    static var available: [StorageBackend] { TestPostgres.isAvailable ? allCases : [.sqlite] }

    var testDescription: String { rawValue }

    /// A fresh, empty store with every storage protocol.
    func store() async throws -> any ContractStore & DeliveryReceiptStore & CatalogStore & RegistryStore & MembershipStore & ReplayGuard {
        switch self {
        case .sqlite: try SQLiteStore()
        case .postgres: try await TestPostgres.freshStore()
        }
    }

    func contractStore() async throws -> any ContractStore & DeliveryReceiptStore { try await store() }

    func accountStore() async throws -> any AccountStore {
        switch self {
        case .sqlite: try SQLiteStore()
        case .postgres: try await TestPostgres.freshStore()
        }
    }
}
