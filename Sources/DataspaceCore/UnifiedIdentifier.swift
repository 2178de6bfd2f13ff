import Crypto
import Foundation

/// A unified catalog identifier `86.<region>.<creditCode>/<local>` (see docs/identifiers.md).
///
/// Handle-style: the prefix `86.<region>.<creditCode>` names the publisher (country code, GB/T 2260
/// region, GB 32100 credit code), the suffix names the product. The local part is 14 Crockford
/// base-32 characters (10 of millisecond time, 4 of randomness) so identifiers sort by creation
/// time, followed by an ISO/IEC 7064 MOD 37,36 check character computed over every alphanumeric
/// character of the whole identifier, so a mistyped prefix or suffix is caught.
public struct UnifiedIdentifier: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    public static let countryCode = "86"
    static let crockford: [Character] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let localLength = 15

    public let region: RegionCode
    public let creditCode: CreditCode
    public let local: String

    public var prefix: String { "\(Self.countryCode).\(region.value).\(creditCode.value)" }
    public var description: String { "\(prefix)/\(local)" }

    public init(parsing text: String) throws(ValidationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let slash = trimmed.firstIndex(of: "/") else {
            throw ValidationError(
                code: "identifier.separator", field: "identifier",
                message: "expected '86.<region>.<creditCode>/<local>', found no '/' between prefix and local part")
        }
        let prefixPart = trimmed[..<slash]
        let localPart = trimmed[trimmed.index(after: slash)...].uppercased()
        let segments = prefixPart.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard segments.count == 3 else {
            throw ValidationError(
                code: "identifier.prefix", field: "identifier",
                message: "prefix '\(prefixPart)' must have three dot-separated parts: 86.<region>.<creditCode>")
        }
        guard segments[0] == Self.countryCode else {
            throw ValidationError(
                code: "identifier.country", field: "identifier",
                message: "prefix must start with country code 86, found '\(segments[0])'")
        }
        let region: RegionCode
        let credit: CreditCode
        do { region = try RegionCode(segments[1]) } catch { throw error.at("identifier") }
        do { credit = try CreditCode(segments[2]) } catch { throw error.at("identifier") }
        try Self.validateLocal(localPart, region: region, creditCode: credit)
        self.region = region
        self.creditCode = credit
        self.local = localPart
    }

    /// Mints a new identifier for a publisher; `now` and `random` are injectable for tests.
    public static func mint(
        region: RegionCode, creditCode: CreditCode, now: Date = Date(),
        random: UInt32 = UInt32.random(in: 0...UInt32.max)
    ) -> UnifiedIdentifier {
        var millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var time = [Character](repeating: "0", count: 10)
        for i in stride(from: 9, through: 0, by: -1) {
            time[i] = crockford[Int(millis & 31)]
            millis >>= 5
        }
        var r = random
        var rand = [Character](repeating: "0", count: 4)
        for i in stride(from: 3, through: 0, by: -1) {
            rand[i] = crockford[Int(r & 31)]
            r >>= 5
        }
        let body = String(time) + String(rand)
        let check = checkCharacter(region: region, creditCode: creditCode, body: body) ?? "0"
        return UnifiedIdentifier(region: region, creditCode: creditCode, local: body + String(check))
    }

    init(region: RegionCode, creditCode: CreditCode, local: String) {
        self.region = region
        self.creditCode = creditCode
        self.local = local
    }

    static func checkCharacter(region: RegionCode, creditCode: CreditCode, body: String) -> Character? {
        ISO7064.mod37_36CheckCharacter(for: countryCode + region.value + creditCode.value + body)
    }

    static func validateLocal(_ local: String, region: RegionCode, creditCode: CreditCode) throws(ValidationError) {
        let characters = Array(local)
        guard characters.count == localLength else {
            throw ValidationError(
                code: "identifier.local_length", field: "identifier",
                message: "local part must be \(localLength) characters (14 time-ordered + 1 check), got \(characters.count)")
        }
        for (i, c) in characters.dropLast().enumerated() where !crockford.contains(c) {
            throw ValidationError(
                code: "identifier.local_character", field: "identifier",
                message: "local part character \(i + 1) '\(c)' is not Crockford base-32 (0-9, A-Z without I, L, O, U)")
        }
        guard let expected = checkCharacter(region: region, creditCode: creditCode, body: String(characters.dropLast())) else {
            throw ValidationError(code: "identifier.local_character", field: "identifier", message: "invalid local part")
        }
        guard characters.last == expected else {
            throw ValidationError(
                code: "identifier.check_character", field: "identifier",
                message: "check character is '\(characters.last.map(String.init) ?? "")' but the identifier requires '\(expected)'")
        }
    }

    /// The IPv6 address of this identifier under a node's /64: the interface ID is the first
    /// 64 bits of SHA-256 over the identifier's canonical text.
    public func ipv6Address(in prefix: IPv6Prefix) -> IPv6Address {
        let digest = Array(SHA256.hash(data: Data(description.utf8)))
        var bytes = prefix.address.bytes
        for i in 0..<8 { bytes[8 + i] = digest[i] }
        return IPv6Address(bytes: bytes)
    }

    public static func < (lhs: UnifiedIdentifier, rhs: UnifiedIdentifier) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        self = try UnifiedIdentifier(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
