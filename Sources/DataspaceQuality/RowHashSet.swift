import CPrefetch

/// A set of 64-bit hashes with open addressing and linear probing: 8 bytes a slot, at most
/// 75 % full, any capacity (the slot is picked by multiply-shift, not a power-of-two mask), so
/// a table sized from an estimate wastes little.
///
/// Not copyable: it owns its slots (or borrows a slice of a caller's region, see
/// `SharedHashSet`), and frees what it owns when it goes.
struct RowHashSet: ~Copyable, @unchecked Sendable {  // sole user of its slots
    /// What an insert found.
    enum Insertion: Equatable {
        /// The hash was new and is now in the set.
        case inserted
        /// The hash was already there.
        case present
        /// The hash was new but the set is at its entry limit: it was not recorded.
        case untracked
    }

    private var slots: UnsafeMutableBufferPointer<UInt64>
    private var owned: Bool
    private var hasZero = false
    /// Borrowed slots not yet written: the first access to each of their pages must be a
    /// write. A read first maps the kernel's shared zero page, and the write after it then
    /// replaces that mapping — a fault that flushes every core's TLB (an interrupt to the
    /// other threads, slow under virtualisation). Measured: page faults 7.7 % of a 1M-row
    /// benchmark run's samples with the page-table lock contended, 2.6 % written first.
    private var unwritten: Bool
    private(set) var count = 0
    /// Entries the set may hold; past it, new hashes are only looked up.
    let limit: Int

    init(capacity: Int = 1 << 10, limit: Int = .max) {
        slots = .allocate(capacity: max(8, capacity))
        slots.initialize(repeating: 0)
        owned = true
        unwritten = false
        self.limit = limit
    }

    /// A set over zeroed memory the caller owns and keeps for the set's lifetime (a slice of
    /// one huge-page region); growing moves the set to memory of its own.
    init(zeroed storage: UnsafeMutableBufferPointer<UInt64>, limit: Int) {
        slots = storage
        owned = false
        unwritten = true
        self.limit = limit
    }

    deinit { if owned { slots.deallocate() } }

    /// Bytes the slots take.
    var bytes: Int { slots.count * 8 }

    /// Starts loading the slot where an insert of `hash` begins (a hint; nothing changes).
    @inline(__always)
    func prefetch(_ hash: UInt64) {
        if let base = slots.baseAddress { dataspace_prefetch(base + Self.home(hash, slots.count)) }
    }

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
        if unwritten { writePages() }
        var capacity = slots.count
        if (count + 1) * 4 > capacity * 3, count < limit { grow(); capacity = slots.count }
        let full = count >= limit || (count + 1) * 4 > capacity * 3
        var i = Self.home(hash, capacity)
        while true {
            let slot = slots[i]
            if slot == hash { return .present }
            if slot == 0 {
                if full { return .untracked }
                slots[i] = hash
                count += 1
                return .inserted
            }
            i += 1
            if i == capacity { i = 0 }
        }
    }

    /// Stores a zero (what the borrowed slots hold) in every page of the slots, before anything
    /// reads them. Only the set's own slots are written, so a neighbouring set in the same
    /// page, behind another lock, is not touched.
    private mutating func writePages() {
        unwritten = false
        guard let base = slots.baseAddress else { return }
        let pageSlots = 4096 / MemoryLayout<UInt64>.stride
        var i = 0
        while i < slots.count {
            (base + i).pointee = 0
            // The next page's first slot (slices of one region need not start on a page).
            i += pageSlots - (Int(bitPattern: base + i) % 4096) / MemoryLayout<UInt64>.stride
        }
    }

    private mutating func grow() {
        // Double, but not past what `limit` entries need at 75 % load.
        let needed = limit > Int.max / 2 ? Int.max : limit / 3 * 4 + 8
        let capacity = min(slots.count * 2, max(slots.count, needed))
        guard capacity > slots.count else { return }
        let old = slots
        let fresh = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: capacity)
        fresh.initialize(repeating: 0)
        for hash in old where hash != 0 {
            var i = Self.home(hash, capacity)
            while fresh[i] != 0 {
                i += 1
                if i == capacity { i = 0 }
            }
            fresh[i] = hash
        }
        if owned { old.deallocate() }
        slots = fresh
        owned = true
    }
}
