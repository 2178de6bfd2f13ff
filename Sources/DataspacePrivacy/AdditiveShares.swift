/// Two-party additive secret sharing over Z_2^64 (docs/privacy.md, "Secure aggregation"): a
/// vector v becomes (r, v − r) with r drawn uniformly, so either share alone is a uniformly random
/// vector whatever v is, and the sum of many providers' shares, position by position with
/// wrapping arithmetic, is a sharing of the sum of their vectors.
public enum AdditiveShares {
    /// Splits `values` (signed numbers in two's complement) into two shares.
    /// `random` is the system CSPRNG in production; tests pass a seeded one.
    public static func split<R: RandomNumberGenerator>(_ values: [Int64], using random: inout R) -> (first: [UInt64], second: [UInt64]) {
        var first: [UInt64] = []
        var second: [UInt64] = []
        first.reserveCapacity(values.count)
        second.reserveCapacity(values.count)
        for v in values {
            let r = random.next()
            first.append(r)
            second.append(UInt64(bitPattern: v) &- r)
        }
        return (first, second)
    }

    /// The position-by-position wrapping sum of equally long vectors (an aggregator adding the
    /// providers' shares, or the consumer adding the two aggregators' sums).
    public static func add(_ vectors: [[UInt64]], length: Int) -> [UInt64] {
        var sum = [UInt64](repeating: 0, count: length)
        for v in vectors where v.count == length {
            for i in 0..<length { sum[i] &+= v[i] }
        }
        return sum
    }

    /// The signed numbers two summed shares stand for.
    public static func reveal(_ first: [UInt64], _ second: [UInt64]) -> [Int64] {
        zip(first, second).map { Int64(bitPattern: $0 &+ $1) }
    }
}
