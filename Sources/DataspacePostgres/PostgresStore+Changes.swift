import DataspaceCore
import Foundation
import PostgresNIO

/// Changes are announced with NOTIFY in the transaction that makes them (PostgreSQL delivers
/// them at commit, and only then), and every replica LISTENs on one connection of its pool.
extension PostgresStore: StoreChangeFeed {
    static let changeChannel = "dataspace_change"

    /// The NOTIFY payload for `change`. Each names the store instance that committed it, so its
    /// own process (which already acted on the change) skips it. NOTIFY payloads are limited to
    /// 8000 bytes; ids and identifiers are far shorter, and a longer one (never ours) is sent as
    /// a payload listeners ignore.
    func notification(_ change: StoreChange) -> String {
        let body =
            switch change {
            case .process(let id): "p:" + id
            case .product(let identifier): "c:" + identifier
            }
        let payload = instance + " " + body
        return payload.utf8.count < 7_900 ? payload : instance + " -"
    }

    /// Announces a change inside the caller's transaction. (Process writes announce within
    /// their own UPDATE or INSERT, saving the round trip.)
    func announce(_ change: StoreChange, on db: PostgresConnection) async throws {
        try await db.run("SELECT pg_notify(\(Self.changeChannel), \(notification(change)))", logger: logger)
    }

    public func followChanges(onGap: @escaping @Sendable () async -> Void, onChange: @escaping @Sendable (StoreChange) async -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.changeChannel) { notifications in
                        // Listening now: whatever happened before is read by the gap handler.
                        failures = 0
                        await onGap()
                        for try await notification in notifications {
                            guard let space = notification.payload.firstIndex(of: " "),
                                notification.payload[..<space] != instance
                            else { continue }
                            let payload = String(notification.payload[notification.payload.index(after: space)...])
                            if payload.hasPrefix("p:") {
                                await onChange(.process(String(payload.dropFirst(2))))
                            } else if payload.hasPrefix("c:") {
                                await onChange(.product(String(payload.dropFirst(2))))
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("change feed interrupted; reconnecting", metadata: ["reason": "\(Self.reason(error))", "attempt": "\(failures)"])
            }
            // Back off 0.1 s, 0.2 s … up to 5 s between reconnections.
            try? await Task.sleep(for: .milliseconds(min(5_000, 100 << min(failures, 6))))
        }
    }
}
