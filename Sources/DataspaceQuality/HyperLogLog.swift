import CPrefetch
import Foundation

/// HyperLogLog (Flajolet et al. 2007, with the linear-counting correction for small ranges):
/// distinct counts beyond the exact bound in 2^precision one-byte registers, standard error
/// 1.04/√2^precision — 16 KiB and ≈0.8 % at the full precision of 14. A column of a very wide
/// file gets fewer registers (`ColumnMemory.sketchPrecision`), so that all its columns' sketches
/// fit the assessor's memory bound.
struct HyperLogLog: Sendable {
    static let fullPrecision = 14
    static let lowestPrecision = 8
    let precision: Int
    private(set) var registers: [UInt8]

    init(precision: Int = fullPrecision) {
        self.precision = min(Self.fullPrecision, max(Self.lowestPrecision, precision))
        registers = [UInt8](repeating: 0, count: 1 << self.precision)
    }

    /// The sketch of the values counted exactly in `counts` (keyed by their hashes): the same
    /// registers as adding each value as it came, since a repeat never changes a register.
    init(of counts: HashCounts, precision: Int = fullPrecision) {
        self.init(precision: precision)
        counts.forEach { hash, _ in add(hash: hash) }
    }

    /// Bytes the registers take.
    var bytes: Int { registers.count }

    /// Relative standard error of `estimate`.
    var standardError: Double { 1.04 / Double(registers.count).squareRoot() }

    /// Starts loading the register `add(hash:)` will read (a hint; nothing changes).
    @inline(__always)
    func prefetch(hash: UInt64) {
        let index = Int(hash >> UInt64(64 - precision))
        registers.withUnsafeBufferPointer { r in
            if let base = r.baseAddress { dataspace_prefetch(base + index) }
        }
    }

    @inline(__always)
    mutating func add(hash: UInt64) {
        let index = Int(hash >> UInt64(64 - precision))
        let rest = hash << UInt64(precision) | (1 << UInt64(precision - 1))
        let rank = UInt8(rest.leadingZeroBitCount + 1)
        if rank > registers[index] { registers[index] = rank }
    }

    /// Folds in another sketch of the same column; the result has the lower of the two
    /// precisions (parts of a JSON-lines file may have met a key among different numbers of
    /// columns).
    mutating func merge(_ other: HyperLogLog) {
        if other.precision < precision { self = folded(to: other.precision) }
        let theirs = other.precision > precision ? other.folded(to: precision) : other
        for i in registers.indices where theirs.registers[i] > registers[i] { registers[i] = theirs.registers[i] }
    }

    /// The same sketch with fewer registers: exactly the registers adding the same hashes at
    /// `lower` precision gives. A register's index loses its low `precision - lower` bits to
    /// the rank: if those bits are not all zero, the rank is where their first one is;
    /// otherwise they were leading zeros, added to the old rank.
    func folded(to lower: Int) -> HyperLogLog {
        guard lower < precision else { return self }
        var out = HyperLogLog(precision: lower)
        let dropped = precision - out.precision
        let lowMask = (1 << dropped) - 1
        for (i, rank) in registers.enumerated() where rank > 0 {
            let low = i & lowMask
            let folded = low != 0 ? dropped - (Int.bitWidth - low.leadingZeroBitCount) + 1 : dropped + Int(rank)
            let j = i >> dropped
            if UInt8(folded) > out.registers[j] { out.registers[j] = UInt8(folded) }
        }
        return out
    }

    var estimate: Double {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for r in registers {
            sum += 1 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m, zeros > 0 { return m * log(m / Double(zeros)) }
        return raw
    }
}
