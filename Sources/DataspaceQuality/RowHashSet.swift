/// A set of 64-bit hashes with open addressing and linear probing: 8 bytes a slot, at most
/// 75 % full, any capacity (the slot is picked by multiply-shift, not a power-of-two mask), so
/// a table sized from an estimate wastes little.
struct RowHashSet {
    /// What an insert found.
    enum Insertion: Equatable {
        /// The hash was new and is now in the set.
        case inserted
        /// The hash was already there.
        case present
        /// The hash was new but the set is at its entry limit: it was not recorded.
        case untracked
    }

    private var slots: [UInt64]
    private var hasZero = false
    private(set) var count = 0
    /// Entries the set may hold; past it, new hashes are only looked up.
    let limit: Int

    init(capacity: Int = 1 << 10, limit: Int = .max) {
        slots = [UInt64](repeating: 0, count: max(8, capacity))
        self.limit = limit
    }

    /// Bytes the slots take.
    var bytes: Int { slots.count * 8 }

    @inline(__always)
    private static func home(_ hash: UInt64, _ capacity: Int) -> Int {
        // The low bits: the shared set picks its shard from the top ones.
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15).multipliedFullWidth(by: UInt64(capacity)).high)
    }

    mutating func insert(_ hash: UInt64) -> Insertion {
        if hash == 0 {
            if hasZero { return .present }
            guard count < limit else { return .untracked }
            hasZero = true
            count += 1
            return .inserted
        }
        var capacity = slots.count
        if (count + 1) * 4 > capacity * 3, count < limit { grow(); capacity = slots.count }
        let full = count >= limit || (count + 1) * 4 > capacity * 3
        let result: Insertion = slots.withUnsafeMutableBufferPointer { s in
            var i = Self.home(hash, capacity)
            while true {
                let slot = s[i]
                if slot == hash { return .present }
                if slot == 0 {
                    if full { return .untracked }
                    s[i] = hash
                    return .inserted
                }
                i += 1
                if i == capacity { i = 0 }
            }
        }
        if result == .inserted { count += 1 }
        return result
    }

    private mutating func grow() {
        // Double, but not past what `limit` entries need at 75 % load.
        let needed = limit > Int.max / 2 ? Int.max : limit / 3 * 4 + 8
        let capacity = min(slots.count * 2, max(slots.count, needed))
        guard capacity > slots.count else { return }
        let old = slots
        slots = [UInt64](repeating: 0, count: capacity)
        slots.withUnsafeMutableBufferPointer { s in
            for hash in old where hash != 0 {
                var i = Self.home(hash, capacity)
                while s[i] != 0 {
                    i += 1
                    if i == capacity { i = 0 }
                }
                s[i] = hash
            }
        }
    }
}
