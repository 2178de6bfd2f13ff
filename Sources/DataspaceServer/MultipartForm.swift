import Foundation

/// A `multipart/form-data` body (RFC 7578) as an HTML form with a file input sends it, read
/// whole from a bounded buffer: at most `maximumParts` parts, each with a few short headers.
/// Used for small uploads a person picks in a form (a receipt to verify); large files go to
/// the publish upload, which streams. Anything malformed is refused naming what is wrong.
public struct MultipartForm: Sendable {
    public struct Part: Sendable, Equatable {
        public var name: String
        public var fileName: String?
        public var contentType: String?
        public var body: [UInt8]
    }

    public struct Refusal: Error, Sendable, Equatable {
        public var message: String
    }

    public var parts: [Part]

    public static let maximumParts = 16
    static let maximumHeaderBytes = 2_048

    /// The boundary a `multipart/form-data` content type names (1–70 characters, RFC 2046).
    public static func boundary(contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let kind = pieces.first, kind.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
            return value
        }
        return nil
    }

    public init(body: [UInt8], boundary: String) throws(Refusal) {
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [0x0d, 0x0a]
        guard var position = Self.find(delimiter, in: body, from: 0) else { throw Refusal(message: "the form has no part") }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            // `--` after a delimiter closes the body; otherwise a line break starts a part.
            if body.count >= position + 2, body[position] == 0x2d, body[position + 1] == 0x2d { break }
            guard body.count >= position + 2, body[position] == 0x0d, body[position + 1] == 0x0a else {
                throw Refusal(message: "the form is cut off or malformed")
            }
            position += 2
            guard parts.count < Self.maximumParts else { throw Refusal(message: "the form has more than \(Self.maximumParts) parts") }
            guard let headerEnd = Self.find([0x0d, 0x0a, 0x0d, 0x0a], in: body, from: position, within: Self.maximumHeaderBytes) else {
                throw Refusal(message: "a part's headers are missing or longer than \(Self.maximumHeaderBytes) bytes")
            }
            var part = Part(name: "", fileName: nil, contentType: nil, body: [])
            for line in body[position..<headerEnd].split(separator: 0x0a) {
                let text = String(decoding: line.last == 0x0d ? line.dropLast() : line, as: UTF8.self)
                let pair = text.split(separator: ":", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { throw Refusal(message: "a part has a malformed header") }
                switch pair[0].trimmingCharacters(in: .whitespaces).lowercased() {
                case "content-disposition":
                    let parameters = Self.parameters(pair[1])
                    part.name = parameters["name"] ?? ""
                    part.fileName = parameters["filename"]
                case "content-type":
                    part.contentType = pair[1].trimmingCharacters(in: .whitespaces)
                default:
                    break
                }
            }
            guard !part.name.isEmpty else { throw Refusal(message: "a part has no field name") }
            let start = headerEnd + 4
            guard let end = Self.find(crlf + delimiter, in: body, from: start) else { throw Refusal(message: "the form is cut off or malformed") }
            part.body = Array(body[start..<end])
            parts.append(part)
            position = end + 2
        }
        self.parts = parts
    }

    /// The first part named `name`.
    public func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    /// The parameters of a `Content-Disposition` value (`form-data; name="a"; filename="b.txt"`).
    static func parameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        var scalars = Substring(value).unicodeScalars[...]
        func skipSpaces() { while let c = scalars.first, c == " " || c == "\t" { scalars.removeFirst() } }
        // The disposition type, then `; key=value` pairs with values optionally quoted.
        while let c = scalars.first, c != ";" { scalars.removeFirst() }
        while !scalars.isEmpty {
            scalars.removeFirst()  // the ';'
            skipSpaces()
            var key = ""
            while let c = scalars.first, c != "=", c != ";" {
                key.unicodeScalars.append(c)
                scalars.removeFirst()
            }
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            var text = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let c = scalars.first {
                    scalars.removeFirst()
                    if c == "\"" { break }
                    if c == "\\", let next = scalars.first {
                        scalars.removeFirst()
                        text.unicodeScalars.append(next)
                    } else {
                        text.unicodeScalars.append(c)
                    }
                }
                while let c = scalars.first, c != ";" { scalars.removeFirst() }
            } else {
                while let c = scalars.first, c != ";" {
                    text.unicodeScalars.append(c)
                    scalars.removeFirst()
                }
            }
            result[key.trimmingCharacters(in: .whitespaces).lowercased()] = text.trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// The first index of `needle` in `haystack` at or after `from`, starting no later than
    /// `from + within` when given.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int, within: Int? = nil) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let last = min(haystack.count - needle.count, within.map { from + $0 } ?? Int.max)
        guard from <= last else { return nil }
        let first = needle[0]
        var i = from
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
