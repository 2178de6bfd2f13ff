/// ISO/IEC 7064 check character systems used by Chinese identifiers and by our own.
public enum ISO7064 {
    static let alphanumeric: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    /// ISO/IEC 7064 MOD 37,36 (hybrid system): alphanumeric input, one alphanumeric check character.
    /// Catches every single-character substitution and most adjacent transpositions.
    /// Returns nil when the input holds a character outside 0-9A-Z.
    public static func mod37_36CheckCharacter(for input: some StringProtocol) -> Character? {
        let m = 36
        var product = m
        for character in input {
            guard let value = alphanumericValue(character) else { return nil }
            var sum = (product + value) % m
            if sum == 0 { sum = m }
            product = (sum * 2) % (m + 1)
        }
        let check = (m + 1 - product) % m
        return alphanumeric[check]
    }

    /// ISO/IEC 7064 MOD 11-2, as used by the 18-digit PRC resident identity number (check 0-9 or X).
    public static func mod11_2CheckCharacter(for digits: some StringProtocol) -> Character? {
        mod11_2CheckByte(for: digits.utf8).map { Character(UnicodeScalar($0)) }
    }

    /// The same over ASCII bytes, answering the check character's byte (`0`–`9` or `X`): the
    /// sensitive-data detectors check every candidate value without making a string of it.
    public static func mod11_2CheckByte(for digits: some Sequence<UInt8>) -> UInt8? {
        var sum = 0
        for byte in digits {
            guard byte >= 48, byte <= 57 else { return nil }
            sum = ((sum + Int(byte - 48)) * 2) % 11
        }
        let check = (12 - sum % 11) % 11
        return check == 10 ? UInt8(ascii: "X") : UInt8(48 + check)
    }

    static func alphanumericValue(_ character: Character) -> Int? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case 48...57: return Int(ascii - 48)
        case 65...90: return Int(ascii - 55)
        default: return nil
        }
    }
}
