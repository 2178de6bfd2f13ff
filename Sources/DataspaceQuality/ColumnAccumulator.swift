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
    /// The least and greatest text, at most `keptTextBytes` of it (`minCut`, `maxCut`: the
    /// value was longer; its first characters stand for it, ordered as `order` says).
    var minText: [UInt8]?
    var maxText: [UInt8]?
    var minCut = false
    var maxCut = false
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
    var hll: HyperLogLog?
    /// Registers of the sketch when the column needs one: fewer in a wide file (`ColumnMemory`).
    var sketchPrecision = HyperLogLog.fullPrecision
    var counts = HashCounts(capacity: 8)
    var firstValues = KeptTexts()
    var countsExact = true
    /// Once the exact table is full no key joins it, so a bitmap of its keys (65,536 bits, two a
    /// key in one word picked by the hash's low bits, 8 KiB: `filterMarks`) lets a value not in
    /// it — nearly every value of a high-cardinality column — skip the probe into the table; the
    /// answer is the same.
    var tableFilter: [UInt64] = []
    var patterns = HashCounts(capacity: 8)
    /// The shape of the last value whose shape `patterns` holds (`runHeld`), and how many values
    /// of it have come since, not yet added there: most values of a column share its last
    /// value's shape, and a run is added with one probe of the table when it ends instead of
    /// one per value (`endPatternRun`; `settle` ends it before `patterns` is read).
    private var runShape: UInt64 = 0
    private var runHeld = false
    private var runLength = 0
    var patternTexts: [UInt64: String] = [:]
    var otherPatterns = 0
    /// What the sensitive-data detectors checked and found, on a sample of rows (`detect`).
    var detection = DetectorSample()
    /// Bytes taken from the part's `ColumnMemory.Pool` for counted values, shapes and sketch.
    var held = 0
    /// The column's share of memory ran out before `exactDistinctLimit` distinct values (or
    /// `patternLimit` shapes): its counts are estimates sooner than the limits say.
    var yielded = false
    /// The column's values seen before, while there are few (`ValueMemo`): `settle` before
    /// reading `counts` or `patterns`.
    private var memo = ValueMemo()

    init(options: ProfileOptions) {
        self.options = options
    }

    /// Adds a value; returns what it learned of it (the row's duplicate check and the rules
    /// reuse it rather than read the value again).
    @discardableResult
    mutating func add(_ b: UnsafeBufferPointer<UInt8>, memory: inout ColumnMemory.Pool) -> FieldFacts { add(b, scan: ValueScan(b), memory: &memory) }

    /// A missing value (a JSON line without the column's key).
    mutating func addNull() {
        values += 1
        nulls += 1
    }

    /// As `add(_:memory:)`, with the value's scan already made (`TabularProfiler` scans a
    /// block's values first, to prefetch their table slots).
    @discardableResult
    mutating func add(_ b: UnsafeBufferPointer<UInt8>, scan: ValueScan, memory: inout ColumnMemory.Pool) -> FieldFacts {
        values += 1
        if ValueClassifier.isNull(b) {
            nulls += 1
            return FieldFacts(hash: scan.hash, number: nil, type: nil)
        }
        if memo.isOn, let seen = memo.sighting(scan.hash) { return count(seen) }
        let (type, number) = ValueClassifier.classify(b, firstWord: scan.orderKey.byteSwapped)
        typeCounts[type.order] += 1
        if let number {
            moments.add(number)
            if number < minNumber { minNumber = number }
            if number > maxNumber { maxNumber = number }
        }
        if minText == nil || (scan.orderKey <= minKey && (scan.orderKey < minKey || Self.order(b, against: minText ?? [], cut: minCut) < 0)) {
            minCut = Self.keep(b, in: &minText)
            minKey = scan.orderKey
        }
        if maxText == nil || (scan.orderKey >= maxKey && (scan.orderKey > maxKey || Self.order(b, against: maxText ?? [], cut: maxCut) > 0)) {
            maxCut = Self.keep(b, in: &maxText)
            maxKey = scan.orderKey
        }
        if scan.characters < minLength { minLength = scan.characters }
        if scan.characters > maxLength { maxLength = scan.characters }

        let hash = scan.hash
        if !memo.isOn && !memo.stopped {
            // Only where it is a small part of the column's share (not in a very wide file).
            if memory.fits(ValueMemo.bytes &* 8, held: held) {
                memo.start()
                memory.charge(ValueMemo.bytes, held: &held)
            } else {
                memo.stop(counts: &counts, patterns: &patterns, otherPatterns: &otherPatterns)
            }
        }
        if !countsExact { hll?.add(hash: hash) }
        // One hash-table probe per value: the slot found is the one updated. A value new to
        // the table is placed only if its text fits the column's memory.
        if countsExact || Self.filterHas(tableFilter, hash) {
            let textBytes = Self.cutLength(b) &+ 3
            let fits = countsExact && memory.fits(ColumnMemory.entryBytes &+ textBytes, held: held)
            switch counts.add(hash, limit: fits ? options.exactDistinctLimit : min(counts.count, options.exactDistinctLimit)) {
            case .counted: break
            case .inserted:
                let kept = firstValues.keep(hash, b)
                memory.charge(ColumnMemory.entryBytes &+ kept, held: &held)
            case .full:
                if countsExact {
                    if memo.isOn { memo.stop(counts: &counts, patterns: &patterns, otherPatterns: &otherPatterns) }
                    becomeEstimate(adding: hash, memory: &memory)
                }
            }
        }
        let shape = scan.patternHash
        var patternCounted = true
        if runHeld && shape == runShape {
            runLength &+= 1
        } else {
            endPatternRun()
            let shapeFits = memory.fits(ColumnMemory.entryBytes &+ ColumnMemory.patternTextBytes, held: held)
            switch patterns.add(shape, limit: shapeFits ? options.patternLimit : min(patterns.count, options.patternLimit)) {
            case .counted:
                (runShape, runHeld) = (shape, true)
            case .inserted:
                let text = ValueClassifier.pattern(b)
                memory.charge(ColumnMemory.entryBytes &+ text.utf8.count, held: &held)
                patternTexts[shape] = text
                (runShape, runHeld) = (shape, true)
            case .full:
                if patterns.count < options.patternLimit { yielded = true }
                otherPatterns += 1
                patternCounted = false
            }
        }
        // Only a value the count table holds is remembered: its repeats are settled into it.
        let facts = FieldFacts(hash: hash, number: number, type: type)
        if memo.isOn
            && !memo.remember(hash, type: type, number: number, patternHash: shape, patternCounted: patternCounted, detectorShape: Self.detectorShape(b, scan, facts))
        {
            memo.stop(counts: &counts, patterns: &patterns, otherPatterns: &otherPatterns)
        }
        return facts
    }

    /// Whether the column looks its values up in its memo first: the profiler then scans only
    /// their hashes and adds them with `add(_:hash:readableAfter:memory:)`.
    var remembers: Bool { !memo.stopped }

    /// As `add(_:scan:memory:)` for a value of which only `ValueScan.hash` is known: a value
    /// the memo holds is counted from it, any other is scanned whole and takes the long path.
    /// Also returns the value's `detectorShape`.
    @inline(__always)
    mutating func add(_ b: UnsafeBufferPointer<UInt8>, hash: UInt64, readableAfter: Bool, memory: inout ColumnMemory.Pool) -> (facts: FieldFacts, detectorShape: UInt64) {
        if memo.isOn, !ValueClassifier.isNull(b), let seen = memo.sighting(hash) {
            values += 1
            return (count(seen), seen.detectorShape)
        }
        return addScanning(b, readableAfter: readableAfter, memory: &memory)
    }

    /// Counts a value the memo holds: seen before, so the same type and number, not a new
    /// extreme, and already in the count and shape tables (its sighting is pending in the memo).
    @inline(__always)
    private mutating func count(_ seen: ValueMemo.Entry) -> FieldFacts {
        typeCounts[seen.type.order] += 1
        if seen.hasNumber { moments.add(seen.number) }
        return FieldFacts(hash: seen.hash, number: seen.hasNumber ? seen.number : nil, type: seen.type)
    }

    /// The memo's miss: the value scanned whole and added the long way. Out of line, so that the
    /// block's scan loop for the other columns keeps the one inlined copy of the scan.
    @inline(never)
    private mutating func addScanning(_ b: UnsafeBufferPointer<UInt8>, readableAfter: Bool, memory: inout ColumnMemory.Pool) -> (facts: FieldFacts, detectorShape: UInt64) {
        let scan = ValueScan(b, readableAfter: readableAfter)
        let facts = add(b, scan: scan, memory: &memory)
        return (facts, Self.detectorShape(b, scan, facts))
    }

    /// Runs the sensitive-data detectors over a value of a row at `rowLevel`, if the column's
    /// sample still takes that row (`DetectorSample`). `shape` as `detectorShape` gives it.
    @inline(__always)
    mutating func detect(_ b: UnsafeBufferPointer<UInt8>, shape: UInt64, rowLevel: Int) {
        guard shape != Self.nullShape, detection.takes(rowLevel) else { return }
        detection.check(b, shape: shape, rowLevel: rowLevel, limit: options.sensitiveCheckLimit)
    }

    /// What a value is to the detectors: `nullShape` for a null (none of their business), its
    /// shape hash when its shape alone tells whether a detector can match it (short ASCII),
    /// else 0. `facts` is what `add` returned for it.
    @inline(__always)
    static func detectorShape(_ b: UnsafeBufferPointer<UInt8>, _ scan: ValueScan, _ facts: FieldFacts) -> UInt64 {
        if facts.type == nil { return nullShape }
        return b.count <= ValueScan.patternSymbols && scan.characters == b.count ? min(scan.patternHash, nullShape - 1) : 0
    }

    static let nullShape = UInt64.max

    /// Starts loading the count-table slot a value of this hash will probe (when it will), and
    /// the sketch register it will raise once the column is past the exact bound. Mutating
    /// only so that a call through the profiler's buffer of columns borrows the accumulator in
    /// place: as a plain method it was copied, retaining every array in it.
    @inline(__always)
    mutating func prefetch(_ scan: ValueScan) {
        if countsExact {
            counts.prefetch(scan.hash)
        } else {
            hll?.prefetch(hash: scan.hash)
            if Self.filterHas(tableFilter, scan.hash) { counts.prefetch(scan.hash) }
        }
    }

    /// The exact table is full (at the limit, or at the column's memory): distinct values are
    /// estimated from here on, by a sketch made from the table's hashes and `hash`.
    mutating func becomeEstimate(adding hash: UInt64, memory: inout ColumnMemory.Pool) {
        countsExact = false
        if counts.count < options.exactDistinctLimit { yielded = true }
        var sketch = HyperLogLog(of: counts, precision: min(sketchPrecision, ColumnMemory.sketchPrecision(share: memory.share)))
        sketch.add(hash: hash)
        memory.charge(sketch.bytes, held: &held)
        hll = sketch
        if memory.share >= ColumnMemory.filterShare {
            tableFilter = Self.filter(of: counts)
            memory.charge(ColumnMemory.filterBytes, held: &held)
        }
    }

    /// Folds in the accumulator of a later part of the same column.
    mutating func merge(_ other: ColumnAccumulator) {
        // A merged column takes no more values: its memo is settled and dropped.
        endPatternRun()
        memo.stop(counts: &counts, patterns: &patterns, otherPatterns: &otherPatterns)
        var o = other
        o.settle()
        values += o.values
        nulls += o.nulls
        for i in typeCounts.indices { typeCounts[i] += o.typeCounts[i] }
        if o.moments.count > 0 {
            moments.merge(o.moments)
            minNumber = min(minNumber, o.minNumber)
            maxNumber = max(maxNumber, o.maxNumber)
        }
        if let t = o.minText, minText.map({ Self.order(t, cut: o.minCut, $0, cut: minCut) < 0 }) ?? true {
            minText = t
            minCut = o.minCut
            minKey = o.minKey
        }
        if let t = o.maxText, maxText.map({ Self.order(t, cut: o.maxCut, $0, cut: maxCut) > 0 }) ?? true {
            maxText = t
            maxCut = o.maxCut
            maxKey = o.maxKey
        }
        minLength = min(minLength, o.minLength)
        maxLength = max(maxLength, o.maxLength)
        // The merged tables hold at most what both sides held, whose memory the other side's
        // part gives up once merged.
        held += o.held
        yielded = yielded || o.yielded
        sketchPrecision = min(sketchPrecision, o.sketchPrecision)
        let mineExact = countsExact
        countsExact = countsExact && o.countsExact
        if Self.mergeCounts(&counts, o.counts, limit: options.exactDistinctLimit, inserted: { firstValues.copy($0, from: o.firstValues) }) > 0 { countsExact = false }
        if !countsExact {
            // A side still exact has no sketch yet: its table's hashes make it (the merged
            // table holds all of this side's).
            let precision = min(sketchPrecision, hll?.precision ?? .max, o.hll?.precision ?? .max)
            var sketch = mineExact ? HyperLogLog(of: counts, precision: precision) : (hll ?? HyperLogLog(precision: precision))
            sketch.merge(o.countsExact ? HyperLogLog(of: o.counts, precision: precision) : (o.hll ?? HyperLogLog(precision: precision)))
            hll = sketch
            if !tableFilter.isEmpty || !o.tableFilter.isEmpty { tableFilter = Self.filter(of: counts) }
        }
        otherPatterns += Self.mergeCounts(&patterns, o.patterns, limit: options.patternLimit, inserted: { patternTexts[$0] = o.patternTexts[$0] })
        otherPatterns += o.otherPatterns
        detection.merge(o.detection, limit: options.sensitiveCheckLimit)
    }

    /// Adds `theirs` to `mine` while `mine` stays within `limit` keys, telling `inserted` each
    /// key new to `mine` (to copy its display text); returns the count that did not fit.
    static func mergeCounts(_ mine: inout HashCounts, _ theirs: HashCounts, limit: Int, inserted: (UInt64) -> Void) -> Int {
        var overflow = 0
        theirs.forEach { key, count in
            switch mine.add(key, amount: count, limit: limit) {
            case .counted: break
            case .inserted: inserted(key)
            case .full: overflow += count
            }
        }
        return overflow
    }

    static func filter(of counts: HashCounts) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: ColumnMemory.filterBytes / 8)
        counts.forEach { key, _ in bits[Int(truncatingIfNeeded: key >> 6) & 0x3FF] |= filterMarks(key) }
        return bits
    }

    /// A key's two bits in its word of the filter. Two bits in one word rather than one: with
    /// the 10,000 keys of a full table in 65,536 bits, one bit let 14 % of the values not in
    /// the table through to a probe that walks to an empty slot; two let about 7 % through,
    /// still at one load.
    @inline(__always)
    static func filterMarks(_ key: UInt64) -> UInt64 { (1 << (key & 63)) | (1 << ((key >> 16) & 63)) }

    /// Whether `key` may be in the table the filter was made of (always, without a filter).
    @inline(__always)
    static func filterHas(_ bits: [UInt64], _ key: UInt64) -> Bool {
        let marks = filterMarks(key)
        return bits.isEmpty || bits[Int(truncatingIfNeeded: key >> 6) & 0x3FF] & marks == marks
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

    /// The most bytes of a distinct value kept to name it among the top values. A column keeps
    /// the text of up to `exactDistinctLimit` distinct values; whole, a file of long distinct
    /// values held its own size in memory whatever the assessor's bound (3,000 values of 98 KB:
    /// 610 MB peak).
    static let keptTextBytes = 256

    /// How much of `b` is kept: all of it up to `keptTextBytes`, else the characters that fit.
    @inline(__always)
    static func cutLength(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        guard b.count > keptTextBytes else { return b.count }
        var end = keptTextBytes
        // Back to the first byte of a character (not a UTF-8 continuation byte).
        while end > 0 && b[end] & 0xC0 == 0x80 { end -= 1 }
        return end
    }

    /// Replaces a kept extreme with `b` (cut as `cutLength` says), reusing its storage: the
    /// maximum of an increasing column changes on every row. Returns whether `b` was cut.
    @inline(__always)
    static func keep(_ b: UnsafeBufferPointer<UInt8>, in kept: inout [UInt8]?) -> Bool {
        let end = cutLength(b)
        let part = UnsafeBufferPointer(rebasing: b[..<end])
        if var bytes = kept.take() {
            bytes.removeAll(keepingCapacity: true)
            bytes.append(contentsOf: part)
            kept = bytes
        } else {
            kept = Array(part)
        }
        return end < b.count
    }

    /// Byte order (memcmp, then length) of a whole value against a kept extreme.
    @inline(__always)
    static func order(_ a: UnsafeBufferPointer<UInt8>, against kept: [UInt8], cut: Bool) -> Int {
        kept.withUnsafeBufferPointer { order(a, cut: false, $0, cut: cut) }
    }

    static func order(_ a: [UInt8], cut aCut: Bool, _ b: [UInt8], cut bCut: Bool) -> Int {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in order(a, cut: aCut, b, cut: bCut) } }
    }

    /// Byte order of two values, either of which may be the first characters of a longer one
    /// (`cut`). Values that cannot be told apart by what is kept — both begin with the same
    /// kept text — are equal here: an extreme is then either, and reads the same.
    @inline(__always)
    static func order(_ a: UnsafeBufferPointer<UInt8>, cut aCut: Bool, _ b: UnsafeBufferPointer<UInt8>, cut bCut: Bool) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let order = memcmp(pa, pb, common)
            if order != 0 { return Int(order) }
        }
        if a.count == b.count { return aCut == bCut ? 0 : aCut ? 1 : -1 }
        // The shorter is a prefix of the longer: less, unless it stands for a longer value.
        if a.count < b.count { return aCut ? 0 : -1 }
        return bCut ? 0 : 1
    }

    /// Adds the memo's pending repeats and the shape run to the value and shape counts.
    mutating func settle() {
        endPatternRun()
        memo.settle(counts: &counts, patterns: &patterns, otherPatterns: &otherPatterns)
    }

    /// Adds the run of values sharing `runShape` to its count (held in `patterns`, so the
    /// table's keys do not change).
    @inline(__always)
    private mutating func endPatternRun() {
        if runLength > 0 {
            _ = patterns.add(runShape, amount: runLength, limit: .max)
            runLength = 0
        }
    }

    func profile(name: String) -> ColumnProfile {
        var settled = self
        settled.settle()
        return settled.settledProfile(name: name)
    }

    private func settledProfile(name: String) -> ColumnProfile {
        let nonNull = values - nulls
        let numbers = moments.count
        var types: [ValueType: Int] = [:]
        for type in ValueType.allCases where typeCounts[type.order] > 0 { types[type] = typeCounts[type.order] }
        let limit = options.sensitiveCheckLimit
        let top = Self.ranked(limit: options.topValues, counts) { firstValues.text($0) }
        let shapes = Self.ranked(limit: options.topValues, patterns) { patternTexts[$0] ?? "" }
        return ColumnProfile(
            name: name, values: values, nulls: nulls, types: types, inferredType: Self.inferType(types, nonNull: nonNull),
            distinct: countsExact ? counts.count : Int((hll?.estimate ?? Double(counts.count)).rounded()), distinctExact: countsExact,
            minimum: numbers == nonNull && numbers > 0 ? .number(minNumber) : minText.map { .text(String(decoding: $0, as: UTF8.self) + (minCut ? "…" : "")) },
            maximum: numbers == nonNull && numbers > 0 ? .number(maxNumber) : maxText.map { .text(String(decoding: $0, as: UTF8.self) + (maxCut ? "…" : "")) },
            mean: numbers > 0 ? moments.mean : nil, standardDeviation: numbers > 1 ? (moments.m2 / Double(numbers - 1)).squareRoot() : nil,
            minLength: nonNull > 0 ? minLength : nil, maxLength: nonNull > 0 ? maxLength : nil,
            topValues: top, topValuesExact: countsExact, patterns: shapes,
            sensitive: SensitiveKind.allCases.map { ($0, detection.found($0, limit: limit)) }.filter { $0.1 > 0 }
                .map { ColumnProfile.Detection(kind: $0.0, count: $0.1, checked: detection.checkedValues(limit: limit)) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.kind.rawValue < $1.kind.rawValue },
            mistypedResidentIDs: detection.mistypedResidentIDs(limit: limit))
    }

    /// The `limit` most frequent keys of `counts`, most frequent first, ties by text (in the
    /// table's order where the texts are equal too): what sorting them all and taking the first
    /// `limit` gives. Picked in one pass, and a key's text is made only when its count can
    /// still rank — sorting a column's 10,000 counted values by count and text, each made into
    /// a String, was most of the time a 1M-row file spent after its parts ended.
    static func ranked(limit: Int, _ counts: HashCounts, text: (UInt64) -> String) -> [ColumnProfile.ValueCount] {
        guard limit > 0 else { return [] }
        func precedes(_ a: ColumnProfile.ValueCount, _ b: ColumnProfile.ValueCount) -> Bool { a.count != b.count ? a.count > b.count : a.value < b.value }
        // Best first; never more than `limit`.
        var best: [ColumnProfile.ValueCount] = []
        best.reserveCapacity(limit + 1)
        counts.forEach { key, count in
            if best.count == limit, let worst = best.last, count < worst.count { return }
            let item = ColumnProfile.ValueCount(value: text(key), count: count)
            if best.count == limit, let worst = best.last, !precedes(item, worst) { return }
            // After the items it does not precede: an equal one keeps the table's order.
            best.insert(item, at: best.firstIndex { precedes(item, $0) } ?? best.count)
            if best.count > limit { best.removeLast() }
        }
        return best
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
