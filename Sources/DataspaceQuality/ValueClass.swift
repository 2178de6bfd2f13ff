/// What a single value looks like, from its bytes alone: the type a column of such values would
/// have, and its numeric value when it has one.
public enum ValueType: String, Sendable, CaseIterable, Codable, Comparable {
    case boolean, integer, decimal, date, datetime, string

    public static func < (a: ValueType, b: ValueType) -> Bool { a.order < b.order }
    /// Position in `allCases` (a switch: this is read once per value profiled).
    var order: Int {
        switch self {
        case .boolean: 0
        case .integer: 1
        case .decimal: 2
        case .date: 3
        case .datetime: 4
        case .string: 5
        }
    }
}

enum ValueClassifier {
    /// Tokens read as "no value" besides the empty string.
    static let nullTokens: Set<[UInt8]> = Set(["NULL", "null", "Null", "NA", "N/A", "n/a", "NaN", "nan", "None", "none", "\\N"].map { Array($0.utf8) })

    static func isNull(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if b.isEmpty { return true }
        if b.count > 4 { return false }
        // Only values starting like a null token are looked up (no allocation otherwise).
        switch b[0] {
        case UInt8(ascii: "N"), UInt8(ascii: "n"), UInt8(ascii: "\\"): return nullTokens.contains(Array(b))
        default: return false
        }
    }

    /// The value's type and, for numbers, its value, read a byte at a time: the reference the
    /// profiler's `classify(_:firstWord:)` is tested against (`ShortNumberTests`).
    static func classify(_ b: UnsafeBufferPointer<UInt8>) -> (ValueType, Double?) {
        let n = b.count
        guard n > 0 else { return (.string, nil) }
        guard startsLikeNumber(b[0]) else { return (textType(b), nil) }
        if let (isInteger, value) = number(b) { return (isInteger ? .integer : .decimal, value) }
        if n >= 10, let t = dateOrDateTime(b) { return (t, nil) }
        return (.string, nil)
    }

    /// As `classify(_:)`, with the value's first eight bytes as one little-endian word (zeros
    /// past its end: `ValueScan.orderKey` byte-swapped), which reads a short number eight bytes
    /// at a time (`number(_:word:)`).
    @inline(__always)
    static func classify(_ b: UnsafeBufferPointer<UInt8>, firstWord: UInt64) -> (ValueType, Double?) {
        let n = b.count
        guard n > 0 else { return (.string, nil) }
        guard startsLikeNumber(b[0]) else { return (textType(b), nil) }
        // Four digits then a dash or slash (every timestamp) cannot be a number: a dash inside
        // one follows an exponent's e, and no number holds a slash.
        if n >= 10, b[4] == 45 || b[4] == 47, b[3] &- 48 < 10 { return (dateOrDateTime(b) ?? .string, nil) }
        if let (isInteger, value) = number(b, word: firstWord) { return (isInteger ? .integer : .decimal, value) }
        if n >= 10, let t = dateOrDateTime(b) { return (t, nil) }
        return (.string, nil)
    }

    /// A digit, sign or point: the value may be a number, a date or a date-time.
    @inline(__always)
    static func startsLikeNumber(_ first: UInt8) -> Bool { (first >= 48 && first <= 57) || first == 45 || first == 43 || first == 46 }

    /// The type of a value that does not start like a number: "true" or "false" in any case is
    /// a boolean, anything else a string.
    @inline(__always)
    static func textType(_ b: UnsafeBufferPointer<UInt8>) -> ValueType {
        let n = b.count
        if n == 4, b[0] | 0x20 == 116, b[1] | 0x20 == 114, b[2] | 0x20 == 117, b[3] | 0x20 == 101 { return .boolean }
        if n == 5, b[0] | 0x20 == 102, b[1] | 0x20 == 97, b[2] | 0x20 == 108, b[3] | 0x20 == 115, b[4] | 0x20 == 101 { return .boolean }
        return .string
    }

    /// As `number(_:)` for a value of at most eight ASCII bytes given also as one little-endian
    /// word `w` (zeros above the value): plain digits, or digits around one point, are read
    /// together — the point taken out by two shifts and the digits combined by three multiplies
    /// (a loop took a compare, a multiply and an add per digit). Anything else (signs,
    /// exponents, longer values) goes to `number(_:)`, which gives the same answers.
    @inline(__always)
    static func number(_ b: UnsafeBufferPointer<UInt8>, word w: UInt64) -> (Bool, Double)? {
        let n = b.count
        guard n > 1, n <= 8, w & ByteScan.highs == 0 else { return number(b) }
        let valid = n == 8 ? ByteScan.highs : ByteScan.highs & ((1 << UInt64(truncatingIfNeeded: n &* 8)) &- 1)
        let digits = ValueScan.inRange(w, 0x30, 0x39)
        if digits == valid {
            // Leading zeros ("007", codes) are identifiers, not integers.
            if w & 0xFF == 0x30 { return nil }
            return (true, Double(eightDigits(w, count: n)))
        }
        let point = ValueScan.inRange(w, 0x2E, 0x2E)
        guard point != 0, point & (point &- 1) == 0, digits | point == valid else { return number(b) }
        let shift = UInt64(truncatingIfNeeded: point.trailingZeroBitCount &- 7)
        let below = w & ((1 << shift) &- 1)
        let above = (w >> (shift &+ 8)) << shift
        let fractionDigits = (n &- 1) &- Int(truncatingIfNeeded: shift >> 3)
        return (false, Double(eightDigits(below | above, count: n &- 1)) / exactPowersOfTen[fractionDigits])
    }

    /// The value of `count` (1–8) ASCII digits in the low bytes of `w`, the first digit lowest:
    /// shifted up so that zeros stand in front of them, then pairs, fours and eights of digits
    /// combined by one multiply each.
    @inline(__always)
    static func eightDigits(_ w: UInt64, count: Int) -> UInt64 {
        var v = w << UInt64(truncatingIfNeeded: (8 &- count) &* 8)
        v = ((v & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// An optionally signed decimal number (with optional exponent); nil when not a number.
    ///
    /// Parsed here, without allocating: integers exactly (64 bits), and decimals by Clinger's
    /// fast path — when every digit fits in a mantissa of at most 2^53 and the power of ten is
    /// within ±22, both are exact doubles and one correctly rounded multiplication or division
    /// gives exactly what `strtod` gives. Anything else (more digits, large exponents) goes to
    /// `strtod`; the tests compare the two bit for bit.
    static func number(_ b: UnsafeBufferPointer<UInt8>) -> (Bool, Double)? {
        guard !b.isEmpty else { return nil }
        var i = 0
        let n = b.count
        let negative = b[0] == 45
        if b[0] == 45 || b[0] == 43 { i = 1 }
        var digits = 0
        var integral = true
        var mantissa: UInt64 = 0
        var fractionDigits = 0
        // Nineteen digits always fit in 64 bits; past them the mantissa wraps and is not used
        // (`overflow`: such numbers go to strtod).
        while i < n, b[i] >= 48, b[i] <= 57 {
            mantissa = mantissa &* 10 &+ UInt64(b[i] &- 48)
            digits += 1
            i += 1
        }
        if i < n, b[i] == 46 {
            integral = false
            i += 1
            while i < n, b[i] >= 48, b[i] <= 57 {
                mantissa = mantissa &* 10 &+ UInt64(b[i] &- 48)
                fractionDigits += 1
                digits += 1
                i += 1
            }
        }
        guard digits > 0 else { return nil }
        let overflow = digits > 19
        var exponent = 0
        if i < n, b[i] == 101 || b[i] == 69 {
            integral = false
            i += 1
            var exponentNegative = false
            if i < n, b[i] == 45 || b[i] == 43 {
                exponentNegative = b[i] == 45
                i += 1
            }
            var expDigits = 0
            while i < n, b[i] >= 48, b[i] <= 57 {
                // Past 10^6 the value is 0 or infinite either way; strtod decides.
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(b[i] - 48) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        guard i == n else { return nil }
        // Leading zeros ("007", codes) are identifiers, not integers.
        if integral, digits > 1, b[b[0] == 45 || b[0] == 43 ? 1 : 0] == 48 { return nil }
        // Integers are the 64-bit ones, Int64.min included.
        if integral, !overflow, mantissa <= UInt64(Int64.max) || (negative && mantissa == 1 << 63) {
            let magnitude = Double(mantissa)
            return (true, negative ? -magnitude : magnitude)
        }
        let power = exponent - fractionDigits
        if !integral, !overflow, mantissa <= 1 << 53, power >= -22, power <= 22 {
            let magnitude = power < 0 ? Double(mantissa) / exactPowersOfTen[-power] : Double(mantissa) * exactPowersOfTen[power]
            return (false, negative ? -magnitude : magnitude)
        }
        guard let value = Double(String(decoding: b, as: UTF8.self)) else { return nil }
        return (false, value)
    }

    /// 10^0 … 10^22, every one exactly representable as a double.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// YYYY-MM-DD or YYYY/MM/DD (a real date), optionally followed by [T ]HH:MM[:SS[.f]][Z|±HH:MM].
    /// Read at fixed offsets, each digit as its byte minus '0' (a non-digit wraps to 10 or more):
    /// every timestamp column's values come here.
    static func dateOrDateTime(_ b: UnsafeBufferPointer<UInt8>) -> ValueType? {
        let n = b.count
        guard n >= 10, let p = b.baseAddress else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int { Int(p[i] &- 48) }
        @inline(__always) func isDigit(_ i: Int) -> Bool { p[i] &- 48 < 10 }
        guard isDigit(0), isDigit(1), isDigit(2), isDigit(3), isDigit(5), isDigit(6), isDigit(8), isDigit(9), p[4] == 45 || p[4] == 47, p[7] == p[4] else {
            return nil
        }
        let year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3)
        let month = digit(5) * 10 + digit(6), day = digit(8) * 10 + digit(9)
        guard month >= 1, month <= 12, day >= 1, day <= SensitiveDetector.daysIn(month, year) else { return nil }
        if n == 10 { return .date }
        guard n >= 16, p[10] == 84 || p[10] == 32, isDigit(11), isDigit(12), p[13] == 58, isDigit(14), isDigit(15),
            digit(11) * 10 + digit(12) < 24, digit(14) * 10 + digit(15) < 60
        else { return nil }
        var i = 16
        if i < n, p[i] == 58 {
            guard i + 2 < n, isDigit(i + 1), isDigit(i + 2), digit(i + 1) * 10 + digit(i + 2) <= 60 else { return nil }
            i += 3
            if i < n, p[i] == 46 {
                i += 1
                guard i < n, isDigit(i) else { return nil }
                while i < n, isDigit(i) { i += 1 }
            }
        }
        if i < n, p[i] == 90 {
            i += 1
        } else if i < n, p[i] == 43 || p[i] == 45 {
            guard i + 5 < n, isDigit(i + 1), isDigit(i + 2), p[i + 3] == 58, isDigit(i + 4), isDigit(i + 5) else { return nil }
            i += 6
        }
        return i == n ? .datetime : nil
    }

    /// A value's shape: digits → 9, ASCII letters → A/a, Han → 汉, other non-ASCII → ?, other
    /// ASCII kept as is; lengths kept ("440***1234" → "999***9999"), at most 32 symbols then "…".
    /// A hash of `pattern(b)` computed without building the string (FNV-1a over the symbols),
    /// symbol by symbol: `ValueScan` hashes the shapes of values whose first 32 bytes are ASCII
    /// eight bytes at a time, and comes here for the others.
    static func patternHash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = 0
        var symbols = 0
        while i < b.count, symbols < ValueScan.patternSymbols {
            let c = b[i]
            var width = 1
            let symbol: UInt8
            switch c {
            case 48...57: symbol = 57
            case 65...90: symbol = 65
            case 97...122: symbol = 97
            case 0..<0x80: symbol = c
            default:
                width = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2
                symbol = width == 3 && c >= 0xE4 && c <= 0xE9 ? 0x80 : 0x81
            }
            h = (h ^ UInt64(symbol)) &* 0x100_0000_01b3
            symbols += 1
            i += width
        }
        // Symbols past the 32nd are not in the shape, only that there were more ("…").
        if i < b.count { h = (h ^ 0x100) &* 0x100_0000_01b3 }
        return h
    }

    static func pattern(_ b: UnsafeBufferPointer<UInt8>) -> String {
        var out = ""
        var i = 0
        var symbols = 0
        while i < b.count {
            if symbols == 32 { return out + "…" }
            let c = b[i]
            var width = 1
            switch c {
            case 48...57: out.append("9")
            case 65...90: out.append("A")
            case 97...122: out.append("a")
            case 0..<0x80: out.unicodeScalars.append(UnicodeScalar(c))
            default:
                width = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2
                out.append(width == 3 && c >= 0xE4 && c <= 0xE9 ? "汉" : "?")
            }
            symbols += 1
            i += width
        }
        return out
    }
}
