import Crypto
import DataspaceApplication
import Foundation
import Hummingbird

/// Authenticates the management API: `Authorization: Bearer` with the node's admin token
/// (compared as digests, constant-time) or a person's API token (`dst_…`, see `PersonToken`).
/// It sets `managementCaller`; the route then checks the operation's roles (`ManagementAccess`).
/// Tokens are never logged.
struct ManagementAuthMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let adminDigest: SHA256.Digest
    let accounts: AccountService

    init(adminToken: String, accounts: AccountService) {
        adminDigest = SHA256.hash(data: Data(adminToken.utf8))
        self.accounts = accounts
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.utf8.count <= 512 else {
            return Responses.problem(
                status: .unauthorized, code: "missing_token",
                detail: "the management API needs 'Authorization: Bearer <token>': your API token ('dataspace login', or the portal's account page) or the node's DIR/admin.token")
        }
        let presented = String(header.dropFirst("Bearer ".count))
        var context = context
        if SHA256.hash(data: Data(presented.utf8)) == adminDigest {
            context.managementCaller = .adminToken
        } else if let person = try await accounts.caller(bearer: presented) {
            context.managementCaller = .person(person.account, token: person.token, roles: person.roles)
        } else {
            return Responses.problem(
                status: .unauthorized, code: "bad_token", detail: "the token is not valid for this node (unknown, expired or revoked)")
        }
        return try await next(request, context)
    }
}
