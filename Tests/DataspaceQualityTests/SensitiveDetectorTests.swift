@testable import DataspaceQuality
import Testing

/// Every detector: valid values, a broken check digit, and near misses. Check digits of the
/// valid examples were computed independently (GB 11643 weights, Luhn) outside this code.
@Suite struct SensitiveDetectorTests {
    func kinds(_ text: String) -> [SensitiveKind] { SensitiveDetector.kinds(of: Substring(text)) }

    @Test(arguments: [
        ("11010519491231002X", true), ("11010519491231002x", true), ("440106199003071231", true),
        ("440106199003071232", false),  // wrong check digit
        ("11010519491331002X", false),  // month 13
        ("11010519490230002X", false),  // 30 February
        ("99010519491231002X", false),  // no province 99
        ("11010519491231002", false),  // 17 characters
    ])
    func residentIDs(_ value: String, _ valid: Bool) {
        #expect(kinds(value).contains(.residentID) == valid, "\(value)")
    }

    @Test(arguments: [
        ("13812345678", true), ("+86 138 1234 5678", true), ("8613812345678", true), ("19912345678", true),
        ("12812345678", false), ("1381234567", false), ("138123456789", false),
    ])
    func mobiles(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.mobile) == valid, "\(value)") }

    @Test(arguments: [
        ("020-87654321", true), ("0755-2345678", true), ("010 62345678", true), ("02087654321", true),
        ("010-12345678", false), ("20-87654321", false), ("0755-23456", false),
    ])
    func landlines(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.landline) == valid, "\(value)") }

    @Test(arguments: [
        ("6250946000000016", true), ("6222600260001072444", true), ("4111111111111111", true), ("5500000000000004", true),
        ("378282246310005", true), ("4111 1111 1111 1111", true),
        ("6250946000000017", false),  // Luhn fails
        ("9250946000000016", false),  // no scheme starts with 9
        ("625094600000", false),  // too short
    ])
    func bankCards(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.bankCard) == valid, "\(value)") }

    @Test(arguments: [
        ("zhang.wei@example.com.cn", true), ("a+b@mail.gz.gov.cn", true),
        ("zhang.wei@example", false), ("@example.com", false), ("a@b@c.com", false), ("zhang wei@example.com", false),
    ])
    func emails(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.email) == valid, "\(value)") }

    @Test(arguments: [
        ("a@b-c.cn", true), ("a@b.c-d.museum", true), ("Zhang@Example.COM", true), ("!#$%&'*+-/=?^_`{|}~@x.cn", true),
        ("a@b.com.", false), ("a@.com", false), ("a@b..com", false), ("a@b.c0m", false), ("a@b.c", false),
        ("a@b_c.cn", false), ("a(b@c.cn", false), ("a@b.c.d.e-", false), ("a@bc", false), ("a@bcdef", false),
    ])
    func emailDomainsAndLocalParts(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.email) == valid, "\(value)") }

    /// The one-pass email check against the rule written as a regular expression, on 20,000
    /// random strings built from the pieces that decide it (several '@', empty labels, a digit
    /// or a one-letter top-level domain, non-ASCII, symbols).
    @Test func emailCheckAgreesWithItsRegularExpression() throws {
        let rule = try Regex("[A-Za-z0-9._%+\\-!#$&'*/=?^`{|}~]+@(?:[A-Za-z0-9-]+\\.)+[A-Za-z]{2,}")
        var random = SeededGenerator(seed: 0xE3A1)
        let pieces = ["a", "Z", "7", "-", ".", "@", "+", "_", " ", "é", "cn", "com", "x.y", "@b.cn", "(", "~"]
        var agreed = 0
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 1...9, using: &random)).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &random)] }.joined()
            let expected = text.wholeMatch(of: rule) != nil
            let bytes = Array(text.utf8)
            let found = bytes.withUnsafeBufferPointer { SensitiveDetector.isEmail($0) }
            #expect(found == expected, "\(text)")
            if found { agreed += 1 }
        }
        // The pieces make real addresses often enough for the comparison to mean something.
        #expect(agreed > 200)
    }

    /// The local part's symbols, tested byte by byte against the list RFC 5321 allows unquoted.
    @Test func localPartSymbolsAreTheUnquotedOnes() {
        let allowed = Set("._%+-!#$&'*/=?^`{|}~".utf8)
        for byte in UInt8.min...UInt8.max {
            let isAlnum = (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
            #expect(SensitiveDetector.isLocalSymbol(byte) == (allowed.contains(byte) && !isAlnum), "byte \(byte)")
        }
    }

    /// Another value of the same shape: other digits, other letters of the same case.
    static func shapeTwin(_ bytes: [UInt8], using random: inout some RandomNumberGenerator) -> [UInt8] {
        bytes.map { c in
            switch c {
            case 48...57: UInt8.random(in: 48...57, using: &random)
            case 65...90: UInt8.random(in: 65...90, using: &random)
            case 97...122: UInt8.random(in: 97...122, using: &random)
            default: c
            }
        }
    }

    /// A value answered `.noCandidate` speaks for its whole shape: every value of the same shape
    /// (other digits, other letters of the same case) is matched by no detector when the
    /// detectors do run. 20,000 near misses of every ASCII kind, eight shape twins each.
    @Test func noCandidateHoldsForTheWholeShape() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["1", "0", "38", "86", "440106", "1990", "X", "x", "E", "G", "a", "Z", "@", ".", ":", ",", " ", "-", "+", "\t", "/", "ab.cd"]
        func matches(_ bytes: [UInt8], shapes: Bool) -> SensitiveMatches {
            bytes.withUnsafeBufferPointer { SensitiveDetector.matches(in: $0, shapes: shapes) }
        }
        var skipped = 0
        for _ in 0..<20_000 {
            var value = ""
            let target = Int.random(in: 1...32, using: &random)
            while value.utf8.count < target { value += pieces.randomElement(using: &random) ?? "" }
            let bytes = Array(value.utf8.prefix(32))
            guard matches(bytes, shapes: true) == .noCandidate else { continue }
            skipped += 1
            #expect(matches(bytes, shapes: false).isEmpty, "\(value)")
            for _ in 0..<8 {
                let other = Self.shapeTwin(bytes, using: &random)
                #expect(matches(other, shapes: false).isEmpty, "\(String(decoding: other, as: UTF8.self)) shares the shape of \(value)")
            }
        }
        #expect(skipped > 1_000)
        // Shapes that can match are never skipped.
        for value in ["13812345678", "user1@example.com", "192.168.1.1", "E12345678", "440106199003071231", "0755-2345678", "2001:db8::1"] {
            #expect(matches(Array(value.utf8), shapes: true) != .noCandidate, "\(value)")
        }
    }

    /// A value whose answer is said to speak for its shape (an '@' in short ASCII) gets the same
    /// answer as every other value of its shape, e-mail addresses and near misses alike: 20,000
    /// values from address-like pieces, eight shape twins each.
    @Test func aShapeWithAnAtSignDecidesTheAnswer() {
        var random = SeededGenerator(seed: 0x40)
        let pieces = ["user", "Zhang", "8411", "0", "@", "@", "example", ".", ".com", ".cn", "-", "_", "+", " ", "x", "7", ":", ",", "ab.cd", "@b.c"]
        var decided = 0, emails = 0
        for _ in 0..<20_000 {
            var value = ""
            let target = Int.random(in: 1...32, using: &random)
            while value.utf8.count < target { value += pieces[Int.random(in: 0..<pieces.count, using: &random)] }
            let bytes = Array(value.utf8.prefix(32))
            let (found, shapeDecides) = bytes.withUnsafeBufferPointer { SensitiveDetector.matchesTellingShape(in: $0) }
            // Only values with an '@' are said to be decided by their shape.
            #expect(!shapeDecides || bytes.contains(0x40), "\(value)")
            guard shapeDecides else { continue }
            decided += 1
            if found.contains(SensitiveMatches(.email)) { emails += 1 }
            for _ in 0..<8 {
                let other = Self.shapeTwin(bytes, using: &random)
                let theirs = other.withUnsafeBufferPointer { SensitiveDetector.matches(in: $0, shapes: false) }
                #expect(theirs == found, "\(String(decoding: other, as: UTF8.self)) shares the shape of \(value)")
            }
        }
        #expect(decided > 2_000 && emails > 200)
        let address = Array("user8411@example.com".utf8).withUnsafeBufferPointer { SensitiveDetector.matchesTellingShape(in: $0) }
        #expect(address.found == SensitiveMatches(.email) && address.shapeDecides)
        // Longer than a shape holds, or not ASCII: the shape does not decide.
        for value in ["user8411@example-with-a-long-name.com", "张伟@example.com", "13812345678"] {
            #expect(!Array(value.utf8).withUnsafeBufferPointer { SensitiveDetector.matchesTellingShape(in: $0) }.shapeDecides, "\(value)")
        }
    }

    /// A resident-ID shape with a wrong check character is reported as mistyped and as no kind;
    /// surrounding blanks are read past; a valid one is a resident ID only.
    @Test func mistypedResidentIDsAreFlaggedAlone() {
        func matches(_ text: String) -> SensitiveMatches {
            var bytes = Array(text.utf8)
            return bytes.withUnsafeMutableBufferPointer { SensitiveDetector.matches(in: UnsafeBufferPointer($0)) }
        }
        #expect(matches("440106199003071232") == .mistypedResidentID)
        #expect(matches("  440106199003071232\t") == .mistypedResidentID)
        #expect(matches("440106199003071231") == SensitiveMatches(.residentID))
        #expect(matches("11010519491231002x") == SensitiveMatches(.residentID))
        #expect(matches("99010519491231002X").isEmpty)  // no province 99: not an ID shape at all
        #expect(matches("13812345678") == SensitiveMatches(.mobile))
        #expect(SensitiveMatches([.mistypedResidentID, SensitiveMatches(.email), SensitiveMatches(.ipv4)]).kinds == [.email, .ipv4])
        #expect(Set(SensitiveKind.allCases.map(\.bit)).count == SensitiveKind.allCases.count)
    }

    @Test(arguments: [("91350100M000100Y43", true), ("91350100M000100Y44", false), ("91350100M000100Y4", false)])
    func creditCodes(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.creditCode) == valid, "\(value)") }

    @Test(arguments: [
        ("粤A12345", true), ("粤AD12345", true), ("京B·8F9K2", true), ("粤A1234学", true),
        ("粤A1234", false), ("XA12345", false), ("粤AI2345", false), ("粤112345", false),
    ])
    func licencePlates(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.licencePlate) == valid, "\(value)") }

    @Test(arguments: [
        ("192.168.1.1", SensitiveKind.ipv4, true), ("256.1.1.1", .ipv4, false), ("01.2.3.4", .ipv4, false), ("1.2.3", .ipv4, false),
        ("2001:db8::1", .ipv6, true), ("fe80::1:2:3:4", .ipv6, true), ("2001:db8:::1", .ipv6, false), ("12:30", .ipv6, false),
    ])
    func addresses(_ value: String, _ kind: SensitiveKind, _ valid: Bool) { #expect(kinds(value).contains(kind) == valid, "\(value)") }

    @Test(arguments: [
        ("E12345678", true), ("G12345678", true), ("EA1234567", true), ("P1234567", true),
        ("E1234567", false), ("X12345678", false), ("EO1234567", false),
    ])
    func passports(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.passport) == valid, "\(value)") }

    @Test(arguments: [
        ("23.129110,113.264385", true), ("113.2643, 23.1291", true),
        ("23.12,113.26", false), ("123.129110,213.264385", false), ("23.129110", false),
    ])
    func coordinates(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.coordinates) == valid, "\(value)") }

    @Test(arguments: [
        ("张伟", true), ("欧阳娜娜", true), ("王小明", true),
        ("天河区", false), ("广州", false), ("张家界市", false), ("数据局", false), ("Zhang Wei", false),
    ])
    func personNames(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.personName) == valid, "\(value)") }

    @Test(arguments: [
        ("广东省广州市天河区体育西路191号", true), ("北京市海淀区中关村大街27号院3栋", true),
        ("天河区", false), ("广东省广州市", false), ("体育西路", false),
    ])
    func streetAddresses(_ value: String, _ valid: Bool) { #expect(kinds(value).contains(.address) == valid, "\(value)") }

    @Test func ordinaryValuesAreNotSensitive() {
        for value in ["42", "2024-01-01", "hello world", "空气质量指数", "GZ001", "3.14159", "true", "ABCDEF"] {
            #expect(kinds(value).isEmpty, "\(value)")
        }
    }
}
