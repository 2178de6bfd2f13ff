/// An amount of privacy loss (ε for pure differential privacy, ρ for zero-concentrated DP, or δ)
/// held as an exact count of billionths, so budgets add and compare without rounding: ten
/// queries of ε = 0.1 spend exactly 1, never 1.0000000000000002.
public struct PrivacyAmount: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let unitsPerOne: UInt64 = 1_000_000_000
    /// The largest amount accepted anywhere (a budget of 10⁶ is no protection; larger is a typo).
    public static let maximum = PrivacyAmount(billionths: 1_000_000 * unitsPerOne)
    public static let zero = PrivacyAmount(billionths: 0)

    public let billionths: UInt64

    public init(billionths: UInt64) { self.billionths = billionths }

    /// Reads a decimal such as `1`, `0.5`, `1.0e-3` exactly; nil when it is not a number, is
    /// negative, has more precision than a billionth or exceeds `maximum`.
    public init?(decimal text: String) {
        var digits: [UInt8] = []
        var fractionDigits = 0
        var exponent = 0
        var seenPoint = false
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty, bytes.count <= 40 else { return nil }
        if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        while let b = bytes.first, b != UInt8(ascii: "e"), b != UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if b == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
            } else if b >= 0x30, b <= 0x39 {
                digits.append(b - 0x30)
                if seenPoint { fractionDigits += 1 }
            } else {
                return nil
            }
        }
        guard !digits.isEmpty else { return nil }
        if !bytes.isEmpty {
            bytes = bytes.dropFirst()
            var negative = false
            if bytes.first == UInt8(ascii: "-") { negative = true; bytes = bytes.dropFirst() } else if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard !bytes.isEmpty, bytes.count <= 3, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            exponent = bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            if negative { exponent = -exponent }
        }
        // value = digits × 10^(exponent − fractionDigits); in billionths, × 10^9.
        let shift = exponent - fractionDigits + 9
        while digits.count > 1, digits.first == 0 { digits.removeFirst() }
        if digits == [0] {
            billionths = 0
            return
        }
        var units: UInt64 = 0
        if shift >= 0 {
            guard shift <= 20 else { return nil }
            for d in digits {
                let (m, o1) = units.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d))
                guard !o1, !o2 else { return nil }
                units = a
            }
            for _ in 0..<shift {
                let (m, o) = units.multipliedReportingOverflow(by: 10)
                guard !o else { return nil }
                units = m
            }
        } else {
            // Digits below a billionth must all be zero.
            let drop = -shift
            let kept = digits.count > drop ? digits[..<(digits.count - drop)] : []
            guard digits.suffix(drop).allSatisfy({ $0 == 0 }) else { return nil }
            for d in kept {
                let (m, o1) = units.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d))
                guard !o1, !o2 else { return nil }
                units = a
            }
        }
        guard units <= PrivacyAmount.maximum.billionths else { return nil }
        billionths = units
    }

    /// From a JSON number: its shortest decimal form is what was typed, read exactly.
    public init?(_ number: Double) {
        guard number.isFinite, number >= 0 else { return nil }
        self.init(decimal: "\(number)")
    }

    public static func < (a: PrivacyAmount, b: PrivacyAmount) -> Bool { a.billionths < b.billionths }

    /// a + b, nil past `maximum` (budgets never wrap).
    public func adding(_ other: PrivacyAmount) -> PrivacyAmount? {
        let (sum, overflow) = billionths.addingReportingOverflow(other.billionths)
        return overflow || sum > PrivacyAmount.maximum.billionths ? nil : PrivacyAmount(billionths: sum)
    }

    /// a − b, nil below zero.
    public func subtracting(_ other: PrivacyAmount) -> PrivacyAmount? {
        other.billionths > billionths ? nil : PrivacyAmount(billionths: billionths - other.billionths)
    }

    /// The share each of `parts` measurements gets, rounded down so the shares never add up to
    /// more than the whole.
    public func share(of parts: Int) -> PrivacyAmount {
        precondition(parts > 0, "a budget is shared among at least one measurement")
        return PrivacyAmount(billionths: billionths / UInt64(parts))
    }

    /// The exact decimal, without trailing zeros: `0.1`, `2`, `0.000000001`.
    public var description: String {
        let whole = billionths / PrivacyAmount.unitsPerOne
        var fraction = billionths % PrivacyAmount.unitsPerOne
        guard fraction > 0 else { return "\(whole)" }
        var width = 9
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: width - digits.count) + digits
    }

    /// For reports; never used for accounting.
    public var doubleValue: Double { Double(billionths) / Double(PrivacyAmount.unitsPerOne) }
}
