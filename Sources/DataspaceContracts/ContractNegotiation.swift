import DataspaceCore
import Foundation

/// One negotiation as this node sees it, in either role. Stored whole (with the message still to
/// be delivered), so a restarted node knows exactly where it stopped.
public struct ContractNegotiation: Sendable, Hashable {
    /// This node's process id for it: the providerPid when providing, the consumerPid when consuming.
    public var id: String
    public var role: ContractRole
    public var providerPid: String?
    public var consumerPid: String?
    public var state: NegotiationState
    /// The other party's DID.
    public var counterparty: String
    /// Where messages to the other party go: the provider's DSP base URL, or the consumer's callback.
    public var counterpartyAddress: String
    /// The product negotiated (the offer's target).
    public var dataset: String
    public var purpose: String?
    /// The offer currently on the table (the last one requested or offered), compacted ODRL.
    public var offer: JSONValue
    public var agreementID: String?
    /// Facts about the consumer from its credential when it asked, used to re-evaluate later.
    public var recipient: RecipientFacts?
    /// Why it was terminated or refused.
    public var reasons: [String]
    /// Who on this node started it: a person's account id, or "admin-token" (nil when the other
    /// party started it, or for negotiations recorded before people were named).
    public var requestedBy: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Messages accepted for the other party but not yet acknowledged, delivered in order.
    public var queue: [OutgoingMessage]
    /// The next message to deliver.
    public var outbox: OutgoingMessage? { queue.first }
    /// Digest of the last message the other party delivered, so a redelivered message (the
    /// sender retrying after a lost acknowledgement) is acknowledged again without effect.
    public var lastInbound: String?
    /// Bumped by the store at every write; a write from a stale copy (another transition got in
    /// first) fails its compare-and-swap instead of overwriting the newer state.
    public var revision = 0

    public init(
        id: String, role: ContractRole, providerPid: String?, consumerPid: String?, state: NegotiationState, counterparty: String,
        counterpartyAddress: String, dataset: String, purpose: String?, offer: JSONValue, now: Date = Date()
    ) {
        self.id = id
        self.role = role
        self.providerPid = providerPid
        self.consumerPid = consumerPid
        self.state = state
        self.counterparty = counterparty
        self.counterpartyAddress = counterpartyAddress
        self.dataset = dataset
        self.purpose = purpose
        self.offer = offer
        agreementID = nil
        recipient = nil
        reasons = []
        createdAt = now
        updatedAt = now
        queue = []
        lastInbound = nil
    }

    /// Applies a protocol event, or throws if the state machine forbids it.
    public mutating func apply(_ event: NegotiationEvent, from sender: ContractRole, now: Date) throws(TransitionError) {
        state = try NegotiationStateMachine.next(state, on: event, from: sender)
        updatedAt = now
    }
}

/// What the consumer's credential said when it negotiated.
public struct RecipientFacts: Sendable, Hashable {
    public var did: String
    public var sector: String?
    public var region: String?
    public var role: String?

    public init(did: String, sector: String?, region: String?, role: String?) {
        self.did = did
        self.sector = sector
        self.region = region
        self.role = role
    }

    public var policyRecipient: PolicyRequest.Recipient {
        PolicyRequest.Recipient(
            did: did, sector: sector.flatMap { Sector(rawValue: $0) }, region: region.flatMap { try? RegionCode($0) }, role: role)
    }
}

/// A DSP message waiting to be delivered: persisted with the state change that produced it, sent
/// right after, retried with backoff until the other side acknowledges it.
public struct OutgoingMessage: Sendable, Hashable {
    public var url: String
    public var body: JSONValue
    public var attempts: Int
    /// Why the last attempt failed, in words for the person waiting (the CLI shows it).
    public var lastError: String?

    public init(url: String, body: JSONValue) {
        self.url = url
        self.body = body
        attempts = 0
        lastError = nil
    }

    /// Delay before the next attempt: 100 ms doubling to a 30 s ceiling.
    public var backoff: Double { min(30, 0.1 * Double(1 << min(attempts, 9))) }
}
