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

/// The word-at-a-time reading of short values (`classify(_:firstWord:)`, `number(_:word:)`)
/// against the byte loop: the same type and the same bits for every value.
@Suite("Short numbers read eight bytes at a time")
struct ShortNumberTests {
    static func expectSame(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        bytes.withUnsafeBufferPointer { b in
            let word = ValueScan(b).orderKey.byteSwapped
            let fast = ValueClassifier.classify(b, firstWord: word)
            let slow = ValueClassifier.classify(b)
            #expect(fast.0 == slow.0 && fast.1?.bitPattern == slow.1?.bitPattern,
                "\(String(decoding: bytes, as: UTF8.self)): \(fast) vs \(slow)", sourceLocation: sourceLocation)
        }
    }

    @Test("every value of up to four bytes from digits, point, signs, exponent, slash and a letter")
    func exhaustiveShort() {
        let alphabet = Array("0159.-+eE/a".utf8)
        var values: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 1...4 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + [$0] } }
            values += frontier
        }
        var differing = 0
        for value in values {
            let same = value.withUnsafeBufferPointer { b in
                let fast = ValueClassifier.classify(b, firstWord: ValueScan(b).orderKey.byteSwapped)
                let slow = ValueClassifier.classify(b)
                return fast.0 == slow.0 && fast.1?.bitPattern == slow.1?.bitPattern
            }
            if !same {
                differing += 1
                Self.expectSame(value)
            }
        }
        #expect(values.count == 1 + 11 + 121 + 1_331 + 14_641)
        #expect(differing == 0)
    }

    @Test("edge cases: eight bytes, a point first or last, leading zeros, non-ASCII, timestamps")
    func edgeCases() {
        for text in [
            "12345678", "99999999", "10000000", "1234567.", ".1234567", "1234.567", "0.000001", "00000000", "01234567", "0.", ".0",
            "00.5", "1.2.3", "12345678.9", "123456789", "-1234567", "+1234.56", "1e7", "12e-4", "1\u{00E9}", "１２", "12 ", " 12", "1_000",
            "2026-01-31", "2026-02-30", "2026/01/31", "2026-01-31T23:59:00", "2026-13-01T00:00:00", "1234-56789", "123e-45678",
            "1234-5678e", "0000-00-00", "2026-01-31 24:00", "9999/12/31Z",
        ] {
            Self.expectSame(Array(text.utf8))
        }
        // Bytes at and above 0x80 in every position of an eight-byte value.
        for position in 0..<8 {
            var bytes = Array("12345678".utf8)
            bytes[position] = 0xB0
            Self.expectSame(bytes)
        }
    }

    @Test("random short values of digits and points agree")
    func randomShort() {
        var random = SeededGenerator(seed: 20261206)
        let alphabet = Array("0123456789012345678901234567890123456789..-e".utf8)
        for _ in 0..<100_000 {
            let count = Int(random.next() % 10)
            Self.expectSame((0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
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
