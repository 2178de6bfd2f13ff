import Testing

@testable import DataspaceQuality

/// The profiler's own number parser against `strtod` (Swift's `Double(String)`), bit for bit:
/// the fast path must give exactly what the slow one gives, and say "integer" exactly when the
/// old rule did (at most 64 bits, no point, no exponent, no leading zero).
@Suite("Number parser against strtod")
struct NumberParserTests {
    static func parse(_ text: String) -> (Bool, Double)? {
        Array(text.utf8).withUnsafeBufferPointer { ValueClassifier.number($0) }
    }

    /// What the parser must answer: strtod's value for anything shaped like a number.
    static func expectAgrees(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let (isInteger, value) = parse(text) else {
            Issue.record("\(text) was not read as a number", sourceLocation: sourceLocation)
            return
        }
        let reference = Double(text)
        #expect(reference?.bitPattern == value.bitPattern, "\(text): \(value) vs strtod \(String(describing: reference))", sourceLocation: sourceLocation)
        let plainDigits = !text.contains(".") && !text.lowercased().contains("e")
        let fits = Int64(text) != nil
        #expect(isInteger == (plainDigits && fits), "\(text)", sourceLocation: sourceLocation)
    }

    @Test("edge cases: signs, zeros, exponents, the limits of the fast path and of 64 bits")
    func edgeCases() {
        for text in [
            "0", "-0", "+0", "0.0", "-0.0", "-0.000", ".5", "5.", "-.5e-3", "+.25", "1e0", "1E5", "1e+5", "1e-5", "2.5e10",
            "0.1", "0.2", "0.3", "3.14159", "-273.15", "123456.789", "1e22", "1e23", "1e-22", "1e-23", "9e-324", "1e-400", "1e400",
            "-1e400", "1e999999999999999", "9007199254740992.5", "9007199254740993.0", "9007199254740993", "0.9007199254740993",
            "4503599627370496.5", "123456789012345678901234567890", "12345678901234567890.5", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "-9223372036854775807", "18446744073709551615", "18446744073709551616",
            "0.000000000000000000000000000001", "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324",
            "100000000000000000000000.0", "0.1e22", "10e21", "1.0000000000000002",
        ] {
            Self.expectAgrees(text)
        }
        // Not numbers, and identifiers with leading zeros, are refused as before.
        for text in ["", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5", "12a", "0x10", "inf", "NaN", "007", "-01"] {
            #expect(Self.parse(text) == nil, "\(text)")
        }
    }

    @Test("a type's order, read per value from a switch, is its place in allCases")
    func typeOrder() {
        #expect(ValueType.allCases.enumerated().allSatisfy { $0.offset == $0.element.order })
    }

    @Test("random decimals, integers and exponent forms agree with strtod")
    func randomAgree() {
        var random = SeededGenerator(seed: 20261203)
        for _ in 0..<200_000 {
            var text = ""
            switch random.next() % 3 {
            case 0: text = "-"
            case 1: text = random.next() % 4 == 0 ? "+" : ""
            default: break
            }
            let integerDigits = Int(random.next() % 21)
            let fractionDigits = Int(random.next() % 21)
            var first = true
            for _ in 0..<integerDigits {
                // No leading zero on integers (those are identifiers); decimals may have one.
                let digit = first ? 1 + random.next() % 9 : random.next() % 10
                text += String(digit)
                first = false
            }
            if integerDigits == 0 || fractionDigits > 0 || random.next() % 3 == 0 {
                if integerDigits == 0 { text += "0" }
                text += "."
                for _ in 0..<fractionDigits { text += String(random.next() % 10) }
                if fractionDigits == 0 { text += "0" }
            }
            if random.next() % 3 == 0 {
                text += random.next() % 2 == 0 ? "e" : "E"
                let sign = random.next() % 3
                text += sign == 0 ? "-" : sign == 1 ? "+" : ""
                text += String(random.next() % 40)
            }
            Self.expectAgrees(text)
        }
    }
}

/// SplitMix64, so the random inputs are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
