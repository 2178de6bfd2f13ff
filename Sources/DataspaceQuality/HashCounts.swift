/// Counts by 64-bit value hash with open addressing: the profiler's exact distinct values and
/// pattern counts. The keys are already well-mixed hashes, so the slot is read from their top
/// bits instead of hashing them again (a Swift `Dictionary` runs SipHash over each key), and
/// one probe both finds a key and, when it is new, places it. Empty slots hold a count of 0.
struct HashCounts {
    private var keys: [UInt64]
    private var counts: [Int]
    private var shift: Int
    /// Keys held.
    private(set) var count = 0

    init(capacity: Int = 64) {
        var slots = 16
        while slots * 7 < capacity * 10 { slots *= 2 }
        keys = [UInt64](repeating: 0, count: slots)
        counts = [Int](repeating: 0, count: slots)
        shift = 64 - slots.trailingZeroBitCount
    }

    /// What `add` did.
    enum Outcome: Equatable {
        /// The key was there; its count grew.
        case counted
        /// The key was new and now counts `amount`.
        case inserted
        /// The key was new and the table already holds `limit` keys: nothing changed.
        case full
    }

    /// Adds `amount` to `key`'s count, placing the key when it is new and fewer than `limit`
    /// keys are held.
    @inline(__always)
    mutating func add(_ key: UInt64, amount: Int = 1, limit: Int) -> Outcome {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: key >> UInt64(shift))
        while true {
            let c = counts[i]
            if c == 0 { break }
            if keys[i] == key {
                counts[i] = c + amount
                return .counted
            }
            i = (i + 1) & mask
        }
        guard count < limit else { return .full }
        if (count + 1) * 10 > keys.count * 7 {
            grow()
            return add(key, amount: amount, limit: limit)
        }
        keys[i] = key
        counts[i] = amount
        count += 1
        return .inserted
    }

    /// The count of `key`, or nil when it is not held.
    func count(of key: UInt64) -> Int? {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: key >> UInt64(shift))
        while counts[i] != 0 {
            if keys[i] == key { return counts[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Every key with its count, in a scattered order: taken in slot order, keys would arrive
    /// sorted by the bits that pick their slot in another table too, and linear probing would
    /// pile them into one ever-growing run there (quadratic merges). An odd stride visits every
    /// slot of a power-of-two table once.
    func forEach(_ body: (UInt64, Int) -> Void) {
        let n = keys.count
        let stride = Int(truncatingIfNeeded: 0x9E37_79B9_7F4A_7C15 as UInt64) & (n - 1) | 1
        var j = 0
        for _ in 0..<n {
            if counts[j] != 0 { body(keys[j], counts[j]) }
            j = (j + stride) & (n - 1)
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldCounts = counts
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        counts = [Int](repeating: 0, count: oldKeys.count * 2)
        shift -= 1
        count = 0
        for j in oldKeys.indices where oldCounts[j] != 0 {
            _ = add(oldKeys[j], amount: oldCounts[j], limit: .max)
        }
    }
}
