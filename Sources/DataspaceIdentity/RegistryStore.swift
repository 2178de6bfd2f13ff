import DataspaceCore
import Foundation

/// The authority's durable register of applications and issued credentials.
public protocol RegistryStore: Sendable {
    /// Inserts an application, queuing `evidence` in the same transaction.
    func insertApplication(_ application: MembershipApplication, evidence: [EvidenceEvent]) async throws
    /// Replaces an application, queuing `evidence` in the same transaction — compare-and-swap:
    /// only if the stored one still has `previous`'s status and revocation, so two officers
    /// deciding at once cannot both succeed (the second gets `RegistrationError(.conflict)`).
    func updateApplication(_ application: MembershipApplication, from previous: MembershipApplication, evidence: [EvidenceEvent]) async throws
    func application(id: String) async throws -> MembershipApplication?
    func applications(status: ApplicationStatus?) async throws -> [MembershipApplication]
    /// The newest application made for a DID.
    func latestApplication(did: WebDID) async throws -> MembershipApplication?
    /// An approved, unrevoked application holding this credit code, if any.
    func activeMember(creditCode: CreditCode) async throws -> MembershipApplication?
    func revokedCredentialIDs() async throws -> Set<String>
}

/// A participant's own standing with the authority.
public struct Membership: Sendable, Hashable, Codable {
    public var authorityURL: String
    public var authorityDID: String
    public var applicationID: String
    public var status: ApplicationStatus
    public var credential: String?
    public var updatedAt: Date

    public init(authorityURL: String, authorityDID: String, applicationID: String, status: ApplicationStatus, credential: String?, updatedAt: Date) {
        self.authorityURL = authorityURL
        self.authorityDID = authorityDID
        self.applicationID = applicationID
        self.status = status
        self.credential = credential
        self.updatedAt = updatedAt
    }
}

/// Where a participant keeps its membership and credential.
public protocol MembershipStore: Sendable {
    func membership() async throws -> Membership?
    func saveMembership(_ membership: Membership) async throws
}
