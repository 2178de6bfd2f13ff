/// X25519 scalar multiplication (RFC 7748 §5) over `Field25519`, returning the projective
/// result so that a batch of points shares one field inversion.
///
/// Debug builds blind with this ladder (`PSIBlinding.engine`): this module is optimised in
/// every build, the vendored C library behind swift-crypto's X25519 is not in debug builds.
/// Optimised builds use swift-crypto's, twice as fast here. Tests check the two agree.
enum MontgomeryLadder {
    static let a24 = Field25519(121_665)

    /// RFC 7748 decodeScalar25519: clear the three low bits and the top bit, set bit 254.
    static func clamp(_ scalar: [UInt8]) -> [UInt8] {
        var k = scalar
        k[0] &= 248
        k[31] &= 127
        k[31] |= 64
        return k
    }

    /// k·u as (X : Z); `k` is a clamped 32-byte scalar.
    static func multiply(_ k: [UInt8], _ u: Field25519) -> (x: Field25519, z: Field25519) {
        let x1 = u
        var x2 = Field25519.one, z2 = Field25519.zero, x3 = u, z3 = Field25519.one
        var swap = false
        for t in stride(from: 254, through: 0, by: -1) {
            let bit = (k[t >> 3] >> UInt8(t & 7)) & 1 == 1
            let flip = swap != bit
            (x2, x3) = (Field25519.select(x2, x3, if: flip), Field25519.select(x3, x2, if: flip))
            (z2, z3) = (Field25519.select(z2, z3, if: flip), Field25519.select(z3, z2, if: flip))
            swap = bit
            let a = x2 + z2, b = x2 - z2
            let aa = a.squared, bb = b.squared
            let e = aa - bb
            let c = x3 + z3, d = x3 - z3
            let da = d * a, cb = c * b
            let sum = da + cb, difference = da - cb
            x3 = sum.squared
            z3 = x1 * difference.squared
            x2 = aa * bb
            z2 = e * (aa + a24 * e)
        }
        return (Field25519.select(x2, x3, if: swap), Field25519.select(z2, z3, if: swap))
    }

    /// k·u for many u, 32 bytes each, with one inversion for all. Zero results (inputs of
    /// small order) come back as 32 zero bytes; callers check inputs first.
    static func multiply(_ k: [UInt8], points: [Field25519]) -> [UInt8] {
        guard !points.isEmpty else { return [] }
        let projective = points.map { multiply(k, $0) }
        var prefix = [Field25519](repeating: .one, count: projective.count)
        var running = Field25519.one
        for (i, p) in projective.enumerated() {
            prefix[i] = running
            // A zero Z (small-order input) would poison the batch: count it as one.
            running = running * Field25519.select(p.z, .one, if: p.z == .zero)
        }
        var inverse = running.inverse
        var out = [UInt8](repeating: 0, count: projective.count * 32)
        for i in stride(from: projective.count - 1, through: 0, by: -1) {
            let z = projective[i].z
            let zIsZero = z == .zero
            let zInverse = inverse * prefix[i]
            inverse = inverse * Field25519.select(z, .one, if: zIsZero)
            let bytes = zIsZero ? [UInt8](repeating: 0, count: 32) : (projective[i].x * zInverse).canonicalBytes
            out.replaceSubrange(i * 32..<(i + 1) * 32, with: bytes)
        }
        return out
    }
}
