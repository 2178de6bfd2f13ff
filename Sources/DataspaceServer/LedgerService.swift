import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceSQLite
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A node's evidence log and its dealings with witnesses: records events as canonical JSON
/// entries, indexes them for the audit API, hands out receipts (tlog-proof), submits each new
/// checkpoint to the witnesses and publishes the cosigned result. When the node is a witness
/// itself it also answers other logs' `add-checkpoint` requests.
public final class LedgerService: Sendable {
    /// The log: written here when this process is the sequencer, read from the shared
    /// directory otherwise.
    public let log: EvidenceLog
    /// Where replicas sharing a database elect the sequencer (nil: this process always is).
    let sequencer: (any LogSequencerStore)?
    /// This process's name as a sequencer candidate.
    let replica = "replica-" + UUID().uuidString.lowercased()

    public let origin: String
    /// This node's witness identity (used only when it witnesses).
    public let cosigner: Cosigner
    public let isWitness: Bool
    let store: any NodeStore
    let node: WebDID
    let peers: PeerClient
    let resolver: any DIDResolver
    let logger: Logger
    let configuredWitnesses: [WitnessEndpoint]
    /// Logs this witness trusts beyond the authority's registered members.
    let trustedLogs: [NoteVerifier]
    /// Where to find the authority's witness when this node is a member (nil on the authority).
    let authorityWitness: @Sendable () async -> WitnessEndpoint?
    let state = Mutex(State())
    /// Callers of `cosigned(atLeast:)`, each with the size it waits for.
    let cosignWaiters = ConditionWaiters<UInt64>()
    /// Loops that wait for work and must end at shutdown.
    let stopWaiters = ConditionWaiters<Void>()
    /// Flushes of queued evidence run one at a time, in order.
    let appending = WorkLimiter(name: "evidence appends", limit: 1, queue: 100_000)

    /// A witness this log submits its checkpoints to.
    public struct WitnessEndpoint: Sendable, Hashable {
        public let url: String
        public let verifier: CosignatureVerifier
        public init(url: String, verifier: CosignatureVerifier) {
            self.url = url
            self.verifier = verifier
        }
    }

    /// What a witness last told this log.
    public struct WitnessStatus: Sendable {
        public var cosignedSize: UInt64?
        public var problem: String?
        public var at: Date
    }

    struct State {
        var cosigned: (size: UInt64, note: String)?
        var witnesses: [String: WitnessStatus] = [:]
        var stopping = false
        /// No witness cosigned the last submitted checkpoint.
        var lastRoundFailed = false
        /// When and why queued evidence last failed to reach the log.
        var lastAppendFailure: (Date, String)?
        /// This process's sequencer epoch while it holds the role over a shared database.
        var epoch: Int64?
        /// The refusal of a write because another replica became the sequencer.
        var fenced: SequencerFenced?
        /// Over a shared database: the index caught up with what the previous sequencer
        /// appended, so queued evidence may be appended (before that, a flush could append an
        /// event a second time: its entry is in the log, its pending row not yet removed).
        var caughtUp = false
    }

    init(
        log: EvidenceLog, sequencer: (any LogSequencerStore)?, node: WebDID, key: NodeKey, isWitness: Bool, store: any NodeStore, peers: PeerClient,
        resolver: any DIDResolver,
        witnesses: [WitnessEndpoint], trustedLogs: [NoteVerifier], authorityWitness: @escaping @Sendable () async -> WitnessEndpoint?, logger: Logger
    ) throws {
        self.log = log
        self.sequencer = sequencer
        self.origin = log.origin
        self.cosigner = try Cosigner(name: LedgerNames.witnessName(for: node), key: key.privateKey)
        self.isWitness = isWitness
        self.store = store
        self.node = node
        self.peers = peers
        self.resolver = resolver
        self.configuredWitnesses = witnesses
        self.trustedLogs = trustedLogs
        self.authorityWitness = authorityWitness
        self.logger = logger
        if let text = try? String(contentsOf: Self.cosignedURL(log), encoding: .utf8),
            let (checkpoint, _) = try? Checkpoint.open(text, log: log.verifier), checkpoint.size <= log.size
        {
            state.withLock { $0.cosigned = (checkpoint.size, text) }
        }
    }

    /// The signer for a node's log: the node key, named after the log's origin.
    static func signer(did: WebDID, key: NodeKey) throws -> NoteSigner {
        try NoteSigner(name: LedgerNames.logOrigin(for: did), key: key.privateKey)
    }

    static func cosignedURL(_ log: EvidenceLog) -> URL { log.storageDirectory.appendingPathComponent("checkpoint.cosigned") }

    // MARK: - Recording

    /// Appends every queued event (pending evidence), oldest first: each one is appended to the
    /// log, then indexed while its pending row is deleted in the same transaction. One flush runs
    /// at a time. A failure leaves the rest pending — counted in
    /// `dataspace_ledger_append_failures_total`, logged, and shown by `ledger status` — and the
    /// evidence loop tries again every few seconds.
    public func flush() async { await appendQueuedEvidence() }

    /// Appends what is queued if this replica is the sequencer; returns how many entries it
    /// appended (0 when another replica is the sequencer or the append failed).
    @discardableResult
    func appendQueuedEvidence() async -> Int {
        // Another replica is the sequencer: it appends what this one queued (the queue is
        // shared, and the commit told it).
        guard log.isSequencer, sequencer == nil || state.withLock({ $0.caughtUp }) else { return 0 }
        do {
            return try await appending.run { try await self.appendPending() }
        } catch is WorkLimiter.Busy {
            // Thousands of flushes are already waiting; one of them will take this event too.
        } catch let fenced as SequencerFenced {
            state.withLock { $0.fenced = fenced }
            logger.warning("another replica became the log's sequencer; stepping down", metadata: ["error": "\(fenced)"])
        } catch {
            Metrics.ledgerAppendFailures.increment()
            state.withLock { $0.lastAppendFailure = (Date(), "\(error)") }
            logger.error("cannot append queued evidence to the log; it stays queued", metadata: ["error": "\(error)"])
        }
        return 0
    }

    /// Appends queued evidence in batches: one journal write for the batch, then one store
    /// transaction indexing it and removing its pending rows (fenced by the sequencer epoch).
    /// Returns how many entries it appended.
    func appendPending() async throws -> Int {
        let epoch = state.withLock { $0.epoch }
        var total = 0
        while case let appended = try await Self.appendQueued(store: store, log: log, node: node.value, epoch: epoch), appended > 0 {
            total += appended
        }
        return total
    }

    /// Appends up to 1,000 queued events to `log` (this process being its sequencer, of `epoch`
    /// over a shared database): one journal write for the batch, then one store transaction
    /// indexing it and removing its pending rows. Returns how many it appended.
    public static func appendQueued(store: any LedgerIndexStore, log: EvidenceLog, node: String, epoch: Int64?) async throws -> Int {
        let batch = try await store.pendingEvidence(limit: 1_000)
        guard !batch.isEmpty else { return 0 }
        CrashPoint.hit("evidence.before-append")
        var events: [(id: Int64, event: LedgerEvent)] = []
        for item in batch {
            guard let kind = LedgerEvent.Kind(rawValue: item.event.kind) else {
                throw LedgerEventError("queued evidence \(item.id) has an unknown type \(item.event.kind)")
            }
            var fields = item.event.fields
            fields["evidenceId"] = .number(Double(item.id))
            events.append((item.id, LedgerEvent(kind: kind, time: item.queuedAt, node: node, fields: fields)))
        }
        let indices = try await log.append(contentsOf: events.map(\.event.entry))
        let rows = zip(indices, events).map { index, item in
            LedgerEntryRow(index: index, type: item.event.kind.rawValue, time: item.event.time, ref: reference(item.event), evidenceID: item.id)
        }
        try await store.indexLedgerEntries(rows, epoch: epoch)
        Metrics.ledgerEntries.increment(by: Int64(rows.count))
        return rows.count
    }

    /// Queued evidence not yet in the log, and the last failure to append it.
    public func evidenceStatus() async -> (pending: Int, lastFailure: (at: Date, message: String)?) {
        let pending = (try? await store.pendingEvidenceCount()) ?? -1
        return (pending, state.withLock { $0.lastAppendFailure })
    }

    /// What an event is about, for finding it again: a transfer, negotiation, product or participant.
    static func reference(_ event: LedgerEvent) -> String? {
        ["transfer", "negotiation", "product", "participant"].lazy.compactMap { event.fields[$0]?.stringValue }.first
    }

    /// Indexes entries the log holds but the index lacks (a crash between the two writes).
    public func reconcileIndex() async throws {
        let indexed = try await store.ledgerIndexedCount()
        let size = log.size
        guard indexed < size else { return }
        let tiles = log.tiles
        var rows: [LedgerEntryRow] = []
        for index in indexed..<size {
            let entry = try tiles.entry(index)
            guard let event = try? LedgerEvent(entry: entry) else { continue }
            rows.append(.init(
                index: index, type: event.kind.rawValue, time: event.time, ref: Self.reference(event),
                evidenceID: event.fields["evidenceId"]?.int64Value))
        }
        try await store.indexLedgerEntries(rows, epoch: state.withLock { $0.epoch })
        logger.notice("indexed ledger entries missing from the index", metadata: ["count": "\(rows.count)"])
    }

    // MARK: - Receipts and checkpoints

    /// The checkpoint to publish: the newest one witnesses cosigned, or the log's own when no
    /// witness is configured or none has answered yet.
    /// A slightly older cosigned checkpoint is preferred while witnesses keep up; when the last
    /// round got no cosignature at all, the newest checkpoint is served with the log's signature.
    public var publishedCheckpoint: String {
        let latest = log.latest
        if !log.isSequencer {
            // The sequencer keeps the newest cosigned checkpoint in the shared directory.
            if let text = try? String(contentsOf: Self.cosignedURL(log), encoding: .utf8),
                let (checkpoint, _) = try? Checkpoint.open(text, log: log.verifier), checkpoint.size == latest.size
            {
                return text
            }
            return latest.note
        }
        return state.withLock { state in
            guard let cosigned = state.cosigned, cosigned.size <= latest.size else { return latest.note }
            return cosigned.size == latest.size || !state.lastRoundFailed ? cosigned.note : latest.note
        }
    }

    var hasWitnesses: Bool { !configuredWitnesses.isEmpty || state.withLock { !$0.witnesses.isEmpty } }

    /// A receipt for entry `index`: waits for a checkpoint covering it and, when witnesses are
    /// in use, up to `cosignatureWait` for their cosignatures.
    public func receipt(index: UInt64, cosignatureWait: Duration = .seconds(3)) async throws -> LedgerReceipt {
        let plain = try await log.checkpoint(containing: index)
        var note = plain.note
        var size = plain.size
        let deadline = ContinuousClock.now + cosignatureWait
        while hasWitnesses, !state.withLock({ $0.lastRoundFailed }) {
            if let cosigned = state.withLock({ $0.cosigned }), cosigned.size > index {
                note = cosigned.note
                size = cosigned.size
                break
            }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let tiles = try log.tiles(size: size)
        return LedgerReceipt(entry: try tiles.entry(index), index: index, proof: try tiles.inclusionProof(index: index, treeSize: size), checkpoint: note)
    }

    /// The witnesses' latest answers, for the status API.
    public var witnessStatus: [String: WitnessStatus] { state.withLock { $0.witnesses } }

    // MARK: - Submitting to witnesses

    /// Runs until cancelled: each new checkpoint goes to every witness; the cosignatures that
    /// verify are added to the published checkpoint.
    public func runWitnessing() async {
        var submitted: UInt64 = 0
        var authority: WitnessEndpoint?
        var retryAt: ContinuousClock.Instant?
        while !Task.isCancelled, !state.withLock({ $0.stopping }) {
            // Only the sequencer signs checkpoints, so only it asks witnesses to cosign them.
            guard log.isSequencer else {
                submitted = 0
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            if authority == nil { authority = await authorityWitness() }
            let witnesses = configuredWitnesses + (authority.map { [$0] } ?? [])
            let latest = log.latest
            // A new checkpoint, or a retry two seconds after a round no witness cosigned (say,
            // before the authority approved this member).
            let due = latest.size > submitted || retryAt.map { ContinuousClock.now >= $0 } == true
            if !witnesses.isEmpty, latest.size > 0, due {
                var lines: [String] = []
                for witness in witnesses {
                    if let line = await submit(latest, to: witness) { lines.append(line) }
                }
                state.withLock { $0.lastRoundFailed = lines.isEmpty }
                retryAt = lines.isEmpty ? ContinuousClock.now + .seconds(2) : nil
                if !lines.isEmpty {
                    let note = latest.note + lines.joined()
                    state.withLock { $0.cosigned = (latest.size, note) }
                    cosignWaiters.resume { $0 <= latest.size }
                    do {
                        try note.write(to: Self.cosignedURL(log), atomically: true, encoding: .utf8)
                    } catch {
                        logger.warning("cannot keep the cosigned checkpoint", metadata: ["error": "\(error)"])
                    }
                }
                submitted = latest.size
            }
            // No witness known yet (this member not approved, the authority's document not
            // reachable): look again in two seconds, or at the next checkpoint.
            if witnesses.isEmpty, latest.size > 0 { retryAt = ContinuousClock.now + .seconds(2) }
            await nextWitnessRound(after: latest.size, retryAt: retryAt)
        }
    }

    /// Waits for a reason to look again: a checkpoint larger than `seen` (or the end of this
    /// process's writer role), the retry time of a round no witness cosigned, or shutdown.
    private func nextWitnessRound(after seen: UInt64, retryAt: ContinuousClock.Instant?) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.log.published(beyond: seen) }
            if let retryAt { group.addTask { try? await Task.sleep(until: retryAt) } }
            group.addTask { await self.stopWaiters.wait(for: ()) { _ in self.state.withLock { $0.stopping } } }
            await group.next()
            group.cancelAll()
        }
    }

    /// One add-checkpoint exchange (with one retry after a 409 tells us the witness's size).
    func submit(_ checkpoint: PublishedCheckpoint, to witness: WitnessEndpoint) async -> String? {
        var old = state.withLock { $0.witnesses[witness.url]?.cosignedSize } ?? 0
        for _ in 0..<2 {
            do {
                let proof = old == 0 || old == checkpoint.size ? [] : try log.tiles(size: checkpoint.size).consistencyProof(oldSize: old, newSize: checkpoint.size)
                let request = Witness.Request(oldSize: old, proof: proof, note: checkpoint.note)
                let reply = try await peers.send(
                    .POST, witness.url + "/add-checkpoint", headers: [("Content-Type", "text/plain; charset=utf-8")], body: Data(request.body.utf8), limit: 1 << 16)
                let body = String(decoding: reply.body, as: UTF8.self)
                switch reply.status {
                case 200:
                    let combined = try SignedNote(parsing: checkpoint.note + body)
                    guard try !combined.cosignatures([witness.verifier]).isEmpty else {
                        note(witness, size: nil, problem: "answered without a cosignature by \(witness.verifier.name)")
                        return nil
                    }
                    note(witness, size: checkpoint.size, problem: nil)
                    return body.split(separator: "\n").filter { $0.contains(" \(witness.verifier.name) ") }.map { $0 + "\n" }.joined()
                case 409:
                    guard let theirs = UInt64(body.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                        note(witness, size: nil, problem: "409 without a size: \(body.prefix(200))")
                        return nil
                    }
                    if theirs > checkpoint.size {
                        note(witness, size: theirs, problem: "the witness cosigned size \(theirs), beyond this log's \(checkpoint.size): history was lost or forked")
                        logger.critical("a witness has seen more of this log than it holds", metadata: ["witness": "\(witness.url)", "size": "\(theirs)"])
                        return nil
                    }
                    if old == theirs {
                        note(witness, size: theirs, problem: "the witness refuses: \(body.prefix(200))")
                        logger.critical("a witness reports a fork of this log", metadata: ["witness": "\(witness.url)"])
                        return nil
                    }
                    old = theirs
                default:
                    note(witness, size: nil, problem: "HTTP \(reply.status): \(body.prefix(200))")
                    if reply.status == 422 { logger.critical("a witness found this log inconsistent", metadata: ["witness": "\(witness.url)"]) }
                    return nil
                }
            } catch {
                note(witness, size: nil, problem: "\(error)")
                return nil
            }
        }
        return nil
    }

    func note(_ witness: WitnessEndpoint, size: UInt64?, problem: String?) {
        state.withLock { state in
            var status = state.witnesses[witness.url] ?? WitnessStatus(at: Date())
            if let size { status.cosignedSize = size }
            status.problem = problem
            status.at = Date()
            state.witnesses[witness.url] = status
        }
        if let problem { logger.warning("witness submission failed", metadata: ["witness": "\(witness.url)", "problem": "\(problem)"]) }
    }

    // MARK: - Acting as a witness

    /// The C2SP tlog-witness add-checkpoint call: checks and cosigns, atomically with the
    /// record of what was last cosigned for that log.
    public func addCheckpoint(_ body: String) async throws(WitnessError) -> String {
        guard isWitness else { throw .unknownLog("this node is not a witness") }
        let request = try Witness.Request(parsing: body)
        guard let originLine = request.note.split(separator: "\n", maxSplits: 1).first.map(String.init), !originLine.isEmpty else {
            throw .badRequest("the checkpoint has no origin line")
        }
        let verifier = try await logVerifier(origin: originLine)
        let witness = Witness(cosigner: cosigner)
        do {
            return try await store.witness(origin: originLine) { last in try witness.check(request, log: verifier, last: last) }
        } catch let error as WitnessError {
            if case .conflict = error { logger.warning("refused a checkpoint that conflicts with what this witness cosigned", metadata: ["origin": "\(originLine)"]) }
            if case .unprocessable = error { logger.warning("refused an inconsistent checkpoint", metadata: ["origin": "\(originLine)"]) }
            throw error
        } catch {
            logger.error("witness storage failed", metadata: ["error": "\(error)"])
            throw .badRequest("the witness could not record the checkpoint")
        }
    }

    /// The key a log must have signed with: configured, or the one a registered member publishes.
    func logVerifier(origin: String) async throws(WitnessError) -> NoteVerifier {
        if let configured = trustedLogs.first(where: { $0.name == origin }) { return configured }
        guard let did = LedgerNames.did(forLogOrigin: origin), did != node else { throw .unknownLog("this witness does not know the log \(origin)") }
        let member: Bool
        do { member = try await store.latestApplication(did: did)?.status == .approved } catch { member = false }
        guard member else { throw .unknownLog("\(did.value) is not a registered member, so its log \(origin) is unknown") }
        do {
            let document = try await resolver.resolve(did)
            guard let text = document.verifierKey(ofServiceType: DIDDocument.logServiceType) else {
                throw WitnessError.unknownLog("\(did.value) publishes no log key")
            }
            let verifier = try NoteVerifier(text)
            guard verifier.name == origin else { throw WitnessError.unknownLog("\(did.value) publishes a log key named \(verifier.name), not \(origin)") }
            return verifier
        } catch let error as WitnessError {
            throw error
        } catch {
            throw .unknownLog("cannot learn the key of \(origin): \(error)")
        }
    }
}

/// Runs with the node: submits checkpoints to witnesses until shutdown, then closes the log
/// (integrating every acknowledged entry first).
extension LedgerService: Service {
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.runWitnessing() }
                group.addTask { await self.runEvidenceRetries() }
                if let sequencer = self.sequencer { group.addTask { await self.runSequencing(sequencer) } }
                await group.next()
                // One child ended (shutdown): end the others.
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.cosignWaiters.resume { _ in true }
            self.stopWaiters.resume { _ in true }
        }
        await log.shutdown()
    }

    /// Returns once witnesses have cosigned a checkpoint of at least `size` entries, or the
    /// service stops, or the caller is cancelled: for a caller that acts on the cosigned
    /// checkpoint without polling for it.
    public func cosigned(atLeast size: UInt64) async {
        await cosignWaiters.wait(for: size) { size in state.withLock { $0.stopping || ($0.cosigned?.size ?? 0) >= size } }
    }

    /// Over a shared database: stands for the sequencer role until shutdown — takes it when no
    /// replica holds it (at start, or within a quarter of a second after the holder died) and
    /// gives it up when its session breaks or another replica fenced it.
    func runSequencing(_ sequencer: any LogSequencerStore) async {
        while !Task.isCancelled, !state.withLock({ $0.stopping }) {
            do {
                _ = try await sequencer.whileSequencer(holder: replica) { epoch in
                    do {
                        try await self.serveAsSequencer(epoch: epoch)
                    } catch {
                        await self.stepDown()
                        throw error
                    }
                    await self.stepDown()
                }
            } catch {
                if !state.withLock({ $0.stopping }) {
                    logger.warning("the evidence log's sequencer role ended", metadata: ["error": "\(error)"])
                }
            }
            await stepDown()
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    func serveAsSequencer(epoch: Int64) async throws {
        // The directory's lock is free once the previous sequencer's process has ended.
        try log.openWriter()
        state.withLock {
            $0.epoch = epoch
            $0.fenced = nil
        }
        // What the previous sequencer appended but did not index, then what is queued.
        try await appending.run { try await self.reconcileIndex() }
        state.withLock { $0.caughtUp = true }
        await flush()
        while !state.withLock({ $0.stopping }) {
            if let fenced = state.withLock({ $0.fenced }) { throw fenced }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stepDown() async {
        state.withLock {
            $0.epoch = nil
            $0.caughtUp = false
        }
        await log.closeWriter()
    }

    /// Retries queued evidence that a failure left pending (a full disk, a broken log), every
    /// two seconds while there is any. Over a shared database the sequencer also looks for
    /// evidence other replicas queued (cheaper than a NOTIFY per event, which would serialize
    /// every replica's commits): every 10 ms while it finds some, backing off to 160 ms while
    /// it finds none, so an idle replica does not query the database a hundred times a second.
    /// (Its own events it appends at once, after their commit; the others' are acknowledged
    /// durably when queued and only wait longer to be logged.)
    func runEvidenceRetries() async {
        var waited = 0
        var interval = 10
        while !Task.isCancelled, !state.withLock({ $0.stopping }) {
            try? await Task.sleep(for: .milliseconds(interval))
            waited += interval
            if sequencer != nil, log.isSequencer {
                interval = await appendQueuedEvidence() > 0 ? 10 : min(interval * 2, 160)
            } else if waited >= 2_000 {
                waited = 0
                if (try? await store.pendingEvidenceCount()) ?? 0 > 0 { await flush() }
            }
        }
    }
}

extension LedgerService: EvidenceSink {}
