import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Requires `Authorization: Bearer <admin token>` (constant-time comparison) on the management
/// API. The token is never logged.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokenDigest: SHA256.Digest

    init(token: String) { tokenDigest = SHA256.hash(data: Data(token.utf8)) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return Responses.problem(status: .unauthorized, code: "missing_token", detail: "the management API needs 'Authorization: Bearer <admin token>' (see DIR/admin.token)")
        }
        let presented = SHA256.hash(data: Data(header.dropFirst("Bearer ".count).utf8))
        // Comparing digests keeps the comparison constant-time in the token's length and content.
        guard presented == tokenDigest else {
            return Responses.problem(status: .unauthorized, code: "bad_token", detail: "the admin token is not valid for this node")
        }
        return try await next(request, context)
    }
}
