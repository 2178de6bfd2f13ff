import Crypto
import DataspaceCore
import CryptoExtras
import Foundation

/// Password hashing with scrypt (memory-hard, RFC 7914) from swift-crypto, in a self-describing
/// text form `$scrypt$ln=15,r=8,p=3$SALT$HASH` (base64url), so the cost can rise later without
/// breaking stored hashes. The default, N=2^15 r=8 p=3 (32 MiB, three passes), is one of OWASP's
/// recommended scrypt settings; tests may pass a cheaper one.
public struct PasswordHash: Sendable, Hashable {
    public struct Cost: Sendable, Hashable {
        public var log2N: Int
        public var r: Int
        public var p: Int
        public init(log2N: Int, r: Int, p: Int) {
            self.log2N = log2N
            self.r = r
            self.p = p
        }
        public static let standard = Cost(log2N: 15, r: 8, p: 3)
        /// Accepted when reading a stored hash: anything outside is refused rather than run, so
        /// one verification costs at most 256 MiB (128 · 2^18 · 8 bytes) and 8 passes.
        static let readable = (log2N: 10...18, r: 1...8, p: 1...8)
    }

    /// Passwords are 10 to 256 characters: long enough to resist guessing, bounded so hashing
    /// cannot be made expensive by length.
    public static let lengths = 10...256

    public static func make(_ password: String, cost: Cost = .standard) throws -> String {
        let salt = SecretToken.randomBytes(16)
        let hash = try derive(password, salt: salt, cost: cost)
        return "$scrypt$ln=\(cost.log2N),r=\(cost.r),p=\(cost.p)$\(Base64URL.encode(Data(salt)))$\(Base64URL.encode(hash))"
    }

    /// True if `password` matches `stored`; a malformed stored text is false, never a crash.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0] == "scrypt" else { return false }
        var values: [String: Int] = [:]
        for item in parts[1].split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1]) else { return false }
            values[String(pair[0])] = value
        }
        guard let ln = values["ln"], let r = values["r"], let p = values["p"], Cost.readable.log2N.contains(ln), Cost.readable.r.contains(r),
            Cost.readable.p.contains(p), let salt = Base64URL.decode(parts[2]), let expected = Base64URL.decode(parts[3]),
            expected.count == 32, let actual = try? derive(password, salt: [UInt8](salt), cost: Cost(log2N: ln, r: r, p: p))
        else { return false }
        return SecretToken.equal(Array(actual), Array(expected))
    }

    static func derive(_ password: String, salt: [UInt8], cost: Cost) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << cost.log2N, blockSize: cost.r, parallelism: cost.p,
            maxMemory: 128 * (1 << cost.log2N) * cost.r + (1 << 20))
        return key.withUnsafeBytes { Data($0) }
    }
}

/// Random tokens for cookies, invitations and CSRF, and their stored digests.
public enum SecretToken {
    /// 32 random bytes from the system's CSPRNG, base64url.
    public static func make() -> String { Base64URL.encode(Data(randomBytes(32))) }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Hex SHA-256 of a token: what the store keeps instead of the token.
    public static func digest(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }

    /// Compares two strings in time that depends only on their lengths.
    public static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }

    static func equal(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
