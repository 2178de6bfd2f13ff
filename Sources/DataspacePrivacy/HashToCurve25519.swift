import Crypto

/// Hashes identifiers to points of Curve25519's prime-order subgroup, as RFC 9380's
/// `curve25519_XMD:SHA-512_ELL2_NU_` suite (expand_message_xmd with SHA-512, Elligator 2,
/// cofactor 8 cleared), returning the Montgomery u-coordinate X25519 takes.
///
/// Private set intersection needs a hash whose discrete logarithm nobody knows: hashing to
/// a scalar and multiplying the base point would let anyone strip the blinding. The suite
/// is the standard one so that another implementation can interoperate and so that the
/// test vectors of the RFC check this one.
public struct HashToCurve25519: Sendable {
    /// The domain separation tag; a deployment's own tag keeps its points apart from any
    /// other use of the same identifiers.
    public let domain: [UInt8]
    private let domainPrime: [UInt8]
    /// SHA-512 after absorbing the 128 zero bytes every message starts with.
    private let paddedStart: SHA512

    public init(domain: String) {
        var tag = Array(domain.utf8)
        if tag.count > 255 {
            // RFC 9380 5.3.3: oversize tags are themselves hashed.
            tag = Array(SHA512.hash(data: Array("H2C-OVERSIZE-DST-".utf8) + tag))
        }
        self.domain = tag
        domainPrime = tag + [UInt8(tag.count)]
        var start = SHA512()
        start.update(data: [UInt8](repeating: 0, count: 128))
        paddedStart = start
    }

    /// The tag this node uses for identifier matching.
    public static let identifiers = HashToCurve25519(domain: "DATASPACE-PSI-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_NU_")

    /// RFC 9380 expand_message_xmd(msg, DST, 48) with SHA-512 (one output block).
    func uniformBytes(_ message: some Sequence<UInt8>) -> [UInt8] {
        var first = paddedStart
        first.update(data: Array(message))
        first.update(data: [0, 48, 0])
        first.update(data: domainPrime)
        let b0 = first.finalize()
        var second = SHA512()
        second.update(data: Array(b0))
        second.update(data: [1])
        second.update(data: domainPrime)
        return Array(second.finalize().prefix(48))
    }

    /// hash_to_field with count 1: the field element Elligator 2 maps.
    func fieldElement(_ message: some Sequence<UInt8>) -> Field25519 {
        Field25519(reducingBigEndian: uniformBytes(message))
    }

    /// The encoded point P = 8·map_to_curve(u) as a projective u-coordinate (X : Z).
    func projectivePoint(_ message: some Sequence<UInt8>) -> (x: Field25519, z: Field25519) {
        let (xn, xd) = Self.elligator2(fieldElement(message))
        return Self.clearCofactor(x: xn, z: xd)
    }

    /// The encoded point's u-coordinate, 32 little-endian bytes.
    public func hash(_ message: some Sequence<UInt8>) -> [UInt8] {
        let (x, z) = projectivePoint(message)
        return (x * z.inverse).canonicalBytes
    }

    /// Hashes many messages with one field inversion for all (Montgomery's trick).
    public func hashBatch(_ messages: [[UInt8]]) -> [[UInt8]] {
        hashBatchElements(messages).map(\.canonicalBytes)
    }

    /// The encoded points' u-coordinates as field elements, one inversion for the batch.
    func hashBatchElements(_ messages: [[UInt8]]) -> [Field25519] {
        guard !messages.isEmpty else { return [] }
        let points = messages.map { projectivePoint($0) }
        var prefix = [Field25519](repeating: .one, count: points.count)
        var running = Field25519.one
        for (i, point) in points.enumerated() {
            prefix[i] = running
            running = running * point.z
        }
        var inverse = running.inverse
        var out = [Field25519](repeating: .zero, count: points.count)
        for i in stride(from: points.count - 1, through: 0, by: -1) {
            let zInverse = inverse * prefix[i]
            inverse = inverse * points[i].z
            out[i] = points[i].x * zInverse
        }
        return out
    }

    // MARK: - Elligator 2 (RFC 9380 G.2.1, u-coordinate only)

    static let montgomeryA = Field25519(486_662)
    /// sqrt(−1) = 2^((p − 1)/4).
    static let squareRootOfMinusOne = Field25519(2).power([
        0xFFFF_FFFF_FFFF_FFFB, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x1FFF_FFFF_FFFF_FFFF,
    ])
    /// 2^((p + 3)/8).
    static let twoToPPlus3Over8 = Field25519(2).power([
        0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x0FFF_FFFF_FFFF_FFFF,
    ])

    /// map_to_curve_elligator2_curve25519, returning x = xn / xd. Only x is needed: X25519
    /// works on the u-coordinate alone, so the sign of y never matters.
    static func elligator2(_ u: Field25519) -> (xn: Field25519, xd: Field25519) {
        let tv1 = (u * u) + (u * u)               // 2u²
        let xd = tv1 + .one                       // never 0: −1 is a square, 2u² is not
        let x1n = -montgomeryA
        let tv2 = xd * xd
        let gxd = tv2 * xd
        var gx1 = montgomeryA * tv1
        gx1 = gx1 * x1n
        gx1 = gx1 + tv2
        gx1 = gx1 * x1n                           // g(x1)·xd³
        var tv3 = gxd * gxd
        let gxd4 = tv3 * tv3
        tv3 = tv3 * gxd
        tv3 = tv3 * gx1                           // gx1·gxd³
        let y11 = (gxd4 * tv3).powerPMinus5Over8 * tv3
        // g(x1) is a square exactly when y11² or (√−1·y11)² = −y11² solves y²·gxd = gx1.
        let check = y11 * y11 * gxd
        let x1IsSquare = check == gx1 || check == -gx1
        let x2n = x1n * tv1
        return (Field25519.select(x2n, x1n, if: x1IsSquare), xd)
    }

    /// Multiplies by the cofactor 8 with three x-only doublings on the Montgomery curve.
    static func clearCofactor(x: Field25519, z: Field25519) -> (x: Field25519, z: Field25519) {
        var (x, z) = (x, z)
        let a24 = Field25519(121_666)             // (A + 2)/4
        for _ in 0..<3 {
            let sum = x + z, difference = x - z
            let sumSquared = sum.squared, differenceSquared = difference.squared
            let product4 = sumSquared - differenceSquared   // 4xz
            x = sumSquared * differenceSquared
            z = product4 * (differenceSquared + a24 * product4)
        }
        return (x, z)
    }
}
