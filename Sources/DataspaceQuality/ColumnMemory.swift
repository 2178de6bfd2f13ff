/// The part of the assessor's memory that holds what columns remember — their exact value
/// counts with the values' texts, value shapes, sketches — shared out so that a wide file stays
/// within the bound: 10,000 columns used to take 16 KiB of sketch and 4 KiB of empty tables
/// each, in each part (317 MB for a 2.5 MB file), and a file of long distinct values held
/// about its own size.
///
/// One part's columns draw from its `Pool`; a column takes at most its fair `share`. What does
/// not fit is counted as when a table is full: distinct values by a sketch, shapes as other
/// shapes. Which values fit depends only on the part's own values, so a file profiled twice
/// with the same cuts gives the same report.
struct ColumnMemory {
    /// What one counted distinct value or shape costs besides its text: a slot of the count
    /// table and an entry of the text table, each at its load factor and just after it grew,
    /// and the text's own allocation.
    static let entryBytes = 96

    /// One part's column memory.
    struct Pool: Sendable {
        /// The part's bytes: `ProfileOptions.columnMemory` over the parts.
        let total: Int
        /// Bytes not yet taken by any column.
        var free: Int
        /// The most one column may take.
        private(set) var share: Int
        /// What of `share` a column's counted values and shapes may take: the rest is kept
        /// for the sketch (and filter) it needs once they no longer fit.
        private(set) var countShare: Int

        init(options: ProfileOptions, columns: Int) {
            total = options.columnMemory / max(1, options.parts)
            free = total
            share = 0
            countShare = 0
            resize(columns: columns)
        }

        /// Columns are now `columns` (a JSON-lines part meets new keys): later takes are held
        /// to the smaller share; what a column already holds it keeps.
        mutating func resize(columns: Int) {
            share = total / max(1, columns)
            let reserve = (1 << ColumnMemory.sketchPrecision(share: share)) + (share >= ColumnMemory.filterShare ? ColumnMemory.filterBytes : 0)
            countShare = max(0, share - reserve)
        }

        /// Whether a column that holds `held` may count a value or shape of `bytes` more:
        /// within its share for counts and what the pool has left.
        @inline(__always)
        func fits(_ bytes: Int, held: Int) -> Bool {
            held &+ bytes <= countShare && bytes <= free
        }

        /// Gives `bytes` to a column that holds `held` (after `fits`, or for what must be held
        /// anyway: a sketch of the fewest registers).
        @inline(__always)
        mutating func charge(_ bytes: Int, held: inout Int) {
            held &+= bytes
            free &-= bytes
        }

    }

    /// The most bytes a value's shape takes (32 symbols of up to three bytes, and "…").
    static let patternTextBytes = 99

    /// Sketch precision for a column of `share` bytes: full (16 KiB) when the share holds it
    /// four times over, fewer registers otherwise, never fewer than 256 (≈6.5 % error).
    static func sketchPrecision(share: Int) -> Int {
        var precision = HyperLogLog.fullPrecision
        while precision > HyperLogLog.lowestPrecision && (1 << precision) * 4 > share { precision -= 1 }
        return precision
    }

    /// The report's line for columns whose memory ran out before the limits (`yielded`, with
    /// their sketch's standard error), if any did.
    static func approximation(_ columns: [(yielded: Bool, error: Double?)], options: ProfileOptions) -> String? {
        let yielded = columns.filter(\.yielded)
        guard !yielded.isEmpty else { return nil }
        let error = yielded.compactMap(\.error).max().map { String(format: " (%.1f %% standard error)", $0 * 100) } ?? ""
        return "columns: \(yielded.count) of \(columns.count) outgrew their share of the \(options.columnMemory / 1_000_000) MB for column counts "
            + "before \(options.exactDistinctLimit) distinct values or \(options.patternLimit) shapes; their distinct counts are estimates\(error) "
            + "and their top values and shapes may leave some out — raise the memory bound for exact counts"
    }

    /// Share at which a column also keeps the filter that lets values not in its full table
    /// skip the probe (a speed-up only).
    static let filterShare = 256 << 10
    static let filterBytes = 8 << 10
}
