/// What a column of few distinct values already learned about each of them — type, number,
/// whether its shape is counted — so that a value seen before is counted without being
/// classified, ordered against the extremes or probed for in the count and shape tables again.
/// A status, city or category column repeats a handful of values on every row; classifying each
/// anew was most of its cost.
///
/// Repeats are tallied here and folded into the column's tables by `settle`: the counts, shapes
/// and extremes come out exactly as if every value had taken the long path (a value seen before
/// is never a new extreme, and its count and shape slots were placed at its first sight). The
/// memo holds at most `maximumDistinct` values; a column that outgrows it drops it for good.
struct ValueMemo {
    struct Entry {
        /// `ValueScan.hash` of the value; a slot is empty while `occupied` is false.
        var hash: UInt64 = 0
        /// The value's number (an integer or decimal), else nan with `hasNumber` false.
        var number = 0.0
        /// Sightings not yet added to the column's tables.
        var pending = 0
        var type = ValueType.string
        var hasNumber = false
        var occupied = false
        /// The value's shape is in the shape table (else it was counted among other shapes).
        var patternCounted = false
        var patternHash: UInt64 = 0
        /// `ColumnAccumulator.detectorShape` of the value.
        var detectorShape: UInt64 = 0
    }

    /// Distinct values the memo holds before the column drops it.
    static let maximumDistinct = 128
    /// Open-addressed slots: at most half full.
    static let slotCount = 256
    /// What a memo costs its column's share of memory.
    static let bytes = slotCount * MemoryLayout<Entry>.stride

    private var entries: [Entry] = []
    private var held = 0
    /// Whether the memo is in use (else every value takes the long path).
    var isOn: Bool { !entries.isEmpty }
    /// Set once the column outgrew the memo (or had no memory for it): it never starts again.
    private(set) var stopped = false

    /// Turns the memo on (at a column's first value).
    mutating func start() {
        entries = [Entry](repeating: Entry(), count: Self.slotCount)
    }

    /// The entry of `hash` with one more sighting, if the memo holds it.
    @inline(__always)
    mutating func sighting(_ hash: UInt64) -> Entry? {
        entries.withUnsafeMutableBufferPointer { e in
            let mask = Self.slotCount &- 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while e[i].occupied {
                if e[i].hash == hash {
                    e[i].pending &+= 1
                    return e[i]
                }
                i = (i &+ 1) & mask
            }
            return nil
        }
    }

    /// Remembers a value at its first sighting (which the long path counted). False when the
    /// memo is full: the caller settles and stops it.
    mutating func remember(_ hash: UInt64, type: ValueType, number: Double?, patternHash: UInt64, patternCounted: Bool, detectorShape: UInt64) -> Bool {
        guard held < Self.maximumDistinct else { return false }
        let mask = Self.slotCount - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while entries[i].occupied {
            if entries[i].hash == hash { return true }
            i = (i + 1) & mask
        }
        entries[i] = Entry(
            hash: hash, number: number ?? .nan, pending: 0, type: type, hasNumber: number != nil, occupied: true,
            patternCounted: patternCounted, patternHash: patternHash, detectorShape: detectorShape)
        held += 1
        return true
    }

    /// Adds the pending sightings to the column's value counts and shape counts (or its count
    /// of other shapes), leaving none pending.
    mutating func settle(counts: inout HashCounts, patterns: inout HashCounts, otherPatterns: inout Int) {
        for i in entries.indices where entries[i].occupied && entries[i].pending > 0 {
            let entry = entries[i]
            // Both keys were placed at the value's first sighting and tables never drop keys.
            _ = counts.add(entry.hash, amount: entry.pending, limit: .max)
            if entry.patternCounted {
                _ = patterns.add(entry.patternHash, amount: entry.pending, limit: .max)
            } else {
                otherPatterns += entry.pending
            }
            entries[i].pending = 0
        }
    }

    /// Settles and drops the memo: the column's values take the long path from here on.
    mutating func stop(counts: inout HashCounts, patterns: inout HashCounts, otherPatterns: inout Int) {
        settle(counts: &counts, patterns: &patterns, otherPatterns: &otherPatterns)
        entries = []
        stopped = true
    }
}
