import ArgumentParser
import DataspaceCore
import DataspacePostgres
import DataspaceServer
import Foundation
import Logging

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a node data directory: key pair, DID, config and admin token.")

    @Option(help: "Directory to create.") var dir: String
    @Option(help: "Organisation name (Chinese or English).") var name: String
    @Option(name: .customLong("credit-code"), help: "18-character unified social credit code (GB 32100).") var creditCode: String
    @Option(help: "6-digit GB/T 2260 region code.") var region: String
    @Option(help: "Sector slug, e.g. urban-governance.") var sector: String
    @Option(help: "TCP port to listen on.") var port: Int = 8443
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(name: .customLong("public-url"), help: "URL peers use to reach this node (default http://HOST:PORT).") var publicURL: String?
    @Flag(help: "Make this node the data space's registration authority.") var authority = false
    @Flag(name: .customLong("auto-approve"), help: "Authority: approve applications automatically.") var autoApprove = false
    @Option(name: .customLong("ipv6-prefix"), help: "IPv6 /64 under which identifiers get addresses.") var ipv6Prefix: String = NodeConfiguration.defaultIPv6Prefix
    @Option(
        help: ArgumentHelp(
            "Where the node's state lives: sqlite (a file in --dir, the default) or postgres://USER@HOST:PORT/DATABASE, shared by replicas.",
            valueName: "sqlite|URL")) var database: String = "sqlite"
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await runReporting {
            var configuration = NodeConfiguration(
                name: name.trimmingCharacters(in: .whitespaces), creditCode: try CreditCode(creditCode), region: try RegionCode(region),
                sector: try Sector(slug: sector), host: host, port: port, publicURL: publicURL ?? "http://\(host):\(port)",
                isAuthority: authority, autoApprove: autoApprove, authorityURL: nil, authorityDID: nil,
                ipv6Prefix: try IPv6Prefix(ipv6Prefix), maxUploadBytes: 8 << 30, revocationCacheSeconds: 30, logLevel: "info", logFormat: "json",
                // A node on loopback talks to its neighbours on loopback over plain HTTP; written
                // into config.json so the choice is explicit (trust.allowLoopback).
                allowLoopbackPeers: (try? OutboundPolicy(allowLoopback: true).check(publicURL ?? "http://\(host):\(port)").isLoopback) ?? false)
            guard !configuration.name.isEmpty else { throw DataspaceCore.ValidationError(code: "name.empty", field: "name", message: "name must not be empty") }
            if database != "sqlite" {
                let location = try PostgresLocation(url: database, field: "database")
                // config.json holds no secrets (docs/operations.md).
                guard location.password == nil else {
                    throw InputError(
                        "--database: config.json holds no secrets, so give the URL without its password here and the full URL to 'dataspace serve' in the DATASPACE_DATABASE environment variable"
                    )
                }
                configuration.database = location
            }
            let directory = NodeDirectory(path: dir)
            try directory.initialize(configuration: configuration)
            if json {
                printJSON(["dir": .string(directory.path), "did": .string(configuration.did.value), "url": .string(configuration.publicURL)])
            } else {
                print("Created node \(configuration.name) in \(directory.path)")
                print("  DID          \(configuration.did.value)")
                print("  URL          \(configuration.publicURL)")
                print("  database     \(configuration.database.map { "\($0)" } ?? "SQLite, \(directory.databasePath)")")
                print("  admin token  \(directory.adminTokenPath) (keep it secret)")
                print("Start it with: dataspace serve --dir \(directory.path)")
            }
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run a node from its data directory (SQLite inside it, no other service).")

    @Option(help: "Node data directory.") var dir: String = ProcessInfo.processInfo.environment["DATASPACE_DIR"] ?? "./dataspace-node"
    @Option(help: "Override the configured port.") var port: Int?
    @Option(help: "Override the configured listen address.") var host: String?
    @Flag(help: "Run as the registration authority.") var authority = false
    @Flag(name: .customLong("auto-approve"), help: "Authority: approve applications automatically.") var autoApprove = false
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.") var logLevel: String?

    func run() async throws {
        try await runReporting {
            let started = Date()
            var overrides: [String: String] = [:]
            if let port { overrides["http.port"] = String(port) }
            if let host { overrides["http.host"] = host }
            if authority { overrides["authority.enabled"] = "true" }
            if autoApprove { overrides["authority.autoApprove"] = "true" }
            if let logLevel { overrides["log.level"] = logLevel }
            // A node outlives whatever reads its stdout: a closed pipe fails that write, it does
            // not end the node.
            signal(SIGPIPE, SIG_IGN)
            let directory = NodeDirectory(path: dir)
            let peek = try await NodeConfiguration.load(directory: directory.path, overrides: overrides)
            bootstrapLogging(level: peek.logLevel, format: peek.logFormat)
            let logger = Logger(label: "dataspace")
            let services = try await NodeServices.open(directory: directory, overrides: overrides, logger: logger)
            try await NodeApplication.prepare(services)
            let app = try NodeApplication.build(services: services) { port in
                logger.notice(
                    "node ready",
                    metadata: [
                        "did": "\(services.did.value)", "port": "\(port)", "authority": "\(services.authority != nil)",
                        "products": "\(services.catalog.index.count)",
                        "startup_ms": "\(Int(Date().timeIntervalSince(started) * 1000))",
                    ])
                // For the person who started it, and for scripts and tests that wait for the node
                // to listen: one line on stdout (logs go to stderr).
                print("Serving \(services.did.value) at \(Self.address(host: peek.host, port: port)) — Ctrl-C stops it.")
            }
            do { try await app.runService() } catch {
                throw Self.explainStartFailure(error, host: peek.host, port: port ?? peek.port, dir: dir)
            }
        }
    }

    /// The URL a person types to reach a node listening on `host` (an IPv6 address in brackets).
    static func address(host: String, port: Int) -> String {
        "http://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)/"
    }

    /// A failure to listen, in words: which address and port, and what to do.
    static func explainStartFailure(_ error: any Error, host: String, port: Int, dir: String) -> any Error {
        let text = String(describing: error)
        if text.contains("errno: 98") || text.contains("Address already in use") {
            return InputError(
                "port \(port) on \(host) is already in use (another node or program listens there); stop it, or start with --port N, or change http.port in \(dir)/config.json")
        }
        if text.contains("errno: 13") || text.contains("Permission denied") {
            return InputError("not allowed to listen on \(host):\(port); ports below 1024 need privileges — use a port above 1024 (--port)")
        }
        if text.contains("errno: 99") || text.contains("Cannot assign requested address") {
            return InputError("\(host) is not an address of this machine; set http.host in \(dir)/config.json (127.0.0.1, :: or 0.0.0.0)")
        }
        Logger(label: "dataspace").error("node stopped", metadata: ["error": "\(error)"])
        return LocalFailure("the node stopped unexpectedly; the log line above has the details")
    }
}

/// Logs go to stderr, as JSON lines by default or as text.
func bootstrapLogging(level: String, format: String) {
    let logLevel = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        if format == "text" {
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        var handler = JSONLogHandler(label: label)
        handler.logLevel = logLevel
        return handler
    }
}

/// `dataspace status`: is the node up, who is it, which version — optionally waiting for it.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the node's identity, URL and software version; --wait for it to come up (exit 4 if it does not).")

    @OptionGroup var node: NodeOptions
    @Option(help: "Seconds to wait for the node to answer (0: ask once).") var wait: Int = 0

    func validate() throws {
        guard (0...600).contains(wait) else { throw ValidationError("--wait must be 0–600 seconds") }
    }

    func run() async throws {
        try await runReporting {
            let client = try await node.client()
            if wait > 0 {
                do { try await client.waitUntilHealthy(timeout: .seconds(wait)) } catch {
                    throw Unreachable("the node at \(client.baseURL) did not answer within \(wait) s; is `dataspace serve --dir \(node.directory.path)` running? Its log is where you sent its output")
                }
            }
            let info = try await client.call(ManagementAPI.nodeInfo)
            if node.json { return node.printJSON(info) }
            print("\(info["name"]?.stringValue ?? "")  \(info["did"]?.stringValue ?? "")")
            print("url       \(client.baseURL)")
            print("software  \(info["software"]?.stringValue ?? "")")
            if let m = info["membership"]?.stringValue { print("member    \(m)") }
        }
    }
}
