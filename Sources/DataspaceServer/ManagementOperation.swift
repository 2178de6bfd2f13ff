import DataspaceCore
import Foundation
import HTTPTypes
import NIOHTTP1

/// One operation of the management API: its method, its path template and its OpenAPI
/// description. The route, the document and the client's request are all made from this one
/// value, so they cannot drift apart (see `ManagementAPI`).
public struct ManagementOperation: Sendable {
    /// The methods the management API uses.
    public enum Method: String, Sendable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"

        /// The method as the server's router names it.
        var server: HTTPRequest.Method {
            switch self {
            case .get: .get
            case .post: .post
            case .put: .put
            case .patch: .patch
            case .delete: .delete
            }
        }

        /// The method as the client (AsyncHTTPClient) names it.
        var client: HTTPMethod {
            switch self {
            case .get: .GET
            case .post: .POST
            case .put: .PUT
            case .patch: .PATCH
            case .delete: .DELETE
            }
        }
    }

    /// The `operationId`: the name of the handler that serves it.
    public let id: String
    public let method: Method
    /// Path below `/api/v1`, in OpenAPI template form (`/negotiations/{id}`).
    public let path: String
    let summary: String
    let parameters: [JSONValue]
    let requestBody: JSONValue?
    let responses: [String: JSONValue]

    init(
        id: String, _ method: Method, _ path: String, summary: String, parameters: [JSONValue] = [], requestBody: JSONValue? = nil,
        responses: [String: JSONValue]
    ) {
        self.id = id
        self.method = method
        self.path = path
        self.summary = summary
        self.parameters = parameters
        self.requestBody = requestBody
        self.responses = responses
    }

    /// The `{name}` placeholders of the path template, in order.
    public var pathParameters: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// The operation object of the OpenAPI document.
    var openAPI: JSONValue {
        var o: [String: JSONValue] = ["operationId": .string(id), "summary": .string(summary), "responses": .object(responses)]
        if !parameters.isEmpty { o["parameters"] = .array(parameters) }
        if let requestBody { o["requestBody"] = requestBody }
        return .object(o)
    }

    /// A path argument that cannot be sent: a wrong number of them, or an empty one.
    public struct ArgumentError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The full request path (`/api/v1/…`): the template's placeholders replaced in order by
    /// `arguments`, each percent-encoded as one path segment, then the query items that have a
    /// value, percent-encoded.
    public func requestPath(_ arguments: [String], query: KeyValuePairs<String, String?> = [:]) throws(ArgumentError) -> String {
        let names = pathParameters
        guard arguments.count == names.count else {
            throw ArgumentError(description: "\(id) takes \(names.count) path argument(s) (\(names.joined(separator: ", "))), not \(arguments.count)")
        }
        var remaining = arguments[...]
        var segments: [String] = []
        for segment in path.split(separator: "/") {
            guard segment.hasPrefix("{"), let argument = remaining.popFirst() else {
                segments.append(String(segment))
                continue
            }
            guard !argument.isEmpty else { throw ArgumentError(description: "\(id): the \(segment) argument is empty") }
            segments.append(argument.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? argument)
        }
        var result = "/api/v1/" + segments.joined(separator: "/")
        let items = query.compactMap { name, value in
            value.map { name + "=" + ($0.addingPercentEncoding(withAllowedCharacters: Self.queryValueCharacters) ?? $0) }
        }
        if !items.isEmpty { result += "?" + items.joined(separator: "&") }
        return result
    }

    /// RFC 3986 unreserved characters: everything else in a segment or a query value is encoded.
    static let segmentCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    static let queryValueCharacters = segmentCharacters
}
