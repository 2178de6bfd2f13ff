/// Decimal text ↔ integers × 10^decimals, without floating point, so clamping, sums and
/// comparisons are exact and a value such as 1e300 or NaN cannot reach the arithmetic.
public enum FixedPoint {
    public enum Parsed: Equatable {
        case value(Int64)
        /// A number outside the 64-bit range at this scale; the sign says which side.
        case saturated(negative: Bool)
        /// Empty, NaN, text: not a number.
        case notANumber
    }

    static let powers: [Int64] = (0...18).map { n in (0..<n).reduce(Int64(1)) { acc, _ in acc * 10 } }

    /// 10^n for 0 ≤ n ≤ 18.
    public static func powerOfTen(_ n: Int) -> Int64 { powers[n] }

    /// The number of decimals a plain decimal (`-5`, `120.50`) is written with; nil when it is
    /// not one (exponents, words, empty).
    public static func decimals(of text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count <= 40 else { return nil }
        var i = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        var whole = 0, fraction = 0, seenPoint = false
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x30, b <= 0x39 {
                if seenPoint { fraction += 1 } else { whole += 1 }
            } else if b == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                return nil
            }
            i += 1
        }
        return whole + fraction > 0 ? fraction : nil
    }

    /// Reads a decimal such as `-12.50` or `1.5e3` as an integer × 10^decimals, rounding half away
    /// from zero past the scale; surrounding spaces are allowed.
    public static func parse(_ text: ArraySlice<UInt8>, decimals: Int, allowExponent: Bool = true) -> Parsed {
        var bytes = text
        while let f = bytes.first, f == 0x20 || f == 0x09 { bytes = bytes.dropFirst() }
        while let l = bytes.last, l == 0x20 || l == 0x09 || l == 0x0D { bytes = bytes.dropLast() }
        guard !bytes.isEmpty, bytes.count <= 400 else { return .notANumber }
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes = bytes.dropFirst() } else if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa: [UInt8] = []
        var pointDigits = 0
        var seenPoint = false
        var exponent = 0
        while let b = bytes.first {
            if b >= 0x30, b <= 0x39 {
                if !(mantissa.isEmpty && b == 0x30) { mantissa.append(b - 0x30) } else if seenPoint { mantissa.append(0) }
                if seenPoint { pointDigits += 1 }
            } else if b == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
            } else {
                break
            }
            bytes = bytes.dropFirst()
        }
        // "0", "0.0" leave an empty or all-zero mantissa; "." or "-" alone is not a number.
        let sawDigit = text.contains { $0 >= 0x30 && $0 <= 0x39 }
        guard sawDigit else { return .notANumber }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            guard allowExponent else { return .notANumber }
            bytes = bytes.dropFirst()
            var expNegative = false
            if bytes.first == UInt8(ascii: "-") { expNegative = true; bytes = bytes.dropFirst() } else if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard !bytes.isEmpty, bytes.count <= 6, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .notANumber }
            exponent = bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            if expNegative { exponent = -exponent }
            bytes = []
        }
        guard bytes.isEmpty else { return .notANumber }
        // value = mantissa × 10^(exponent − pointDigits + decimals)
        let shift = exponent - pointDigits + decimals
        var digits = mantissa
        var roundUp = false
        if shift < 0 {
            let drop = -shift
            if drop > digits.count {
                roundUp = false
                digits = []
            } else {
                roundUp = digits[digits.count - drop] >= 5
                digits.removeLast(drop)
            }
        }
        var value: Int64 = 0
        for d in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return .saturated(negative: negative) }
            value = a
        }
        if shift > 0, value != 0 {
            for _ in 0..<shift {
                let (m, o) = value.multipliedReportingOverflow(by: 10)
                if o { return .saturated(negative: negative) }
                value = m
            }
        }
        if roundUp {
            let (a, o) = value.addingReportingOverflow(1)
            if o { return .saturated(negative: negative) }
            value = a
        }
        return .value(negative ? -value : value)
    }

    /// `value / 10^decimals` as exact decimal text.
    public static func render(_ value: Int128, decimals: Int) -> String {
        guard decimals > 0 else { return "\(value)" }
        let negative = value < 0
        let magnitude = value.magnitude
        let scale = UInt128(powerOfTen(decimals))
        let whole = magnitude / scale
        let fraction = String(magnitude % scale)
        return (negative ? "-" : "") + "\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
