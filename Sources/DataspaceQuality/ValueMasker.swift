import Crypto
import DataspaceCore
import Foundation

/// Applies one `MaskingRule` to one value. Empty values stay empty (a null is not data); a value
/// a rule cannot read (a date rule on text that is not a date) is suppressed to `*` rather than
/// passed through, so a masking mistake never leaks.
public struct ValueMasker: Sendable {
    let hashKey: SymmetricKey

    public init(hashKey: SymmetricKey) { self.hashKey = hashKey }

    /// The key `hash` uses for one agreement: joinable within it, unlinkable across agreements.
    public static func hashKey(secret: SymmetricKey, agreement: String) -> SymmetricKey {
        SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(("dataspace-mask-hash-v1\n" + agreement).utf8), using: secret))
    }

    public func apply(_ rule: MaskingRule, to value: String) -> String {
        if value.isEmpty { return value }
        switch rule {
        case .hide:
            return ""
        case .hash:
            let mac = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: hashKey)
            return Hex.encode(Data(mac).prefix(16))
        case .partial(let keepStart, let keepEnd):
            let characters = Array(value)
            let n = characters.count
            // Too short to keep both ends and still hide something: keep at most the first
            // character, and only when there is something after it to hide.
            if n <= keepStart + keepEnd {
                if keepStart > 0 && n > 1 { return String(characters[0]) + String(repeating: "*", count: n - 1) }
                return String(repeating: "*", count: n)
            }
            return String(characters[0..<keepStart]) + String(repeating: "*", count: n - keepStart - keepEnd) + String(characters[(n - keepEnd)...])
        case .generalizeDate(let granularity):
            let b = Array(value.utf8)
            func digits(_ r: Range<Int>) -> Bool { r.upperBound <= b.count && r.allSatisfy { b[$0] >= 0x30 && b[$0] <= 0x39 } }
            guard digits(0..<4) else { return "*" }
            switch granularity {
            case .year: return String(decoding: b[0..<4], as: UTF8.self)
            case .month:
                guard b.count >= 7, b[4] == UInt8(ascii: "-") || b[4] == UInt8(ascii: "/"), digits(5..<7) else { return "*" }
                return String(decoding: b[0..<4], as: UTF8.self) + "-" + String(decoding: b[5..<7], as: UTF8.self)
            }
        case .generalizeRegion(let level):
            let b = Array(value.utf8)
            guard b.count == 6, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return "*" }
            switch level {
            case .province: return String(decoding: b[0..<2], as: UTF8.self) + "0000"
            case .city: return String(decoding: b[0..<4], as: UTF8.self) + "00"
            }
        case .round(let decimals):
            // A coordinate pair in one field ("22.543096,114.057865") rounds part by part.
            if value.contains(","), Double(value) == nil {
                let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { apply(rule, to: $0.trimmingCharacters(in: .whitespaces)) }
                return parts.contains("*") ? "*" : parts.joined(separator: ",")
            }
            guard let number = Double(value), number.isFinite else { return "*" }
            if decimals >= 0 {
                let scale = pow(10.0, Double(decimals))
                let rounded = (number * scale).rounded() / scale
                return String(format: "%.\(decimals)f", rounded == 0 ? 0 : rounded)
            }
            let step = pow(10.0, Double(-decimals))
            let rounded = (number / step).rounded() * step
            return String(format: "%.0f", rounded == 0 ? 0 : rounded)
        }
    }

    /// The masking the node applies to a column the profile found sensitive when the publisher
    /// declared none (important data never leaves unmasked): partial for identifiers people
    /// recognise, keyed hash for names, suppression for addresses, rounding for coordinates.
    public static func defaultRule(for kind: SensitiveKind) -> MaskingRule? {
        switch kind {
        case .residentID: .partial(keepStart: 3, keepEnd: 4)
        case .mobile: .partial(keepStart: 3, keepEnd: 4)
        case .landline: .partial(keepStart: 4, keepEnd: 2)
        case .email: .partial(keepStart: 2, keepEnd: 4)
        case .bankCard: .partial(keepStart: 0, keepEnd: 4)
        case .passport: .partial(keepStart: 1, keepEnd: 2)
        case .licencePlate: .partial(keepStart: 2, keepEnd: 0)
        case .ipv4, .ipv6: .hash
        case .personName: .partial(keepStart: 1, keepEnd: 0)
        case .address: .hide
        case .coordinates: .round(decimals: 2)
        case .creditCode: nil
        }
    }
}
