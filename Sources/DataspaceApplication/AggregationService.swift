import DataspaceContracts
import DataspaceCore
import DataspacePrivacy
import Foundation

/// The aggregator's side of secure aggregation (docs/privacy.md, "Secure aggregation"). A
/// consumer opens a round naming its providers; each provider hands in one share of its vector;
/// the consumer collects the sum of the shares once every provider's is in, or aborts. This node
/// sees only shares — uniformly random vectors — and releases nothing while a share is missing.
public final class AggregationService: Sendable {
    let store: any AggregationRoundStore
    let evidence: (any EvidenceSink)?
    /// This node's DID: a node never aggregates a round it provides to.
    let did: String
    let now: @Sendable () -> Date

    public init(store: any AggregationRoundStore, evidence: (any EvidenceSink)?, did: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.evidence = evidence
        self.did = did
        self.now = now
    }

    /// A round as opened by its consumer.
    public struct Opening: Sendable {
        public var round: String
        public var providers: [String]
        public var length: Int

        public init(round: String, providers: [String], length: Int) {
            self.round = round
            self.providers = providers
            self.length = length
        }

        /// Reads `{round, providers, length}`; the error names the field.
        public init(json: JSONValue) throws(ValidationError) {
            guard let round = json["round"]?.stringValue, AggregationQuery.isRoundID(round) else {
                throw ValidationError(code: "aggregate.round", field: "round", message: "round must be 8 to 64 letters, digits or '-'")
            }
            let range = AggregationQuery.providersRange
            guard let list = json["providers"]?.arrayValue, range.contains(list.count) else {
                throw ValidationError(code: "aggregate.providers", field: "providers", message: "providers lists \(range.lowerBound) to \(range.upperBound) provider DIDs")
            }
            var providers: [String] = []
            for (i, item) in list.enumerated() {
                guard let text = item.stringValue, let did = try? WebDID(text) else {
                    throw ValidationError(code: "aggregate.providers", field: "providers[\(i)]", message: "not a did:web identifier")
                }
                providers.append(did.value)
            }
            guard Set(providers).count == providers.count else {
                throw ValidationError(code: "aggregate.providers", field: "providers", message: "a provider is listed twice")
            }
            guard let length = json["length"]?.intValue, (2...AggregationQuery.length(groups: AggregationQuery.maximumGroups)).contains(length), length % 2 == 0 else {
                throw ValidationError(code: "aggregate.length", field: "length", message: "length is the vector's size: two numbers a group, at most \(AggregationQuery.maximumGroups) groups")
            }
            self.init(round: round, providers: providers, length: length)
        }

        public var json: JSONValue {
            ["round": .string(round), "providers": .array(providers.map { .string($0) }), "length": .number(Double(length))]
        }
    }

    /// Opens a round for `consumer`; opening the same round again answers the stored one.
    public func open(_ opening: Opening, consumer: String) async throws -> AggregationRound {
        let providers = opening.providers.sorted()
        if providers.contains(consumer) {
            throw ComputeRefusal(status: 422, code: "aggregate.providers", field: "providers", "the consumer cannot be one of the round's providers")
        }
        if providers.contains(did) {
            throw ComputeRefusal(status: 422, code: "aggregate.providers", field: "providers", "this node cannot aggregate a round it provides to")
        }
        let at = now()
        let event = EvidenceEvent(
            kind: "aggregation.round.opened",
            fields: ["round": .string(opening.round), "consumer": .string(consumer), "providers": .number(Double(providers.count)), "length": .number(Double(opening.length))])
        let round = try await store.openRound(
            AggregationRound(id: opening.round, consumer: consumer, providers: providers, length: opening.length, openedAt: at), evidence: [event])
        guard round.consumer == consumer, round.providers == providers, round.length == opening.length else {
            throw ComputeRefusal(status: 409, code: "aggregate.round_taken", field: "round", "round \(opening.round) already exists with other terms; choose a new round identifier")
        }
        await evidence?.flush()
        return round
    }

    /// Takes `provider`'s share of `roundID`.
    public func submit(roundID: String, provider: String, values json: JSONValue?) async throws {
        guard AggregationQuery.isRoundID(roundID), let round = try await store.aggregationRound(id: roundID), round.providers.contains(provider) else {
            throw ComputeRefusal(status: 404, code: "aggregate.round_unknown", field: "round", "no round \(roundID.prefix(64)) on this node expects a share from \(provider)")
        }
        let values: [UInt64]
        do { values = try ShareVector.parse(json, length: round.length) } catch {
            throw ComputeRefusal(status: 422, code: error.code, field: error.field, error.message)
        }
        let event = EvidenceEvent(
            kind: "aggregation.share.received", fields: ["round": .string(roundID), "provider": .string(provider), "consumer": .string(round.consumer)])
        switch try await store.addShare(round: roundID, provider: provider, values: values, at: now(), evidence: [event]) {
        case .accepted:
            await evidence?.flush()
        case .duplicate:
            throw ComputeRefusal(status: 409, code: "aggregate.duplicate_share", field: "round", "\(provider) already handed in its share of round \(roundID)")
        case .closed(let state):
            throw ComputeRefusal(status: 409, code: "aggregate.round_closed", field: "round", "round \(roundID) is \(state?.rawValue ?? "gone"); it takes no more shares")
        }
    }

    /// The sum of every provider's share, released once to the round's consumer when all are in.
    public func collect(roundID: String, consumer: String) async throws -> [UInt64] {
        let round = try await ownRound(roundID, consumer: consumer)
        let event = EvidenceEvent(
            kind: "aggregation.round.released", fields: ["round": .string(roundID), "consumer": .string(consumer), "providers": .number(Double(round.providers.count))])
        switch try await store.closeRound(id: roundID, collect: true, evidence: [event]) {
        case .collected(let shares):
            await evidence?.flush()
            return AdditiveShares.add(shares, length: round.length)
        case .incomplete(let missing):
            throw ComputeRefusal(
                status: 409, code: "aggregate.incomplete", field: "round",
                "round \(roundID) still waits for \(missing.count) of \(round.providers.count) providers (\(missing.joined(separator: ", "))); nothing is released until every share is in")
        case .aborted, .closed(nil):
            throw ComputeRefusal(status: 409, code: "aggregate.round_closed", field: "round", "round \(roundID) is gone")
        case .closed(let state?):
            throw ComputeRefusal(status: 409, code: "aggregate.round_closed", field: "round", "round \(roundID) is \(state.rawValue); a round's sum is released once")
        }
    }

    /// Ends an open round without release; its shares are deleted.
    public func abort(roundID: String, consumer: String, reason: String) async throws {
        _ = try await ownRound(roundID, consumer: consumer)
        let event = EvidenceEvent(
            kind: "aggregation.round.aborted", fields: ["round": .string(roundID), "consumer": .string(consumer), "reason": .string(String(reason.prefix(500)))])
        switch try await store.closeRound(id: roundID, collect: false, evidence: [event]) {
        case .aborted, .closed(.aborted):
            await evidence?.flush()
        case .collected, .incomplete:
            break
        case .closed(let state):
            throw ComputeRefusal(status: 409, code: "aggregate.round_closed", field: "round", "round \(roundID) is \(state?.rawValue ?? "gone") and cannot be aborted")
        }
    }

    /// How long a round may stay open: its consumer collects within moments of the providers'
    /// answers, so a round still open after this was abandoned (the consumer stopped halfway).
    public static let roundLifetime: TimeInterval = 24 * 3600

    /// Aborts rounds open longer than `roundLifetime`, deleting their shares; returns how many.
    /// Nothing is released: an abandoned round ends like one its consumer aborted.
    @discardableResult
    public func expireAbandonedRounds() async throws -> Int {
        let at = now()
        var expired = 0
        for id in try await store.openRounds(openedBefore: at.addingTimeInterval(-Self.roundLifetime), limit: 1_000) {
            guard let round = try await store.aggregationRound(id: id) else { continue }
            let event = EvidenceEvent(
                kind: "aggregation.round.aborted",
                fields: [
                    "round": .string(id), "consumer": .string(round.consumer),
                    "reason": .string("not collected within \(Int(Self.roundLifetime / 3600)) hours of opening"),
                ])
            if case .aborted = try await store.closeRound(id: id, collect: false, evidence: [event]) { expired += 1 }
        }
        if expired > 0 { await evidence?.flush() }
        return expired
    }

    func ownRound(_ roundID: String, consumer: String) async throws -> AggregationRound {
        guard AggregationQuery.isRoundID(roundID), let round = try await store.aggregationRound(id: roundID), round.consumer == consumer else {
            throw ComputeRefusal(status: 404, code: "aggregate.round_unknown", field: "round", "no round \(roundID.prefix(64)) of yours on this node")
        }
        return round
    }
}
