import Foundation
import Logging
import PostgresNIO

/// Creating and dropping whole databases on a server, for tests and benchmarks that give each
/// node a database of its own. Names are checked (letters, digits, underscores) because they
/// cannot be bound as parameters.
public enum PostgresAdmin {
    public static func createDatabase(_ name: String, on server: PostgresLocation) async throws -> PostgresLocation {
        try check(name)
        try await withClient(server) { client in try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
        return server.with(database: name)
    }

    public static func dropDatabase(_ name: String, on server: PostgresLocation) async throws {
        try check(name)
        try await withClient(server) { client in try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")) }
    }

    /// Databases on the server whose names start with `prefix`.
    public static func databases(prefix: String, on server: PostgresLocation) async throws -> [String] {
        try check(prefix)
        var names: [String] = []
        try await withClient(server) { client in
            for try await name in try await client.query("SELECT datname FROM pg_database").decode(String.self) where name.hasPrefix(prefix) {
                names.append(name)
            }
        }
        return names
    }

    static func check(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 63, name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (48...57).contains($0) || (97...122).contains($0) })
        else { throw PostgresStoreError.unreadable("database name '\(name)' (use a-z, 0-9 and _)") }
    }

    static func withClient(_ server: PostgresLocation, _ body: (PostgresClient) async throws -> Void) async throws {
        var configuration = PostgresClient.Configuration(
            host: server.host, port: server.port, username: server.username, password: server.password, database: server.database,
            tls: try PostgresStore.tls(server.tls))
        configuration.options.maximumConnections = 1
        var logger = Logger(label: "dataspace.postgres.admin")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        defer { running.cancel() }
        try await body(client)
    }
}
