import Crypto
import DataspaceCore
import DataspaceIdentity
import Foundation

/// The on-disk layout of a node: everything it owns lives in one directory.
///
///     config.json       configuration (non-secret)
///     node.key          Ed25519 private key, raw 32 bytes, mode 0600
///     admin.token       management API bearer token, mode 0600
///     dataspace.sqlite  embedded database (+ -wal, -shm)
///     blobs/            content-addressed published files
///     ledger/           the evidence log: journal, checkpoint, tile/ (C2SP tlog-tiles)
public struct NodeDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = (path as NSString).expandingTildeInPath
    }

    public var configPath: String { path + "/config.json" }
    public var keyPath: String { path + "/node.key" }
    public var adminTokenPath: String { path + "/admin.token" }
    public var databasePath: String { path + "/dataspace.sqlite" }
    public var blobsPath: String { path + "/blobs" }
    public var ledgerPath: String { path + "/ledger" }

    public var exists: Bool { FileManager.default.fileExists(atPath: configPath) }

    /// Creates a new node directory; refuses to overwrite an existing node.
    public func initialize(configuration: NodeConfiguration) throws {
        let fm = FileManager.default
        guard !exists else {
            throw ConfigurationError(key: "dir", message: "\(path) already holds a node (config.json exists); choose another directory")
        }
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = NodeKey()
        try writeSecret(key.rawRepresentation, to: keyPath)
        var tokenBytes = [UInt8](repeating: 0, count: 32)
        for i in tokenBytes.indices { tokenBytes[i] = UInt8.random(in: 0...255) }
        let token = "dsa_" + Base64URL.encode(Data(tokenBytes))
        try writeSecret(Data(token.utf8), to: adminTokenPath)
        // config.json last: its presence marks a complete node directory.
        let temp = configPath + ".tmp"
        try configuration.fileJSON.encoded(pretty: true).write(to: URL(fileURLWithPath: temp))
        if rename(temp, configPath) != 0 { throw ConfigurationError(key: "dir", message: "cannot write \(configPath)") }
    }

    func writeSecret(_ data: Data, to file: String) throws {
        guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError(key: "dir", message: "cannot write \(file)")
        }
    }

    public func loadKey() throws -> NodeKey {
        let data = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        do { return try NodeKey(rawRepresentation: data) } catch {
            throw ConfigurationError(key: "node.key", message: "\(keyPath) is not a 32-byte Ed25519 private key")
        }
    }

    public func loadAdminToken() throws -> String {
        let text = try String(contentsOfFile: adminTokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ConfigurationError(key: "admin.token", message: "\(adminTokenPath) is empty") }
        return text
    }
}
