import DataspaceContracts
import DataspaceCore
import Foundation
import PostgresNIO

extension PostgresStore: ContractStore {
    static func decodeNegotiation(_ text: String) throws -> ContractNegotiation { try ContractNegotiation(json: try JSONValue.parse(text)) }
    static func decodeTransfer(_ text: String) throws -> TransferProcess { try TransferProcess(json: try JSONValue.parse(text)) }
    static func decodeAgreement(_ text: String) throws -> ContractAgreement { try ContractAgreement(json: try JSONValue.parse(text)) }
    static func decodeUsage(_ text: String) throws -> UsageRecord { try UsageRecord(json: try JSONValue.parse(text)) }

    /// A namespace for the per-agreement advisory locks that make delivery admission exact
    /// across replicas (the second key is the agreement id's hash).
    static let agreementLockSpace: Int32 = 0x4453

    /// Two requests racing to create the same process (a retried message arriving twice at once,
    /// on two replicas) meet at the unique key: the loser gets `ContractConflict`, and its
    /// handler re-runs and finds the winner's record.
    static func insertingOnce<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch where isUniqueViolation(error) {
            throw ContractConflict("\(what) was created meanwhile")
        }
    }

    // MARK: negotiations

    /// Inserts `n`, or replaces the stored negotiation if its revision is still `n.revision`
    /// (compare-and-swap); the stored copy carries the next revision, which is returned. The
    /// outcome's evidence is queued in the same transaction.
    @discardableResult
    func write(_ n: ContractNegotiation, on db: PostgresConnection, insert: Bool) async throws -> ContractNegotiation {
        var n = n
        let expected = Int64(n.revision)
        if !insert { n.revision += 1 }
        if n.state == .finalized || n.state == .terminated {
            let old: NegotiationState? =
                insert
                ? nil
                : try await db.rows("SELECT state FROM negotiation WHERE id = \(n.id)", logger: logger).first
                    .flatMap { NegotiationState(rawValue: try $0.decode(String.self)) }
            if old != n.state {
                var agreement: ContractAgreement?
                if let id = n.agreementID, let row = try await db.rows("SELECT body FROM agreement WHERE id = \(id)", logger: logger).first {
                    agreement = try Self.decodeAgreement(try row.decode(String.self))
                }
                try await queue(ContractEvidence.negotiationEvents(from: old, to: n, agreement: agreement), on: db)
            }
        }
        let body = n.json.encodedString()
        let pending = !n.queue.isEmpty
        let updated = n.updatedAt.timeIntervalSince1970
        let revision = Int64(n.revision)
        // The change is announced by the write itself (pg_notify in RETURNING), delivered at commit.
        let notice = notification(.process(n.id))
        if insert {
            try await Self.insertingOnce("negotiation \(n.id)") {
                try await db.run(
                    """
                    INSERT INTO negotiation (id, role, counterparty, consumer_pid, state, pending, updated_at, body, revision)
                    VALUES (\(n.id), \(n.role.rawValue), \(n.counterparty), \(n.consumerPid), \(n.state.rawValue), \(pending), \(updated), \(body), \(revision))
                    RETURNING pg_notify(\(Self.changeChannel), \(notice))
                    """, logger: logger)
            }
        } else {
            let changed = try await Self.insertingOnce("negotiation \(n.id)") {
                try await db.rows(
                    """
                    UPDATE negotiation SET role = \(n.role.rawValue), counterparty = \(n.counterparty), consumer_pid = \(n.consumerPid),
                        state = \(n.state.rawValue), pending = \(pending), updated_at = \(updated), body = \(body), revision = \(revision)
                    WHERE id = \(n.id) AND revision = \(expected) RETURNING pg_notify(\(Self.changeChannel), \(notice))
                    """, logger: logger
                ).count
            }
            guard changed == 1 else { throw ContractConflict("negotiation \(n.id) changed meanwhile (revision \(expected) is stale)") }
        }
        return n
    }

    func readNegotiation(_ db: PostgresConnection, id: String, lock: Bool) async throws -> ContractNegotiation? {
        let query: PostgresQuery =
            lock ? "SELECT body FROM negotiation WHERE id = \(id) FOR UPDATE" : "SELECT body FROM negotiation WHERE id = \(id)"
        return try await db.rows(query, logger: logger).first.map { try Self.decodeNegotiation(try $0.decode(String.self)) }
    }

    /// Writes an agreement for `negotiationID`; an id that belongs to another negotiation (a peer
    /// reusing it) is never replaced — that is a `ContractConflict`.
    func write(_ agreement: ContractAgreement, negotiationID: String, on db: PostgresConnection) async throws {
        let written = try await db.rows(
            """
            INSERT INTO agreement (id, negotiation_id, agreed_at, body)
            VALUES (\(agreement.id), \(negotiationID), \(agreement.agreedAt.timeIntervalSince1970), \(agreement.json.encodedString()))
            ON CONFLICT (id) DO UPDATE SET agreed_at = excluded.agreed_at, body = excluded.body
            WHERE agreement.negotiation_id = excluded.negotiation_id
            RETURNING 1
            """, logger: logger
        ).count
        guard written == 1 else { throw ContractConflict("agreement id \(agreement.id) already belongs to another negotiation") }
    }

    public func insertNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws {
        try await transaction { db in
            if let agreement { try await write(agreement, negotiationID: negotiation.id, on: db) }
            try await write(negotiation, on: db, insert: true)
        }
    }

    public func negotiation(id: String) async throws -> ContractNegotiation? {
        try await rows("SELECT body FROM negotiation WHERE id = \(id)").first.map { try Self.decodeNegotiation(try $0.decode(String.self)) }
    }

    public func providerNegotiation(consumer: String, consumerPid: String) async throws -> ContractNegotiation? {
        try await rows("SELECT body FROM negotiation WHERE role = 'provider' AND counterparty = \(consumer) AND consumer_pid = \(consumerPid)")
            .first.map { try Self.decodeNegotiation(try $0.decode(String.self)) }
    }

    public func updateNegotiation(id: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void) async throws -> ContractNegotiation {
        try await transaction { db in
            guard var n = try await readNegotiation(db, id: id, lock: true) else { throw ContractNotFound("negotiation", id) }
            try change(&n)
            return try await write(n, on: db, insert: false)
        }
    }

    public func replaceNegotiation(_ negotiation: ContractNegotiation, agreement: ContractAgreement?) async throws -> ContractNegotiation {
        try await transaction { db in
            if let agreement { try await write(agreement, negotiationID: negotiation.id, on: db) }
            return try await write(negotiation, on: db, insert: false)
        }
    }

    public func negotiations(limit: Int) async throws -> [ContractNegotiation] {
        try await rows("SELECT body FROM negotiation ORDER BY updated_at DESC LIMIT \(limit)").map { try Self.decodeNegotiation(try $0.decode(String.self)) }
    }

    // MARK: agreements

    public func saveAgreement(
        _ agreement: ContractAgreement, negotiationID: String, _ change: @Sendable (inout ContractNegotiation) throws -> Void
    ) async throws -> ContractNegotiation {
        try await transaction { db in
            guard var n = try await readNegotiation(db, id: negotiationID, lock: true) else { throw ContractNotFound("negotiation", negotiationID) }
            try change(&n)
            try await write(agreement, negotiationID: negotiationID, on: db)
            return try await write(n, on: db, insert: false)
        }
    }

    public func agreement(id: String) async throws -> ContractAgreement? {
        try await rows("SELECT body FROM agreement WHERE id = \(id)").first.map { try Self.decodeAgreement(try $0.decode(String.self)) }
    }

    public func agreements(limit: Int) async throws -> [ContractAgreement] {
        try await rows("SELECT body FROM agreement ORDER BY agreed_at DESC LIMIT \(limit)").map { try Self.decodeAgreement(try $0.decode(String.self)) }
    }

    public func deliveredAgreements(dataset: String?, limit: Int) async throws -> [ContractAgreement] {
        // Deliveries are kept on the provider side only; a request that began counts even if
        // its process died before recording bytes.
        try await rows(
            """
            SELECT a.body FROM agreement a
            WHERE EXISTS (SELECT 1 FROM transfer_delivery d WHERE d.agreement_id = a.id AND d.requests > 0)
              AND (\(dataset)::text IS NULL OR a.body::jsonb ->> 'dataset' = \(dataset))
            ORDER BY a.agreed_at DESC LIMIT \(limit)
            """
        ).map { try Self.decodeAgreement(try $0.decode(String.self)) }
    }

    // MARK: transfers

    /// Inserts `t`, or replaces the stored transfer if its revision is still `t.revision`;
    /// a provider transfer that ends releases its reserved delivery in the same transaction.
    @discardableResult
    func write(_ t: TransferProcess, on db: PostgresConnection, insert: Bool) async throws -> TransferProcess {
        var t = t
        let expected = Int64(t.revision)
        if !insert { t.revision += 1 }
        let body = t.json.encodedString()
        let pending = !t.queue.isEmpty
        let updated = t.updatedAt.timeIntervalSince1970
        let revision = Int64(t.revision)
        let sequence = t.sequence.map(Int64.init)
        // The change is announced by the write itself (pg_notify in RETURNING), delivered at commit.
        let notice = notification(.process(t.id))
        if insert {
            try await Self.insertingOnce("transfer \(t.id)") {
                try await db.run(
                    """
                    INSERT INTO transfer (id, role, agreement_id, sequence, state, pending, updated_at, body, revision)
                    VALUES (\(t.id), \(t.role.rawValue), \(t.agreementID), \(sequence), \(t.state.rawValue), \(pending), \(updated), \(body), \(revision))
                    RETURNING pg_notify(\(Self.changeChannel), \(notice))
                    """, logger: logger)
            }
        } else {
            let changed = try await db.rows(
                """
                UPDATE transfer SET role = \(t.role.rawValue), agreement_id = \(t.agreementID), sequence = \(sequence), state = \(t.state.rawValue),
                    pending = \(pending), updated_at = \(updated), body = \(body), revision = \(revision)
                WHERE id = \(t.id) AND revision = \(expected) RETURNING pg_notify(\(Self.changeChannel), \(notice))
                """, logger: logger
            ).count
            guard changed == 1 else { throw ContractConflict("transfer \(t.id) changed meanwhile (revision \(expected) is stale)") }
        }
        if t.role == .provider && t.state == .terminated {
            try await db.run(
                "UPDATE transfer_delivery SET state = 'released', updated_at = \(updated) WHERE transfer_id = \(t.id) AND state = 'reserved'",
                logger: logger)
        }
        return t
    }

    func readTransfer(_ db: PostgresConnection, id: String) async throws -> TransferProcess? {
        try await db.rows("SELECT body FROM transfer WHERE id = \(id) FOR UPDATE", logger: logger).first
            .map { try Self.decodeTransfer(try $0.decode(String.self)) }
    }

    public func insertTransfer(_ transfer: TransferProcess) async throws {
        try await transaction { db in _ = try await write(transfer, on: db, insert: true) }
    }

    public func transfer(id: String) async throws -> TransferProcess? {
        try await rows("SELECT body FROM transfer WHERE id = \(id)").first.map { try Self.decodeTransfer(try $0.decode(String.self)) }
    }

    public func updateTransfer(id: String, _ change: @Sendable (inout TransferProcess) throws -> Void) async throws -> TransferProcess {
        try await transaction { db in
            guard var t = try await readTransfer(db, id: id) else { throw ContractNotFound("transfer process", id) }
            try change(&t)
            return try await write(t, on: db, insert: false)
        }
    }

    public func replaceTransfer(_ transfer: TransferProcess) async throws -> TransferProcess {
        try await transaction { db in try await write(transfer, on: db, insert: false) }
    }

    public func transfers(agreementID: String?, limit: Int) async throws -> [TransferProcess] {
        let query: PostgresQuery =
            if let agreementID {
                "SELECT body FROM transfer WHERE agreement_id = \(agreementID) ORDER BY updated_at DESC LIMIT \(limit)"
            } else {
                "SELECT body FROM transfer ORDER BY updated_at DESC LIMIT \(limit)"
            }
        return try await rows(query).map { try Self.decodeTransfer(try $0.decode(String.self)) }
    }

    /// Admission and numbering under the agreement's advisory lock, so replicas admitting
    /// transfers of one agreement at once see each other's reservations: the count is exact.
    public func insertNumberedTransfer(_ transfer: TransferProcess, admit: @Sendable (Int) throws -> Void) async throws -> TransferProcess {
        try await transaction { db in
            try await db.run("SELECT pg_advisory_xact_lock(\(Self.agreementLockSpace), hashtext(\(transfer.agreementID)))", logger: logger)
            let started = try await db.rows(
                "SELECT COUNT(*) FROM transfer WHERE agreement_id = \(transfer.agreementID) AND role = 'provider' AND sequence IS NOT NULL",
                logger: logger
            ).first.map { try $0.decode(Int64.self) } ?? 0
            let used = try await db.rows(
                "SELECT COUNT(*) FROM transfer_delivery WHERE agreement_id = \(transfer.agreementID) AND state != 'released'", logger: logger
            ).first.map { try $0.decode(Int64.self) } ?? 0
            try admit(Int(used) + 1)
            var numbered = transfer
            numbered.sequence = Int(started) + 1
            numbered = try await write(numbered, on: db, insert: true)
            let at = transfer.updatedAt.timeIntervalSince1970
            try await db.run(
                """
                INSERT INTO transfer_delivery (transfer_id, agreement_id, number, state, reserved_at, updated_at)
                VALUES (\(transfer.id), \(transfer.agreementID), \(Int64(used + 1)), 'reserved', \(at), \(at))
                """, logger: logger)
            return numbered
        }
    }

    public func pendingOutboxes() async throws -> (negotiations: [String], transfers: [String]) {
        let negotiations = try await rows("SELECT id FROM negotiation WHERE pending").map { try $0.decode(String.self) }
        let transfers = try await rows("SELECT id FROM transfer WHERE pending").map { try $0.decode(String.self) }
        return (negotiations, transfers)
    }

    /// Claims are leases: one statement each, committed on its own. (A transaction with
    /// `SET LOCAL synchronous_commit TO OFF` would skip the WAL flush, ~0.2 ms here, but costs
    /// three more round trips, which cost more.)
    public func claimOutbox(_ kind: ProcessKind, id: String, owner: String, now: Date, until: Date) async throws -> Bool {
        let at = now.timeIntervalSince1970, end = until.timeIntervalSince1970
        let query: PostgresQuery =
            kind == .negotiation
            ? """
            UPDATE negotiation SET claimed_by = \(owner), claimed_until = \(end)
            WHERE id = \(id) AND (claimed_by IS NULL OR claimed_by = \(owner) OR claimed_until < \(at)) RETURNING 1
            """
            : """
            UPDATE transfer SET claimed_by = \(owner), claimed_until = \(end)
            WHERE id = \(id) AND (claimed_by IS NULL OR claimed_by = \(owner) OR claimed_until < \(at)) RETURNING 1
            """
        return try await rows(query).count == 1
    }

    public func releaseOutbox(_ kind: ProcessKind, id: String, owner: String) async throws {
        let query: PostgresQuery =
            kind == .negotiation
            ? "UPDATE negotiation SET claimed_by = NULL, claimed_until = NULL WHERE id = \(id) AND claimed_by = \(owner)"
            : "UPDATE transfer SET claimed_by = NULL, claimed_until = NULL WHERE id = \(id) AND claimed_by = \(owner)"
        try await rows(query)
    }

    // MARK: usage

    public func usage(agreementID: String?) async throws -> [UsageRecord] {
        let query: PostgresQuery =
            if let agreementID { "SELECT body FROM usage WHERE agreement_id = \(agreementID) ORDER BY seq" } else { "SELECT body FROM usage ORDER BY seq" }
        return try await rows(query).map { try Self.decodeUsage(try $0.decode(String.self)) }
    }

    // MARK: deliveries

    public func beginDelivery(agreementID: String, transferID: String, at: Date, admit: @Sendable (_ uses: Int) throws -> Void) async throws -> DeliverySlot {
        try await transaction { db in
            guard
                let row = try await db.rows(
                    "SELECT number, state, bytes FROM transfer_delivery WHERE transfer_id = \(transferID) AND agreement_id = \(agreementID) FOR UPDATE",
                    logger: logger
                ).first
            else { throw DeliveryUnavailable(transferID: transferID) }
            let (number, stateText, sent) = try row.decode((Int32, String, Int64).self)
            guard let state = DeliveryState(rawValue: stateText), state != .released else { throw DeliveryUnavailable(transferID: transferID) }
            try admit(max(0, Int(number) - 1))
            try await db.run(
                """
                UPDATE transfer_delivery SET streaming = streaming + 1, requests = requests + 1, updated_at = \(at.timeIntervalSince1970)
                WHERE transfer_id = \(transferID)
                """, logger: logger)
            return DeliverySlot(agreementID: agreementID, transferID: transferID, number: Int(number), continued: state == .complete || sent > 0)
        }
    }

    @discardableResult
    public func endDelivery(
        _ slot: DeliverySlot, bytes: Int64, complete: Bool, at: Date, usage: UsageRecord? = nil, evidence: [EvidenceEvent] = []
    ) async throws -> Bool {
        try await transaction { db in
            let state = try await db.rows("SELECT state FROM transfer_delivery WHERE transfer_id = \(slot.transferID) FOR UPDATE", logger: logger)
                .first.map { try $0.decode(String.self) }
            let consumes = complete && state == DeliveryState.reserved.rawValue
            if let usage {
                try await db.run(
                    "INSERT INTO usage (agreement_id, at, body) VALUES (\(usage.agreementID), \(usage.at.timeIntervalSince1970), \(usage.json.encodedString()))",
                    logger: logger)
            }
            try await queue(
                evidence.map { e in
                    var e = e
                    e.fields["consumed"] = .bool(consumes)
                    return e
                }, on: db)
            let time = at.timeIntervalSince1970
            try await db.run(
                """
                UPDATE transfer_delivery SET streaming = GREATEST(streaming - 1, 0), bytes = bytes + \(bytes), updated_at = \(time),
                    state = CASE WHEN \(consumes) THEN 'complete' ELSE state END,
                    completed_at = CASE WHEN \(consumes) THEN \(time) ELSE completed_at END
                WHERE transfer_id = \(slot.transferID)
                """, logger: logger)
            return consumes
        }
    }

    public func deliveryCounts(agreementID: String) async throws -> DeliveryCounts {
        let row = try await rows(
            """
            SELECT COUNT(*) FILTER (WHERE state = 'reserved'), COUNT(*) FILTER (WHERE state = 'complete')
            FROM transfer_delivery WHERE agreement_id = \(agreementID)
            """
        ).first
        guard let row else { return DeliveryCounts(reserved: 0, complete: 0) }
        let (reserved, complete) = try row.decode((Int64, Int64).self)
        return DeliveryCounts(reserved: Int(reserved), complete: Int(complete))
    }

    static let deliveryColumns = "transfer_id, agreement_id, number, state, bytes, requests, reserved_at, completed_at, streaming, updated_at"

    static func deliveryRow(_ row: PostgresRow) throws -> (record: DeliveryRecord, streaming: Bool, updatedAt: Date) {
        let (transferID, agreementID, number, state, bytes, requests, reservedAt, completedAt, streaming, updatedAt) =
            try row.decode((String, String, Int32, String, Int64, Int32, Double, Double?, Int32, Double).self)
        let record = DeliveryRecord(
            transferID: transferID, agreementID: agreementID, number: Int(number), state: DeliveryState(rawValue: state) ?? .released, bytes: bytes,
            requests: Int(requests), reservedAt: Date(timeIntervalSince1970: reservedAt), completedAt: completedAt.map { Date(timeIntervalSince1970: $0) })
        return (record, streaming > 0, Date(timeIntervalSince1970: updatedAt))
    }

    public func deliveries(agreementID: String) async throws -> [DeliveryRecord] {
        try await rows(
            "SELECT \(unescaped: Self.deliveryColumns) FROM transfer_delivery WHERE agreement_id = \(agreementID) ORDER BY number, reserved_at"
        ).map { try Self.deliveryRow($0).record }
    }

    public func delivery(transferID: String) async throws -> (record: DeliveryRecord, streaming: Bool, updatedAt: Date)? {
        try await rows("SELECT \(unescaped: Self.deliveryColumns) FROM transfer_delivery WHERE transfer_id = \(transferID)").first.map(Self.deliveryRow)
    }

    public func releaseStreamingDeliveries() async throws {
        try await rows("UPDATE transfer_delivery SET streaming = 0 WHERE streaming > 0")
    }

    public func openTransfers(updatedBefore cutoff: Date, limit: Int) async throws -> [TransferProcess] {
        try await rows(
            """
            SELECT body FROM transfer WHERE state IN ('REQUESTED', 'STARTED', 'SUSPENDED') AND updated_at < \(cutoff.timeIntervalSince1970)
            ORDER BY updated_at LIMIT \(limit)
            """
        ).map { try Self.decodeTransfer(try $0.decode(String.self)) }
    }
}

extension PostgresStore: DeliveryReceiptStore {
    public func saveDeliveryReceipt(transferID: String, index: UInt64, receipt: String) async throws {
        guard let idx = Int64(exactly: index) else { throw ContractConflict("receipt index \(index) is out of range") }
        try await rows(
            """
            INSERT INTO delivery_receipt (transfer_id, idx, receipt, stored_at) VALUES (\(transferID), \(idx), \(receipt), \(Date().timeIntervalSince1970))
            ON CONFLICT (transfer_id, idx) DO UPDATE SET receipt = excluded.receipt, stored_at = excluded.stored_at
            """)
    }

    public func deliveryReceipts(transferID: String) async throws -> [(index: UInt64, receipt: String)] {
        try await rows("SELECT idx, receipt FROM delivery_receipt WHERE transfer_id = \(transferID) ORDER BY idx").map { row in
            let (idx, receipt) = try row.decode((Int64, String).self)
            return (UInt64(clamping: idx), receipt)
        }
    }
}
