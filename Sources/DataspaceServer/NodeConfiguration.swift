import Configuration
import DataspaceCore
import DataspacePostgres
import Foundation
import SystemPackage

/// Everything a node needs to run, read with swift-configuration from, in increasing priority:
/// `DIR/config.json`, environment variables (`DATASPACE_HTTP_PORT`, `DATASPACE_AUTHORITY_AUTO_APPROVE` …),
/// then command-line flags. See docs/operations.md for every key.
public struct NodeConfiguration: Sendable, Hashable {
    public var name: String
    public var creditCode: CreditCode
    public var region: RegionCode
    public var sector: Sector
    public var host: String
    public var port: Int
    /// Base URL peers use to reach this node; its host and port make the node's did:web.
    public var publicURL: String
    public var isAuthority: Bool
    public var autoApprove: Bool
    /// URL and DID of the authority whose credentials this node trusts.
    public var authorityURL: String?
    public var authorityDID: WebDID?
    public var ipv6Prefix: IPv6Prefix
    public var maxUploadBytes: Int64
    public var revocationCacheSeconds: Double
    /// May this node contact loopback peers over plain HTTP (`trust.allowLoopback`)? Off unless
    /// configured; `dataspace init` writes it for a node whose own URL is loopback.
    public var allowLoopbackPeers = false
    /// May this node contact private-network addresses (`trust.allowPrivateNetworks`), as an
    /// intranet deployment needs? Off unless configured.
    public var allowPrivateNetworks = false
    /// Client connections open at once (`http.maxConnections`); more wait in the kernel's queue.
    /// Lowered at start to what the process's open-file limit leaves room for.
    public var maxConnections = 4_096
    /// How long the node waits for a client — for its next request, or for the rest of one —
    /// before it closes the connection (`http.idleTimeoutSeconds`, docs/security.md).
    public var idleTimeoutSeconds = 75
    /// Bytes a second a request body must average over the time the node waits for it, after a
    /// grace of `idleTimeoutSeconds` (`http.minimumBodyRate`, docs/security.md).
    public var minimumBodyRate = 512
    /// Connections one client network (an IPv4 address, an IPv6 /64) may hold at once
    /// (`http.maxConnectionsPerClient`); nil for a quarter of the connection cap in force.
    public var maxConnectionsPerClient: Int?
    /// Reverse proxies in front of the node (`http.trustedProxies`): their connections carry many
    /// clients, named in `X-Forwarded-For`.
    public var trustedProxies = TrustedProxies.none
    /// Requests a second (and burst) each client address may make on public, DSP and data routes
    /// (`limits.requestsPerSecond`, `limits.burst`).
    public var requestsPerSecond = 100
    public var burst = 200
    /// Publishes (upload + profiling) running at once (`limits.concurrentPublishes`); more wait.
    public var concurrentPublishes = 2
    /// The largest leaked file a trace reads (`limits.maxTraceBytes`, 1 MiB–1 GiB): only its
    /// first 20,000–250,000 distinct values are scored, so a sample serves as well as the whole file.
    public var maxTraceBytes: Int64 = 256 << 20
    /// scrypt's log2 N for people's passwords (`accounts.passwordCost`): 15 (32 MiB × 3 passes)
    /// by default; stored hashes carry their own cost, so raising it later breaks nothing.
    public var passwordCost = 15
    /// How long one call to another node may take, answer and body together, before it counts as
    /// unanswered (`trust.peerTimeoutSeconds`).
    public var peerTimeoutSeconds = 15
    /// The rules for URLs that input names (docs/security.md).
    public var outboundPolicy: OutboundPolicy { OutboundPolicy(allowLoopback: allowLoopbackPeers, allowPrivateNetworks: allowPrivateNetworks) }
    /// Lifetime of the data-plane tokens handed to consumers (`transfer.accessTokenSeconds`).
    public var accessTokenSeconds: Double = 600
    /// How long a transfer may stay open without progress before it times out on this side
    /// (`transfer.timeoutSeconds`, docs/policies.md).
    public var transferTimeoutSeconds: Double = 3_600
    /// The zone in which timestamps written without one (`2026-11-01 08:00`) are read
    /// (`node.timeZone`, an IANA name).
    public var timeZone = "Asia/Shanghai"
    /// The quality assessor's memory bound per publish in MB (`quality.memoryMegabytes`): duplicate
    /// rows and declared keys are exact up to what it holds (docs/quality.md).
    public var assessorMemoryMegabytes = 300
    /// Accept a tabular file with a header and no rows (`quality.allowHeaderOnly`).
    public var allowHeaderOnly = false
    /// Where the node's state lives: nil for the embedded SQLite file in the data directory, or
    /// a PostgreSQL database shared by the node's replicas (`database`, a postgres:// URL;
    /// docs/operations.md).
    public var database: PostgresLocation?
    /// Evidence log settings (`ledger.*`).
    public var ledger = LedgerSettings()
    /// Sensitive personal records from which a dataset counts as important data
    /// (`quality.importantScale`; GB/T 43697-2024 Annex G leaves the scale to sector rules).
    public var importantScale = 1_000_000
    public var logLevel: String
    public var logFormat: String

    public init(
        name: String, creditCode: CreditCode, region: RegionCode, sector: Sector, host: String, port: Int, publicURL: String,
        isAuthority: Bool, autoApprove: Bool, authorityURL: String?, authorityDID: WebDID?, ipv6Prefix: IPv6Prefix,
        maxUploadBytes: Int64, revocationCacheSeconds: Double, logLevel: String, logFormat: String, allowLoopbackPeers: Bool = false
    ) {
        self.allowLoopbackPeers = allowLoopbackPeers
        self.name = name
        self.creditCode = creditCode
        self.region = region
        self.sector = sector
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.isAuthority = isAuthority
        self.autoApprove = autoApprove
        self.authorityURL = authorityURL
        self.authorityDID = authorityDID
        self.ipv6Prefix = ipv6Prefix
        self.maxUploadBytes = maxUploadBytes
        self.revocationCacheSeconds = revocationCacheSeconds
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    public var did: WebDID {
        let hostPort = publicURL.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "")
            .split(separator: "/").first.map(String.init) ?? "\(host):\(port)"
        let parts = hostPort.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2, let p = Int(parts[1]) { return WebDID.forNode(host: parts[0], port: p) }
        return (try? WebDID("did:web:\(hostPort)")) ?? WebDID.forNode(host: host, port: port)
    }

    /// The DID of the authority this node trusts: itself when it is the authority.
    public var trustedAuthority: WebDID? { isAuthority ? did : authorityDID }

    public static let defaultIPv6Prefix = "fd86::/64"

    /// Reads configuration from the data directory's file, the environment and `overrides` (flags).
    public static func load(directory: String, overrides: [String: String] = [:], environment: [String: String]? = nil) async throws -> NodeConfiguration {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (k, v) in overrides {
            // Flags arrive as text; give numbers and booleans their JSON types so every provider agrees.
            let content: ConfigContent
            if let i = Int(v) { content = .int(i) } else if v == "true" || v == "false" { content = .bool(v == "true") } else { content = .string(v) }
            flagValues[AbsoluteConfigKey(k.split(separator: ".").map(String.init))] = ConfigValue(content, isSecret: false)
        }
        let env = environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        let file: FileProvider<JSONSnapshot>
        do {
            file = try await FileProvider<JSONSnapshot>(filePath: FilePath(directory + "/config.json"), allowMissing: false)
        } catch {
            // The library's own error names its domain and codes; say which file and what to do.
            let exists = FileManager.default.fileExists(atPath: directory + "/config.json")
            throw ConfigurationError(
                key: "config.json",
                message: exists
                    ? "\(directory)/config.json is not valid JSON; fix it (docs/operations.md lists the keys) or restore it from a backup"
                    : "\(directory)/config.json is missing; run 'dataspace init --dir \(directory) …' or restore it")
        }
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: flagValues),
            env.prefixKeys(with: "dataspace"),
            file,
        ])
        return try from(reader)
    }

    static func from(_ config: ConfigReader) throws -> NodeConfiguration {
        func required(_ key: String) throws -> String {
            guard let v = string(key), !v.isEmpty else {
                throw ConfigurationError(key: key, message: "is required")
            }
            return v
        }
        /// Reads a value whatever its JSON type (the file has numbers and booleans, the environment text).
        func string(_ key: String) -> String? {
            let k = ConfigKey(key.split(separator: ".").map(String.init))
            if let s = config.string(forKey: k) { return s }
            if let i = config.int(forKey: k) { return String(i) }
            if let b = config.bool(forKey: k) { return String(b) }
            if let d = config.double(forKey: k) { return String(d) }
            return nil
        }
        func wrap<T>(_ key: String, _ body: () throws(ValidationError) -> T) throws -> T {
            do { return try body() } catch { throw ConfigurationError(key: key, message: error.message) }
        }
        func integer(_ key: String, default value: Int) throws -> Int {
            guard let s = string(key) else { return value }
            guard let i = Int(s) else { throw ConfigurationError(key: key, message: "'\(s)' is not an integer") }
            return i
        }
        func boolean(_ key: String) throws -> Bool {
            guard let s = string(key)?.lowercased() else { return false }
            switch s {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw ConfigurationError(key: key, message: "'\(s)' is not true or false")
            }
        }
        let creditText = try required("node.creditCode")
        let regionText = try required("node.region")
        let sectorText = try required("node.sector")
        let host = string("http.host") ?? "127.0.0.1"
        let port = try integer("http.port", default: 8443)
        guard (0...65_535).contains(port) else { throw ConfigurationError(key: "http.port", message: "\(port) is not a TCP port") }
        let publicURL = (string("http.publicURL") ?? "http://\(host):\(port)").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var authorityDID: WebDID?
        if let d = string("authority.did") { authorityDID = try wrap("authority.did") { () throws(ValidationError) in try WebDID(d) } }
        let prefixText = string("identifiers.ipv6Prefix") ?? defaultIPv6Prefix
        let accessTokenSeconds = try integer("transfer.accessTokenSeconds", default: 600)
        guard (1...86_400).contains(accessTokenSeconds) else {
            throw ConfigurationError(key: "transfer.accessTokenSeconds", message: "must be 1–86400 seconds")
        }
        var configuration = NodeConfiguration(
            name: try required("node.name"),
            creditCode: try wrap("node.creditCode") { () throws(ValidationError) in try CreditCode(creditText) },
            region: try wrap("node.region") { () throws(ValidationError) in try RegionCode(regionText) },
            sector: try wrap("node.sector") { () throws(ValidationError) in try Sector(slug: sectorText) },
            host: host, port: port, publicURL: publicURL,
            isAuthority: try boolean("authority.enabled"), autoApprove: try boolean("authority.autoApprove"),
            authorityURL: string("authority.url"), authorityDID: authorityDID,
            ipv6Prefix: try wrap("identifiers.ipv6Prefix") { () throws(ValidationError) in try IPv6Prefix(prefixText) },
            maxUploadBytes: Int64(try integer("limits.maxUploadBytes", default: 8 << 30)),
            revocationCacheSeconds: Double(try integer("trust.revocationCacheSeconds", default: 30)),
            logLevel: string("log.level") ?? "info", logFormat: string("log.format") ?? "json")
        configuration.accessTokenSeconds = Double(accessTokenSeconds)
        guard (1 << 20...1 << 40).contains(configuration.maxUploadBytes) else {
            throw ConfigurationError(key: "limits.maxUploadBytes", message: "must be 1048576–1099511627776 bytes (1 MiB to 1 TiB)")
        }
        guard (0...86_400).contains(configuration.revocationCacheSeconds) else {
            throw ConfigurationError(key: "trust.revocationCacheSeconds", message: "must be 0–86400 seconds")
        }
        let transferTimeout = try integer("transfer.timeoutSeconds", default: 3_600)
        guard (60...604_800).contains(transferTimeout) else {
            throw ConfigurationError(key: "transfer.timeoutSeconds", message: "must be 60–604800 seconds (one minute to a week)")
        }
        configuration.transferTimeoutSeconds = Double(transferTimeout)
        if let zone = string("node.timeZone") {
            guard TimeZone(identifier: zone) != nil else {
                throw ConfigurationError(key: "node.timeZone", message: "'\(zone)' is not an IANA time zone such as Asia/Shanghai")
            }
            configuration.timeZone = zone
        }
        configuration.allowHeaderOnly = try boolean("quality.allowHeaderOnly")
        configuration.assessorMemoryMegabytes = try integer("quality.memoryMegabytes", default: 300)
        guard (100...1_000_000).contains(configuration.assessorMemoryMegabytes) else {
            throw ConfigurationError(key: "quality.memoryMegabytes", message: "must be 100–1000000 MB")
        }
        if let database = string("database"), !database.isEmpty, database != "sqlite" {
            do {
                configuration.database = try PostgresLocation(url: database)
            } catch let error as ValidationError {
                throw ConfigurationError(key: error.field ?? "database", message: error.message + " (or 'sqlite' for the embedded store)")
            }
        }
        configuration.allowLoopbackPeers = try boolean("trust.allowLoopback")
        configuration.requestsPerSecond = try integer("limits.requestsPerSecond", default: 100)
        configuration.burst = try integer("limits.burst", default: 200)
        configuration.concurrentPublishes = try integer("limits.concurrentPublishes", default: 2)
        guard (1...1_000_000).contains(configuration.requestsPerSecond), (1...1_000_000).contains(configuration.burst) else {
            throw ConfigurationError(key: "limits.requestsPerSecond", message: "requestsPerSecond and burst must be 1–1000000")
        }
        guard (1...64).contains(configuration.concurrentPublishes) else {
            throw ConfigurationError(key: "limits.concurrentPublishes", message: "must be 1–64")
        }
        configuration.maxConnections = try integer("http.maxConnections", default: 4_096)
        guard (16...1_000_000).contains(configuration.maxConnections) else {
            throw ConfigurationError(key: "http.maxConnections", message: "must be 16–1000000")
        }
        configuration.idleTimeoutSeconds = try integer("http.idleTimeoutSeconds", default: 75)
        guard (1...3_600).contains(configuration.idleTimeoutSeconds) else {
            throw ConfigurationError(key: "http.idleTimeoutSeconds", message: "must be 1–3600 seconds")
        }
        configuration.minimumBodyRate = try integer("http.minimumBodyRate", default: 512)
        guard (1...100_000_000).contains(configuration.minimumBodyRate) else {
            throw ConfigurationError(key: "http.minimumBodyRate", message: "must be 1–100000000 bytes a second")
        }
        if string("http.maxConnectionsPerClient") != nil {
            let perClient = try integer("http.maxConnectionsPerClient", default: 0)
            guard (1...1_000_000).contains(perClient) else {
                throw ConfigurationError(key: "http.maxConnectionsPerClient", message: "must be 1–1000000")
            }
            configuration.maxConnectionsPerClient = perClient
        }
        if let proxies = string("http.trustedProxies") {
            configuration.trustedProxies = try TrustedProxies(parsing: proxies)
        }
        configuration.maxTraceBytes = Int64(try integer("limits.maxTraceBytes", default: 256 << 20))
        guard (1 << 20...1 << 30).contains(configuration.maxTraceBytes) else {
            throw ConfigurationError(key: "limits.maxTraceBytes", message: "must be 1048576–1073741824 bytes (1 MiB to 1 GiB)")
        }
        configuration.passwordCost = try integer("accounts.passwordCost", default: 15)
        guard (10...18).contains(configuration.passwordCost) else {
            throw ConfigurationError(key: "accounts.passwordCost", message: "must be 10–18 (log2 of scrypt's N; 15 is recommended)")
        }
        configuration.allowPrivateNetworks = try boolean("trust.allowPrivateNetworks")
        configuration.peerTimeoutSeconds = try integer("trust.peerTimeoutSeconds", default: 15)
        guard (1...PeerClient.longestTimeoutSeconds).contains(configuration.peerTimeoutSeconds) else {
            throw ConfigurationError(key: "trust.peerTimeoutSeconds", message: "must be 1–\(PeerClient.longestTimeoutSeconds) seconds")
        }
        configuration.importantScale = try integer("quality.importantScale", default: 1_000_000)
        guard configuration.importantScale >= 1 else {
            throw ConfigurationError(key: "quality.importantScale", message: "must be a positive number of records")
        }
        configuration.ledger = try LedgerSettings.from(
            witness: try boolean("ledger.witness"), witnesses: string("ledger.witnesses"), trustedLogs: string("ledger.trustedLogs"),
            useAuthorityWitness: string("ledger.useAuthorityWitness").map { $0 != "false" } ?? true,
            integrationMilliseconds: try integer("ledger.integrationMilliseconds", default: 250))
        return configuration
    }

    /// The config file `dataspace init` writes.
    public var fileJSON: JSONValue {
        var authority: [String: JSONValue] = ["enabled": .bool(isAuthority), "autoApprove": .bool(autoApprove)]
        if let authorityURL { authority["url"] = .string(authorityURL) }
        if let authorityDID { authority["did"] = .string(authorityDID.value) }
        var http: [String: JSONValue] = [
            "host": .string(host), "port": .number(Double(port)), "publicURL": .string(publicURL),
            "maxConnections": .number(Double(maxConnections)), "idleTimeoutSeconds": .number(Double(idleTimeoutSeconds)),
            "minimumBodyRate": .number(Double(minimumBodyRate)),
        ]
        if let maxConnectionsPerClient { http["maxConnectionsPerClient"] = .number(Double(maxConnectionsPerClient)) }
        if !trustedProxies.isEmpty { http["trustedProxies"] = .string(trustedProxies.description) }
        return [
            "database": .string(database?.url ?? "sqlite"),
            "node": [
                "name": .string(name), "creditCode": .string(creditCode.value), "region": .string(region.value),
                "sector": .string(sector.rawValue), "timeZone": .string(timeZone),
            ],
            "http": .object(http),
            "authority": .object(authority),
            "identifiers": ["ipv6Prefix": .string(ipv6Prefix.description)],
            "limits": [
                "maxUploadBytes": .number(Double(maxUploadBytes)), "requestsPerSecond": .number(Double(requestsPerSecond)),
                "burst": .number(Double(burst)), "concurrentPublishes": .number(Double(concurrentPublishes)),
                "maxTraceBytes": .number(Double(maxTraceBytes)),
            ],
            "accounts": ["passwordCost": .number(Double(passwordCost))],
            "trust": [
                "revocationCacheSeconds": .number(revocationCacheSeconds), "allowLoopback": .bool(allowLoopbackPeers),
                "allowPrivateNetworks": .bool(allowPrivateNetworks), "peerTimeoutSeconds": .number(Double(peerTimeoutSeconds)),
            ],
            "transfer": ["accessTokenSeconds": .number(accessTokenSeconds), "timeoutSeconds": .number(transferTimeoutSeconds)],
            "ledger": ledger.fileJSON,
            "quality": ["importantScale": .number(Double(importantScale)), "allowHeaderOnly": .bool(allowHeaderOnly)],
            "log": ["level": .string(logLevel), "format": .string(logFormat)],
        ]
    }
}

/// How the node's evidence log is witnessed, and whether the node witnesses others.
public struct LedgerSettings: Sendable, Hashable {
    /// Answer other logs' add-checkpoint requests (always on for the authority).
    public var witness = false
    /// Witnesses to submit checkpoints to: base URL of their add-checkpoint prefix and verifier key.
    public var witnesses: [Witness] = []
    /// Logs this witness accepts besides the authority's registered members (verifier keys).
    public var trustedLogs: [String] = []
    /// Submit checkpoints to the authority's witness too (members only).
    public var useAuthorityWitness = true
    /// Least time between two integrations of the log (checkpoint latency versus fsync load).
    public var integrationMilliseconds = 250

    public struct Witness: Sendable, Hashable {
        public var url: String
        public var key: String
    }

    public init() {}

    /// `witnesses` is "URL KEY" pairs separated by commas; `trustedLogs` keys separated by commas.
    static func from(witness: Bool, witnesses: String?, trustedLogs: String?, useAuthorityWitness: Bool, integrationMilliseconds: Int) throws -> LedgerSettings {
        var settings = LedgerSettings()
        settings.witness = witness
        settings.useAuthorityWitness = useAuthorityWitness
        for item in (witnesses ?? "").split(separator: ",") {
            let parts = item.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard parts.count == 2, parts[0].hasPrefix("http") else {
                throw ConfigurationError(key: "ledger.witnesses", message: "each witness is 'URL KEY' (comma-separated), got '\(item)'")
            }
            settings.witnesses.append(Witness(url: parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "/")), key: parts[1]))
        }
        settings.trustedLogs = (trustedLogs ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard (1...60_000).contains(integrationMilliseconds) else {
            throw ConfigurationError(key: "ledger.integrationMilliseconds", message: "must be 1–60000")
        }
        settings.integrationMilliseconds = integrationMilliseconds
        return settings
    }

    var fileJSON: JSONValue {
        var object: [String: JSONValue] = [
            "witness": .bool(witness), "useAuthorityWitness": .bool(useAuthorityWitness),
            "integrationMilliseconds": .number(Double(integrationMilliseconds)),
        ]
        if !witnesses.isEmpty { object["witnesses"] = .string(witnesses.map { "\($0.url) \($0.key)" }.joined(separator: ",")) }
        if !trustedLogs.isEmpty { object["trustedLogs"] = .string(trustedLogs.joined(separator: ",")) }
        return .object(object)
    }
}

/// A configuration value that is missing or malformed, named by its key.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let key: String
    public let message: String
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
    public var description: String { "configuration \(key): \(message)" }
}
