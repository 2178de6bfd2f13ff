/// Which stored process has a message to deliver.
enum OutboxKey: Hashable, Sendable {
    case negotiation(String)
    case transfer(String)
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
