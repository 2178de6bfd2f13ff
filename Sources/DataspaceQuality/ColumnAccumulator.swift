import DataspaceCore
import Foundation

/// Everything the profiler learns about one column, one value at a time, in bounded memory.
struct ColumnAccumulator {
    let options: ProfileOptions
    var values = 0
    var nulls = 0
    /// Typed values per type, by `ValueType.order`: inline, so counting a value is an add (an
    /// array checked its uniqueness on every write).
    var typeCounts = InlineArray<6, Int>(repeating: 0)
    /// The numbers' mean and variance.
    var moments = RunningMoments()
    var minNumber = Double.infinity
    var maxNumber = -Double.infinity
    var minText: [UInt8]?
    var maxText: [UInt8]?
    /// `ValueScan.orderKey` of `minText` and `maxText`: most values are decided by these alone.
    var minKey: UInt64 = 0
    var maxKey: UInt64 = 0
    var minLength = Int.max
    var maxLength = 0
    // Distinct values: exact (by 64-bit hash) while there are at most `exactDistinctLimit`,
    // then HyperLogLog, made from the exact table's hashes the moment it fills (so a column that
    // stays small never pays for the sketch). Value counts live with the exact set; past the
    // bound only values already seen keep counting (top values become approximate, and are
    // flagged so).
    var hll = HyperLogLog()
    var counts = HashCounts()
    var firstValues: [UInt64: [UInt8]] = [:]
    var countsExact = true
    /// Once the exact table is full no key joins it, so a bitmap of its keys (65,536 bits by the
    /// hash's low bits, 8 KiB) lets a value not in it — nearly every value of a high-cardinality
    /// column — skip the probe into the table; the answer is the same.
    var tableFilter: [UInt64] = []
    var patterns = HashCounts()
    var patternTexts: [UInt64: String] = [:]
    var otherPatterns = 0
    /// Values each sensitive kind matched, by `SensitiveKind.bit`.
    var sensitive = [Int](repeating: 0, count: SensitiveKind.allCases.count)
    var sensitiveChecked = 0
    /// Hashes of shapes no sensitive-data detector can match, by their top six bits (0: none).
    var noCandidateShapes = [UInt64](repeating: 0, count: 64)
    /// Values the detectors may check before claiming more from `detectors`.
    var detectorAllowance = 0
    /// The file's detector budget and this column in it; nil for a column that only fills in
    /// earlier rows' nulls.
    let detectors: DetectorBudget?
    let detectorColumn: DetectorBudget.Column
    /// Values shaped like resident IDs whose check character is wrong.
    var mistypedResidentIDs = 0

    init(options: ProfileOptions, detectors: DetectorBudget? = nil, column: DetectorBudget.Column = .position(0)) {
        self.options = options
        self.detectors = detectors
        detectorColumn = column
    }

    /// Adds a value; returns what it learned of it (the row's duplicate check and the rules
    /// reuse it rather than read the value again).
    @discardableResult
    mutating func add(_ b: UnsafeBufferPointer<UInt8>) -> FieldFacts { add(b, scan: ValueScan(b)) }

    /// As `add(_:)`, with the value's scan already made (`TabularProfiler` scans a block's
    /// values first, to prefetch their table slots).
    @discardableResult
    mutating func add(_ b: UnsafeBufferPointer<UInt8>, scan: ValueScan) -> FieldFacts {
        values += 1
        if ValueClassifier.isNull(b) {
            nulls += 1
            return FieldFacts(hash: scan.hash, number: nil, type: nil)
        }
        let (type, number) = ValueClassifier.classify(b)
        typeCounts[type.order] += 1
        if let number {
            moments.add(number)
            if number < minNumber { minNumber = number }
            if number > maxNumber { maxNumber = number }
        }
        if minText == nil || (scan.orderKey <= minKey && (scan.orderKey < minKey || Self.compare(b, minText ?? []) < 0)) {
            Self.keep(b, in: &minText)
            minKey = scan.orderKey
        }
        if maxText == nil || (scan.orderKey >= maxKey && (scan.orderKey > maxKey || Self.compare(b, maxText ?? []) > 0)) {
            Self.keep(b, in: &maxText)
            maxKey = scan.orderKey
        }
        if scan.characters < minLength { minLength = scan.characters }
        if scan.characters > maxLength { maxLength = scan.characters }

        let hash = scan.hash
        if !countsExact { hll.add(hash: hash) }
        // One hash-table probe per value: the slot found is the one updated.
        if countsExact || Self.filterHas(tableFilter, hash) {
            switch counts.add(hash, limit: countsExact ? options.exactDistinctLimit : 0) {
            case .counted: break
            case .inserted: firstValues[hash] = Self.keptText(b)
            case .full:
                if countsExact {
                    countsExact = false
                    hll = HyperLogLog(of: counts)
                    hll.add(hash: hash)
                    tableFilter = Self.filter(of: counts)
                }
            }
        }
        let shape = scan.patternHash
        switch patterns.add(shape, limit: options.patternLimit) {
        case .counted: break
        case .inserted: patternTexts[shape] = ValueClassifier.pattern(b)
        case .full: otherPatterns += 1
        }
        if detectorAllowance > 0 || claimDetectorAllowance() {
            detectorAllowance -= 1
            sensitiveChecked += 1
            // A shape no detector can match is remembered (its hash, in a small direct-mapped
            // table): most columns hold a few such shapes, and their values skip the detectors.
            let slot = Int(truncatingIfNeeded: scan.patternHash >> 58)
            let asciiShape = b.count <= ValueScan.patternSymbols && scan.characters == b.count && scan.patternHash != 0
            if !(asciiShape && noCandidateShapes[slot] == scan.patternHash) {
                let found = SensitiveDetector.matches(in: b)
                if found == .noCandidate {
                    if asciiShape { noCandidateShapes[slot] = scan.patternHash }
                } else if found == .mistypedResidentID {
                    if b.count <= 22 { mistypedResidentIDs += 1 }
                } else {
                    // The kinds' bits, lowest first.
                    var bits = found.kindBits
                    while bits != 0 {
                        sensitive[bits.trailingZeroBitCount] += 1
                        bits &= bits &- 1
                    }
                }
            }
        }
        return FieldFacts(hash: hash, number: number, type: type)
    }

    /// Starts loading the count-table slot a value of this hash will probe (when it will), and
    /// the sketch register it will raise once the column is past the exact bound. Mutating
    /// only so that a call through the profiler's buffer of columns borrows the accumulator in
    /// place: as a plain method it was copied, retaining every array in it.
    @inline(__always)
    mutating func prefetch(_ scan: ValueScan) {
        if countsExact {
            counts.prefetch(scan.hash)
        } else {
            hll.prefetch(hash: scan.hash)
            if Self.filterHas(tableFilter, scan.hash) { counts.prefetch(scan.hash) }
        }
    }

    /// Takes the next block of the column's detector allowance; false once it is spent (the
    /// allowance then stays at -1, so the budget is not asked again for every value).
    mutating func claimDetectorAllowance() -> Bool {
        guard detectorAllowance == 0, let detectors else { return false }
        detectorAllowance = detectors.claim(detectorColumn)
        if detectorAllowance == 0 { detectorAllowance = -1 }
        return detectorAllowance > 0
    }

    /// Folds in the accumulator of a later part of the same column.
    mutating func merge(_ o: ColumnAccumulator) {
        values += o.values
        nulls += o.nulls
        for i in typeCounts.indices { typeCounts[i] += o.typeCounts[i] }
        if o.moments.count > 0 {
            moments.merge(o.moments)
            minNumber = min(minNumber, o.minNumber)
            maxNumber = max(maxNumber, o.maxNumber)
        }
        if let t = o.minText, minText.map({ t.lexicographicallyPrecedes($0) }) ?? true {
            minText = t
            minKey = o.minKey
        }
        if let t = o.maxText, maxText.map({ $0.lexicographicallyPrecedes(t) }) ?? true {
            maxText = t
            maxKey = o.maxKey
        }
        minLength = min(minLength, o.minLength)
        maxLength = max(maxLength, o.maxLength)
        let mineExact = countsExact
        countsExact = countsExact && o.countsExact
        if Self.mergeCounts(&counts, &firstValues, o.counts, o.firstValues, limit: options.exactDistinctLimit) > 0 { countsExact = false }
        if !countsExact {
            // A side still exact has no sketch yet: its table's hashes make it (the merged
            // table holds all of this side's).
            if mineExact { hll = HyperLogLog(of: counts) }
            hll.merge(o.countsExact ? HyperLogLog(of: o.counts) : o.hll)
            tableFilter = Self.filter(of: counts)
        }
        otherPatterns += Self.mergeCounts(&patterns, &patternTexts, o.patterns, o.patternTexts, limit: options.patternLimit)
        otherPatterns += o.otherPatterns
        for i in sensitive.indices { sensitive[i] += o.sensitive[i] }
        sensitiveChecked += o.sensitiveChecked
        mistypedResidentIDs += o.mistypedResidentIDs
    }

    /// Adds `theirs` to `mine` (with the display text of new keys) while `mine` stays within
    /// `limit` keys; returns the count that did not fit.
    static func mergeCounts<Text>(
        _ mine: inout HashCounts, _ texts: inout [UInt64: Text], _ theirs: HashCounts, _ theirTexts: [UInt64: Text], limit: Int
    ) -> Int {
        var overflow = 0
        theirs.forEach { key, count in
            switch mine.add(key, amount: count, limit: limit) {
            case .counted: break
            case .inserted: texts[key] = theirTexts[key]
            case .full: overflow += count
            }
        }
        return overflow
    }

    static func filter(of counts: HashCounts) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: 1 << 10)
        counts.forEach { key, _ in bits[Int(truncatingIfNeeded: key >> 6) & 0x3FF] |= 1 << (key & 63) }
        return bits
    }

    @inline(__always)
    static func filterHas(_ bits: [UInt64], _ key: UInt64) -> Bool {
        bits[Int(truncatingIfNeeded: key >> 6) & 0x3FF] & (1 << (key & 63)) != 0
    }

    @inline(__always)
    static func fold(_ x: UInt64) -> UInt64 {
        let product = x.multipliedFullWidth(by: 0x9FB2_1C65_1E98_DF25)
        return product.high ^ product.low
    }

    @inline(__always)
    static func finish(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }

    /// Replaces a kept extreme with `b`, reusing its storage (the maximum of an increasing
    /// column changes on every row).
    @inline(__always)
    /// The most bytes of a distinct value kept to name it among the top values. A column keeps
    /// the text of up to `exactDistinctLimit` distinct values; whole, a file of long distinct
    /// values held its own size in memory whatever the assessor's bound (3,000 values of 98 KB:
    /// 610 MB peak).
    static let keptTextBytes = 256

    /// A distinct value's text as kept: whole up to `keptTextBytes`, else its first characters
    /// within them and "…".
    static func keptText(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard b.count > keptTextBytes else { return Array(b) }
        var end = keptTextBytes
        // Back to the first byte of a character (not a UTF-8 continuation byte).
        while end > 0 && b[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(b[..<end]) + [0xE2, 0x80, 0xA6]
    }

    static func keep(_ b: UnsafeBufferPointer<UInt8>, in kept: inout [UInt8]?) {
        if var bytes = kept.take() {
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: b)
            kept = bytes
        } else {
            kept = Array(b)
        }
    }

    /// Byte order of a value against a kept one (memcmp, then length), as `lexicographicallyPrecedes`.
    @inline(__always)
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Int {
        b.withUnsafeBufferPointer { b in
            let common = min(a.count, b.count)
            if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                let order = memcmp(pa, pb, common)
                if order != 0 { return Int(order) }
            }
            return a.count - b.count
        }
    }

    func profile(name: String) -> ColumnProfile {
        let nonNull = values - nulls
        let numbers = moments.count
        var types: [ValueType: Int] = [:]
        for type in ValueType.allCases where typeCounts[type.order] > 0 { types[type] = typeCounts[type.order] }
        var valueCounts: [ColumnProfile.ValueCount] = []
        counts.forEach { key, count in valueCounts.append(ColumnProfile.ValueCount(value: String(decoding: firstValues[key] ?? [], as: UTF8.self), count: count)) }
        var shapeCounts: [ColumnProfile.ValueCount] = []
        patterns.forEach { key, count in shapeCounts.append(ColumnProfile.ValueCount(value: patternTexts[key] ?? "", count: count)) }
        let top = Self.ranked(limit: options.topValues, valueCounts)
        let shapes = Self.ranked(limit: options.topValues, shapeCounts)
        return ColumnProfile(
            name: name, values: values, nulls: nulls, types: types, inferredType: Self.inferType(types, nonNull: nonNull),
            distinct: countsExact ? counts.count : Int(hll.estimate.rounded()), distinctExact: countsExact,
            minimum: numbers == nonNull && numbers > 0 ? .number(minNumber) : minText.map { .text(String(decoding: $0, as: UTF8.self)) },
            maximum: numbers == nonNull && numbers > 0 ? .number(maxNumber) : maxText.map { .text(String(decoding: $0, as: UTF8.self)) },
            mean: numbers > 0 ? moments.mean : nil, standardDeviation: numbers > 1 ? (moments.m2 / Double(numbers - 1)).squareRoot() : nil,
            minLength: nonNull > 0 ? minLength : nil, maxLength: nonNull > 0 ? maxLength : nil,
            topValues: top, topValuesExact: countsExact, patterns: shapes,
            sensitive: SensitiveKind.allCases.filter { sensitive[$0.bit] > 0 }
                .map { ColumnProfile.Detection(kind: $0, count: sensitive[$0.bit], checked: sensitiveChecked) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.kind.rawValue < $1.kind.rawValue },
            mistypedResidentIDs: mistypedResidentIDs)
    }

    /// Most frequent first, ties by value.
    static func ranked(limit: Int, _ items: [ColumnProfile.ValueCount]) -> [ColumnProfile.ValueCount] {
        let sorted = items.sorted { a, b in a.count != b.count ? a.count > b.count : a.value < b.value }
        return Array(sorted.prefix(limit))
    }

    /// The narrowest type covering at least `ProfileOptions.typeShare` of the non-null values:
    /// integers widen to decimals, dates to date-times; mixed columns are strings.
    static func inferType(_ types: [ValueType: Int], nonNull: Int) -> ValueType {
        guard nonNull > 0 else { return .string }
        let share = 0.999
        func covers(_ set: [ValueType]) -> Bool { Double(set.reduce(0) { $0 + (types[$1] ?? 0) }) >= share * Double(nonNull) }
        if covers([.boolean]) { return .boolean }
        if covers([.integer]) { return .integer }
        if covers([.integer, .decimal]) { return .decimal }
        if covers([.date]) { return .date }
        if covers([.date, .datetime]) { return .datetime }
        return .string
    }
}
