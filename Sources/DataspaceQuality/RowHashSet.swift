/// A set of 64-bit row hashes with open addressing: 8 bytes a slot, at most 70 % full, so
/// duplicate rows of a 10-million-row file take ~128 MB rather than a Set's ~300 MB.
struct RowHashSet {
    private var slots: [UInt64]
    private var hasZero = false
    private(set) var count = 0

    init(capacity: Int = 1 << 16) { slots = [UInt64](repeating: 0, count: capacity) }

    /// Inserts `hash`; returns false when it was already there.
    mutating func insert(_ hash: UInt64) -> Bool {
        if hash == 0 {
            defer { hasZero = true }
            if !hasZero { count += 1 }
            return !hasZero
        }
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let slot = slots[i]
            if slot == 0 {
                slots[i] = hash
                count += 1
                return true
            }
            if slot == hash { return false }
            i = (i + 1) & mask
        }
    }

    /// Adds every hash of `other`; returns how many were already here (rows duplicated across
    /// the two parts of a file).
    mutating func merge(_ other: RowHashSet) -> Int {
        var already = 0
        if other.hasZero, !insert(0) { already += 1 }
        // Visit the other table's slots in a scattered order (an odd stride cycles through every
        // slot of a power-of-two table): taken in slot order, the hashes would arrive sorted by
        // the bits that pick their slot here too, and linear probing would pile them into one
        // ever-growing run — quadratic time.
        let n = other.slots.count
        let stride = Int(truncatingIfNeeded: 0x9E37_79B9_7F4A_7C15 as UInt64) & (n - 1) | 1
        var j = 0
        for _ in 0..<n {
            let hash = other.slots[j]
            if hash != 0, !insert(hash) { already += 1 }
            j = (j + stride) & (n - 1)
        }
        return already
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        let zeroCounted = hasZero ? 1 : 0
        count = zeroCounted
        for hash in old where hash != 0 { _ = insert(hash) }
    }
}
