/// A Dataspace Protocol failure: the HTTP status class, a stable code and the reasons to report
/// in the error message's `reason` array.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case badRequest, unauthorized, forbidden, notFound, conflict, gone
        /// The node cannot answer now; the caller may try again (503).
        case unavailable
    }

    public let kind: Kind
    /// Stable code carried in the error body's `code`.
    public let code: String
    public let reason: String
    /// Every reason (a policy denial has one per failed constraint); `reason` joins them.
    public let reasons: [String]

    public init(_ kind: Kind, code: String, _ reason: String) {
        self.kind = kind
        self.code = code
        self.reason = reason
        reasons = [reason]
    }

    public init(_ kind: Kind, code: String, reasons: [String]) {
        self.kind = kind
        self.code = code
        self.reason = reasons.joined(separator: "; ")
        self.reasons = reasons
    }

    public var statusCode: Int {
        switch kind {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .conflict: 409
        case .gone: 410
        case .unavailable: 503
        }
    }

    public var description: String { "\(code): \(reason)" }
}
