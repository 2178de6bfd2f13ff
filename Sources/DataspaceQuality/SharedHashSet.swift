import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One set of 64-bit hashes (whole rows, or a uniqueness key) shared by every part of a file
/// profiled in parallel: the parts insert into it as they read, so there is one table per file
/// rather than one per part merged at the end (which doubled the peak). It is split into
/// shards by the hash's top bits, each behind its own lock, so two threads rarely wait on each
/// other and a shard grows on its own (the growth's transient copy is a shard, not the table).
///
/// Sized up front from the expected number of rows; `limit` caps the entries (the memory
/// bound): past it, hashes not already recorded are counted as `untracked`, and the duplicate
/// count found is then a lower bound — the report says so.
final class SharedHashSet: Sendable {
    static let shardBits = 8
    /// How many hashes ahead a slot is prefetched: a probe is a miss to memory (the tables
    /// are hundreds of MB), and at 6 ahead half of an insert's time was still the wait for it.
    static let prefetchDistance = 16
    /// Hashes a caller gathers before inserting them as a batch: about 64 a shard, so that most
    /// of a shard's probes run with their slots already asked for.
    static let batchSize = 16_384
    private final class Shard: Sendable {
        let table: Mutex<RowHashSet>
        init(_ table: consuming RowHashSet) { self.table = Mutex(table) }
    }
    private let shards: [Shard]
    private let untrackedCount = Atomic<Int>(0)
    /// Batches inserted so far: where the next batch starts its round of the shards.
    private let visits = Atomic<Int>(0)
    /// The shards' slots, one anonymous mapping (zeroed by the kernel) with huge pages asked
    /// for: a probe is a random access into a table of up to hundreds of MB, and with 4 KiB
    /// pages nearly every one also missed the TLB (a page walk, nested under virtualisation) —
    /// measured at over 300 ns an insert on the 10M-row benchmark. The slots start at the
    /// mapping's first huge-page boundary; the mapping as made is kept for `munmap`.
    private nonisolated(unsafe) let mapping: UnsafeMutableRawPointer?
    private let mappingBytes: Int
    /// Huge pages are 2 MiB on x86-64 and the usual arm64 kernels: a region not on such a
    /// boundary gets 4 KiB pages at both ends (up to 4 MiB of them, each its own fault).
    static let hugePageBytes = 2 << 20

    /// - Parameters:
    ///   - expected: the number of distinct hashes to size for (grows past it if need be).
    ///   - limit: the most hashes recorded in all; beyond it inserts are only looked up.
    init(expected: Int, limit: Int = .max) {
        let n = 1 << Self.shardBits
        let perShard = max(0, min(expected, limit)) / n
        let shardLimit = limit == .max ? Int.max : max(1, limit / n)
        let capacity = perShard / 3 * 4 + 16
        let bytes = capacity * 8 * n
        var mapped: UnsafeMutableRawPointer?, mapping: UnsafeMutableRawPointer?
        let mappingBytes = bytes + Self.hugePageBytes
        #if canImport(Glibc)
        if bytes >= 4 << 20, let p = mmap(nil, mappingBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED {
            mapping = p
            let skip = (Self.hugePageBytes - Int(bitPattern: p) % Self.hugePageBytes) % Self.hugePageBytes
            mapped = p + skip
            _ = madvise(p + skip, bytes, MADV_HUGEPAGE)  // advice only: without it the table still works
        }
        #endif
        self.mapping = mapping
        self.mappingBytes = mapping == nil ? 0 : mappingBytes
        if let mapped {
            let slots = mapped.bindMemory(to: UInt64.self, capacity: capacity * n)
            shards = (0..<n).map { i in
                Shard(RowHashSet(zeroed: UnsafeMutableBufferPointer(start: slots + i * capacity, count: capacity), limit: shardLimit))
            }
        } else {
            shards = (0..<n).map { _ in Shard(RowHashSet(capacity: capacity, limit: shardLimit)) }
        }
    }

    deinit {
        #if canImport(Glibc)
        if let mapping { munmap(mapping, mappingBytes) }
        #endif
    }

    /// Inserts a batch, each shard's share under one lock (stable, so the order within a shard
    /// is kept); returns how many were present. For counts that need no answer per row
    /// (duplicate rows): one lock per shard visit instead of per hash, and the probes of one
    /// shard's hashes run back to back, so their cache misses overlap.
    func insert(batch hashes: UnsafeBufferPointer<UInt64>, scratch: inout [UInt64]) -> Int {
        var unused: [Bool] = []
        return insert(batch: hashes, scratch: &scratch, found: &unused, reportEach: false)
    }

    /// As `insert(batch:scratch:)`, also saying which were present: `found[i]` for `hashes[i]`.
    func insert(batch hashes: UnsafeBufferPointer<UInt64>, scratch: inout [UInt64], found: inout [Bool]) -> Int {
        insert(batch: hashes, scratch: &scratch, found: &found, reportEach: true)
    }

    private func insert(batch hashes: UnsafeBufferPointer<UInt64>, scratch: inout [UInt64], found: inout [Bool], reportEach: Bool) -> Int {
        let n = 1 << Self.shardBits
        let shift = UInt64(64 - Self.shardBits)
        var starts = [Int](repeating: 0, count: n + 1)
        for hash in hashes { starts[Int(truncatingIfNeeded: hash >> shift) + 1] += 1 }
        for i in 0..<n { starts[i + 1] += starts[i] }
        if scratch.count < hashes.count { scratch = [UInt64](repeating: 0, count: hashes.count) }
        // Where each sorted hash came from, when the caller wants an answer per hash.
        var origin = reportEach ? [Int](repeating: 0, count: hashes.count) : []
        if reportEach { found = [Bool](repeating: false, count: hashes.count) }
        var next = starts
        // Through pointers: an array written per hash checked its uniqueness and bounds each time.
        scratch.withUnsafeMutableBufferPointer { scratch in
            next.withUnsafeMutableBufferPointer { next in
                origin.withUnsafeMutableBufferPointer { origin in
                    for (j, hash) in hashes.enumerated() {
                        let shard = Int(truncatingIfNeeded: hash >> shift)
                        let at = next[shard]
                        scratch[at] = hash
                        if reportEach { origin[at] = j }
                        next[shard] = at &+ 1
                    }
                }
            }
        }
        var present = 0, untracked = 0
        scratch.withUnsafeBufferPointer { sorted in
            func insert(_ shard: Int, into table: inout RowHashSet) {
                let end = starts[shard + 1]
                // The slots of the next few hashes are asked for ahead of their probes.
                for i in starts[shard]..<min(end, starts[shard] + Self.prefetchDistance) { table.prefetch(sorted[i]) }
                for i in starts[shard]..<end {
                    if i + Self.prefetchDistance < end { table.prefetch(sorted[i + Self.prefetchDistance]) }
                    switch table.insert(sorted[i]) {
                    case .inserted: break
                    case .present:
                        present += 1
                        if reportEach { found[origin[i]] = true }
                    case .untracked: untracked += 1
                    }
                }
            }
            // Two threads inserting at once would queue behind each other shard after shard
            // (measured: a few per cent of the run spinning in the kernel's lock): each batch
            // starts at its own shard, and a shard another thread holds is left for a second
            // round, when that thread has moved on.
            let first = visits.add(1, ordering: .relaxed).oldValue &* 101
            var busy: [Int] = []
            for step in 0..<n {
                let shard = (first &+ step) & (n - 1)
                guard starts[shard] < starts[shard + 1] else { continue }
                if shards[shard].table.withLockIfAvailable({ insert(shard, into: &$0) }) == nil { busy.append(shard) }
            }
            for shard in busy { shards[shard].table.withLock { insert(shard, into: &$0) } }
        }
        if untracked > 0 { untrackedCount.add(untracked, ordering: .relaxed) }
        return present
    }

    /// Hashes recorded.
    var count: Int { shards.reduce(0) { sum, shard in sum + shard.table.withLock { $0.count } } }
    /// New hashes that found the set full (0 while the set is exact).
    var untracked: Int { untrackedCount.load(ordering: .relaxed) }
}

/// The uniqueness tables of one profile — duplicate rows and each declared key — sized
/// together: each gets an equal share of what `ProfileOptions.memoryLimit` leaves after
/// `fixedMemory` and `columnMemory`, at 75 % load, and is pre-sized for `expectedRows` within that share. The
/// parts of a file share them.
struct UniquenessTables: Sendable {
    let rows: SharedHashSet?
    let keys: [SharedHashSet]

    init(options: ProfileOptions, rules: QualityRules?, expectedRows: Int) {
        let keyCount = rules.map { RuleEvaluator.keys(of: $0).count } ?? 0
        let tables = (options.duplicateRows ? 1 : 0) + keyCount
        let share = max(0, options.memoryLimit - ProfileOptions.fixedMemory - options.columnMemory) / max(1, tables)
        let limit = max(1 << 12, share / 8 / 4 * 3)
        let expected = min(expectedRows, limit)
        rows = options.duplicateRows ? SharedHashSet(expected: expected, limit: limit) : nil
        keys = (0..<keyCount).map { _ in SharedHashSet(expected: expected, limit: limit) }
    }
}
