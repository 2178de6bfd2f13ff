import DataspaceCore
import DataspaceIdentity
import DataspaceSQLite
import Foundation
import Testing

@Suite struct SQLiteStoreTests {
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
