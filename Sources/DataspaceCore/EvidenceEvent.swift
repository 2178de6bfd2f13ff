/// An event for the evidence log, queued by a store in the same transaction as the state change
/// it records (a pending-evidence row) and appended to the log after the commit, so a crash can
/// never keep the change and lose its evidence. `kind` is the log's event type
/// (`product.published`, `negotiation.agreed`, …).
public struct EvidenceEvent: Sendable, Hashable {
    public var kind: String
    public var fields: [String: JSONValue]

    public init(kind: String, fields: [String: JSONValue]) {
        self.kind = kind
        self.fields = fields
    }

    /// A product event: identifier, version, file digest and size, grade.
    public static func product(_ kind: String, _ record: DatasetRecord, extra: [String: JSONValue] = [:]) -> EvidenceEvent {
        var fields: [String: JSONValue] = [
            "product": .string(record.identifier.description), "version": .number(Double(record.version)),
            "sha256": .string(record.distribution.sha256), "bytes": .number(Double(record.distribution.byteSize)),
            "grade": .string(record.grade.description),
        ]
        fields.merge(extra) { _, new in new }
        return EvidenceEvent(kind: kind, fields: fields)
    }
}

/// Appends what stores have queued. Services call `flush()` right after a commit that queued
/// evidence, so the entry is in the log before they answer; anything a failure left pending is
/// appended at start-up and by the evidence log's own retries.
public protocol EvidenceSink: Sendable {
    func flush() async
}
