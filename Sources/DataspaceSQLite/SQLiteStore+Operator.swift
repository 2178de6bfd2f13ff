import Foundation
import DataspaceIdentity
import GRDB

/// Operator sessions that were logged out before they expired. Sessions themselves are
/// stateless cookies; only their ends are stored, until the session would have expired anyway.
extension SQLiteStore: OperatorSessionStore {
    public func endOperatorSession(id: String, expiresAt: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM operator_session_end WHERE expires_at < ?", arguments: [Date().timeIntervalSince1970])
            try db.execute(
                sql: "INSERT OR IGNORE INTO operator_session_end (id, expires_at) VALUES (?, ?)",
                arguments: [id, expiresAt.timeIntervalSince1970])
        }
    }

    public func operatorSessionEnded(id: String) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM operator_session_end WHERE id = ?)", arguments: [id]) ?? false
        }
    }
}
