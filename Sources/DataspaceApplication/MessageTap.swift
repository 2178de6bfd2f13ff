import DataspaceCore
import DataspaceIdentity
import Foundation
import Synchronization

/// Records the DSP messages a node sends and the replies it receives, when started. The
/// conformance tests use it to validate every negotiation and transfer message against the
/// official schemas; it records nothing unless `start()` was called.
public final class MessageTap: Sendable {
    private let messages = Mutex<[JSONValue]?>(nil)

    public init() {}

    public func start() { messages.withLock { $0 = [] } }

    /// Everything recorded so far.
    public var recorded: [JSONValue] { messages.withLock { $0 ?? [] } }

    /// Every byte exchanged with peers, when started: what was sent and what came back.
    public struct Exchange: Sendable {
        public var url: String
        public var sent: Data
        public var received: Data
    }

    private let exchanges = Mutex<[Exchange]?>(nil)

    /// Starts recording raw exchanges too (the privacy tests read every byte on the wire).
    public func startExchanges() { exchanges.withLock { $0 = [] } }

    public var recordedExchanges: [Exchange] { exchanges.withLock { $0 ?? [] } }

    func record(url: String, sent: Data?, received: Data) {
        exchanges.withLock { if $0 != nil { $0?.append(Exchange(url: url, sent: sent ?? Data(), received: received)) } }
    }

    func record(_ message: JSONValue?) {
        guard let message, message.objectValue != nil else { return }
        messages.withLock { if $0 != nil { $0?.append(message) } }
    }
}

/// A peer transport that hands every exchange to a `MessageTap` (which keeps it only when started).
struct TappedTransport: PeerTransport {
    let inner: any PeerTransport
    let tap: MessageTap

    func exchange(_ method: PeerMethod, _ url: String, headers: [(String, String)], body: Data?, limit: Int, timeout: Duration?) async throws -> PeerReply {
        let reply = try await inner.exchange(method, url, headers: headers, body: body, limit: limit, timeout: timeout)
        tap.record(url: url, sent: body, received: reply.body)
        return reply
    }

    func didDocument(baseURL: String) async throws -> DIDDocument {
        try await inner.didDocument(baseURL: baseURL)
    }
}
