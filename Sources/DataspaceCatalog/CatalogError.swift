import DataspaceCore

/// Why a catalog operation was refused. Maps to 400/404/409/410 at the edge.
public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidInput = "invalid_input"
        case invalidFile = "invalid_file"
        case notFound = "not_found"
        case withdrawn
        case conflict
        case tooLarge = "too_large"
        case storage
    }

    public let code: Code
    public let message: String
    /// The field or location at fault (`title`, `policy.permission[0]`, `file:row 12`).
    public let field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public init(_ validation: ValidationError) {
        self.init(.invalidInput, validation.message, field: validation.field)
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}
