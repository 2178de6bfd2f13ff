import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation

/// The consumer side of the DSP catalog protocol: asks a provider's catalog as this node.
public struct DSPCatalogClient: Sendable {
    let services: NodeServices

    public init(services: NodeServices) { self.services = services }

    public struct CatalogReply: Sendable {
        public var catalog: JSONValue
        /// The provider's `Link` header (next/previous pages), if any.
        public var link: String?
    }

    public func requestCatalog(provider: String, filter: CatalogRequestMessage.Filter, page: Int = 1) async throws -> CatalogReply {
        let document = try await services.peers.didDocument(baseURL: provider)
        let token = try await services.token(for: document.id)
        let message = CatalogRequestMessage(filter: filter)
        let url = provider + "/dsp/catalog/request" + (page > 1 ? "?page=\(page)" : "")
        let reply = try await services.peers.send(.POST, url, headers: [("Authorization", token)], body: message.json.encoded())
        let json = try reply.json()
        guard reply.status == 200 else {
            let reason = json["reason"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? "status \(reply.status)"
            throw PeerError("\(provider) refused the catalog request: \(json["code"]?.stringValue ?? "") \(reason)", status: reply.status)
        }
        return CatalogReply(catalog: json, link: reply.headers.first(name: "Link"))
    }

    public func requestDataset(provider: String, id: String) async throws -> JSONValue {
        let document = try await services.peers.didDocument(baseURL: provider)
        let token = try await services.token(for: document.id)
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
        let reply = try await services.peers.send(.GET, provider + "/dsp/catalog/datasets/" + encoded, headers: [("Authorization", token)])
        guard reply.status == 200 else { throw PeerError("\(provider) answered \(reply.status) for dataset \(id)", status: reply.status) }
        return try reply.json()
    }
}

/// The participant side of registration: apply to an authority, then fetch the decision.
public struct MembershipClient: Sendable {
    let services: NodeServices

    public init(services: NodeServices) { self.services = services }

    public func apply(authorityURL: String) async throws -> Membership {
        let authority = try await services.peers.didDocument(baseURL: authorityURL)
        let config = services.configuration
        let profile = ParticipantProfile(name: config.name, creditCode: config.creditCode, region: config.region, sector: config.sector, did: services.did)
        let token = try AuthorityService.applicationToken(profile: profile, key: services.key, authority: authority.id)
        let reply = try await services.peers.send(.POST, authorityURL + "/identity/applications", body: JSONValue.object(["application": .string(token)]).encoded())
        let json = try reply.json()
        guard reply.status == 201 || reply.status == 202 || reply.status == 200 else {
            throw PeerError("the authority refused the application: \(json["detail"]?.stringValue ?? "status \(reply.status)")", status: reply.status)
        }
        return try await record(json, authorityURL: authorityURL, authority: authority.id)
    }

    public func refresh() async throws -> Membership {
        guard let current = try await services.store.membership() else {
            throw RegistrationError(.notFound, "this node has not applied for membership yet; run 'dataspace register --authority URL'")
        }
        let authority = try WebDID(current.authorityDID)
        let token = try SelfIssuedToken.make(issuer: services.did, key: services.key, audience: authority, credential: nil)
        let reply = try await services.peers.send(.GET, current.authorityURL + "/identity/applications/" + current.applicationID, headers: [("Authorization", token)])
        let json = try reply.json()
        guard reply.status == 200 else {
            throw PeerError("the authority answered \(reply.status): \(json["detail"]?.stringValue ?? "")", status: reply.status)
        }
        return try await record(json, authorityURL: current.authorityURL, authority: authority)
    }

    /// Stores the authority's answer; a credential is verified before it is kept.
    func record(_ json: JSONValue, authorityURL: String, authority: WebDID) async throws -> Membership {
        guard let id = json["id"]?.stringValue, let statusText = json["status"]?.stringValue, let status = ApplicationStatus(rawValue: statusText) else {
            throw PeerError("the authority's answer lacks id/status")
        }
        let credential = json["credential"]?.stringValue
        if let credential {
            var verifier = services.verifier
            verifier.trustedAuthority = authority
            _ = try await verifier.verifyCredential(credential, holder: services.did)
        }
        let membership = Membership(
            authorityURL: authorityURL, authorityDID: authority.value, applicationID: id, status: status, credential: credential,
            updatedAt: Date())
        try await services.store.saveMembership(membership)
        services.trust.set(authority)
        return membership
    }
}
