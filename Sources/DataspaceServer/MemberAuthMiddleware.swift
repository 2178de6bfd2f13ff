import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Hummingbird
import Logging

/// Every DSP endpoint is for members: the self-issued ID token and the membership credential it
/// carries are verified here, once, before any route runs, and the verified caller travels in
/// the request context (`context.caller`). A refusal answers 401 with the error body of the
/// endpoint's DSP family (catalog, negotiation or transfer), as DSP 2025-1 defines them; a
/// caller that cannot be verified now (its DID document or its authority's revocation list
/// could not be fetched) is answered 503 with `Retry-After`, so that a peer retries instead of
/// taking the refusal as final.
struct MemberAuthMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    /// The verifier as of this request: the trusted authority can change while the node runs
    /// (it learns it when its own membership is approved, here or on another replica).
    let verifier: @Sendable () async -> TokenVerifier
    let logger: Logger

    func handle(_ request: Request, context: NodeRequestContext, next: (Request, NodeRequestContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], !header.isEmpty else {
            return Self.refusal(
                ProtocolError(.unauthorized, code: IdentityError.Code.missingToken.rawValue, "Authorization header with a self-issued ID token is required"),
                path: request.uri.path)
        }
        let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
        var context = context
        do {
            context.caller = try await verifier().verify(token)
        } catch {
            logger.info("refused DSP caller", metadata: ["reason": "\(error.code.rawValue)"])
            let kind: ProtocolError.Kind = error.code == .verificationUnavailable ? .unavailable : .unauthorized
            return Self.refusal(ProtocolError(kind, code: error.code.rawValue, error.message), path: request.uri.path)
        }
        return try await next(request, context)
    }

    /// When a caller that could not be verified may try again: once the resolver has
    /// forgotten the failed fetch.
    static let retryAfterSeconds = HTTPDIDResolver.defaultFailureTTL

    /// The refusal in the error form of `path`'s endpoint family.
    static func refusal(_ error: ProtocolError, path: String) -> Response {
        DSPErrors.response(error, family: DSPFamily(path: path))
    }
}

extension NodeRequestContext {
    /// The member `MemberAuthMiddleware` verified; a DSP route without it is a wiring error.
    func member() throws -> VerifiedCaller {
        guard let caller else { throw ProtocolError(.unauthorized, code: IdentityError.Code.missingToken.rawValue, "not authenticated") }
        return caller
    }
}
