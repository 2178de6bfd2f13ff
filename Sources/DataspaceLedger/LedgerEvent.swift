import DataspaceCore
import Foundation

/// One entry of a node's evidence log: what happened, when, and the identifiers involved —
/// never personal data. The entry's bytes are RFC 8785 canonical JSON, so anyone holding the
/// same facts produces the same leaf hash.
public struct LedgerEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case participantRegistered = "participant.registered"
        case participantRejected = "participant.rejected"
        case credentialIssued = "credential.issued"
        case credentialRevoked = "credential.revoked"
        case productPublished = "product.published"
        case productVersioned = "product.versioned"
        case productWithdrawn = "product.withdrawn"
        case productGraded = "product.graded"
        case negotiationAgreed = "negotiation.agreed"
        case negotiationTerminated = "negotiation.terminated"
        case transferDelivered = "transfer.delivered"
        /// A differentially private query charged to an agreement's budget: the query's hash,
        /// its cost and what was left before it — never the query's answer or any row.
        case computeQueryCharged = "compute.query.charged"
        /// A charged query that failed before its answer was released, given back.
        case computeQueryRefunded = "compute.query.refunded"
        /// A private set intersection run admitted under an agreement: both set sizes, the
        /// column matched and what the run releases — never an identifier.
        case computePSIRun = "compute.psi.run"
        /// A provider's contribution to a secure-aggregation round: the round, the column and
        /// groups asked, the aggregators its shares went to — never a number of its data.
        case computeAggregateContribution = "compute.aggregate.contribution"
        /// An aggregator opened a round for a consumer (how many providers, the vector's length).
        case aggregationRoundOpened = "aggregation.round.opened"
        /// An aggregator took one provider's share of a round (who, not what).
        case aggregationShareReceived = "aggregation.share.received"
        /// An aggregator released a round's sum of shares to its consumer, once.
        case aggregationRoundReleased = "aggregation.round.released"
        /// A round ended without release; its shares were deleted.
        case aggregationRoundAborted = "aggregation.round.aborted"
    }

    public let kind: Kind
    /// Seconds since 1970, whole (the entry says when the node recorded the event).
    public let time: Int64
    /// The node that recorded it.
    public let node: String
    /// Event-specific identifiers, counts and hashes.
    public let fields: [String: JSONValue]

    public init(kind: Kind, time: Date = Date(), node: String, fields: [String: JSONValue]) {
        self.kind = kind
        self.time = Int64(time.timeIntervalSince1970.rounded(.down))
        self.node = node
        self.fields = fields
    }

    public var json: JSONValue {
        var object = fields
        object["type"] = .string(kind.rawValue)
        object["time"] = .number(Double(time))
        object["node"] = .string(node)
        return .object(object)
    }

    /// The log entry: canonical JSON.
    public var entry: [UInt8] { json.canonicalBytes }

    /// Reads an entry back; the bytes must be exactly the canonical form.
    public init(entry: [UInt8]) throws(LedgerEventError) {
        let value: JSONValue
        do { value = try JSONValue.parse(entry) } catch { throw LedgerEventError("entry is not JSON: \(error.message)") }
        guard var object = value.objectValue else { throw LedgerEventError("entry is not a JSON object") }
        guard let type = object.removeValue(forKey: "type")?.stringValue, let kind = Kind(rawValue: type) else {
            throw LedgerEventError("entry has no known type")
        }
        guard let time = object.removeValue(forKey: "time")?.doubleValue, time.rounded() == time else { throw LedgerEventError("entry has no whole-second time") }
        guard let node = object.removeValue(forKey: "node")?.stringValue else { throw LedgerEventError("entry names no node") }
        self.kind = kind
        self.time = Int64(time)
        self.node = node
        fields = object
        guard self.entry == entry else { throw LedgerEventError("entry is not in RFC 8785 canonical form") }
    }
}

public struct LedgerEventError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
