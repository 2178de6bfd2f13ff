import CPrefetch

/// Counts by 64-bit value hash with open addressing: the profiler's exact distinct values and
/// pattern counts. The keys are already well-mixed hashes, so the slot is read from their top
/// bits instead of hashing them again (a Swift `Dictionary` runs SipHash over each key), and
/// one probe both finds a key and, when it is new, places it. A slot is a key and its count side
/// by side (one cache line holds both; a table of 10,000 keys outgrows the first-level cache);
/// empty slots hold a count of 0.
struct HashCounts {
    /// Slot i's key at 2i, its count at 2i + 1.
    private var slots: [UInt64]
    private var shift: Int
    /// Keys held.
    private(set) var count = 0

    init(capacity: Int = 64) {
        var slotCount = 16
        while slotCount * 7 < capacity * 10 { slotCount *= 2 }
        slots = [UInt64](repeating: 0, count: 2 * slotCount)
        shift = 64 - slotCount.trailingZeroBitCount
    }

    private var slotCount: Int { slots.count >> 1 }

    /// What `add` did.
    enum Outcome: Equatable {
        /// The key was there; its count grew.
        case counted
        /// The key was new and now counts `amount`.
        case inserted
        /// The key was new and the table already holds `limit` keys: nothing changed.
        case full
    }

    /// Adds `amount` (positive) to `key`'s count, placing the key when it is new and fewer than
    /// `limit` keys are held.
    @inline(__always)
    mutating func add(_ key: UInt64, amount: Int = 1, limit: Int) -> Outcome {
        let capacity = slotCount
        let mask = capacity - 1
        let start = Int(truncatingIfNeeded: key >> UInt64(shift))
        let held = count
        // nil when the key was missing and there was no room to place it.
        let outcome: Outcome? = slots.withUnsafeMutableBufferPointer { s in
            var i = start
            while true {
                let c = s[2 &* i &+ 1]
                if c == 0 { break }
                if s[2 &* i] == key {
                    s[2 &* i &+ 1] = c &+ UInt64(amount)
                    return .counted
                }
                i = (i &+ 1) & mask
            }
            guard held < limit else { return .full }
            guard (held + 1) * 10 <= capacity * 7 else { return nil }
            s[2 &* i] = key
            s[2 &* i &+ 1] = UInt64(amount)
            return .inserted
        }
        switch outcome {
        case .inserted?:
            count += 1
            return .inserted
        case let done?: return done
        case nil: return growAndAdd(key, amount: amount, limit: limit)
        }
    }

    /// The rare path of `add`, kept out of line so that `add` (not recursive) can be inlined
    /// into the profiler's per-value loop.
    @inline(never)
    private mutating func growAndAdd(_ key: UInt64, amount: Int, limit: Int) -> Outcome {
        grow()
        return add(key, amount: amount, limit: limit)
    }

    /// Starts loading the slot where a probe for `key` begins (a hint; nothing changes).
    @inline(__always)
    func prefetch(_ key: UInt64) {
        let i = Int(truncatingIfNeeded: key >> UInt64(shift))
        slots.withUnsafeBufferPointer { s in
            if let base = s.baseAddress { dataspace_prefetch(base + 2 &* i) }
        }
    }

    /// The count of `key`, or nil when it is not held.
    func count(of key: UInt64) -> Int? {
        let mask = slotCount - 1
        var i = Int(truncatingIfNeeded: key >> UInt64(shift))
        while slots[2 * i + 1] != 0 {
            if slots[2 * i] == key { return Int(slots[2 * i + 1]) }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Every key with its count, in a scattered order: taken in slot order, keys would arrive
    /// sorted by the bits that pick their slot in another table too, and linear probing would
    /// pile them into one ever-growing run there (quadratic merges). An odd stride visits every
    /// slot of a power-of-two table once.
    func forEach(_ body: (UInt64, Int) -> Void) {
        let n = slotCount
        let stride = Int(truncatingIfNeeded: 0x9E37_79B9_7F4A_7C15 as UInt64) & (n - 1) | 1
        var j = 0
        for _ in 0..<n {
            if slots[2 * j + 1] != 0 { body(slots[2 * j], Int(slots[2 * j + 1])) }
            j = (j + stride) & (n - 1)
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        shift -= 1
        count = 0
        for j in 0..<(old.count >> 1) where old[2 * j + 1] != 0 {
            _ = add(old[2 * j], amount: Int(old[2 * j + 1]), limit: .max)
        }
    }
}
