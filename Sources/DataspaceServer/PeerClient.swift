import AsyncHTTPClient
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// Outgoing HTTP to other nodes: DID documents, revocation lists, applications and DSP messages.
public struct PeerClient: Sendable {
    let http: HTTPClient
    let timeout: TimeAmount

    /// Node-to-node traffic gets its own connection pool, separate from `HTTPClient.shared`, so
    /// long-polling management calls in the same process (demo, benchmarks, tests) can never take
    /// every connection a protocol message needs; 64 connections per peer instead of the default 8.
    public static let protocolHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(http: HTTPClient = PeerClient.protocolHTTP, timeout: TimeAmount = .seconds(15)) {
        self.http = http
        self.timeout = timeout
    }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data

        public func json() throws -> JSONValue {
            do { return try JSONValue.parse(body) } catch { throw PeerError("peer answered \(status) with a body that is not JSON") }
        }
    }

    public func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil, limit: Int = 64 << 20) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: limit)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        } catch let error as PeerError {
            throw error
        } catch {
            throw PeerError("cannot reach \(url): \(error)")
        }
    }

    /// Fetches a node's DID document from its base URL, learning its DID.
    public func didDocument(baseURL: String) async throws -> DIDDocument {
        let reply = try await send(.GET, baseURL + "/.well-known/did.json")
        guard reply.status == 200 else { throw PeerError("\(baseURL) answered \(reply.status) for its DID document", status: reply.status) }
        let json = try reply.json()
        guard let id = json["id"]?.stringValue, let did = try? WebDID(id) else {
            throw PeerError("\(baseURL)/.well-known/did.json has no did:web id")
        }
        do { return try DIDDocument.parse(json, expected: did) } catch { throw PeerError(error.message) }
    }
}

/// Resolves did:web documents over HTTP, caching them for a few minutes; the node's own DID is
/// answered locally.
public actor HTTPDIDResolver: DIDResolver {
    let client: PeerClient
    let own: DIDDocument
    let ttl: TimeInterval
    var cache: [WebDID: (document: DIDDocument, fetched: Date)] = [:]

    public init(client: PeerClient, own: DIDDocument, ttl: TimeInterval = 300) {
        self.client = client
        self.own = own
        self.ttl = ttl
    }

    public func resolve(_ did: WebDID) async throws(IdentityError) -> DIDDocument {
        if did == own.id { return own }
        if let hit = cache[did], Date().timeIntervalSince(hit.fetched) < ttl { return hit.document }
        let reply: PeerClient.Reply
        do {
            reply = try await client.send(.GET, did.documentURL)
        } catch {
            throw IdentityError(.didResolution, "cannot resolve \(did.value): \(error)")
        }
        guard reply.status == 200, let json = try? reply.json() else {
            throw IdentityError(.didResolution, "\(did.documentURL) answered \(reply.status)")
        }
        let document = try DIDDocument.parse(json, expected: did)
        cache[did] = (document, Date())
        return document
    }

    /// Forgets cached documents (after a peer rotates its key).
    public func clear() { cache.removeAll() }
}

/// Revocation lists fetched from the issuing authority and cached for `ttl` seconds (0 = every
/// check asks the authority). An authority answers from its own register.
public actor RevocationCache: RevocationChecker {
    let client: PeerClient
    let resolver: any DIDResolver
    let ttl: TimeInterval
    let local: (@Sendable () async throws -> Set<String>)?
    let localIssuer: WebDID?
    var lists: [WebDID: (revoked: Set<String>, fetched: Date)] = [:]

    public init(client: PeerClient, resolver: any DIDResolver, ttl: TimeInterval, localIssuer: WebDID?, local: (@Sendable () async throws -> Set<String>)?) {
        self.client = client
        self.resolver = resolver
        self.ttl = ttl
        self.localIssuer = localIssuer
        self.local = local
    }

    public func isRevoked(credentialID: String, issuer: WebDID) async throws(IdentityError) -> Bool {
        if issuer == localIssuer, let local {
            do { return try await local().contains(credentialID) } catch {
                throw IdentityError(.credentialInvalid, "cannot read the revocation register")
            }
        }
        if let hit = lists[issuer], Date().timeIntervalSince(hit.fetched) < ttl { return hit.revoked.contains(credentialID) }
        let url = issuer.baseURL + "/identity/revocations"
        let reply: PeerClient.Reply
        do { reply = try await client.send(.GET, url) } catch {
            throw IdentityError(.credentialInvalid, "cannot fetch the revocation list of \(issuer.value); refusing rather than trusting blindly")
        }
        guard reply.status == 200 else {
            throw IdentityError(.credentialInvalid, "revocation list of \(issuer.value) answered \(reply.status)")
        }
        let token = String(decoding: reply.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let list = try RevocationList.verify(token, issuerDocument: try await resolver.resolve(issuer))
        lists[issuer] = (list.revoked, Date())
        return list.revoked.contains(credentialID)
    }
}
