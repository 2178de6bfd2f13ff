import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceProtocol
import HTTPTypes
import Hummingbird

/// A DSP endpoint family: each answers failures with its own error type (DSP 2025-1:
/// `CatalogError`, `ContractNegotiationError`, `TransferError`).
enum DSPFamily {
    case catalog, negotiation, transfer

    /// The family of the endpoint at `path`.
    init(path: String) {
        if path.hasPrefix("/dsp/catalog") {
            self = .catalog
        } else if path.hasPrefix("/dsp/negotiations") || path.hasPrefix("/dsp/callback/negotiations") {
            self = .negotiation
        } else {
            self = .transfer
        }
    }

    func body(_ error: ProtocolError) -> JSONValue {
        switch self {
        case .catalog: catalogErrorBody(error)
        case .negotiation: DSPNegotiationMessages.error(providerPid: nil, consumerPid: nil, error)
        case .transfer: DSPTransferMessages.error(providerPid: nil, consumerPid: nil, error)
        }
    }
}

/// Where every failure of a DSP route (and of `MemberAuthMiddleware`) becomes an HTTP status
/// and a DSP error body — the one mapping for the protocol surface, as `Responses.problem(for:)`
/// is for the management API.
enum DSPErrors {
    static func protocolError(_ error: any Error) -> ProtocolError? {
        switch error {
        case let e as ProtocolError: e
        case let e as TransitionError: e.protocolError
        case let e as ContractNotFound: ProtocolError(.notFound, code: "\(e.kind.replacingOccurrences(of: " ", with: "_")).unknown", e.description)
        case let e as ContractConflict: ProtocolError(.conflict, code: "conflict", e.message)
        case let e as IdentityError: ProtocolError(e.code == .verificationUnavailable ? .unavailable : .badRequest, code: e.code.rawValue, e.message)
        case let e as ValidationError: ProtocolError(.badRequest, code: e.code, e.description)
        default: nil
        }
    }

    static func response(_ error: any Error, family: DSPFamily) -> Response {
        guard let failure = protocolError(error) else {
            // Unknown failures reveal nothing; the node's log has them.
            return Responses.json(family.body(ProtocolError(.badRequest, code: "internal", "request failed")), status: .internalServerError)
        }
        var response = Responses.json(family.body(failure), status: HTTPResponse.Status(code: failure.statusCode))
        if failure.kind == .unavailable { response.headers[.retryAfter] = String(MemberAuthMiddleware.retryAfterSeconds) }
        return response
    }

    /// Runs a DSP route body, answering any failure in `family`'s error form.
    static func run(_ family: DSPFamily, _ body: () async throws -> Response) async -> Response {
        do { return try await body() } catch { return response(error, family: family) }
    }
}
