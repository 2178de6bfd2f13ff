/// A rejected input value: which field, what rule, and a message a person can act on.
/// Every parser in the core throws this so the edge can map it to a 4xx naming the field.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `credit_code.check_character`.
    public let code: String
    /// The field or JSON path at fault, e.g. `creditCode` or `policy.permission[0].constraint[1]`.
    public var field: String?
    public let message: String

    public init(code: String, field: String? = nil, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    /// The same error attributed to the field or JSON path where the bad value stood.
    public func at(_ field: String) -> ValidationError {
        var copy = self
        copy.field = field
        return copy
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}
