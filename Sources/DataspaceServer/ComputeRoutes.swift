import DataspaceApplication
import DataspaceCore
import Foundation
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
        dsp.get("/:id/budget") { _, context in
            await problemJSON {
                let caller = try context.member()
                return Responses.json(ComputeJSON.budget(try await services.compute.budget(agreementID: agreement(context), consumer: caller.did.value)))
            }
        }
    }

    static func agreement(_ context: NodeRequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
