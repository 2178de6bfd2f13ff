import AsyncHTTPClient
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// Outgoing HTTP to other nodes: DID documents, revocation lists, applications and DSP messages.
///
/// Every URL passes `OutboundPolicy` first (docs/security.md): a URL that came from input never
/// reaches the network unless it is https to a public host (or loopback when configured).
/// Redirects are never followed, and replies are read up to a cap.
public struct PeerClient: Sendable {
    let http: HTTPClient
    let timeout: TimeAmount
    public let policy: OutboundPolicy

    /// Node-to-node traffic gets its own connection pool, separate from `HTTPClient.shared`, so
    /// long-polling management calls in the same process (demo, benchmarks, tests) can never take
    /// every connection a protocol message needs; 64 connections per peer instead of the default 8.
    public static let protocolHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A peer that answers with a redirect does not get to choose where we go next.
        configuration.redirectConfiguration = .disallow
        // Each call carries its own deadline over the answer and its body (`send`); the idle
        // read timeout only backs it up, so it is the longest a node may configure.
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(longestTimeoutSeconds)))
        // A peer that is down fails the attempt at once; the outbox retries with backoff and
        // tells the person waiting, instead of each attempt silently spending the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The longest `trust.peerTimeoutSeconds` a node may set.
    public static let longestTimeoutSeconds = 300

    public init(http: HTTPClient = PeerClient.protocolHTTP, timeout: TimeAmount = .seconds(15), policy: OutboundPolicy = OutboundPolicy()) {
        self.http = http
        self.timeout = timeout
        self.policy = policy
    }

    /// DID documents and revocation lists are small; a peer cannot make us buffer more.
    public static let documentLimit = 64 << 10
    /// DID documents and revocation lists are answered quickly or not at all: a third of the
    /// call timeout (5 s by default).
    public var documentTimeout: TimeAmount { .nanoseconds(timeout.nanoseconds / 3) }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data

        public func json() throws -> JSONValue {
            do { return try JSONValue.parse(body) } catch { throw PeerError("peer answered \(status) with a body that is not JSON") }
        }
    }

    public func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil, limit: Int = 64 << 20, timeout: TimeAmount? = nil
    ) async throws -> Reply {
        do { try policy.check(url) } catch { throw PeerError(error.message, refused: true) }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        let deadline = NIODeadline.now() + (timeout ?? self.timeout)
        do {
            let response = try await http.execute(request, deadline: deadline)
            let buffer = try await Self.collect(response.body, upTo: limit, by: deadline)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        } catch let error as PeerError {
            throw error
        } catch {
            throw PeerError("cannot reach \(url): \(Self.explain(error))")
        }
    }

    /// Reads a reply's body up to `limit` bytes, giving up at `deadline`: the deadline that
    /// `execute` enforces ends with the answer's head, and a peer trickling its body a byte at
    /// a time must not hold the call open past it.
    static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int, by deadline: NIODeadline) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                let left = deadline - .now()
                if left > .zero { try await Task.sleep(nanoseconds: UInt64(left.nanoseconds)) }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else { throw HTTPClientError.deadlineExceeded }
            return buffer
        }
    }

    /// A connection failure in words a person can act on, without library type names or errno.
    public static func explain(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("Timeout") || text.contains("deadlineExceeded") || text.contains("timeout") { return "it did not answer in time" }
        if text.contains("refused") || text.contains("connectionRefused") || text.contains("errno: 111") { return "nothing is listening there (connection refused)" }
        if text.contains("bodyLengthMismatch") || text.contains("tooManyBytes") || text.contains("responseBodyTooLarge") { return "its answer was larger than allowed" }
        if text.contains("redirect") { return "it answered with a redirect, which is not followed" }
        if text.contains("TLS") || text.contains("SSL") || text.contains("certificate") || text.contains("handshake") { return "the TLS connection failed" }
        if text.contains("resolve") || text.contains("DNS") || text.contains("getaddrinfo") { return "its host name does not resolve" }
        // Which side closed, and when, is what tells a stale pooled connection from a node that
        // stopped or refused the request part-way.
        if text.contains("remoteConnectionClosed") { return "it closed the connection before answering" }
        if text.contains("errno: 104") || text.contains("reset by peer") { return "it reset the connection" }
        if text.contains("errno: 32)") || text.contains("Broken pipe") || text.contains("I/O on closed channel") || text.contains("Output closed") {
            return "the connection closed while the request was being sent"
        }
        if text.contains("closed") { return "it closed the connection" }
        if text.contains("invalidURL") || text.contains("emptyHost") || text.contains("emptyScheme") || text.contains("unsupportedScheme") {
            return "the address is not a valid http:// or https:// URL"
        }
        if text.contains("unreachable") || text.contains("errno: 113") || text.contains("errno: 101") { return "the network cannot reach it" }
        return "the connection failed"
    }

    /// Fetches a node's DID document from its base URL, learning its DID.
    public func didDocument(baseURL: String) async throws -> DIDDocument {
        let reply = try await send(.GET, baseURL + "/.well-known/did.json", limit: Self.documentLimit, timeout: documentTimeout)
        guard reply.status == 200 else { throw PeerError("\(baseURL) answered \(reply.status) for its DID document", status: reply.status) }
        let json = try reply.json()
        guard let id = json["id"]?.stringValue, let did = try? WebDID(id) else {
            throw PeerError("\(baseURL)/.well-known/did.json has no did:web id")
        }
        do { return try DIDDocument.parse(json, expected: did) } catch { throw PeerError(error.message) }
    }
}

/// Resolves did:web documents over HTTP, caching them for a few minutes; the node's own DID is
/// answered locally. The document URL must pass the client's `OutboundPolicy`; a failure is
/// remembered for `failureTTL` seconds so a flood of tokens naming an unreachable DID costs one
/// attempt, and the error a caller sees never carries the remote status, address or connection
/// error (those go to the log at debug level).
public actor HTTPDIDResolver: DIDResolver {
    let client: PeerClient
    let own: DIDDocument
    let ttl: TimeInterval
    let failureTTL: TimeInterval
    let now: @Sendable () -> Date
    var cache: [WebDID: (document: DIDDocument, fetched: Date)] = [:]
    var failures: [WebDID: (error: IdentityError, at: Date)] = [:]
    /// Fetches under way: a second caller for the same DID waits for the first one's answer.
    var inflight: [WebDID: Task<DIDDocument, any Error>] = [:]
    /// At most 16 documents are fetched at once; 256 more may wait; beyond, callers are refused.
    let fetching = WorkLimiter(name: "DID resolution", limit: 16, queue: 256)
    /// Bounds both caches: an attacker naming millions of DIDs cannot grow them without limit.
    static let maximumEntries = 10_000

    /// How long a failed fetch is kept by default; a caller refused for it is told to retry after
    /// as long (`Retry-After`).
    public static let defaultFailureTTL = 10

    public init(client: PeerClient, own: DIDDocument, ttl: TimeInterval = 300, failureTTL: TimeInterval = TimeInterval(defaultFailureTTL), now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.own = own
        self.ttl = ttl
        self.failureTTL = failureTTL
        self.now = now
    }

    public func resolve(_ did: WebDID) async throws(IdentityError) -> DIDDocument {
        if did == own.id { return own }
        let time = now()
        if let hit = cache[did], time.timeIntervalSince(hit.fetched) < ttl { return hit.document }
        if let failed = failures[did], time.timeIntervalSince(failed.at) < failureTTL { throw failed.error }
        let task: Task<DIDDocument, any Error>
        if let running = inflight[did] {
            task = running
        } else {
            let limiter = fetching
            task = Task {
                try await limiter.acquire()
                do {
                    let document = try await self.fetch(did)
                    await limiter.release()
                    return document
                } catch {
                    await limiter.release()
                    throw error
                }
            }
            inflight[did] = task
        }
        do throws(IdentityError) {
            let document: DIDDocument
            do { document = try await task.value } catch let error as IdentityError { throw error } catch {
                throw IdentityError(.verificationUnavailable, "cannot resolve \(did.value) now; try again shortly")
            }
            inflight[did] = nil
            if cache.count >= Self.maximumEntries { cache.removeAll(keepingCapacity: true) }
            cache[did] = (document, time)
            failures[did] = nil
            return document
        } catch {
            inflight[did] = nil
            if failures.count >= Self.maximumEntries { failures.removeAll(keepingCapacity: true) }
            failures[did] = (error, time)
            throw error
        }
    }

    func fetch(_ did: WebDID) async throws(IdentityError) -> DIDDocument {
        let reply: PeerClient.Reply
        do {
            reply = try await client.send(.GET, did.documentURL, limit: PeerClient.documentLimit, timeout: client.documentTimeout)
        } catch let error as PeerError where error.refused {
            throw IdentityError(.didResolution, "cannot resolve \(did.value): \(error.message)")
        } catch {
            // No answer or a timeout: the caller's host may be back in a moment.
            throw IdentityError(.verificationUnavailable, "cannot resolve \(did.value) now: its DID document could not be fetched; try again shortly")
        }
        if reply.status >= 500 {
            throw IdentityError(.verificationUnavailable, "cannot resolve \(did.value) now: its host answered \(reply.status); try again shortly")
        }
        guard reply.status == 200, let json = try? reply.json() else {
            throw IdentityError(.didResolution, "cannot resolve \(did.value): no valid DID document was served")
        }
        return try DIDDocument.parse(json, expected: did)
    }

    /// Forgets cached documents and failures (after a peer rotates its key or comes back).
    public func clear() {
        cache.removeAll()
        failures.removeAll()
    }
}

/// Revocation lists fetched from the issuing authority and cached for `ttl` seconds (0 = every
/// check asks the authority). An authority answers from its own register.
///
/// Checks that miss the cache while a fetch from the same issuer is on its way wait for that
/// fetch instead of starting their own: when a list expires under load (sixteen parallel parts
/// of one download, a burst of protocol messages) the authority is asked once, not once per
/// check. With `ttl` 0 every check fetches its own, as that setting promises.
public actor RevocationCache: RevocationChecker {
    /// Fetches and verifies an issuer's current list.
    typealias Fetch = @Sendable (WebDID) async throws(IdentityError) -> RevocationList

    let fetch: Fetch
    let ttl: TimeInterval
    let local: (@Sendable () async throws -> Set<String>)?
    let localIssuer: WebDID?
    /// The newest list accepted per issuer (an older one arriving late never replaces it).
    var lists = RevocationLists()
    /// The fetch under way per issuer, which checks arriving meanwhile share.
    var fetching: [WebDID: Task<RevocationList, any Error>] = [:]
    /// How many checks wait on each issuer's fetch under way.
    var waiting: [WebDID: Int] = [:]

    public init(client: PeerClient, resolver: any DIDResolver, ttl: TimeInterval, localIssuer: WebDID?, local: (@Sendable () async throws -> Set<String>)?) {
        self.init(ttl: ttl, localIssuer: localIssuer, local: local) { issuer throws(IdentityError) in
            try await Self.fetchList(of: issuer, client: client, resolver: resolver)
        }
    }

    init(ttl: TimeInterval, localIssuer: WebDID?, local: (@Sendable () async throws -> Set<String>)?, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.ttl = ttl
        self.localIssuer = localIssuer
        self.local = local
    }

    public func isRevoked(credentialID: String, issuer: WebDID) async throws(IdentityError) -> Bool {
        if issuer == localIssuer, let local {
            do { return try await local().contains(credentialID) } catch {
                throw IdentityError(.verificationUnavailable, "cannot read the revocation register now; try again shortly")
            }
        }
        if let hit = lists.fresh(issuer, now: Date(), maximumAge: ttl) { return hit.revoked.contains(credentialID) }
        let shared: Task<RevocationList, any Error>
        if ttl > 0, let running = fetching[issuer] {
            shared = running
        } else {
            let asked = Date()
            // Not cancelled with the check that started it: the others waiting share it.
            shared = Task { try await self.fetchAndAccept(issuer, askedAt: asked) }
            if ttl > 0 { fetching[issuer] = shared }
        }
        waiting[issuer, default: 0] += 1
        let outcome = await shared.result
        waiting[issuer, default: 1] -= 1
        if waiting[issuer] == 0 { waiting[issuer] = nil }
        // Done: the next miss fetches afresh (whichever of the sharing checks gets here first).
        if fetching[issuer] == shared { fetching[issuer] = nil }
        switch outcome {
        case .success(let list): return list.revoked.contains(credentialID)
        case .failure(let error as IdentityError): throw error
        case .failure:
            throw IdentityError(.verificationUnavailable, "cannot fetch the revocation list of \(issuer.value) now; try again shortly")
        }
    }

    /// How many checks are waiting on a fetch of `issuer`'s list now.
    func waitingChecks(_ issuer: WebDID) -> Int { waiting[issuer] ?? 0 }

    private func fetchAndAccept(_ issuer: WebDID, askedAt asked: Date) async throws(IdentityError) -> RevocationList {
        let list = try await fetch(issuer)
        // Fetches with ttl 0 run side by side (the actor is reentrant across the await): the one
        // answered last may carry the older list.
        return try lists.accept(list, askedAt: asked, fetchedAt: Date())
    }

    /// GETs `issuer`'s list and verifies it against the issuer's DID document.
    static func fetchList(of issuer: WebDID, client: PeerClient, resolver: any DIDResolver) async throws(IdentityError) -> RevocationList {
        let url = issuer.baseURL + "/identity/revocations"
        let reply: PeerClient.Reply
        do { reply = try await client.send(.GET, url, limit: PeerClient.documentLimit, timeout: client.documentTimeout) } catch let error as PeerError where error.refused {
            throw IdentityError(.credentialInvalid, "cannot fetch the revocation list of \(issuer.value): \(error.message)")
        } catch {
            // Refused rather than trusted blindly, but as a failure worth retrying.
            throw IdentityError(.verificationUnavailable, "cannot fetch the revocation list of \(issuer.value) now; try again shortly")
        }
        if reply.status >= 500 {
            throw IdentityError(.verificationUnavailable, "the revocation list of \(issuer.value) is unavailable now (\(reply.status)); try again shortly")
        }
        guard reply.status == 200 else {
            throw IdentityError(.credentialInvalid, "the revocation list of \(issuer.value) could not be fetched; refusing rather than trusting blindly")
        }
        let token = String(decoding: reply.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try RevocationList.verify(token, issuerDocument: try await resolver.resolve(issuer), now: Date())
    }
}

extension PeerClient: PeerTransport {
    public func exchange(_ method: PeerMethod, _ url: String, headers: [(String, String)], body: Data?, limit: Int, timeout: Duration?) async throws
        -> PeerReply
    {
        let deadline = timeout.map { TimeAmount.seconds(max(1, $0.components.seconds)) }
        let reply = try await send(HTTPMethod(rawValue: method.rawValue), url, headers: headers, body: body, limit: limit, timeout: deadline)
        var fields: [String: String] = [:]
        for header in reply.headers where header.name.lowercased().hasPrefix("dataspace-") {
            fields[header.name.lowercased()] = header.value
        }
        return PeerReply(status: reply.status, body: reply.body, headers: fields)
    }
}
