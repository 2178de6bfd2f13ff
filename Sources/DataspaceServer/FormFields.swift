import Foundation
import Hummingbird

/// The fields of a submitted HTML form (`application/x-www-form-urlencoded`), read with bounds:
/// at most `maximumBytes` of body, 64 fields, each value at most 4,096 characters. A form that
/// breaks them is refused naming the field; a missing field reads as empty.
struct FormFields: Sendable {
    var values: [String: String] = [:]
    /// Every value of a field sent more than once (checkboxes sharing a name), in order.
    var repeated: [String: [String]] = [:]

    static let maximumBytes = 16_384

    struct Refusal: Error, Sendable {
        var field: String
        var message: String
    }

    init(_ text: String) throws {
        let pairs = text.split(separator: "&", omittingEmptySubsequences: true)
        guard pairs.count <= 64 else { throw Refusal(field: "form", message: "the form has too many fields") }
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { throw Refusal(field: "form", message: "a field name is not valid percent-encoding") }
            guard let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw Refusal(field: name, message: "\(name) is not valid percent-encoding")
            }
            guard value.count <= 4_096 else { throw Refusal(field: name, message: "\(name) is longer than 4096 characters") }
            values[name] = value
            repeated[name, default: []].append(value)
        }
    }

    static func decode(_ text: Substring) -> String? { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }

    /// Reads a form of at most `limit` bytes (`maximumBytes` unless a form needs room for long text).
    static func read(_ request: Request, upTo limit: Int = maximumBytes) async throws -> FormFields {
        guard let buffer = try? await request.body.collect(upTo: limit) else {
            throw Refusal(field: "form", message: "the form is larger than \(limit / 1024) KiB")
        }
        return try FormFields(String(buffer: buffer))
    }

    subscript(_ name: String) -> String { values[name] ?? "" }

    /// All values sent under `name` (none when the field is absent).
    func all(_ name: String) -> [String] { repeated[name] ?? [] }
}

/// Cookies a request carries, by name (the first of each name wins).
struct RequestCookies: Sendable {
    var values: [String: String] = [:]

    init(_ request: Request) {
        guard let header = request.headers[.cookie], header.utf8.count <= 8_192 else { return }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, values[pair[0]] == nil else { continue }
            values[pair[0]] = pair[1]
        }
    }

    subscript(_ name: String) -> String? { values[name] }
}
