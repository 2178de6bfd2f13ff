import DataspaceApplication
import DataspaceCore
import DataspaceIdentity
import Foundation
import Hummingbird

/// The management API's account operations (admin token or an administrator's token): invite people, list them, change
/// their roles or disable them. The portal's own account pages are in `PortalAccounts`.
enum AccountManagementRoutes {
    static let routes: [ManagementRoutes.Route] = [
        .init(ManagementAPI.listAccounts, handler: listAccounts),
        .init(ManagementAPI.inviteAccount, handler: inviteAccount),
        .init(ManagementAPI.updateAccount, handler: updateAccount),
    ]

    /// What an account shows to an administrator: never the password hash or invitation digest.
    static func accountJSON(_ a: PersonAccount) -> JSONValue {
        [
            "id": .string(a.id), "login": .string(a.login), "displayName": .string(a.displayName),
            "roles": .array(a.roles.sorted().map { .string($0.rawValue) }), "status": .string(a.status.rawValue),
            "invitedBy": .string(a.invitedBy), "createdAt": .string(ISO8601.format(a.createdAt)),
            "updatedAt": .string(ISO8601.format(a.updatedAt)),
        ]
    }

    /// Roles as sent: an array of known role names, or the field is named.
    static func roles(_ value: JSONValue?, field: String = "roles") throws -> Set<PersonRole>? {
        guard let value else { return nil }
        guard let items = value.arrayValue, items.count <= 8 else {
            throw ValidationError(code: "\(field).invalid", field: field, message: "\(field) is an array of administrator, publisher, analyst, auditor")
        }
        return Set(
            try items.map { item in
                guard let text = item.stringValue, let role = PersonRole(rawValue: text) else {
                    throw ValidationError(code: "\(field).invalid", field: field, message: "\(field) are administrator, publisher, analyst or auditor")
                }
                return role
            })
    }

    static func string(_ body: JSONValue, _ field: String) throws -> String {
        guard let text = body[field]?.stringValue else {
            throw ValidationError(code: "\(field).missing", field: field, message: "\(field) is required and must be a string")
        }
        return text
    }

    static let listAccounts: ManagementRoutes.Handler = { _, _, s in
        Responses.json(["items": .array(try await s.accounts.store.accounts().map(accountJSON))])
    }

    static let inviteAccount: ManagementRoutes.Handler = { request, context, s in
        let body = try await request.jsonBody(limit: 16_384)
        let invitation = try await s.accounts.invite(
            login: try string(body, "login"), displayName: try string(body, "displayName"), roles: try roles(body["roles"]) ?? [],
            by: context.managementCaller?.attribution ?? "admin-token")
        s.logger.notice("person invited", metadata: ["account": "\(invitation.account.id)", "login": "\(invitation.account.login)"])
        var answer = accountJSON(invitation.account).objectValue ?? [:]
        answer["invitationURL"] = .string(s.configuration.publicURL + "/invite?token=" + invitation.token)
        if let expires = invitation.account.invitationExpiresAt { answer["invitationExpiresAt"] = .string(ISO8601.format(expires)) }
        return Responses.json(.object(answer), status: .created)
    }

    static let updateAccount: ManagementRoutes.Handler = { request, context, s in
        let body = try await request.jsonBody(limit: 16_384)
        let status = try body["status"].map { value in
            guard let text = value.stringValue, let status = AccountStatus(rawValue: text), status != .invited else {
                throw ValidationError(code: "status.invalid", field: "status", message: "status is active or disabled")
            }
            return status
        }
        let account = try await s.accounts.update(
            accountID: context.parameters.get("id") ?? "", roles: try roles(body["roles"]), status: status, by: context.managementCaller?.account)
        return Responses.json(accountJSON(account))
    }
}
