import DataspaceCore
import Foundation

/// Why the authority refused a registration request.
public struct RegistrationError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case invalid, notFound = "not_found", conflict, forbidden }
    public let code: Code
    public let message: String
    public let field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}

/// Told of every registration decision after it is stored (the node records them as evidence).
/// Registration decisions as evidence: identifiers only (DID, credit code, credential id).
public enum RegistryEvidence {
    public static func registered(_ a: MembershipApplication) -> EvidenceEvent {
        EvidenceEvent(kind: "participant.registered", fields: [
            "participant": .string(a.profile.did.value), "application": .string(a.id),
            "creditCode": .string(a.profile.creditCode.value), "sector": .string(a.profile.sector.rawValue),
        ])
    }

    /// `by` is the deciding account's id (a pseudonymous identifier; the auditor's view maps it
    /// to a name) or "admin-token".
    public static func issued(_ a: MembershipApplication) -> EvidenceEvent {
        EvidenceEvent(kind: "credential.issued", fields: [
            "participant": .string(a.profile.did.value), "application": .string(a.id), "credential": .string(a.credentialID ?? ""),
            "by": .string(a.decidedBy ?? "admin-token"),
        ])
    }

    public static func rejected(_ a: MembershipApplication) -> EvidenceEvent {
        EvidenceEvent(kind: "participant.rejected", fields: [
            "participant": .string(a.profile.did.value), "application": .string(a.id), "by": .string(a.decidedBy ?? "admin-token"),
        ])
    }

    public static func revoked(_ a: MembershipApplication) -> EvidenceEvent {
        EvidenceEvent(kind: "credential.revoked", fields: [
            "participant": .string(a.profile.did.value), "credential": .string(a.credentialID ?? ""), "by": .string(a.revokedBy ?? "admin-token"),
        ])
    }
}

/// The data space's registration authority: takes signed applications, lets its admin approve or
/// reject them (or approves automatically), issues membership credentials, revokes them and
/// publishes the signed revocation list.
public struct AuthorityService: Sendable {
    public let did: WebDID
    public let key: NodeKey
    public let store: any RegistryStore
    public let autoApprove: Bool
    public let credentialLifetime: TimeInterval
    public let revocationListURL: String
    let now: @Sendable () -> Date
    let evidence: (any EvidenceSink)?

    public static let applicationType = "membership-application+jwt"

    public init(
        did: WebDID, key: NodeKey, store: any RegistryStore, autoApprove: Bool, revocationListURL: String,
        credentialLifetime: TimeInterval = 365 * 86_400, evidence: (any EvidenceSink)? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.evidence = evidence
        self.did = did
        self.key = key
        self.store = store
        self.autoApprove = autoApprove
        self.revocationListURL = revocationListURL
        self.credentialLifetime = credentialLifetime
        self.now = now
    }

    /// Builds the signed application a participant sends: a self-issued token addressed to the
    /// authority whose extra claims are the profile, so the authority knows the applicant controls the DID.
    public static func applicationToken(profile: ParticipantProfile, key: NodeKey, authority: WebDID) throws -> String {
        try SelfIssuedToken.make(
            issuer: profile.did, key: key, audience: authority, credential: nil,
            extraClaims: [
                "name": .string(profile.name), "creditCode": .string(profile.creditCode.value),
                "region": .string(profile.region.value), "sector": .string(profile.sector.rawValue),
            ])
    }

    /// Accepts an application verified by `caller` (signature, audience, replay already checked).
    public func submit(caller: VerifiedCaller) async throws -> MembershipApplication {
        let claims = caller.claims
        let profile: ParticipantProfile
        do {
            profile = try ParticipantProfile.validated(
                name: claims["name"]?.stringValue ?? "", creditCode: claims["creditCode"]?.stringValue ?? "",
                region: claims["region"]?.stringValue ?? "", sector: claims["sector"]?.stringValue ?? "", did: caller.did.value)
        } catch {
            throw RegistrationError(.invalid, error.message, field: error.field)
        }
        if let existing = try await store.latestApplication(did: profile.did), existing.revokedAt == nil, existing.status != .rejected {
            // Idempotent: re-applying returns the standing application.
            return existing
        }
        if let member = try await store.activeMember(creditCode: profile.creditCode), member.profile.did != profile.did {
            throw RegistrationError(
                .conflict, "credit code \(profile.creditCode) is already registered to \(member.profile.did.value)", field: "creditCode")
        }
        let application = MembershipApplication(id: UUID().uuidString.lowercased(), profile: profile, status: .pending, submittedAt: now())
        try await store.insertApplication(application, evidence: [RegistryEvidence.registered(application)])
        await evidence?.flush()
        if autoApprove { return try await approve(id: application.id) }
        return application
    }

    /// Approves a pending application; `by` names who decided (account id or "admin-token").
    public func approve(id: String, by: String = "admin-token") async throws -> MembershipApplication {
        guard var application = try await store.application(id: id) else {
            throw RegistrationError(.notFound, "no application \(id)")
        }
        guard application.status == .pending else {
            throw RegistrationError(.conflict, "application \(id) is already \(application.status.rawValue)")
        }
        if let member = try await store.activeMember(creditCode: application.profile.creditCode), member.profile.did != application.profile.did {
            throw RegistrationError(.conflict, "credit code \(application.profile.creditCode) is already registered to \(member.profile.did.value)")
        }
        let previous = application
        let issued = now()
        let credential = MembershipCredential(
            id: "urn:uuid:\(UUID().uuidString.lowercased())", issuer: did, subject: application.profile, issuedAt: issued,
            expiresAt: issued.addingTimeInterval(credentialLifetime), revocationListURL: revocationListURL)
        application.status = .approved
        application.decidedAt = issued
        application.decidedBy = by
        application.credentialID = credential.id
        application.credential = try credential.sign(with: key)
        try await store.updateApplication(application, from: previous, evidence: [RegistryEvidence.issued(application)])
        await evidence?.flush()
        return application
    }

    /// Rejects a pending application; the applicant is owed a reason (1–500 characters).
    public func reject(id: String, reason: String, by: String = "admin-token") async throws -> MembershipApplication {
        let reason = try Self.checkedReason(reason, required: true, what: "Give the applicant a reason for the rejection") ?? ""
        guard var application = try await store.application(id: id) else {
            throw RegistrationError(.notFound, "no application \(id)")
        }
        guard application.status == .pending else {
            throw RegistrationError(.conflict, "application \(id) is already \(application.status.rawValue)")
        }
        let previous = application
        application.status = .rejected
        application.decidedAt = now()
        application.reason = reason
        application.decidedBy = by
        try await store.updateApplication(application, from: previous, evidence: [RegistryEvidence.rejected(application)])
        await evidence?.flush()
        return application
    }

    /// Revokes the credential of a participant (by DID) or of an application (by id).
    /// A reason as given: trimmed, at most 500 characters; empty is nil unless `required`.
    static func checkedReason(_ text: String?, required: Bool, what: String) throws -> String? {
        let reason = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard reason.count <= 500 else { throw RegistrationError(.invalid, "a reason has at most 500 characters", field: "reason") }
        if reason.isEmpty {
            if required { throw RegistrationError(.invalid, what, field: "reason") }
            return nil
        }
        return reason
    }

    /// Revokes a membership; `reason` (at most 500 characters) is recorded with who revoked it.
    public func revoke(_ didOrApplicationID: String, reason: String? = nil, by: String = "admin-token") async throws -> MembershipApplication {
        let reason = try Self.checkedReason(reason, required: false, what: "")
        var application: MembershipApplication?
        if let did = try? WebDID(didOrApplicationID) {
            application = try await store.latestApplication(did: did)
        } else {
            application = try await store.application(id: didOrApplicationID)
        }
        guard var application, application.status == .approved, application.credentialID != nil else {
            throw RegistrationError(.notFound, "no approved membership for \(didOrApplicationID)")
        }
        guard application.revokedAt == nil else {
            throw RegistrationError(.conflict, "membership of \(application.profile.did.value) is already revoked")
        }
        let previous = application
        application.revokedAt = now()
        application.revokedBy = by
        application.revocationReason = reason
        try await store.updateApplication(application, from: previous, evidence: [RegistryEvidence.revoked(application)])
        await evidence?.flush()
        return application
    }

    /// The signed list of revoked credential ids.
    public func revocationList() async throws -> String {
        try RevocationList(issuer: did, issuedAt: now(), revoked: try await store.revokedCredentialIDs()).sign(with: key)
    }

    /// The applicant's view of its application; only the applicant may read it.
    public func status(of id: String, caller: WebDID) async throws -> MembershipApplication {
        guard let application = try await store.application(id: id) else {
            throw RegistrationError(.notFound, "no application \(id)")
        }
        guard application.profile.did == caller else {
            throw RegistrationError(.notFound, "no application \(id)")
        }
        return application
    }
}
