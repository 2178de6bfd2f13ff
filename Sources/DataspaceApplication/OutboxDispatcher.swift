import DataspaceContracts

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
final class OutboxQueue: Sendable {
    let stream: AsyncStream<OutboxKey>
    let continuation: AsyncStream<OutboxKey>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: OutboxKey.self, bufferingPolicy: .unbounded)
    }

    func submit(_ key: OutboxKey) { continuation.yield(key) }

    func finish() { continuation.finish() }

    /// Runs `handle` for each submitted key, concurrently, until `finish`; then cancels what runs.
    func run(_ handle: @escaping @Sendable (OutboxKey) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await key in stream { group.addTask { await handle(key) } }
            group.cancelAll()
        }
    }
}
