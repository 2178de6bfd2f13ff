import DataspaceLedger
import Foundation
import PostgresNIO

/// The log sequencer's election: a session-level advisory lock on one pooled connection held for
/// as long as the role (PostgreSQL releases it the moment that session ends — a `kill -9` of the
/// holder closes its socket), and an epoch raised by each new holder, which fences index writes
/// of any holder that lost its session but still runs (`indexLedgerEntries(_:epoch:)`).
extension PostgresStore: LogSequencerStore {
    static let sequencerLock: Int64 = 0x4453_0002

    public func whileSequencer<T: Sendable>(holder: String, _ body: @escaping @Sendable (Int64) async throws -> T) async throws -> T? {
        try await client.withConnection { connection in
            let locked = try await connection.rows("SELECT pg_try_advisory_lock(\(Self.sequencerLock))", logger: logger).first?.decode(Bool.self) ?? false
            guard locked else { return nil }
            let epoch: Int64
            do {
                epoch = try await connection.rows(
                    """
                    UPDATE ledger_sequencer SET epoch = epoch + 1, holder = \(holder), since = \(Date().timeIntervalSince1970)
                    WHERE singleton = 1 RETURNING epoch
                    """, logger: logger
                ).first?.decode(Int64.self) ?? 0
            } catch {
                _ = try? await connection.rows("SELECT pg_advisory_unlock(\(Self.sequencerLock))", logger: logger)
                throw error
            }
            logger.notice("this replica is the evidence log's sequencer", metadata: ["epoch": "\(epoch)", "holder": "\(holder)"])
            // The lock belongs to this pooled connection's session: it is released on every way
            // out, or the connection would go back to the pool still holding the role.
            let outcome: Result<T?, any Error>
            do {
                outcome = .success(
                    try await withThrowingTaskGroup(of: T?.self) { group in
                        group.addTask { try await body(epoch) }
                        // The session ends: the lock is gone, so the role is too (looked at every 200 ms).
                        group.addTask {
                            while !connection.isClosed { try await Task.sleep(for: .milliseconds(200)) }
                            throw PostgresStoreError.unavailable(self.location, "the sequencer's session ended")
                        }
                        defer { group.cancelAll() }
                        return try await group.next() ?? nil
                    })
            } catch {
                outcome = .failure(error)
            }
            _ = try? await connection.rows("SELECT pg_advisory_unlock(\(Self.sequencerLock))", logger: logger)
            return try outcome.get()
        }
    }
}
