/// A GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters from a 31-symbol
/// alphabet (no I, O, Z, S, V); characters 3–8 are the registering region; the last is a check
/// character over the first 17 with weights 3^i mod 31.
public struct CreditCode: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public let value: String

    static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    public init(_ text: String) throws(ValidationError) {
        let code = text.uppercased()
        let characters = Array(code)
        guard characters.count == 18 else {
            throw ValidationError(
                code: "credit_code.length", field: "creditCode",
                message: "a unified social credit code has 18 characters, got \(characters.count)")
        }
        for (index, character) in characters.enumerated() where !Self.alphabet.contains(character) {
            throw ValidationError(
                code: "credit_code.character", field: "creditCode",
                message: "character \(index + 1) '\(character)' is not allowed (I, O, Z, S, V and non-alphanumerics never occur)")
        }
        guard let expected = Self.checkCharacter(for: String(characters[0..<17])) else {
            throw ValidationError(code: "credit_code.character", field: "creditCode", message: "invalid characters")
        }
        guard characters[17] == expected else {
            throw ValidationError(
                code: "credit_code.check_character", field: "creditCode",
                message: "check character is '\(characters[17])' but the first 17 characters require '\(expected)'")
        }
        let region = String(characters[2..<8])
        guard region.allSatisfy(\.isNumber) else {
            throw ValidationError(
                code: "credit_code.region", field: "creditCode",
                message: "characters 3–8 must be the 6-digit registration region code, got '\(region)'")
        }
        self.value = code
    }

    /// The check character for 17 leading characters, or nil if one is outside the alphabet.
    public static func checkCharacter(for first17: String) -> Character? {
        let characters = Array(first17)
        guard characters.count == 17 else { return nil }
        var sum = 0
        for (i, character) in characters.enumerated() {
            guard let v = alphabet.firstIndex(of: character) else { return nil }
            sum += v * weights[i]
        }
        let check = (31 - sum % 31) % 31
        return alphabet[check]
    }

    /// Builds a valid code from its 17 leading characters (used by generators and tests).
    public static func completing(_ first17: String) throws(ValidationError) -> CreditCode {
        guard let check = checkCharacter(for: first17.uppercased()) else {
            throw ValidationError(code: "credit_code.character", field: "creditCode", message: "cannot complete '\(first17)'")
        }
        return try CreditCode(first17.uppercased() + String(check))
    }

    /// The region code embedded at characters 3–8.
    public var registrationRegion: String { String(Array(value)[2..<8]) }

    public var description: String { value }
    public static func < (lhs: CreditCode, rhs: CreditCode) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try CreditCode(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}
