import DataspaceCatalog
import DataspaceContracts
import DataspaceIdentity
import DataspaceLedger
import DataspacePostgres
import DataspaceSQLite
import Logging

/// Everything a node keeps durably, whichever backend holds it: SQLite in the data directory
/// (the embedded default) or PostgreSQL shared by replicas. Both pass the same conformance suite.
public typealias NodeStore = CatalogStore & ContractStore & DeliveryReceiptStore & RegistryStore & MembershipStore & ReplayGuard
    & LedgerIndexStore & OperatorSessionStore & AccountStore & PrivacyBudgetStore & AggregationRoundStore

enum NodeStoreFactory {
    /// Opens the store the configuration names; a PostgreSQL server that cannot be used is a
    /// configuration problem the operator must fix, named with the URL (without its password).
    static func open(_ configuration: NodeConfiguration, directory: NodeDirectory, logger: Logger) async throws -> any NodeStore {
        guard let location = configuration.database else { return try SQLiteStore(path: directory.databasePath) }
        do {
            return try await PostgresStore(location: location, logger: logger)
        } catch let error as PostgresStoreError {
            throw ConfigurationError(key: "database", message: "\(error); check the server and the URL in \(directory.path)/config.json")
        }
    }
}
