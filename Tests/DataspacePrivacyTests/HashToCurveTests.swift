import BigInt
import Crypto
import Foundation
import Testing

@testable import DataspacePrivacy

/// RFC 9380 Appendix J.7.2 (curve25519_XMD:SHA-512_ELL2_NU_) and the field arithmetic under it.
@Suite struct HashToCurveTests {
    static let quux = HashToCurve25519(domain: "QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_NU_")

    /// Big-endian hex as the RFC prints it, from little-endian bytes.
    static func bigEndianHex(_ bytes: [UInt8]) -> String {
        bytes.reversed().map { String(format: "%02x", $0) }.joined()
    }

    @Test("hash_to_field and map_to_curve match the RFC for the empty message")
    func emptyMessageSteps() {
        let u = Self.quux.fieldElement([UInt8]())
        #expect(Self.bigEndianHex(u.canonicalBytes) == "608d892b641f0328523802a6603427c26e55e6f27e71a91a478148d45b5093cd")
        let (xn, xd) = HashToCurve25519.elligator2(u)
        #expect(Self.bigEndianHex((xn * xd.inverse).canonicalBytes) == "51125222da5e763d97f3c10fcc92ea6860b9ccbbd2eb1285728f566721c1e65b")
    }

    @Test("encode_to_curve matches the RFC vectors", arguments: [
        ("", "1bb913f0c9daefa0b3375378ffa534bda5526c97391952a7789eb976edfe4d08"),
        ("abc", "7c22950b7d900fa866334262fcaea47a441a578df43b894b4625c9b450f9a026"),
        ("abcdef0123456789", "31ad08a8b0deeb2a4d8b0206ca25f567ab4e042746f792f4b7973f3ae2096c52"),
    ])
    func vectors(message: String, expectedX: String) {
        #expect(Self.bigEndianHex(Self.quux.hash(Array(message.utf8))) == expectedX)
        #expect(Self.bigEndianHex(Self.quux.hashBatch([Array(message.utf8), Array("other".utf8)])[0]) == expectedX)
    }

    @Test("field arithmetic agrees with integer arithmetic modulo 2^255 − 19")
    func fieldAgainstReference() {
        var random = SystemRandomNumberGenerator()
        let p = Field25519.prime
        // Edge values: 0, 1, p − 1, p, p + 1, 2^256 − 1 (non-canonical inputs are allowed).
        let edges: [Field25519] = [.zero, .one, p - .one, p, p + .one, Field25519(~0, ~0, ~0, ~0), Field25519(0, 0, 0, 1 << 63)]
        var values = edges
        for _ in 0..<200 { values.append(Field25519(random.next(), random.next(), random.next(), random.next())) }
        for a in values {
            #expect(a * a.inverse == (a == .zero ? .zero : .one))
            #expect((a - a) == .zero)
            #expect(a + (-a) == .zero)
            let b = values[Int(random.next() % UInt64(values.count))]
            #expect((a + b) - b == a)
            #expect(a * b == b * a)
            #expect((a + b) * (a + b) == a * a + (a + a) * b + b * b)
            #expect(a.canonical.limbs.3 >> 63 == 0)
        }
        // Against arbitrary-precision integers: products, sums and differences modulo p.
        let modulus = (BigUInt(1) << 255) - 19
        /// The stored 256-bit integer (canonical or not).
        func integer(_ f: Field25519) -> BigUInt {
            BigUInt(f.limbs.0) | BigUInt(f.limbs.1) << 64 | BigUInt(f.limbs.2) << 128 | BigUInt(f.limbs.3) << 192
        }
        for (i, a) in values.enumerated() {
            let b = values[(i * 7 + 3) % values.count]
            let x = integer(a) % modulus, y = integer(b) % modulus
            #expect(integer((a * b).canonical) == (x * y) % modulus)
            #expect(integer((a + b).canonical) == (x + y) % modulus)
            #expect(integer((a - b).canonical) == (x + modulus - y) % modulus)
            #expect(integer(a.squared.canonical) == (x * x) % modulus)
        }
        // 2^255 ≡ 19 and p ≡ 0.
        #expect(Field25519(0, 0, 0, 1 << 63) == Field25519(19))
        #expect(p == .zero)
        #expect(HashToCurve25519.squareRootOfMinusOne * HashToCurve25519.squareRootOfMinusOne == -Field25519.one)
    }

    @Test("blinding commutes and equal identifiers meet, others do not")
    func commutativeBlinding() async throws {
        let alice = PSIBlinding(), bob = PSIBlinding()
        let ids = (0..<5_000).map { Array("customer-\($0)".utf8) }
        let a = try await alice.hashAndBlind(ids)
        let ab = try await bob.blind(packed: a)
        let b = try await bob.hashAndBlind(ids.reversed())
        let ba = try await alice.blind(packed: b)
        #expect(ab.count == 5_000 * 32)
        let left = Set(stride(from: 0, to: ab.count, by: 32).map { Array(ab[$0..<$0 + 32]) })
        let right = stride(from: 0, to: ba.count, by: 32).map { Array(ba[$0..<$0 + 32]) }
        #expect(left.count == 5_000)
        #expect(right.allSatisfy(left.contains))
        // A different key never meets.
        let other = try await PSIBlinding().blind(packed: b)
        #expect(stride(from: 0, to: other.count, by: 32).allSatisfy { !left.contains(Array(other[$0..<$0 + 32])) })
        // The one-way blinded values hide the identifiers: none equals the bare hash.
        let bare = Set(HashToCurve25519.identifiers.hashBatch(ids))
        #expect(stride(from: 0, to: a.count, by: 32).allSatisfy { !bare.contains(Array(a[$0..<$0 + 32])) })
    }

    @Test("both X25519 engines agree: batches, single points across slices, and arbitrary strings")
    func enginesAgree() async throws {
        var random = SystemRandomNumberGenerator()
        let key = PSIBlinding()
        // 2,500 hashed identifiers span three of the 1,024-point slices the cores share.
        let ids = (0..<2_500).map { Array("batch-\($0)".utf8) }
        let elements = HashToCurve25519.identifiers.hashBatchElements(ids)
        let packed = elements.flatMap(\.canonicalBytes)
        let byLadder = key.multiply(elements: elements, engine: .ladder)
        #expect(key.multiply(elements: elements, engine: .swiftCrypto) == byLadder)
        #expect(key.multiply(packed: packed[...], engine: .swiftCrypto) == byLadder)
        #expect(key.multiply(packed: packed[...], engine: .ladder) == byLadder)
        // The parallel paths (whichever engine this build uses) give the same bytes.
        #expect(try await key.hashAndBlind(ids) == byLadder)
        #expect(try await key.blind(packed: packed) == byLadder)
        for i in [0, 1_023, 1_024, 2_499] {
            #expect(try key.blind(Array(packed[i * 32..<(i + 1) * 32])) == Array(byLadder[i * 32..<(i + 1) * 32]))
        }
        // Arbitrary 32-byte strings (the twist, non-canonical values) and random keys: the
        // ladder matches swift-crypto's key agreement.
        for _ in 0..<64 {
            let other = PSIBlinding()
            let u = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
            guard PSIBlinding.isUsable(u) else { continue }
            let theirs = try other.key.sharedSecretFromKeyAgreement(with: try Curve25519.KeyAgreement.PublicKey(rawRepresentation: u)).withUnsafeBytes { Array($0) }
            #expect(other.multiply(packed: u[...], engine: .ladder) == theirs)
            #expect(other.multiply(packed: u[...], engine: .swiftCrypto) == theirs)
        }
        // RFC 7748 §5.2, first vector.
        let scalar = Self.bytes("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        let u = Self.bytes("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
        #expect(try PSIBlinding(rawRepresentation: scalar).blind(u) == Self.bytes("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"))
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    @Test("small-order points from a peer are refused with their index")
    func smallOrderRefused() async throws {
        var points = [UInt8](repeating: 0, count: 32 * 3)
        points[0] = 9                                      // the base point: fine
        // index 1 stays all-zero: the point of order 2 (u = 0)
        points[64] = 1                                     // u = 1: order 4
        await #expect(throws: PSIBlinding.InvalidPoint(index: 1)) { try await PSIBlinding().blind(packed: points) }
        // Both engines leave zeros for them, which blinding refuses.
        for engine in PSIBlinding.Engine.allCases {
            let out = PSIBlinding().multiply(packed: points[...], engine: engine)
            #expect(out[0..<32].contains { $0 != 0 } && out[32..<96].allSatisfy { $0 == 0 }, "\(engine)")
        }
        // One point at a time too (swift-crypto hands back the zero point).
        #expect(throws: PSIBlinding.InvalidPoint(index: 0)) { try PSIBlinding().blind(Array(points[32..<64])) }
        #expect(throws: PSIBlinding.InvalidPoint(index: 0)) { try PSIBlinding().blind(Array(points[64..<96])) }
        #expect(try PSIBlinding().blind(Array(points[0..<32])).count == 32)
    }
}
