import Foundation

/// Standard base64 that accepts only the canonical encoding. A lenient decoder ignores the
/// unused low bits of the last character, so two different texts decode to the same bytes;
/// for signed notes and receipts that would let a byte change go unnoticed.
enum StrictBase64 {
    static func decode(_ text: some StringProtocol) -> Data? {
        let string = String(text)
        guard let data = Data(base64Encoded: string), data.base64EncodedString() == string else { return nil }
        return data
    }
}
