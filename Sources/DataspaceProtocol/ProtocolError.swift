/// A refused DSP message: the HTTP status to answer and the reason for the DSP error body.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case badRequest, unauthorized, notFound
    }

    public let kind: Kind
    /// Stable code carried in the error body's `code`.
    public let code: String
    public let reason: String

    public init(_ kind: Kind, code: String, _ reason: String) {
        self.kind = kind
        self.code = code
        self.reason = reason
    }

    public var statusCode: Int {
        switch kind {
        case .badRequest: 400
        case .unauthorized: 401
        case .notFound: 404
        }
    }

    public var description: String { "\(code): \(reason)" }
}
