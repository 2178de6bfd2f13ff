import Foundation

/// The facts a participant registers with the data space authority, and that its membership
/// credential later asserts to every peer.
public struct ParticipantProfile: Sendable, Hashable, Codable {
    public var name: String
    public var creditCode: CreditCode
    public var region: RegionCode
    public var sector: Sector
    public var did: WebDID

    public init(name: String, creditCode: CreditCode, region: RegionCode, sector: Sector, did: WebDID) {
        self.name = name
        self.creditCode = creditCode
        self.region = region
        self.sector = sector
        self.did = did
    }

    /// Validates raw fields, naming the first that is wrong.
    public static func validated(name: String, creditCode: String, region: String, sector: String, did: String)
        throws(ValidationError) -> ParticipantProfile
    {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw ValidationError(code: "name.length", field: "name", message: "name must be 1–200 characters")
        }
        return ParticipantProfile(
            name: trimmed, creditCode: try CreditCode(creditCode), region: try RegionCode(region),
            sector: try Sector(slug: sector), did: try WebDID(did))
    }
}

/// Where an application for membership stands at the authority.
public enum ApplicationStatus: String, Sendable, Codable, CaseIterable {
    case pending, approved, rejected
}

/// An application for membership as the authority records it.
public struct MembershipApplication: Sendable, Hashable, Codable {
    public var id: String
    public var profile: ParticipantProfile
    public var status: ApplicationStatus
    public var submittedAt: Date
    public var decidedAt: Date?
    public var reason: String?
    /// The credential issued on approval (compact JWT), if any.
    public var credentialID: String?
    public var credential: String?
    /// When the issued credential was revoked.
    public var revokedAt: Date?
    /// Who decided (an account id of the authority's organisation, or "admin-token").
    public var decidedBy: String?
    /// Who revoked the credential, and why.
    public var revokedBy: String?
    public var revocationReason: String?

    public init(
        id: String, profile: ParticipantProfile, status: ApplicationStatus, submittedAt: Date,
        decidedAt: Date? = nil, reason: String? = nil, credentialID: String? = nil, credential: String? = nil
    ) {
        self.id = id
        self.profile = profile
        self.status = status
        self.submittedAt = submittedAt
        self.decidedAt = decidedAt
        self.reason = reason
        self.credentialID = credentialID
        self.credential = credential
        self.revokedAt = nil
    }
}
