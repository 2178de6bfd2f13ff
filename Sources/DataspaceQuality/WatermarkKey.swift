import Crypto

/// One agreement's watermark key with its HMAC pads hashed once: a value's bit then costs two
/// SHA-256 blocks rather than four, and no key set-up, per value delivered or traced.
public struct WatermarkKey: Sendable {
    private let keyed: HMAC<SHA256>

    public init(_ key: SymmetricKey) { keyed = HMAC<SHA256>(key: key) }

    /// HMAC-SHA256(key, text) & 1, the bit a value whose text before its last digit is `text`
    /// carries.
    func bit(of text: UnsafeRawBufferPointer) -> Int {
        var mac = keyed
        mac.update(data: text)
        return Int(mac.finalize().withUnsafeBytes { $0.first ?? 0 }) & 1
    }
}
