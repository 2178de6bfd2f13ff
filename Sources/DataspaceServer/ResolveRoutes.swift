import DataspaceCatalog
import DataspaceCore
import Foundation
import HTTPTypes
import Hummingbird

/// Identifier resolution, public like the Handle system: own identifiers answer the record;
/// identifiers of other publishers redirect to the node that owns the prefix when it is known
/// (an authority knows every member), else to the authority, else 404.
enum ResolveRoutes {
    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        router.get("/resolve/ipv6/{address}") { _, context in
            await problemJSON {
                let text = context.parameters.get("address").map { $0.removingPercentEncoding ?? $0 } ?? ""
                let address = try IPv6Address(text)
                guard services.catalog.addresses.prefix.contains(address) else {
                    throw CatalogError(.notFound, "\(address) is not under this node's prefix \(services.catalog.addresses.prefix)", field: "address")
                }
                guard let identifier = services.catalog.addresses.identifier(for: address) else {
                    throw CatalogError(.notFound, "no identifier maps to \(address)", field: "address")
                }
                return try await answer(identifier, services: services)
            }
        }
        router.get("/resolve/{prefix}/{local}") { _, context in
            await problemJSON {
                try await answer(try identifierParameter(context), services: services)
            }
        }
    }

    static func answer(_ identifier: UnifiedIdentifier, services: NodeServices) async throws -> Response {
        let own = identifier.creditCode == services.configuration.creditCode
        if !own {
            if let owner = try await ownerBaseURL(of: identifier, services: services) {
                return Response(status: .temporaryRedirect, headers: [.location: owner + "/resolve/" + identifier.description])
            }
            throw CatalogError(.notFound, "prefix \(identifier.prefix) is not known to this node", field: "identifier")
        }
        guard let record = try await services.catalog.record(identifier) else {
            throw CatalogError(.notFound, "no product \(identifier)", field: "identifier")
        }
        var body = record.publicJSON.objectValue ?? [:]
        body["ipv6"] = .string(identifier.ipv6Address(in: services.catalog.addresses.prefix).description)
        body["dsp"] = .string(services.configuration.publicURL + "/dsp/catalog/datasets/" + identifier.description)
        return Responses.json(.object(body), status: record.status == .withdrawn ? .gone : .ok)
    }

    /// Where to ask about another publisher's identifier: the owning member's node when this node
    /// is the authority (it knows every member), else the authority, else nobody known. The portal's
    /// product pages redirect the same way, so an agreement's link works on the consumer's node.
    static func ownerBaseURL(of identifier: UnifiedIdentifier, services: NodeServices) async throws -> String? {
        if services.authority != nil {
            guard let member = try await services.store.activeMember(creditCode: identifier.creditCode) else { return nil }
            return member.profile.did.baseURL
        }
        return services.trust.authority?.baseURL
    }
}
