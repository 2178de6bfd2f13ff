import DataspaceApplication
import DataspaceCore
import Foundation
import Hummingbird

/// An aggregator's endpoints for secure aggregation (docs/privacy.md, "Secure aggregation"),
/// for members only like every DSP call: the consumer opens, collects and aborts its rounds;
/// the providers it named hand in their shares. A caller acts only as the DID its token proves.
enum AggregationRoutes {
    /// A share of 2,002 numbers as decimal strings is under 64 KiB.
    static let maximumBody = 64 * 1024

    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let members = MemberAuthMiddleware(verifier: { await services.currentVerifier() }, logger: services.logger)
        let dsp = router.group("/dsp/aggregation").add(middleware: members)
        dsp.post("/rounds") { request, context in
            await problemJSON {
                let caller = try context.member()
                let opening = try AggregationService.Opening(json: try await request.jsonBody(limit: maximumBody))
                let round = try await services.aggregation.open(opening, consumer: caller.did.value)
                return Responses.json(["round": .string(round.id), "state": .string(round.state.rawValue), "providers": .number(Double(round.providers.count))])
            }
        }
        dsp.post("/rounds/:round/shares") { request, context in
            await problemJSON {
                let caller = try context.member()
                let body = try await request.jsonBody(limit: maximumBody)
                try await services.aggregation.submit(roundID: round(context), provider: caller.did.value, values: body["values"])
                return Responses.json(["round": .string(round(context)), "accepted": true])
            }
        }
        dsp.post("/rounds/:round/result") { _, context in
            await problemJSON {
                let caller = try context.member()
                let sum = try await services.aggregation.collect(roundID: round(context), consumer: caller.did.value)
                return Responses.json(["round": .string(round(context)), "values": ShareVector.json(sum)])
            }
        }
        dsp.post("/rounds/:round/abort") { request, context in
            await problemJSON {
                let caller = try context.member()
                let body = try await request.jsonBody(limit: 4096)
                let reason = body["reason"]?.stringValue ?? "aborted by the consumer"
                try await services.aggregation.abort(roundID: round(context), consumer: caller.did.value, reason: reason)
                return Responses.json(["round": .string(round(context)), "state": "aborted"])
            }
        }
    }

    static func round(_ context: NodeRequestContext) -> String { context.parameters.get("round") ?? "" }
}
