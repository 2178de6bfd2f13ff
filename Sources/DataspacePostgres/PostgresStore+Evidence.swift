import DataspaceCore
import Foundation
import PostgresNIO

/// Evidence queued with the state change it records, in the change's transaction; the ledger
/// appends it to the log afterwards and removes the row (docs/ledger.md).
extension PostgresStore {
    /// An event queued with its state change, not yet in the log.
    public struct PendingEvidence: Sendable, Equatable {
        public let id: Int64
        public let event: EvidenceEvent
        public let queuedAt: Date
    }

    /// Queues events inside the caller's transaction.
    func queue(_ events: [EvidenceEvent], on db: PostgresConnection) async throws {
        let now = Date().timeIntervalSince1970
        for event in events {
            try await db.run(
                "INSERT INTO pending_evidence (kind, fields, queued_at) VALUES (\(event.kind), \(JSONValue.object(event.fields).encodedString()), \(now))",
                logger: logger)
        }
    }

    /// The oldest queued events, in the order they were queued.
    public func pendingEvidence(limit: Int) async throws -> [PendingEvidence] {
        try await rows("SELECT id, kind, fields, queued_at FROM pending_evidence ORDER BY id LIMIT \(limit)").map { row in
            let (id, kind, fields, queuedAt) = try row.decode((Int64, String, String, Double).self)
            let object = (try? JSONValue.parse(fields))?.objectValue ?? [:]
            return PendingEvidence(id: id, event: EvidenceEvent(kind: kind, fields: object), queuedAt: Date(timeIntervalSince1970: queuedAt))
        }
    }

    public func pendingEvidenceCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM pending_evidence").first?.decode(Int64.self) ?? 0)
    }
}
