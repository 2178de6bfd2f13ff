import Crypto
import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import Logging

/// Runs contract negotiations and transfer processes in both roles. Each incoming message is a
/// pure state transition, persisted together with the reply it queues before it is acknowledged;
/// queued messages are sent at once by the outbox (no polling) and retried with backoff, also
/// after a restart (`resume`).
public struct ContractService: Sendable {
    public let store: any ContractStore & DeliveryReceiptStore
    let catalog: CatalogService
    let did: WebDID
    let key: NodeKey
    let publicURL: String
    let peers: any PeerTransport
    let resolver: any DIDResolver
    let tokenFor: @Sendable (WebDID) async throws -> String
    public let notifier = ChangeNotifier()
    /// Records sent messages and received replies when a test starts it.
    public let tap = MessageTap()
    let dispatcher = OutboxDispatcher()
    let outbox = OutboxQueue()
    /// This process's name in outbox claims: replicas sharing a store each deliver only what
    /// they claimed (`ContractStore.claimOutbox`).
    public let replica = "replica-" + UUID().uuidString.lowercased()
    /// How long a claim holds without renewal; a replica that died loses its claims after this.
    static let claimLease: TimeInterval = 60
    /// Lifetime of data-plane access tokens handed out in TransferStartMessages.
    let accessTokenLifetime: TimeInterval
    /// How long a transfer may stay open without progress before it times out (docs/policies.md).
    public let transferTimeout: TimeInterval
    /// Attempts before an undeliverable message terminates its process.
    let maximumAttempts: Int
    public let logger: Logger
    /// The evidence log, for agreed and terminated negotiations.
    let ledger: (any EvidenceSink)?
    /// Whether a consumer's membership was revoked since its transfer started (nil: not checked).
    let revocations: (any RevocationChecker)?
    /// Keys the watermark of protected deliveries (derived from the node key).
    let deliverySecret: SymmetricKey?
    /// The time policies are judged at (validity windows, elapsed time, time-outs); tests move it.
    public let now: @Sendable () -> Date

    public init(
        store: any ContractStore & DeliveryReceiptStore, catalog: CatalogService, did: WebDID, key: NodeKey, publicURL: String,
        peers: any PeerTransport, resolver: any DIDResolver, accessTokenLifetime: TimeInterval, transferTimeout: TimeInterval = 3_600,
        maximumAttempts: Int = 40, ledger: (any EvidenceSink)? = nil, revocations: (any RevocationChecker)? = nil,
        deliverySecret: SymmetricKey? = nil, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        tokenFor: @escaping @Sendable (WebDID) async throws -> String
    ) {
        self.now = now
        self.revocations = revocations
        self.deliverySecret = deliverySecret
        self.store = store
        self.catalog = catalog
        self.did = did
        self.key = key
        self.publicURL = publicURL
        self.peers = TappedTransport(inner: peers, tap: tap)
        self.resolver = resolver
        self.accessTokenLifetime = accessTokenLifetime
        self.transferTimeout = transferTimeout
        self.maximumAttempts = maximumAttempts
        self.logger = logger
        self.ledger = ledger
        self.tokenFor = tokenFor
    }

    var callbackBase: String { publicURL + DSP.basePath + "/callback" }
    var keyID: String { "\(did.value)#\(DIDDocument.keyFragment)" }

    static func newPid() -> String { "urn:uuid:" + UUID().uuidString.lowercased() }

    /// A process id derived from the caller and its own pid, so a retried request finds the same process.
    static func derivedPid(_ caller: String, _ pid: String) -> String {
        var bytes = Array(SHA256.hash(data: Data("\(caller)|\(pid)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let u = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return "urn:uuid:" + u.uuidString.lowercased()
    }

    static func digest(_ json: JSONValue) -> String {
        Hex.encode(SHA256.hash(data: json.encoded()))
    }

    /// Facts about the caller from its verified membership credential.
    static func recipientFacts(_ caller: VerifiedCaller) -> RecipientFacts {
        RecipientFacts(
            did: caller.did.value, sector: caller.membership?.subject.sector.rawValue, region: caller.membership?.subject.region.value,
            role: caller.membership?.role)
    }

    /// A callback address must belong to the caller, so nobody can aim our messages at a third party.
    static func checkCallback(_ address: String, caller: VerifiedCaller) throws(ProtocolError) {
        let base = caller.did.baseURL
        guard address == base || address.hasPrefix(base + "/") else {
            throw ProtocolError(.badRequest, code: "message.callbackAddress", "callbackAddress must be under the caller's own base URL \(base)")
        }
    }

    /// Runs a message handler again when its transition lost a compare-and-swap race (another
    /// message changed the process between its read and its write): the handler re-reads and
    /// decides from the new state, where the late message may now be an invalid transition.
    public func retryingConflicts<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do { return try await body() } catch let conflict as ContractConflict {
                attempt += 1
                if attempt >= 8 { throw conflict }
                logger.debug("transition lost a race; retrying", metadata: ["attempt": "\(attempt)", "why": "\(conflict.message)"])
            }
        }
    }

    // MARK: outbox

    /// Re-sends every message a previous run queued but could not deliver. Run at start-up and
    /// then periodically (`quietly`): messages another replica claimed are left to it while its
    /// claim holds, and taken over once a replica that died lets it expire.
    public func resume(quietly: Bool = false) async throws {
        let pending = try await store.pendingOutboxes()
        for id in pending.negotiations { kick(.negotiation(id)) }
        for id in pending.transfers { kick(.transfer(id)) }
        if !quietly, !pending.negotiations.isEmpty || !pending.transfers.isEmpty {
            logger.notice(
                "resuming undelivered protocol messages", metadata: ["negotiations": "\(pending.negotiations.count)", "transfers": "\(pending.transfers.count)"])
        }
    }

    /// Claims (or renews the claim on) a process's outbox for this replica.
    func claim(_ key: OutboxKey) async -> Bool {
        let at = now()
        do {
            return try await store.claimOutbox(key.kind, id: key.id, owner: replica, now: at, until: at.addingTimeInterval(Self.claimLease))
        } catch {
            if !(error is CancellationError) { logger.error("cannot claim an outbox", metadata: ["error": "\(error)"]) }
            return false
        }
    }

    func kick(_ key: OutboxKey) { outbox.submit(key) }

    /// Delivers queued protocol messages until `stopOutbox`: the node runs this in its service
    /// group. One delivery loop per process at a time; a kick during a loop makes it run again.
    public func runOutbox() async {
        let dispatcher = self.dispatcher
        await outbox.run { key in
            guard await dispatcher.begin(key) else { return }
            repeat { await self.drain(key) } while await dispatcher.end(key) && !Task.isCancelled
        }
    }

    /// Ends `runOutbox` (graceful shutdown); unacknowledged messages stay queued in the store.
    public func stopOutbox() { outbox.finish() }

    /// Returns once no delivery loop runs and none is waiting to: every message this process was
    /// asked to send has been delivered, refused, or given up on (or the outbox stopped). Lets a
    /// caller that drives several nodes wait for what they tell each other, with no clock.
    public func outboxIdle() async { await outbox.idle() }

    /// How many deliveries this process has been asked to start so far; the same before and after
    /// `outboxIdle()` means no message arrived to send meanwhile.
    public var outboxSubmissions: UInt64 { outbox.submissions }

    func drain(_ key: OutboxKey) async {
        var lookedAgain = false
        while !Task.isCancelled {
            // Another replica holding the claim delivers this process's messages.
            guard await claim(key) else { return }
            let loaded: (message: OutgoingMessage, counterparty: String)?
            do { loaded = try await queued(key) } catch {
                // Shutting down is not a failure.
                if !(error is CancellationError) { logger.error("cannot read outbox", metadata: ["error": "\(error)"]) }
                return
            }
            guard let (message, counterparty) = loaded else {
                try? await store.releaseOutbox(key.kind, id: key.id, owner: replica)
                // A message another replica queued while we held the claim found it taken; it
                // committed before that, so one more look after releasing sees it.
                if !lookedAgain, (try? await queued(key)) != nil {
                    lookedAgain = true
                    continue
                }
                return
            }
            var outcome = await deliver(message, to: counterparty)
            if case .retry(let why) = outcome, message.attempts + 1 >= maximumAttempts {
                outcome = .refused(["undeliverable after \(message.attempts + 1) attempts: \(why)"])
            }
            do {
                try await settle(key, sent: message, outcome: outcome)
            } catch {
                // Shutting down is not a failure: the message stays queued and is sent again.
                if !(error is CancellationError) { logger.error("cannot record delivery", metadata: ["error": "\(error)"]) }
                return
            }
            if case .retry(let why) = outcome {
                logger.info("message not delivered; retrying", metadata: ["url": "\(message.url)", "attempt": "\(message.attempts + 1)", "error": "\(why)"])
                try? await Task.sleep(for: .seconds(message.backoff))
            }
        }
    }

    /// The next message a process has queued, and to whom.
    func queued(_ key: OutboxKey) async throws -> (message: OutgoingMessage, counterparty: String)? {
        switch key {
        case .negotiation(let id): try await store.negotiation(id: id).flatMap { n in n.outbox.map { ($0, n.counterparty) } }
        case .transfer(let id): try await store.transfer(id: id).flatMap { t in t.outbox.map { ($0, t.counterparty) } }
        }
    }

    func deliver(_ message: OutgoingMessage, to counterparty: String) async -> DeliveryOutcome {
        do {
            let token = try await tokenFor(try WebDID(counterparty))
            tap.record(message.body)
            let reply = try await peers.send(PeerMethod.POST, message.url, headers: [("Authorization", "Bearer \(token)")], body: message.body.encoded())
            tap.record(try? reply.json())
            switch reply.status {
            case 200..<300: return .delivered(try? reply.json())
            case 401 where (try? reply.json())?["code"]?.stringValue == IdentityError.Code.credentialRevoked.rawValue:
                // Retrying cannot help: our membership was revoked.
                let reasons = ((try? reply.json())?["reason"]?.arrayValue ?? []).compactMap(\.stringValue)
                let detail = reasons.isEmpty ? "this node's membership credential has been revoked" : reasons.joined(separator: "; ")
                return .refused(["\(counterparty) refused: \(detail)"])
            case 401, 408, 425, 429, 500...: return .retry("the peer answered \(reply.status)")
            default:
                let json = try? reply.json()
                let reasons = (json?["reason"]?.arrayValue ?? []).map { $0.stringValue ?? $0.encodedString() }
                let code = json?["code"]?.stringValue ?? "\(reply.status)"
                return .refused(reasons.isEmpty ? ["peer refused the message (\(code))"] : reasons)
            }
        } catch let error as PeerError {
            return .retry(error.message)
        } catch {
            return .retry("cannot send: \(error)")
        }
    }

    func settle(_ key: OutboxKey, sent: OutgoingMessage, outcome: DeliveryOutcome) async throws {
        let now = self.now()
        switch key {
        case .negotiation(let id):
            _ = try await store.updateNegotiation(id: id) { $0.settle(sent, outcome, now: now) }
            await negotiationChanged(id)
        case .transfer(let id):
            _ = try await store.updateTransfer(id: id) { $0.settle(sent, outcome, now: now) }
            await notifier.notify(id)
        }
    }
}

extension TransitionError {
    public var protocolError: ProtocolError { ProtocolError(.badRequest, code: "transition.invalid", message) }
}
