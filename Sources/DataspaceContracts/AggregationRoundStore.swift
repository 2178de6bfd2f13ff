import DataspaceCore
import Foundation

/// A secure-aggregation round as an aggregator node keeps it: who opened it, which providers
/// it waits for, the length of their vectors and where it stands.
public struct AggregationRound: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// Accepting shares.
        case open
        /// Its sum went to the consumer (once); the shares are deleted.
        case collected
        /// Ended without release; the shares are deleted.
        case aborted
    }

    public var id: String
    /// The consumer's DID: the only caller that may collect or abort it.
    public var consumer: String
    /// The providers' DIDs, sorted.
    public var providers: [String]
    public var length: Int
    public var state: State
    public var openedAt: Date

    public init(id: String, consumer: String, providers: [String], length: Int, state: State = .open, openedAt: Date) {
        self.id = id
        self.consumer = consumer
        self.providers = providers
        self.length = length
        self.state = state
        self.openedAt = openedAt
    }
}

/// What came of handing in a share.
public enum ShareOutcome: Sendable, Hashable {
    case accepted
    /// The provider already handed in its share for this round.
    case duplicate
    /// The round is not open (collected or aborted) or unknown.
    case closed(AggregationRound.State?)
}

/// What came of closing a round.
public enum RoundClosing: Sendable, Hashable {
    /// The round was open and complete: every provider's share, now deleted.
    case collected([[UInt64]])
    /// The round was open but these providers have not handed in their shares; nothing changed.
    case incomplete(missing: [String])
    case aborted
    /// Already closed (or unknown): nothing released.
    case closed(AggregationRound.State?)
}

/// An aggregator's rounds and shares. Every change is one transaction with its evidence; a
/// share is accepted once per provider, and a round leaves `open` once (compare-and-swap), so two
/// replicas of the aggregator cannot both release a sum or release one after an abort.
public protocol AggregationRoundStore: Sendable {
    /// Creates the round, or returns the one already stored under its identifier.
    func openRound(_ round: AggregationRound, evidence: [EvidenceEvent]) async throws -> AggregationRound
    func aggregationRound(id: String) async throws -> AggregationRound?
    /// Stores a provider's share of an open round.
    func addShare(round: String, provider: String, values: [UInt64], at: Date, evidence: [EvidenceEvent]) async throws -> ShareOutcome
    /// Collects (when every provider's share is in) or aborts an open round; the shares are
    /// deleted in the same transaction.
    func closeRound(id: String, collect: Bool, evidence: [EvidenceEvent]) async throws -> RoundClosing
    /// Identifiers of rounds still open that were opened before `before` (at most `limit`).
    func openRounds(openedBefore before: Date, limit: Int) async throws -> [String]
}
