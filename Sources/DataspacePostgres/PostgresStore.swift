import DataspaceCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The scale-out store of a node: every storage protocol over one PostgreSQL database, so
/// several replicas of one participant share their state (docs/operations.md). Same semantics
/// as `SQLiteStore` — the storage conformance suite runs against both — with PostgreSQL's
/// locking where SQLite's single writer made a read-modify-write safe: rows read to be changed
/// are locked (`FOR UPDATE`), counters that admit deliveries take a per-agreement lock, and
/// compare-and-swap writes name the revision they replace.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    public let location: PostgresLocation
    private let running: Task<Void, Never>
    /// This store instance's name in change notifications (it skips its own).
    let instance = String(UUID().uuidString.prefix(8)).lowercased()
    /// The replay guard's purge of expired tokens, at most once a minute.
    let replayPurge = PeriodicPurge(interval: 60)

    /// Connects (the pool opens connections as they are needed) and migrates the schema.
    /// Several replicas starting at once migrate one after another (an advisory lock). A server
    /// that cannot be reached within `connectTimeout` (else the location's `connect_timeout`) is
    /// reported as such rather than waited on.
    public init(
        location: PostgresLocation, connectTimeout given: Duration? = nil, logger: Logger = Logger(label: "dataspace.postgres")
    ) async throws {
        let connectTimeout = given ?? .seconds(location.connectTimeout)
        self.location = location
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password, database: location.database,
            tls: try Self.tls(location.tls))
        configuration.options.maximumConnections = location.poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(Int64(min(10, location.connectTimeout)))
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        running = Task { await client.run() }
        let migrated: Bool
        do {
            migrated = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { [self] in
                    try await migrate()
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: connectTimeout)
                    return false
                }
                let first = try await group.next() ?? false
                // Stopping the pool fails a lease still waiting for a connection.
                if !first { running.cancel() }
                group.cancelAll()
                return first
            }
        } catch {
            running.cancel()
            throw PostgresStoreError.unavailable(location, Self.reason(error))
        }
        guard migrated else {
            throw PostgresStoreError.unavailable(location, "no connection within \(connectTimeout.components.seconds) s (is the server running and the address right?)")
        }
    }

    deinit { running.cancel() }

    /// Closes every connection; the store is unusable afterwards.
    public func close() { running.cancel() }

    static func tls(_ mode: PostgresLocation.TLSMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable:
            return .disable
        case .prefer, .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return mode == .prefer ? .prefer(tls) : .require(tls)
        case .verifyFull:
            return .require(TLSConfiguration.makeClientConfiguration())
        }
    }

    // MARK: - queries

    /// Runs `body` in one transaction (READ COMMITTED; writers lock what they read to change).
    /// Errors the body throws come out as they were thrown, not wrapped.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    /// Runs a query outside any transaction and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await client.query(query, logger: logger).collect()
    }

    /// Whether `error` is PostgreSQL refusing a duplicate key.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// What went wrong, for a person: the server's own message when it sent one (never the SQL
    /// or the bound values), else what kind of failure it was.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PostgresStoreError { return error.description }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            switch psql.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown: return "the connection failed or was closed"
            case .sslUnsupported: return "the server does not offer TLS (use sslmode=disable or prefer)"
            default: return "the database refused the request"
            }
        }
        if error is CancellationError { return "cancelled" }
        return "the database could not be reached"
    }
}

extension PostgresConnection {
    /// Runs a statement inside the caller's transaction.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }

    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}

/// The database could not be used: which one (without its password) and why.
public enum PostgresStoreError: Error, Sendable, CustomStringConvertible {
    case unavailable(PostgresLocation, String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .unavailable(let location, let reason): "PostgreSQL at \(location) is not usable: \(reason)"
        case .unreadable(let what): "a stored \(what) is unreadable"
        }
    }
}
