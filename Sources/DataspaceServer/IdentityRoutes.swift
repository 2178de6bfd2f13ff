import DataspaceCore
import DataspaceIdentity
import Foundation
import Hummingbird

/// The authority's public registration endpoints. Applications and status queries are signed by
/// the applicant's own DID key (self-issued tokens without a credential); the revocation list is public.
enum IdentityRoutes {
    static func register(on router: Router<NodeRequestContext>, services: NodeServices, authority: AuthorityService) {
        router.post("/identity/applications") { request, _ in
            await problemJSON {
                let body = try await request.jsonBody()
                guard let token = body["application"]?.stringValue else {
                    throw ValidationError(code: "application.missing", field: "application", message: "body must be {\"application\": \"<signed JWT>\"}")
                }
                let caller = try await services.currentVerifier().verify(token, requireCredential: false)
                let application = try await authority.submit(caller: caller)
                services.logger.info("membership application", metadata: ["did": "\(caller.did.value)", "status": "\(application.status.rawValue)"])
                return Responses.json(applicationJSON(application, includeCredential: true), status: application.status == .approved ? .created : .accepted)
            }
        }
        router.get("/identity/applications/{id}") { request, context in
            await problemJSON {
                let token = try bearerToken(request)
                let caller = try await services.currentVerifier().verify(token, requireCredential: false)
                let application = try await authority.status(of: context.parameters.get("id") ?? "", caller: caller.did)
                return Responses.json(applicationJSON(application, includeCredential: true))
            }
        }
        router.get("/identity/revocations") { _, _ in
            await problemJSON {
                Responses.text(try await authority.revocationList(), contentType: "application/jwt")
            }
        }
    }

    static func bearerToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], !header.isEmpty else {
            throw IdentityError(.missingToken, "Authorization header with a self-issued token is required")
        }
        return header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
    }

    static func applicationJSON(_ a: MembershipApplication, includeCredential: Bool) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(a.id), "status": .string(a.status.rawValue), "did": .string(a.profile.did.value),
            "name": .string(a.profile.name), "creditCode": .string(a.profile.creditCode.value),
            "region": .string(a.profile.region.value), "sector": .string(a.profile.sector.rawValue),
            "submittedAt": .string(ISO8601.format(a.submittedAt)),
        ]
        if let d = a.decidedAt { o["decidedAt"] = .string(ISO8601.format(d)) }
        if let r = a.reason { o["reason"] = .string(r) }
        if let c = a.credentialID { o["credentialId"] = .string(c) }
        if let r = a.revokedAt { o["revokedAt"] = .string(ISO8601.format(r)) }
        if let b = a.decidedBy { o["decidedBy"] = .string(b) }
        if let b = a.revokedBy { o["revokedBy"] = .string(b) }
        if let r = a.revocationReason { o["revocationReason"] = .string(r) }
        if includeCredential, let c = a.credential, a.revokedAt == nil { o["credential"] = .string(c) }
        return .object(o)
    }
}
