import DataspaceCore
import Foundation

/// Where a node's PostgreSQL database is: parsed from the `database` setting
/// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…&pool=…&connect_timeout=…]`) with every part
/// checked, so a typo is named before the node starts rather than as a connection error later.
/// Its `description` never shows the password (configuration is logged at start-up).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is encrypted, as libpq's `sslmode` names it.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (a database on loopback or a private network).
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS always, without checking the certificate (libpq's meaning of `require`).
        case require
        /// TLS always, certificate checked against the system's trust roots and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Connections this process keeps open at most.
    public var poolSize: Int
    /// Seconds the node waits at start for the server to answer and the schema to be migrated
    /// before it gives up naming the server (libpq's `connect_timeout`; 20 unless set).
    public var connectTimeout: Int

    public static let defaultPoolSize = 16
    public static let defaultConnectTimeout = 20

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String, tls: TLSMode = .prefer,
        poolSize: Int = defaultPoolSize, connectTimeout: Int = defaultConnectTimeout
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
    }

    /// Whether a `database` setting names PostgreSQL (rather than an SQLite file).
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` URL; every refusal names the part that is wrong.
    public init(url text: String, field: String = "database") throws {
        guard text.utf8.count <= 2_048 else { throw ValidationError(code: "database.url", field: field, message: "is longer than 2048 bytes") }
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw ValidationError(code: "database.url", field: field, message: "must look like postgres://USER@HOST:PORT/DATABASE")
        }
        guard let host = components.host, !host.isEmpty else { throw ValidationError(code: "database.url", field: field, message: "names no host (postgres://USER@HOST:PORT/DATABASE)") }
        guard let user = components.user, !user.isEmpty else { throw ValidationError(code: "database.url", field: field, message: "names no user (postgres://USER@HOST:PORT/DATABASE)") }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw ValidationError(code: "database.url", field: field, message: "port must be 1-65535") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw ValidationError(code: "database.url", field: field, message: "names no database (postgres://USER@HOST:PORT/DATABASE)") }
        var tls = TLSMode.prefer
        var pool = Self.defaultPoolSize
        var connectTimeout = Self.defaultConnectTimeout
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw ValidationError(code: "database.url", field: "\(field).sslmode", message: "must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "pool":
                guard let value = item.value.flatMap(Int.init), (1...500).contains(value) else {
                    throw ValidationError(code: "database.url", field: "\(field).pool", message: "must be a number of connections, 1-500")
                }
                pool = value
            case "connect_timeout":
                guard let value = item.value.flatMap(Int.init), (1...3_600).contains(value) else {
                    throw ValidationError(code: "database.url", field: "\(field).connect_timeout", message: "must be a number of seconds, 1-3600")
                }
                connectTimeout = value
            default:
                throw ValidationError(
                    code: "database.url", field: "\(field).\(item.name)", message: "is not a setting this node knows (sslmode, pool, connect_timeout)")
            }
        }
        self.init(
            host: host, port: port, username: user.removingPercentEncoding ?? user, password: components.password?.removingPercentEncoding,
            database: path.removingPercentEncoding ?? path, tls: tls, poolSize: pool, connectTimeout: connectTimeout)
    }

    /// The same server with another database (tests make one database per store).
    public func with(database: String) -> PostgresLocation {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL as written in configuration, password included (for config.json only).
    public var url: String {
        func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? text }
        let credentials = escaped(username) + (password.map { ":" + escaped($0) } ?? "")
        var settings: [String] = []
        if tls != .prefer { settings.append("sslmode=\(tls.rawValue)") }
        if poolSize != Self.defaultPoolSize { settings.append("pool=\(poolSize)") }
        if connectTimeout != Self.defaultConnectTimeout { settings.append("connect_timeout=\(connectTimeout)") }
        let options = settings.isEmpty ? "" : "?" + settings.joined(separator: "&")
        return "postgres://\(credentials)@\(host):\(port)/\(database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database)" + options
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}
