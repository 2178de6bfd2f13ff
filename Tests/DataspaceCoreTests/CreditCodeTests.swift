import DataspaceCore
import Testing

@Suite struct CreditCodeTests {
    @Test func acceptsPublishedExample() throws {
        // A widely cited valid unified social credit code.
        let code = try CreditCode("91350100M000100Y43")
        #expect(code.registrationRegion == "350100")
    }

    @Test func normalizesLowercase() throws {
        #expect(try CreditCode("91350100m000100y43").value == "91350100M000100Y43")
    }

    @Test func rejectsWrongCheckCharacter() {
        #expect(throws: ValidationError.self) { try CreditCode("91350100M000100Y44") }
        do {
            _ = try CreditCode("91350100M000100Y44")
        } catch {
            #expect(error.code == "credit_code.check_character")
            #expect(error.field == "creditCode")
            #expect(error.message.contains("'3'"))
        }
    }

    @Test(arguments: ["91350100M000100Y4", "91350100M000100Y433", ""])
    func rejectsWrongLength(_ text: String) {
        do {
            _ = try CreditCode(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == "credit_code.length")
        }
    }

    @Test(arguments: ["I", "O", "Z", "S", "V", "-"])
    func rejectsCharactersOutsideTheAlphabet(_ bad: String) {
        let text = "91350100M000100" + bad + "43"
        do {
            _ = try CreditCode(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == "credit_code.character")
            #expect(error.message.contains("character 16"))
        }
    }

    @Test func everySingleSubstitutionIsCaught() throws {
        let valid = Array("91350100M000100Y43")
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        for position in 0..<17 {
            for replacement in alphabet where replacement != valid[position] {
                var mutated = valid
                mutated[position] = replacement
                #expect(throws: ValidationError.self) { try CreditCode(String(mutated)) }
            }
        }
    }

    @Test func completingProducesValidCodes() throws {
        let code = try CreditCode.completing("11440100MB2C92190")
        #expect(code.value.count == 18)
        #expect(try CreditCode(code.value) == code)
    }
}

@Suite struct ISO7064Tests {
    @Test func mod11_2MatchesResidentIdentityExample() {
        // GB 11643 example: 11010519491231002X.
        #expect(ISO7064.mod11_2CheckCharacter(for: "11010519491231002") == "X")
        #expect(ISO7064.mod11_2CheckCharacter(for: "44010619900101123") != nil)
        #expect(ISO7064.mod11_2CheckCharacter(for: "4401A") == nil)
    }

    @Test func mod37_36DetectsEverySingleSubstitution() throws {
        let body = Array("86440100ABCDE12345")
        let check = try #require(ISO7064.mod37_36CheckCharacter(for: String(body)))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for i in body.indices {
            for c in alphabet where c != body[i] {
                var mutated = body
                mutated[i] = c
                #expect(ISO7064.mod37_36CheckCharacter(for: String(mutated)) != check)
            }
        }
    }
}
