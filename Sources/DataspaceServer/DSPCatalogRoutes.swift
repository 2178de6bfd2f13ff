import DataspaceCatalog
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// Dataspace Protocol 2025-1 catalog endpoints. Every request must carry a valid self-issued ID
/// token with a membership credential; failures answer 401 with a `CatalogError` body and no data.
enum DSPCatalogRoutes {
    static let defaultPageSize = 50
    static let maximumPageSize = 500

    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let renderer = DSPCatalogRenderer(
            participantID: services.did.value, serviceID: "\(services.did.value)#dsp", serviceEndpoint: services.configuration.publicURL + DSP.basePath)

        let catalog = router.group("/dsp/catalog").add(middleware: MemberAuthMiddleware(verifier: { await services.currentVerifier() }, logger: services.logger))
        catalog.post("/request") { request, _ in
            await dspErrors {
                let json: JSONValue
                do { json = try await request.jsonBody() } catch {
                    throw ProtocolError(.badRequest, code: "message.malformed", "\(error)")
                }
                let message = try CatalogRequestMessage.parse(json)
                let page = try pageParameters(request)
                var text = message.filter.query ?? ""
                if let k = message.filter.keyword { text += " " + k }
                let query = SearchQuery(
                    text: text, sector: message.filter.sector, region: message.filter.region, grade: message.filter.grade,
                    page: page.page, pageSize: page.size)
                let (results, records) = try await services.catalog.search(query)
                var headers = HTTPFields()
                var links: [String] = []
                let base = services.configuration.publicURL + "/dsp/catalog/request"
                if page.page * page.size < results.total { links.append("<\(base)?page=\(page.page + 1)&limit=\(page.size)>; rel=\"next\"") }
                if page.page > 1 { links.append("<\(base)?page=\(page.page - 1)&limit=\(page.size)>; rel=\"previous\"") }
                if !links.isEmpty { headers[.link] = links.joined(separator: ", ") }
                return Responses.json(renderer.catalog(records), headers: headers)
            }
        }

        let datasetHandler: @Sendable (Request, NodeRequestContext) async -> Response = { request, context in
            await dspErrors {
                // The id may arrive as two path segments or with its slash percent-encoded.
                let raw = context.parameters.getCatchAll().joined(separator: "/")
                let text = raw.removingPercentEncoding ?? raw
                let identifier: UnifiedIdentifier
                do { identifier = try UnifiedIdentifier(parsing: text) } catch let error as ValidationError {
                    throw ProtocolError(.notFound, code: "dataset.unknown", "no dataset '\(text)': \(error.message)")
                }
                guard let record = try await services.catalog.record(identifier), record.status == .active else {
                    throw ProtocolError(.notFound, code: "dataset.unknown", "no dataset \(identifier) in this catalog")
                }
                return Responses.json(renderer.dataset(record, standalone: true))
            }
        }
        catalog.get("/datasets/**", use: datasetHandler)
    }

    /// Verifies the caller's token (`Authorization: <token>` or `Bearer <token>`).
    static func pageParameters(_ request: Request) throws -> (page: Int, size: Int) {
        do {
            let page = try QueryRange.integer(request.query("page"), field: "page", in: 1...SearchQuery.maximumPage, default: 1)
            let size = try QueryRange.integer(request.query("limit"), field: "limit", in: 1...maximumPageSize, default: defaultPageSize)
            return (page, size)
        } catch {
            throw ProtocolError(.badRequest, code: error.code, error.message)
        }
    }

    /// Maps every failure to a DSP `CatalogError` body with the matching status.
    static func dspErrors(_ body: () async throws -> Response) async -> Response {
        await DSPErrors.run(.catalog, body)
    }
}
