/// Something another process sharing the store changed: a negotiation or transfer (by id), or a
/// product (by identifier). (Queued evidence is not announced: the sequencer polls for it.)
public enum StoreChange: Sendable, Hashable {
    case process(String)
    case product(String)
}

/// A store shared by several processes (replicas) tells each what the others committed, so
/// long-polls wake and search indexes follow wherever the change was made.
public protocol StoreChangeFeed: Sendable {
    /// Calls `onChange` for every change committed by any process and `onGap` whenever changes
    /// may have been missed (the first connection, and each reconnection after a failure), until
    /// the calling task is cancelled.
    func followChanges(onGap: @escaping @Sendable () async -> Void, onChange: @escaping @Sendable (StoreChange) async -> Void) async
}
