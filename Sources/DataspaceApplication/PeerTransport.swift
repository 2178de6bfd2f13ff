import DataspaceCore
import DataspaceIdentity
import Foundation

/// How application services reach other nodes: one request, one bounded answer. The node's
/// adapter (`PeerClient`, over AsyncHTTPClient) applies the outbound rules of docs/security.md.
public protocol PeerTransport: Sendable {
    /// `timeout` replaces the adapter's default deadline for a long exchange (a set-intersection run).
    func exchange(_ method: PeerMethod, _ url: String, headers: [(String, String)], body: Data?, limit: Int, timeout: Duration?) async throws -> PeerReply
    /// A node's DID document from its base URL (`/.well-known/did.json`), learning its DID.
    func didDocument(baseURL: String) async throws -> DIDDocument
}

extension PeerTransport {
    func send(
        _ method: PeerMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil, limit: Int = 64 << 20, timeout: Duration? = nil
    ) async throws -> PeerReply {
        try await exchange(method, url, headers: headers, body: body, limit: limit, timeout: timeout)
    }
}

public enum PeerMethod: String, Sendable {
    case GET, POST
}

/// A peer's answer: status, body, and the headers a service asked for by name (lower-cased).
public struct PeerReply: Sendable {
    public var status: Int
    public var body: Data
    public var headers: [String: String]

    public init(status: Int, body: Data, headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    public func json() throws -> JSONValue {
        do { return try JSONValue.parse(body) } catch { throw PeerError("peer answered \(status) with a body that is not JSON") }
    }
}

/// A call to another node that failed (unreachable, or it answered an error).
public struct PeerError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let status: Int?
    /// The URL was refused by the outbound rules before any connection was made.
    public let refused: Bool
    public init(_ message: String, status: Int? = nil, refused: Bool = false) {
        self.message = message
        self.status = status
        self.refused = refused
    }
    public var description: String { message }
}
