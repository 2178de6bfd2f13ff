import DataspaceCore
import DataspaceIdentity
import DataspaceSQLite
import Foundation
import Testing

@Suite struct SQLiteStoreTests {
    @Test func replayGuardRemembersTokenIdsUntilTheyExpire() async throws {
        let store = try SQLiteStore()
        let later = Date().addingTimeInterval(60)
        #expect(try await store.record(jti: "a", issuer: "did:web:x", expiresAt: later))
        #expect(try await !store.record(jti: "a", issuer: "did:web:x", expiresAt: later))
        #expect(try await store.record(jti: "a", issuer: "did:web:y", expiresAt: later))
        // An expired entry is purged, so the table does not grow without bound.
        #expect(try await store.record(jti: "old", issuer: "did:web:x", expiresAt: Date().addingTimeInterval(-1)))
        #expect(try await store.record(jti: "old", issuer: "did:web:x", expiresAt: later))
    }

    @Test func registryTracksApplicationsAndRevocations() async throws {
        let store = try SQLiteStore()
        let profile = try ParticipantProfile.validated(
            name: "研究院", creditCode: CreditCode.completing("12440000455861972").value, region: "440104", sector: "scientific-research",
            did: "did:web:127.0.0.1%3A9100")
        var application = MembershipApplication(id: "app-1", profile: profile, status: .pending, submittedAt: Date())
        try await store.insertApplication(application)
        #expect(try await store.applications(status: .pending).count == 1)
        #expect(try await store.activeMember(creditCode: profile.creditCode) == nil)
        application.status = .approved
        application.credentialID = "urn:uuid:x"
        try await store.updateApplication(application)
        #expect(try await store.activeMember(creditCode: profile.creditCode)?.id == "app-1")
        #expect(try await store.latestApplication(did: profile.did)?.status == .approved)
        application.revokedAt = Date()
        try await store.updateApplication(application)
        #expect(try await store.revokedCredentialIDs() == ["urn:uuid:x"])
        #expect(try await store.activeMember(creditCode: profile.creditCode) == nil)
        var missing = application
        missing.id = "nope"
        await #expect(throws: RegistrationError.self) { try await store.updateApplication(missing) }
    }

    @Test func dataSurvivesReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reopen-\(UUID().uuidString).sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            try await store.saveMembership(Membership(authorityURL: "http://a", authorityDID: "did:web:a", applicationID: "1", status: .pending, credential: nil, updatedAt: Date()))
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.membership()?.applicationID == "1")
    }
}
