import DataspaceApplication
import DataspaceCore
import DataspaceIdentity
import Foundation
import Hummingbird

/// People's API tokens: `POST /api/v1/login` (password → token, for `dataspace login`; needs no
/// token, counts against the sign-in throttle) and, behind the management API's authentication,
/// list, issue and revoke.
enum PersonTokenRoutes {
    static let routes: [ManagementRoutes.Route] = [
        .init(ManagementAPI.listTokens, handler: listTokens),
        .init(ManagementAPI.issueToken, handler: issueToken),
        .init(ManagementAPI.revokeToken, handler: revokeToken),
    ]

    /// The login route sits outside the authenticated group: it is how a person gets a token.
    static func registerLogin(on router: Router<NodeRequestContext>, services: NodeServices) {
        let operation = ManagementAPI.tokenLogin
        router.on(RouterPath("/api/v1" + operation.path), method: operation.method.server) { request, _ in
            await problemJSON { try await login(request, services) }
        }
    }

    /// A token as listed: never the digest of its secret.
    static func tokenJSON(_ t: PersonToken, owner: PersonAccount? = nil) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(t.id), "accountId": .string(t.accountID), "name": .string(t.name),
            "scopes": .array(t.scopes.sorted().map { .string($0.rawValue) }), "createdAt": .string(ISO8601.format(t.createdAt)),
            "expiresAt": .string(ISO8601.format(t.expiresAt)),
        ]
        if let owner { o["login"] = .string(owner.login) }
        if let r = t.revokedAt { o["revokedAt"] = .string(ISO8601.format(r)) }
        if let by = t.revokedBy { o["revokedBy"] = .string(by) }
        return .object(o)
    }

    /// The fields a token request may carry, checked at the edge.
    struct TokenRequest {
        var name: String
        var scopes: Set<PersonRole>?
        var days: Int?

        init(_ body: JSONValue, defaultName: String) throws {
            if let value = body["name"] {
                guard let text = value.stringValue else { throw ValidationError(code: "name.invalid", field: "name", message: "name is a string") }
                name = text
            } else {
                name = defaultName
            }
            scopes = try AccountManagementRoutes.roles(body["scopes"], field: "scopes")
            if let value = body["days"] {
                guard let number = value.doubleValue, number.rounded() == number, (1...365).contains(number) else {
                    throw ValidationError(code: "days.invalid", field: "days", message: "days is a whole number of days, 1-365")
                }
                days = Int(number)
            }
        }
    }

    static func issuedJSON(_ issued: AccountService.IssuedToken, account: PersonAccount) -> JSONValue {
        var o = tokenJSON(issued.token, owner: account).objectValue ?? [:]
        o["token"] = .string(issued.text)
        o["displayName"] = .string(account.displayName)
        return .object(o)
    }

    static func login(_ request: Request, _ s: NodeServices) async throws -> Response {
        let body = try await request.jsonBody(limit: 16_384)
        let wanted = try TokenRequest(body, defaultName: "dataspace login")
        let login = try AccountManagementRoutes.string(body, "login"), password = try AccountManagementRoutes.string(body, "password")
        let issued = try await s.signIns.run {
            try await s.accounts.issueToken(login: login, password: password, name: wanted.name, scopes: wanted.scopes, days: wanted.days)
        }
        let account = try await s.accounts.store.account(id: issued.token.accountID)
        s.logger.notice("API token issued", metadata: ["account": "\(issued.token.accountID)", "token": "\(issued.token.id)"])
        return Responses.json(account.map { issuedJSON(issued, account: $0) } ?? tokenJSON(issued.token), status: .created)
    }

    static let listTokens: ManagementRoutes.Handler = { _, context, s in
        let actor = context.managementCaller?.account
        let owners = Dictionary(try await s.accounts.store.accounts().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let tokens = try await s.accounts.tokens(of: actor)
        return Responses.json(["items": .array(tokens.map { tokenJSON($0, owner: owners[$0.accountID]) })])
    }

    static let issueToken: ManagementRoutes.Handler = { request, context, s in
        guard case .person(let account, _, let roles)? = context.managementCaller else {
            throw AccountError(.forbidden, "the admin token is nobody's: a person makes their own tokens with 'dataspace login' or in the portal")
        }
        let wanted = try TokenRequest(try await request.jsonBody(limit: 16_384), defaultName: "API token")
        let issued = try await s.accounts.issueToken(for: account, name: wanted.name, scopes: wanted.scopes, days: wanted.days, within: roles)
        s.logger.notice("API token issued", metadata: ["account": "\(account.id)", "token": "\(issued.token.id)"])
        return Responses.json(issuedJSON(issued, account: account), status: .created)
    }

    static let revokeToken: ManagementRoutes.Handler = { _, context, s in
        let token = try await s.accounts.revokeToken(id: context.parameters.get("id") ?? "", by: context.managementCaller?.account)
        s.logger.notice("API token revoked", metadata: ["token": "\(token.id)", "by": "\(context.managementCaller?.attribution ?? "")"])
        return Responses.json(tokenJSON(token))
    }
}
