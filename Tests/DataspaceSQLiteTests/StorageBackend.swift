import DataspaceContracts
import DataspaceSQLite
import Foundation
import Testing

/// The storage backends the conformance tests run against. SQLite (a fresh in-memory database
/// per test) always; a server-backed store joins the list when its module and server exist.
enum StorageBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite

    static var available: [StorageBackend] { allCases }

    var testDescription: String { rawValue }

    /// A fresh, empty store.
    func contractStore() async throws -> any ContractStore & DeliveryReceiptStore {
        switch self {
        case .sqlite: try SQLiteStore()
        }
    }
}
