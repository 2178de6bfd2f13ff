import DataspaceCatalog
import DataspaceContracts
import DataspaceCore
import DataspaceIdentity
import DataspaceLedger
import DataspaceProtocol
import Foundation
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let datasetMetadata = HTTPField.Name("Dataspace-Metadata")!
    /// The portal's upload script sends the session's CSRF token and the file's name in headers.
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
    static let fileName = HTTPField.Name("X-File-Name")!
    static let link = HTTPField.Name("Link")!
    /// Set by reverse proxies; read only from `http.trustedProxies`.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let location = HTTPField.Name.location
}

/// Response builders shared by every route group.
enum Responses {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json", headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.encodedBytes())))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// RFC 9457 problem details, naming the field at fault when known.
    static func problem(status: HTTPResponse.Status, code: String, detail: String, field: String? = nil) -> Response {
        var body: [String: JSONValue] = [
            "type": .string("https://dataspace.example/problems/\(code)"),
            "title": .string(status.reasonPhrase), "status": .number(Double(status.code)),
            "code": .string(code), "detail": .string(detail),
        ]
        if let field { body["field"] = .string(field) }
        return json(.object(body), status: status, contentType: "application/problem+json")
    }

    /// Maps domain errors to problem+json; anything unknown is a 500 that reveals nothing.
    static func problem(for error: any Error) -> Response {
        switch error {
        case let e as ValidationError:
            return problem(status: .badRequest, code: e.code, detail: e.message, field: e.field)
        case let e as CatalogError:
            let status: HTTPResponse.Status =
                switch e.code {
                case .invalidInput, .invalidFile: .badRequest
                case .notFound: .notFound
                case .withdrawn: .gone
                case .conflict: .conflict
                case .tooLarge: .contentTooLarge
                case .storage: .internalServerError
                }
            return problem(status: status, code: e.code.rawValue, detail: e.message, field: e.field)
        case let e as RegistrationError:
            let status: HTTPResponse.Status =
                switch e.code {
                case .invalid: .badRequest
                case .notFound: .notFound
                case .conflict: .conflict
                case .forbidden: .forbidden
                }
            return problem(status: status, code: e.code.rawValue, detail: e.message, field: e.field)
        case let e as IdentityError:
            // A caller that cannot be verified now may try again; every other failure is final.
            if e.code == .verificationUnavailable {
                var response = problem(status: .serviceUnavailable, code: e.code.rawValue, detail: e.message)
                response.headers[.retryAfter] = String(MemberAuthMiddleware.retryAfterSeconds)
                return response
            }
            return problem(status: .unauthorized, code: e.code.rawValue, detail: e.message)
        case let e as AccountError:
            let status: HTTPResponse.Status =
                switch e.kind {
                case .invalid: .badRequest
                case .notFound: .notFound
                case .duplicate, .conflict: .conflict
                case .unauthenticated: .unauthorized
                case .forbidden: .forbidden
                case .throttled: .tooManyRequests
                }
            return problem(status: status, code: "account." + e.kind.rawValue, detail: e.message, field: e.field)
        case let e as ProtocolError:
            return problem(status: HTTPResponse.Status(code: e.statusCode), code: e.code, detail: e.reason)
        case let e as JSONParseError:
            return problem(status: .badRequest, code: "malformed_json", detail: e.message)
        case let e as TransitionError:
            return problem(status: .conflict, code: "transition.invalid", detail: e.message)
        case let e as ContractNotFound:
            return problem(status: .notFound, code: "not_found", detail: e.description)
        case let e as ContractConflict:
            return problem(status: .conflict, code: "conflict", detail: e.message)
        case let e as ProofError:
            return problem(status: .notFound, code: "ledger.unknown", detail: e.description)
        case let e as DeliveryRefusal:
            return problem(status: HTTPResponse.Status(code: e.status), code: e.code, detail: e.detail)
        case let e as ComputeRefusal:
            return problem(status: HTTPResponse.Status(code: e.status), code: e.code, detail: e.detail, field: e.field)
        case let e as PeerError:
            // The other node refused (or our rules refused its URL): a refusal, not an outage.
            if e.refused { return problem(status: .badRequest, code: "peer.url", detail: e.message) }
            if let status = e.status, (400..<500).contains(status) {
                return problem(status: .forbidden, code: "peer.refused", detail: e.message)
            }
            return problem(status: .badGateway, code: "peer", detail: e.message)
        case let e as WorkLimiter.Busy:
            var response = problem(status: .serviceUnavailable, code: "busy", detail: e.description)
            response.headers[.retryAfter] = "1"
            return response
        case let e as HTTPError:
            return problem(status: e.status, code: "http", detail: e.body ?? e.status.reasonPhrase)
        default:
            return problem(status: .internalServerError, code: "internal", detail: "internal error; see the node's log")
        }
    }
}

extension Request {
    /// Reads a JSON body of bounded size; malformed JSON is a 400 naming the problem.
    func jsonBody(limit: Int = 1 << 20) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw CatalogError(.tooLarge, "request body exceeds \(limit) bytes", field: "body")
        }
        guard buffer.readableBytes > 0 else { throw JSONParseError(message: "request body is empty; a JSON object is required") }
        return try JSONValue.parse(Data(buffer.readableBytesView))
    }

    /// Reads and drops up to `limit` bytes of an unread body.
    func discardBody(upTo limit: Int) async {
        var seen = 0
        do {
            for try await chunk in body {
                seen += chunk.readableBytes
                if seen > limit { return }
            }
        } catch {}
    }

    func query(_ name: String) -> String? {
        uri.queryParameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Runs a handler and maps thrown domain errors to problem+json.
func problemJSON(_ body: () async throws -> Response) async -> Response {
    do { return try await body() } catch { return Responses.problem(for: error) }
}

/// Reads a `{prefix}/{local}` identifier from route parameters.
func identifierParameter(_ context: some RequestContext) throws -> UnifiedIdentifier {
    let prefix = context.parameters.get("prefix") ?? ""
    let local = context.parameters.get("local") ?? ""
    let text = (prefix.removingPercentEncoding ?? prefix) + "/" + (local.removingPercentEncoding ?? local)
    return try UnifiedIdentifier(parsing: text)
}
