import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// DSP 2025-1 negotiation and transfer endpoints: provider endpoints under `/dsp`, the consumer's
/// callback endpoints under `/dsp/callback`. Every call needs a valid self-issued token with a
/// membership credential; a process that is not the caller's answers 404 as if it did not exist.
enum DSPContractRoutes {
    static func register(on router: Router<NodeRequestContext>, services: NodeServices) {
        let contracts = services.contracts
        let members = MemberAuthMiddleware(verifier: { await services.currentVerifier() }, logger: services.logger)
        let dsp = router.group("/dsp").add(middleware: members)
        let callback = router.group("/dsp/callback").add(middleware: members)

        // Reconciliation (extension): the provider's count of an agreement's deliveries, for its consumer.
        dsp.get("/agreements/:id/deliveries") { request, context in
            await transferErrors(context) {
                let caller = try context.member()
                let raw = context.parameters.get("id") ?? ""
                return Responses.json(try await contracts.deliveryStatement(agreementID: raw.removingPercentEncoding ?? raw, caller: caller))
            }
        }

        // Provider negotiation endpoints.
        dsp.get("/negotiations/:pid") { request, context in
            await negotiationErrors(context) {
                let caller = try context.member()
                let n = try await contracts.ownNegotiation(try pid(context), role: .provider, caller: caller)
                return Responses.json(contracts.negotiationBody(n))
            }
        }
        dsp.post("/negotiations/request") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                return Responses.json(try await contracts.retryingConflicts { try await contracts.receiveRequest(json, providerPid: nil, caller: caller) }, status: .created)
            }
        }
        dsp.post("/negotiations/:pid/request") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                return Responses.json(try await contracts.retryingConflicts { try await contracts.receiveRequest(json, providerPid: try pid(context), caller: caller) })
            }
        }
        dsp.post("/negotiations/:pid/events") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                try await contracts.retryingConflicts { try await contracts.receiveProviderEvent(json, providerPid: try pid(context), caller: caller) }
                return Response(status: .ok)
            }
        }
        dsp.post("/negotiations/:pid/agreement/verification") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                try await contracts.retryingConflicts { try await contracts.receiveVerification(json, providerPid: try pid(context), caller: caller) }
                return Response(status: .ok)
            }
        }
        dsp.post("/negotiations/:pid/termination") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                try await contracts.retryingConflicts { try await contracts.receiveTermination(json, pid: try pid(context), role: .provider, caller: caller) }
                return Response(status: .ok)
            }
        }

        // Consumer callback negotiation endpoints.
        callback.get("/negotiations/:pid") { request, context in
            await negotiationErrors(context) {
                let caller = try context.member()
                let n = try await contracts.ownNegotiation(try pid(context), role: .consumer, caller: caller)
                return Responses.json(contracts.negotiationBody(n))
            }
        }
        callback.post("/negotiations/offers") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                let body = try await contracts.retryingConflicts { try await contracts.receiveOffer(json, consumerPid: nil, caller: caller) }
                return Responses.json(body ?? [:], status: .created)
            }
        }
        callback.post("/negotiations/:pid/offers") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                _ = try await contracts.retryingConflicts { try await contracts.receiveOffer(json, consumerPid: try pid(context), caller: caller) }
                return Response(status: .ok)
            }
        }
        callback.post("/negotiations/:pid/agreement") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                try await contracts.retryingConflicts { try await contracts.receiveAgreement(json, consumerPid: try pid(context), caller: caller) }
                return Response(status: .ok)
            }
        }
        callback.post("/negotiations/:pid/events") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                try await contracts.retryingConflicts { try await contracts.receiveConsumerEvent(json, consumerPid: try pid(context), caller: caller) }
                return Response(status: .ok)
            }
        }
        callback.post("/negotiations/:pid/termination") { request, context in
            await negotiationErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                try await contracts.retryingConflicts { try await contracts.receiveTermination(json, pid: try pid(context), role: .consumer, caller: caller) }
                return Response(status: .ok)
            }
        }

        // Provider transfer endpoints.
        dsp.get("/transfers/:pid") { request, context in
            await transferErrors(context) {
                let caller = try context.member()
                guard let t = try await services.store.transfer(id: try pid(context)), t.role == .provider, t.counterparty == caller.did.value else {
                    throw ProtocolError(.notFound, code: "transfer.unknown", "no transfer process")
                }
                return Responses.json(contracts.transferBody(t))
            }
        }
        dsp.post("/transfers/request") { request, context in
            await transferErrors(context) {
                let (caller, json) = try await authenticated(request, context)
                return Responses.json(try await contracts.retryingConflicts { try await contracts.receiveTransferRequest(json, caller: caller) }, status: .created)
            }
        }
        let messages = [
            ("start", "TransferStartMessage"), ("completion", "TransferCompletionMessage"), ("suspension", "TransferSuspensionMessage"),
            ("termination", "TransferTerminationMessage"),
        ]
        for (verb, type) in messages {
            for (group, role) in [(dsp, ContractRole.provider), (callback, ContractRole.consumer)] {
                group.post("/transfers/:pid/\(verb)") { request, context in
                    await transferErrors(context) {
                        let (caller, json) = try await authenticated(request, context)
                        try await contracts.retryingConflicts { try await contracts.receiveTransferMessage(json, type: type, pid: try pid(context), role: role, caller: caller) }
                        return Response(status: .ok)
                    }
                }
            }
        }
    }

    static func pid(_ context: NodeRequestContext) throws -> String {
        let raw = context.parameters.get("pid") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// The verified member and the message body.
    static func authenticated(_ request: Request, _ context: NodeRequestContext) async throws -> (VerifiedCaller, JSONValue) {
        let caller = try context.member()
        do {
            return (caller, try await request.jsonBody())
        } catch let error as JSONParseError {
            throw ProtocolError(.badRequest, code: "message.malformed", error.message)
        } catch let error as CatalogError {
            throw ProtocolError(.badRequest, code: "message.too_large", error.message)
        }
    }

    /// Failures as `ContractNegotiationError` bodies (DSPErrors).
    static func negotiationErrors(_ context: NodeRequestContext, _ body: () async throws -> Response) async -> Response {
        await DSPErrors.run(.negotiation, body)
    }

    /// Failures as `TransferError` bodies (DSPErrors).
    static func transferErrors(_ context: NodeRequestContext, _ body: () async throws -> Response) async -> Response {
        await DSPErrors.run(.transfer, body)
    }
}
