/// An element of GF(2^255 − 19), the field of Curve25519, for hashing identifiers to the
/// curve (RFC 9380 Elligator 2) and for the X25519 ladder debug builds blind with
/// (`MontgomeryLadder`); no package here exposes the field.
///
/// Four 64-bit limbs, little-endian, kept below 2^256 (not necessarily below p) between
/// operations; `canonicalBytes` reduces fully. Operations do not branch on the value.
struct Field25519: Sendable, Equatable {
    var limbs: (UInt64, UInt64, UInt64, UInt64)

    init(_ l0: UInt64, _ l1: UInt64 = 0, _ l2: UInt64 = 0, _ l3: UInt64 = 0) {
        limbs = (l0, l1, l2, l3)
    }

    static let zero = Field25519(0)
    static let one = Field25519(1)

    /// p = 2^255 − 19.
    static let prime = Field25519(0xFFFF_FFFF_FFFF_FFED, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF)

    static func == (a: Field25519, b: Field25519) -> Bool {
        let x = a.canonical.limbs, y = b.canonical.limbs
        return ((x.0 ^ y.0) | (x.1 ^ y.1) | (x.2 ^ y.2) | (x.3 ^ y.3)) == 0
    }

    /// Reads 32 little-endian bytes (the X25519 u-coordinate encoding); the top bit is
    /// masked as RFC 7748 asks.
    init(littleEndian bytes: some Collection<UInt8>) {
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.prefix(32).enumerated() {
            words[index / 8] |= UInt64(byte) << (UInt64(index % 8) * 8)
        }
        words[3] &= 0x7FFF_FFFF_FFFF_FFFF
        limbs = (words[0], words[1], words[2], words[3])
    }

    /// Reduces a big-endian integer of up to 64 bytes modulo p (RFC 9380's OS2IP then mod p).
    init(reducingBigEndian bytes: some Collection<UInt8>) {
        var result = Field25519.zero
        let base = Field25519(256)
        for byte in bytes {
            result = result * base + Field25519(UInt64(byte))
        }
        self = result
    }

    /// The fully reduced value as 32 little-endian bytes.
    var canonicalBytes: [UInt8] {
        let c = canonical.limbs
        var out = [UInt8](repeating: 0, count: 32)
        for (w, word) in [c.0, c.1, c.2, c.3].enumerated() {
            for b in 0..<8 { out[w * 8 + b] = UInt8(truncatingIfNeeded: word >> (UInt64(b) * 8)) }
        }
        return out
    }

    /// The value reduced into [0, p).
    var canonical: Field25519 {
        // Fold bit 255: x = low255 + 19·top.
        let top = limbs.3 >> 63
        var r = Field25519(limbs.0, limbs.1, limbs.2, limbs.3 & 0x7FFF_FFFF_FFFF_FFFF)
        r = r.addingSmall(19 &* top)
        // Now r < 2^255 + 19; subtract p when r ≥ p, i.e. when r + 19 reaches bit 255.
        let probe = r.addingSmall(19)
        let subtract = probe.limbs.3 >> 63
        let masked = Field25519(probe.limbs.0, probe.limbs.1, probe.limbs.2, probe.limbs.3 & 0x7FFF_FFFF_FFFF_FFFF)
        let mask = 0 &- subtract
        return Field25519(
            (masked.limbs.0 & mask) | (r.limbs.0 & ~mask), (masked.limbs.1 & mask) | (r.limbs.1 & ~mask),
            (masked.limbs.2 & mask) | (r.limbs.2 & ~mask), (masked.limbs.3 & mask) | (r.limbs.3 & ~mask))
    }

    /// Adds a value below 2^63 with carries through every limb (no wrap past 2^256 for
    /// the inputs used here: the top limb stays below 2^63 + 1 before the call).
    private func addingSmall(_ v: UInt64) -> Field25519 {
        let (a0, c0) = limbs.0.addingReportingOverflow(v)
        let (a1, c1) = limbs.1.addingReportingOverflow(c0 ? 1 : 0)
        let (a2, c2) = limbs.2.addingReportingOverflow(c1 ? 1 : 0)
        let a3 = limbs.3 &+ (c2 ? 1 : 0)
        return Field25519(a0, a1, a2, a3)
    }

    /// Adds 38·carry (2^256 ≡ 38); a second carry leaves the low limb tiny, so the
    /// 38 it adds cannot carry again.
    @inline(__always)
    private static func fold(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, carry: UInt64) -> Field25519 {
        let (a0, o0) = l0.addingReportingOverflow(carry &* 38)
        let (a1, o1) = l1.addingReportingOverflow(o0 ? 1 : 0)
        let (a2, o2) = l2.addingReportingOverflow(o1 ? 1 : 0)
        let (a3, o3) = l3.addingReportingOverflow(o2 ? 1 : 0)
        return Field25519(a0 &+ (o3 ? 38 : 0), a1, a2, a3)
    }

    /// t += a·b + carry, leaving the high word in carry (never overflows: the sum is below 2^128).
    @inline(__always)
    private static func mac(_ t: inout UInt64, _ a: UInt64, _ b: UInt64, _ carry: inout UInt64) {
        let (high, low) = a.multipliedFullWidth(by: b)
        let (s1, o1) = t.addingReportingOverflow(low)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        t = s2
        carry = high &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
    }

    static func + (a: Field25519, b: Field25519) -> Field25519 {
        let (s0, c0) = a.limbs.0.addingReportingOverflow(b.limbs.0)
        let (t1, d1) = a.limbs.1.addingReportingOverflow(b.limbs.1)
        let (s1, e1) = t1.addingReportingOverflow(c0 ? 1 : 0)
        let (t2, d2) = a.limbs.2.addingReportingOverflow(b.limbs.2)
        let (s2, e2) = t2.addingReportingOverflow((d1 || e1) ? 1 : 0)
        let (t3, d3) = a.limbs.3.addingReportingOverflow(b.limbs.3)
        let (s3, e3) = t3.addingReportingOverflow((d2 || e2) ? 1 : 0)
        return fold(s0, s1, s2, s3, carry: (d3 || e3) ? 1 : 0)
    }

    static func - (a: Field25519, b: Field25519) -> Field25519 {
        let (s0, c0) = a.limbs.0.subtractingReportingOverflow(b.limbs.0)
        let (t1, d1) = a.limbs.1.subtractingReportingOverflow(b.limbs.1)
        let (s1, e1) = t1.subtractingReportingOverflow(c0 ? 1 : 0)
        let (t2, d2) = a.limbs.2.subtractingReportingOverflow(b.limbs.2)
        let (s2, e2) = t2.subtractingReportingOverflow((d1 || e1) ? 1 : 0)
        let (t3, d3) = a.limbs.3.subtractingReportingOverflow(b.limbs.3)
        let (s3, e3) = t3.subtractingReportingOverflow((d2 || e2) ? 1 : 0)
        // A borrow means the wrapped value is a − b + 2^256 ≡ a − b + 38: take 38 off,
        // twice when the first subtraction borrows again.
        let borrow: UInt64 = (d3 || e3) ? 38 : 0
        let (u0, f0) = s0.subtractingReportingOverflow(borrow)
        let (u1, f1) = s1.subtractingReportingOverflow(f0 ? 1 : 0)
        let (u2, f2) = s2.subtractingReportingOverflow(f1 ? 1 : 0)
        let (u3, f3) = s3.subtractingReportingOverflow(f2 ? 1 : 0)
        return Field25519(u0 &- (f3 ? 38 : 0), u1, u2, u3)
    }

    static prefix func - (a: Field25519) -> Field25519 { .zero - a }

    static func * (a: Field25519, b: Field25519) -> Field25519 {
        let (a0, a1, a2, a3) = a.limbs, (b0, b1, b2, b3) = b.limbs
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0
        var t4: UInt64 = 0, t5: UInt64 = 0, t6: UInt64 = 0, t7: UInt64 = 0
        var c: UInt64 = 0
        mac(&t0, a0, b0, &c); mac(&t1, a0, b1, &c); mac(&t2, a0, b2, &c); mac(&t3, a0, b3, &c); t4 = c; c = 0
        mac(&t1, a1, b0, &c); mac(&t2, a1, b1, &c); mac(&t3, a1, b2, &c); mac(&t4, a1, b3, &c); t5 = c; c = 0
        mac(&t2, a2, b0, &c); mac(&t3, a2, b1, &c); mac(&t4, a2, b2, &c); mac(&t5, a2, b3, &c); t6 = c; c = 0
        mac(&t3, a3, b0, &c); mac(&t4, a3, b1, &c); mac(&t5, a3, b2, &c); mac(&t6, a3, b3, &c); t7 = c; c = 0
        // low + 38·high (2^256 ≡ 38 mod p)
        mac(&t0, t4, 38, &c); mac(&t1, t5, 38, &c); mac(&t2, t6, 38, &c); mac(&t3, t7, 38, &c)
        return fold(t0, t1, t2, t3, carry: c)
    }

    /// self · self: a dedicated squaring (cross products once, doubled) and a 4-product
    /// multiplication by the ladder's constant were measured no faster here than the general
    /// product, whose independent word products the compiler schedules well (docs/privacy.md).
    var squared: Field25519 { self * self }

    func squared(times n: Int) -> Field25519 {
        var r = self
        for _ in 0..<n { r = r.squared }
        return r
    }

    /// z^(2^250 − 1), the common stem of inversion and the square-root exponent.
    private var power2To250Minus1: (stem: Field25519, z11: Field25519) {
        let z2 = squared
        let z9 = z2.squared(times: 2) * self
        let z11 = z9 * z2
        let z5 = z11.squared * z9                 // 2^5 − 1
        let z10 = z5.squared(times: 5) * z5       // 2^10 − 1
        let z20 = z10.squared(times: 10) * z10
        let z40 = z20.squared(times: 20) * z20
        let z50 = z40.squared(times: 10) * z10
        let z100 = z50.squared(times: 50) * z50
        let z200 = z100.squared(times: 100) * z100
        let z250 = z200.squared(times: 50) * z50  // 2^250 − 1
        return (z250, z11)
    }

    /// z^(p − 2) = z⁻¹ (0 maps to 0).
    var inverse: Field25519 {
        let (stem, z11) = power2To250Minus1
        return stem.squared(times: 5) * z11
    }

    /// z^((p − 5)/8) = z^(2^252 − 3), the exponent of the Elligator 2 square root.
    var powerPMinus5Over8: Field25519 {
        power2To250Minus1.stem.squared(times: 2) * self
    }

    /// z raised to a 256-bit exponent given as little-endian limbs (constants only).
    func power(_ exponent: [UInt64]) -> Field25519 {
        var result = Field25519.one
        for word in exponent.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                result = result.squared
                if (word >> UInt64(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// Chooses `b` when `condition`, else `a`, without a branch on secret data.
    static func select(_ a: Field25519, _ b: Field25519, if condition: Bool) -> Field25519 {
        let mask: UInt64 = condition ? ~0 : 0
        return Field25519(
            (a.limbs.0 & ~mask) | (b.limbs.0 & mask), (a.limbs.1 & ~mask) | (b.limbs.1 & mask),
            (a.limbs.2 & ~mask) | (b.limbs.2 & mask), (a.limbs.3 & ~mask) | (b.limbs.3 & mask))
    }
}
