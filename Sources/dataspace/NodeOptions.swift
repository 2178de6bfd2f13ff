import ArgumentParser
import AsyncHTTPClient
import DataspaceCore
import DataspaceServer
import Foundation

/// Where the node is: its data directory (for URL and admin token) and optionally its URL.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "Node data directory (default: $DATASPACE_DIR or ./dataspace-node).")
    var dir: String?

    @Option(name: .long, help: "Node base URL (default: the publicURL in the data directory's config).")
    var node: String?

    @Flag(name: .customLong("json"), help: "Print machine-readable JSON instead of tables.")
    var jsonFlag = false

    @Option(name: .long, help: "Print only this field of the JSON result (a dotted path, e.g. identifier, agreement.id, items.0.id) — for scripts.")
    var get: String?

    /// JSON output was asked for (`--json`, or `--get FIELD`).
    var json: Bool { jsonFlag || get != nil }

    /// Prints the command's JSON result, or only the `--get` field of it (strings bare).
    func printJSON(_ value: JSONValue) {
        guard let get else { return dataspace.printJSON(value) }
        var current: JSONValue? = value
        for part in get.split(separator: ".") {
            if let index = Int(part), let items = current?.arrayValue { current = index < items.count ? items[index] : nil } else { current = current?[String(part)] }
        }
        switch current {
        case .string(let s)?: print(s)
        case let other?: print(other.encodedString())
        case nil:
            // A script must not go on with an empty value: bad input, exit 64.
            printError("error: no field '\(get)' in the result; run with --json to see its fields")
            Foundation.exit(Exit.invalidInput.rawValue)
        }
    }

    var directory: NodeDirectory {
        NodeDirectory(path: dir ?? ProcessInfo.processInfo.environment["DATASPACE_DIR"] ?? "./dataspace-node")
    }

    /// The node's URL: `--node`, else the publicURL in the data directory's config.
    func baseURL() async throws -> String {
        if let node { return PersonCredentials.key(node) }
        let directory = self.directory
        guard directory.exists else {
            throw ConfigurationError(key: "dir", message: "\(directory.path) is not a node directory (pass --node URL, or --dir, or run 'dataspace init')")
        }
        return try await NodeConfiguration.load(directory: directory.path).publicURL
    }

    /// A client for the node's management API, acting as: `$DATASPACE_TOKEN` if set; else, with
    /// `--node URL`, the person whose token `dataspace login` saved for that URL; else the data
    /// directory's admin token (the operator on the node's own machine).
    func client() async throws -> ManagementClient {
        let url = try await baseURL()
        if let token = ProcessInfo.processInfo.environment["DATASPACE_TOKEN"], !token.isEmpty {
            return ManagementClient(baseURL: url, adminToken: token, http: CLIHTTP.client)
        }
        if node != nil, let saved = try PersonCredentials.standard.entry(for: url) {
            return ManagementClient(baseURL: url, adminToken: saved.token, http: CLIHTTP.client)
        }
        let directory = self.directory
        guard directory.exists else {
            throw ConfigurationError(
                key: "dir", message: "no token for \(url): run 'dataspace login --node \(url) --login NAME', or pass --dir with the node's directory")
        }
        return ManagementClient(baseURL: url, adminToken: try directory.loadAdminToken(), http: CLIHTTP.client)
    }
}

/// The CLI's HTTP client: a node that is down should fail the command at once (exit 4), not
/// after the connection pool's retries.
enum CLIHTTP {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A URL the operator typed is the operator's choice: loopback and private addresses are
    /// allowed (a node's own outbound rules still apply to what it fetches itself).
    static let operatorPolicy = OutboundPolicy(allowLoopback: true, allowPrivateNetworks: true)
}

/// Runs a command body, mapping failures to exit codes.
func runReporting(_ body: () async throws -> Void) async throws {
    do { try await body() } catch let exit as ExitCode { throw exit } catch { throw reportFailure(error) }
}
