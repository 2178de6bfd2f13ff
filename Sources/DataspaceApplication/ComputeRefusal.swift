/// Why a computation was not done, for the HTTP edge to answer with: a status, a stable code,
/// the part of the request at fault (a query part, `epsilon`, `delta`, `agreement`) and a
/// sentence for the person.
public struct ComputeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let field: String?
    public let detail: String

    public init(status: Int, code: String, field: String? = nil, _ detail: String) {
        self.status = status
        self.code = code
        self.field = field
        self.detail = detail
    }

    public var description: String { field.map { "\($0): \(detail)" } ?? detail }
}
