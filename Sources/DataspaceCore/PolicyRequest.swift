import Foundation

/// The facts a policy is evaluated against: who asks, for what, why, and how much of the agreement
/// has been used. Every left operand reads exactly one of these (see docs/policies.md).
public struct PolicyRequest: Sendable, Hashable {
    /// The requested action (`download` for a file transfer, `compute` for a computation …).
    public var action: String
    /// The purpose the consumer declared; nil when none was declared (a purpose constraint fails).
    public var purpose: String?
    public var recipient: Recipient
    /// Evaluation time in seconds since 1970 (a `Double`, so evaluation never touches `Date`).
    public var now: Double
    /// When the agreement was signed; nil while negotiating (elapsed time is then 0).
    public var agreedAt: Double?
    /// Deliveries already made under the agreement; this request would be number `uses + 1`.
    public var uses: Int

    public init(action: String, purpose: String?, recipient: Recipient, now: Date = Date(), agreedAt: Date? = nil, uses: Int = 0) {
        self.action = action
        self.purpose = purpose
        self.recipient = recipient
        self.now = now.timeIntervalSince1970
        self.agreedAt = agreedAt?.timeIntervalSince1970
        self.uses = uses
    }

    /// The consumer as its verified membership credential describes it.
    public struct Recipient: Sendable, Hashable {
        public var did: String
        public var sector: Sector?
        public var region: RegionCode?
        public var role: String?

        public init(did: String, sector: Sector? = nil, region: RegionCode? = nil, role: String? = nil) {
            self.did = did
            self.sector = sector
            self.region = region
            self.role = role
        }
    }
}
