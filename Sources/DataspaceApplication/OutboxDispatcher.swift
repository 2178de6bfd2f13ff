import DataspaceContracts
import DataspaceCore
import Synchronization

/// Which stored process has a message to deliver.
enum OutboxKey: Hashable, Sendable {
    case negotiation(String)
    case transfer(String)

    var kind: ProcessKind {
        switch self {
        case .negotiation: .negotiation
        case .transfer: .transfer
        }
    }

    var id: String {
        switch self {
        case .negotiation(let id), .transfer(let id): id
        }
    }
}

/// Ensures one delivery loop per process at a time; a kick during a running loop makes it run
/// once more, so a message queued meanwhile is never left behind.
actor OutboxDispatcher {
    private var running: Set<OutboxKey> = []
    private var again: Set<OutboxKey> = []

    /// True when the caller should start a delivery loop.
    func begin(_ key: OutboxKey) -> Bool {
        if running.contains(key) {
            again.insert(key)
            return false
        }
        running.insert(key)
        return true
    }

    /// True when the loop must run again.
    func end(_ key: OutboxKey) -> Bool {
        if again.remove(key) != nil { return true }
        running.remove(key)
        return false
    }
}

/// The outbox's work queue: state changes submit the process whose message is waiting, and one
/// supervised loop (`ContractService.runOutbox`, run by the node's service group) delivers them
/// — no detached tasks; a graceful shutdown stops the loop, and whatever was not acknowledged
/// stays queued in the store for the next start.
///
/// It also counts what was submitted and is not yet handled, so a caller can wait for the
/// outbox to be idle (`idle()`): a test that drives several nodes waits for their messages to
/// land instead of polling a clock.
final class OutboxQueue: Sendable {
    let stream: AsyncStream<OutboxKey>
    let continuation: AsyncStream<OutboxKey>.Continuation
    private let activity = Mutex(Activity())

    struct Activity {
        /// Submitted and not yet handled.
        var inFlight = 0
        /// Every submission so far.
        var submitted: UInt64 = 0
        /// Set once the queue is finished: nothing more will be handled.
        var finished = false
    }
    /// Callers of `idle()`.
    private let idleWaiters = ConditionWaiters<Void>()

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: OutboxKey.self, bufferingPolicy: .unbounded)
    }

    func submit(_ key: OutboxKey) {
        let accepted = activity.withLock { a -> Bool in
            guard !a.finished else { return false }
            a.inFlight += 1
            a.submitted &+= 1
            return true
        }
        if accepted { continuation.yield(key) }
    }

    func finish() {
        continuation.finish()
        update { $0.finished = true }
    }

    /// How many submissions there have been: unchanged across an `idle()` wait means nothing
    /// new arrived meanwhile.
    var submissions: UInt64 { activity.withLock { $0.submitted } }

    /// Returns once every submitted key has been handled (delivered, refused, or given up after
    /// its retries), or the queue is finished, or the caller is cancelled.
    func idle() async {
        await idleWaiters.wait(for: ()) { _ in activity.withLock { $0.inFlight == 0 || $0.finished } }
    }

    /// Runs `handle` for each submitted key, concurrently, until `finish`; then cancels what runs.
    func run(_ handle: @escaping @Sendable (OutboxKey) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await key in stream {
                group.addTask {
                    await handle(key)
                    self.handled()
                }
            }
            group.cancelAll()
        }
    }

    private func handled() { update { $0.inFlight -= 1 } }

    /// Applies `change`; if the queue is then idle or finished, resumes everyone waiting.
    private func update(_ change: (inout Activity) -> Void) {
        let idle = activity.withLock { a in
            change(&a)
            return a.inFlight == 0 || a.finished
        }
        if idle { idleWaiters.resume { _ in true } }
    }
}
