import DataspaceCore
import DataspaceProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Prometheus

/// Routes public by their standards: DID document, DSP version discovery, health, API contract.
enum PublicRoutes {
    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let didJSON = services.didDocument.json
        router.get("/.well-known/did.json") { _, _ in
            Responses.json(didJSON, contentType: "application/did+json")
        }
        let versions = protocolVersionsBody(serviceID: "\(services.did.value)#dsp")
        router.get("/.well-known/dspace-version") { _, _ in
            Responses.json(versions)
        }
        router.get("/healthz") { _, _ in
            let count = services.catalog.index.count
            return Responses.json(["status": "ok", "did": .string(services.did.value), "products": .number(Double(count))])
        }
        router.get("/api/openapi.yaml") { _, _ in
            Responses.text(OpenAPIDocument.yaml, contentType: "application/yaml")
        }
        router.get("/api/openapi.json") { _, _ in
            Responses.json(OpenAPIDocument.document)
        }
    }

    /// Prometheus exposition, behind the admin token (operators scrape it with a bearer token).
    static func registerMetrics(on group: RouterGroup<NodeRequestContext>) {
        group.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            Metrics.registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
