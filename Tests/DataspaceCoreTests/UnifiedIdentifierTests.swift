import DataspaceCore
import Foundation
import Testing

@Suite struct UnifiedIdentifierTests {
    let region: RegionCode
    let credit: CreditCode

    init() throws {
        region = try RegionCode("440100")
        credit = try CreditCode.completing("11440100MB2C92190")
    }

    @Test func mintedIdentifiersRoundTrip() throws {
        let id = UnifiedIdentifier.mint(region: region, creditCode: credit)
        let parsed = try UnifiedIdentifier(parsing: id.description)
        #expect(parsed == id)
        #expect(id.prefix == "86.440100.\(credit.value)")
        #expect(id.local.count == 15)
        #expect(try UnifiedIdentifier(parsing: id.description.lowercased().replacingOccurrences(of: "86.440100.", with: "86.440100.")) == id)
    }

    @Test func identifiersSortByCreationTime() {
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        let ids = (0..<50).map { UnifiedIdentifier.mint(region: region, creditCode: credit, now: base.addingTimeInterval(Double($0) * 0.5), random: UInt32.random(in: 0...UInt32.max)) }
        #expect(ids.map(\.description) == ids.map(\.description).sorted())
    }

    @Test func everySingleCharacterErrorInTheLocalPartIsCaught() {
        let id = UnifiedIdentifier.mint(region: region, creditCode: credit, now: Date(timeIntervalSince1970: 1_790_000_000), random: 12345)
        let text = Array(id.description)
        let localStart = text.count - 15
        for i in localStart..<text.count {
            for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" where c != text[i] {
                var mutated = text
                mutated[i] = c
                #expect(throws: ValidationError.self) { try UnifiedIdentifier(parsing: String(mutated)) }
            }
        }
    }

    @Test(arguments: [
        ("86.440100.11440100MB2C921900", "identifier.separator"),
        ("87.440100.11440100MB2C921900/01M84W5371DMRVD", "identifier.country"),
        ("86.440100/01M84W5371DMRVD", "identifier.prefix"),
        ("86.440012.11440100MB2C921900/01M84W5371DMRVD", "region.structure"),
        ("86.440100.11440100MB2C921901/01M84W5371DMRVD", "credit_code.check_character"),
        ("86.440100.11440100MB2C921900/01M84W5371DMRV", "identifier.local_length"),
        ("86.440100.11440100MB2C921900/01M84W5371DMRUD", "identifier.local_character"),
    ])
    func malformedIdentifiersNameTheProblem(_ text: String, _ code: String) {
        do {
            _ = try UnifiedIdentifier(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code, "\(text): \(error)")
            #expect(error.field?.hasPrefix("identifier") == true)
        }
    }

    @Test func wrongCheckCharacterSaysWhichIsExpected() throws {
        let id = UnifiedIdentifier.mint(region: region, creditCode: credit)
        var text = Array(id.description)
        text[text.count - 1] = text.last == "0" ? "1" : "0"
        do {
            _ = try UnifiedIdentifier(parsing: String(text))
            Issue.record("accepted a wrong check character")
        } catch {
            #expect(error.code == "identifier.check_character")
            #expect(error.message.contains("requires '\(id.local.last.map(String.init) ?? "")'"))
        }
    }

    @Test func ipv6AddressIsPrefixPlusSHA256() throws {
        let prefix = try IPv6Prefix("fd86:4401::/64")
        let id = UnifiedIdentifier.mint(region: region, creditCode: credit, now: Date(timeIntervalSince1970: 1_790_000_000), random: 7)
        let address = id.ipv6Address(in: prefix)
        #expect(prefix.contains(address))
        #expect(address == id.ipv6Address(in: prefix))
        #expect(try IPv6Address(address.description) == address)
        let other = UnifiedIdentifier.mint(region: region, creditCode: credit, now: Date(timeIntervalSince1970: 1_790_000_001), random: 7)
        #expect(other.ipv6Address(in: prefix) != address)
    }
}

@Suite struct IPv6Tests {
    @Test(arguments: [
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"), ("2001:DB8::1", "2001:db8::1"), ("::1", "::1"), ("::", "::"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"), ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("fd86:4401::", "fd86:4401::"),
    ])
    func formatsCanonically(_ input: String, _ canonical: String) throws {
        #expect(try IPv6Address(input).description == canonical)
    }

    @Test(arguments: ["1:2:3", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8:9"])
    func rejectsMalformed(_ text: String) {
        #expect(throws: ValidationError.self) { try IPv6Address(text) }
    }

    @Test func prefixMustBeA64WithZeroInterface() {
        #expect(throws: ValidationError.self) { try IPv6Prefix("fd86::/48") }
        #expect(throws: ValidationError.self) { try IPv6Prefix("fd86::1/64") }
        #expect(throws: ValidationError.self) { try IPv6Prefix("fd86::") }
    }
}
