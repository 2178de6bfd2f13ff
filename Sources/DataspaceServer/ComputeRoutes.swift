import DataspaceApplication
import DataspaceCore
import DataspacePrivacy
import Foundation
import HTTPTypes
import Hummingbird

/// The provider's compute endpoints (docs/privacy.md), for members only, like every DSP call:
/// `POST /dsp/compute/{agreement}/query` answers a differentially private query under the
/// caller's agreement; `GET /dsp/compute/{agreement}/budget` tells what is left. Another
/// member's agreement answers 404 as if it did not exist.
enum ComputeRoutes {
    static let maximumBody = 16 * 1024

    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let members = MemberAuthMiddleware(verifier: { await services.currentVerifier() }, logger: services.logger)
        let dsp = router.group("/dsp/compute").add(middleware: members)
        dsp.post("/:id/query") { request, context in
            await problemJSON {
                let caller = try context.member()
                let body = try await request.jsonBody(limit: maximumBody)
                let result = try await services.compute.query(agreementID: agreement(context), consumer: caller.did.value, try ComputeJSON.request(body))
                return Responses.json(ComputeJSON.result(result))
            }
        }
        registerSetIntersection(on: dsp, services: services)
        // A contribution to a secure-aggregation round: the provider hands its shares to the
        // round's two aggregators and answers only that it did (docs/privacy.md).
        dsp.post("/:id/aggregate") { request, context in
            await problemJSON {
                let caller = try context.member()
                let query = try AggregationQuery(json: try await request.jsonBody(limit: 128 * 1024))
                let done = try await services.compute.contribute(agreementID: agreement(context), consumer: caller.did.value, query: query)
                return Responses.json(["round": .string(done.round), "roundsLeft": .number(Double(done.roundsLeft))])
            }
        }
        dsp.get("/:id/budget") { _, context in
            await problemJSON {
                let caller = try context.member()
                return Responses.json(ComputeJSON.budget(try await services.compute.budget(agreementID: agreement(context), consumer: caller.did.value)))
            }
        }
    }

    /// A set-intersection run: the body is the consumer's blinded points (32 bytes each, no
    /// more than the agreement's `psiSetSize`); the answer streams both blinded sets, with the
    /// sizes and the run's terms in headers (docs/privacy.md, "Set intersection").
    static func registerSetIntersection(on dsp: RouterGroup<NodeRequestContext>, services: NodeServices) {
        dsp.post("/:id/psi") { request, context in
            await problemJSON {
                let caller = try context.member()
                let id = agreement(context)
                let column = request.uri.queryParameters.get("column")
                if let column, column.isEmpty || column.utf8.count > 256 {
                    throw ComputeRefusal(status: 400, code: "psi.column", field: "column", "column must name one of the product's match columns")
                }
                var output: PSITerms.Output?
                if let text = request.uri.queryParameters.get("output") {
                    guard let o = PSITerms.Output(rawValue: text) else {
                        throw ComputeRefusal(status: 400, code: "psi.output", field: "output", "output is cardinality or intersection")
                    }
                    output = o
                }
                // Bound the body by this agreement's own limit before reading it.
                let largest = try await services.compute.setIntersectionLimit(agreementID: id, consumer: caller.did.value)
                let limit = largest * PSIBlinding.pointSize
                let buffer: ByteBuffer
                do { buffer = try await request.body.collect(upTo: limit) } catch {
                    throw ComputeRefusal(status: 413, code: "psi.set_size", field: "body", "the set is larger than the \(largest) identifiers this agreement allows a run")
                }
                let run = try await services.compute.setIntersection(
                    agreementID: id, consumer: caller.did.value, column: column, output: output, points: Array(buffer.readableBytesView))
                var headers: HTTPFields = [.contentType: "application/octet-stream"]
                for (name, value) in SetIntersectionHeaders.fields(run) {
                    if let field = HTTPField.Name(name) { headers[field] = value }
                }
                return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: run.byteCount) { writer in
                    try await run.stream { try await writer.write(ByteBuffer(bytes: $0)) }
                    try await writer.finish(nil)
                })
            }
        }
    }

    static func agreement(_ context: NodeRequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
