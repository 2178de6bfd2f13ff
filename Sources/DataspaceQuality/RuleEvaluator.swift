import DataspaceCore
import Foundation

/// Evaluates quality rules row by row during the profiling pass, in bounded memory (uniqueness
/// keys: about 11 bytes per distinct key, within `ProfileOptions.memoryLimit`), and turns the counts into dimension scores.
struct RuleEvaluator {
    let rules: QualityRules

    struct Outcome {
        var checked = 0
        var failed = 0
        var samples: [Int] = []
    }

    /// One column's rules, compiled: outcome slots and matchers, its index once the header is known.
    struct ColumnPlan {
        let rule: QualityRules.ColumnRule
        var column: Int?
        var typeSlot: Int?, minSlot: Int?, maxSlot: Int?, enumSlot: Int?, codesSlot: Int?, regexSlot: Int?
        /// Small enumerations compare bytes; large ones (code lists) go through a Set.
        var smallEnum: SmallValueSet?
        var smallCodes: SmallValueSet?
        var fastRegex: ByteRegex?
        var slowRegex: NSRegularExpression?
    }

    struct CheckPlan {
        let check: QualityRules.Check
        var left: Int?, right: Int?
        let slot: Int
    }

    private var resolvedNames = -1
    private var index: [String: Int] = [:]
    private var columnPlans: [ColumnPlan] = []
    private var checkPlans: [CheckPlan] = []
    private var requiredColumns: [Int?] = []
    /// Uniqueness keys (declared keys, then unique columns), their labels, slots and hash sets.
    private let keys: [[String]]
    private var keyColumns: [[Int?]] = []
    private var keySlots: [Int] = []
    private var keySets: [SharedHashSet] = []
    private var freshnessColumn: Int?

    /// Outcomes in slot order (names in `slotNames`), plus any added from outside the row loop.
    private var slotNames: [String] = []
    private var slots: [Outcome] = []
    var extra: [String: Outcome] = [:]

    var rows = 0
    var requiredCells = 0
    var requiredNulls = 0
    var checkedRows = 0
    var inconsistentRows = 0
    var duplicateKeyRows = 0
    /// Key hashes (per key) and their rows waiting to be checked in one batch: the tables are
    /// shared and large, so a lock and a cache miss per row cost more than the rest of the rule.
    private var pendingKeys: [[UInt64]] = []
    private var pendingRows: [Int] = []
    private var keyScratch: [UInt64] = []
    private var keyFound: [Bool] = []
    /// Per row of a block, what the cross-field checks found (`block`).
    private var judgements: [UInt8] = []
    var latest: Date?
    var missingColumns: Set<String> = []
    /// Where zone-less timestamps are read (`ProfileOptions.timeZone`).
    var timeZone = TimeZone(identifier: "Asia/Shanghai") ?? .gmt

    /// The uniqueness keys `rules` declare: key lists, then unique columns.
    static func keys(of rules: QualityRules) -> [[String]] { rules.uniqueKeys + rules.columns.filter(\.unique).map { [$0.name] } }

    /// `keySets` (one per key of `keys(of:)`) are shared by every part of a file; without them
    /// the evaluator makes its own.
    init(rules: QualityRules, keySets shared: [SharedHashSet]? = nil) {
        self.rules = rules
        keys = Self.keys(of: rules)
        func slot(_ name: String) -> Int {
            slotNames.append(name)
            slots.append(Outcome())
            return slots.count - 1
        }
        for rule in rules.columns {
            var plan = ColumnPlan(rule: rule)
            if let t = rule.type { plan.typeSlot = slot("\(rule.name): type \(t.rawValue)") }
            if let m = rule.minimum { plan.minSlot = slot("\(rule.name): min \(Self.format(m))") }
            if let m = rule.maximum { plan.maxSlot = slot("\(rule.name): max \(Self.format(m))") }
            if let e = rule.enumeration {
                plan.enumSlot = slot("\(rule.name): enum")
                if e.count <= Self.smallListLimit { plan.smallEnum = SmallValueSet(e) }
            }
            if let c = rule.codes {
                plan.codesSlot = slot("\(rule.name): codes")
                if c.count <= Self.smallListLimit { plan.smallCodes = SmallValueSet(c) }
            }
            if let pattern = rule.pattern {
                plan.regexSlot = slot("\(rule.name): regex")
                plan.fastRegex = ByteRegex(pattern)
                if plan.fastRegex?.unicodeSensitive != false { plan.slowRegex = try? NSRegularExpression(pattern: pattern) }
            }
            columnPlans.append(plan)
        }
        for check in rules.checks { checkPlans.append(CheckPlan(check: check, slot: slot(check.text))) }
        for key in keys {
            keySlots.append(slot("unique (\(key.joined(separator: ", ")))"))
        }
        keySets = shared?.count == keys.count ? shared ?? [] : keys.map { _ in SharedHashSet(expected: 1 << 16) }
    }

    /// Every rule's counts by name.
    var outcomes: [String: Outcome] {
        var all = extra
        for (name, o) in zip(slotNames, slots) where o.checked > 0 {
            var merged = all[name] ?? Outcome()
            merged.checked += o.checked
            merged.failed += o.failed
            merged.samples = Array((merged.samples + o.samples).prefix(5))
            all[name] = merged
        }
        return all
    }

    /// All columns the rules name.
    var namedColumns: Set<String> {
        Set(rules.columns.map(\.name) + rules.uniqueKeys.flatMap { $0 } + rules.checks.flatMap { [$0.left, $0.right] } + (rules.freshness.map { [$0.column] } ?? []))
    }

    mutating func resolve(_ names: [String]) {
        guard names.count != resolvedNames else { return }
        resolvedNames = names.count
        index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for i in columnPlans.indices {
            columnPlans[i].column = index[columnPlans[i].rule.name]
            if columnPlans[i].column == nil { missingColumns.insert(columnPlans[i].rule.name) }
        }
        for i in checkPlans.indices {
            checkPlans[i].left = index[checkPlans[i].check.left]
            checkPlans[i].right = index[checkPlans[i].check.right]
        }
        let required = rules.columns.filter(\.required).map(\.name)
        requiredColumns = (required.isEmpty ? names : required).map { index[$0] }
        keyColumns = keys.map { $0.map { index[$0] } }
        freshnessColumn = rules.freshness.flatMap { index[$0.column] }
        var reads = [Bool](repeating: false, count: names.count)
        let read = requiredColumns + columnPlans.map(\.column) + checkPlans.flatMap { [$0.left, $0.right] } + keyColumns.flatMap { $0 } + [freshnessColumn]
        for case let column? in read where column < reads.count { reads[column] = true }
        readsColumn = reads
    }

    /// Whether the rules read column i (by the header `resolve` was given): the profiler hands
    /// on the facts of those columns only.
    private(set) var readsColumn: [Bool] = []

    /// Enumerations and code lists of at most this many values are matched by bytes (`SmallValueSet`).
    static let smallListLimit = 16

    /// The rows being evaluated: `ranges[r * width + i]` is row r's column i in `buffer`
    /// (`FieldRange.missing` when the row lacks it), `facts` the same place's profile facts
    /// (type, number, hash), so no value is classified twice.
    struct Block {
        let buffer: UnsafeBufferPointer<UInt8>
        let ranges: UnsafeBufferPointer<FieldRange>
        let facts: UnsafeBufferPointer<FieldFacts>
        let width: Int
        let rows: Int

        /// Row r's column i, nil when the row lacks it or it is null.
        @inline(__always)
        func field(_ r: Int, _ i: Int) -> (value: UnsafeBufferPointer<UInt8>, facts: FieldFacts)? {
            let at = r &* width &+ i
            guard !ranges[at].isMissing, facts[at].type != nil else { return nil }
            return (ranges[at].bytes(in: buffer), facts[at])
        }
    }

    /// One data row (a JSON line): `ranges[i]` is column i's bytes in `buffer`, `missing` when
    /// the row lacks it, and `facts[i]` what profiling found of it.
    mutating func row(
        _ names: [String], _ buffer: UnsafeBufferPointer<UInt8>, _ ranges: UnsafeBufferPointer<FieldRange>, _ facts: UnsafeBufferPointer<FieldFacts>
    ) {
        let width = min(ranges.count, facts.count)
        block(names, Block(buffer: buffer, ranges: ranges, facts: facts, width: width, rows: 1))
    }

    /// A block of data rows, rule by rule: each rule runs over the block's rows in a loop of its
    /// own and notes its counts once (row by row, every rule of every row went through the plans'
    /// optionals and the outcome array — 6 % of a profile). Counts and samples are what row by
    /// row gives: a rule meets its failing rows in file order either way.
    mutating func block(_ names: [String], _ block: Block) {
        resolve(names)
        guard block.rows > 0 else { return }
        let firstRow = rows &+ 1
        rows += block.rows
        precondition(block.ranges.count >= block.rows * block.width && block.facts.count >= block.rows * block.width, "a block's fields")
        // Completeness: required columns, or every column when none is declared required.
        for column in requiredColumns {
            guard let column, column < block.width else {
                // A column the file lacks is null in every row.
                requiredNulls += block.rows
                continue
            }
            for r in 0..<block.rows where block.field(r, column) == nil { requiredNulls += 1 }
        }
        requiredCells += requiredColumns.count * block.rows
        // Validity. The plans are read field by field (`columnPlans[p].x`): binding a whole plan
        // copied it, retaining every array and object inside.
        for p in columnPlans.indices {
            guard let column = columnPlans[p].column, column < block.width else { continue }
            let rule = columnPlans[p].rule
            if let slot = columnPlans[p].typeSlot, let expected = rule.type {
                tally(slot, column, block, firstRow) { _, found in !Self.conforms(found.type ?? .string, to: expected) }
            }
            if let slot = columnPlans[p].minSlot, let min = rule.minimum {
                tally(slot, column, block, firstRow) { _, found in !(found.number.map { $0 >= min } ?? false) }
            }
            if let slot = columnPlans[p].maxSlot, let max = rule.maximum {
                tally(slot, column, block, firstRow) { _, found in !(found.number.map { $0 <= max } ?? false) }
            }
            if let slot = columnPlans[p].enumSlot {
                if let list = columnPlans[p].smallEnum {
                    tally(slot, column, block, firstRow) { value, _ in !list.contains(value) }
                } else if let set = rule.enumeration {
                    tally(slot, column, block, firstRow) { value, _ in !set.contains(String(decoding: value, as: UTF8.self)) }
                }
            }
            if let slot = columnPlans[p].codesSlot {
                if let list = columnPlans[p].smallCodes {
                    tally(slot, column, block, firstRow) { value, _ in !list.contains(value) }
                } else if let set = rule.codes {
                    tally(slot, column, block, firstRow) { value, _ in !set.contains(String(decoding: value, as: UTF8.self)) }
                }
            }
            if let slot = columnPlans[p].regexSlot {
                let fast = columnPlans[p].fastRegex, slow = columnPlans[p].slowRegex
                tally(slot, column, block, firstRow) { value, _ in
                    if let matched = fast?.matches(value) { return !matched }
                    guard let slow else { return nil }
                    let text = String(decoding: value, as: UTF8.self)
                    let whole = NSRange(text.startIndex..., in: text)
                    return slow.firstMatch(in: text, options: [.anchored], range: whole)?.range != whole
                }
            }
        }
        // Consistency: a row is inconsistent when any cross-field check it can be judged by fails.
        if !checkPlans.isEmpty {
            // Per row: bit 0 judged by some check, bit 1 failed one.
            if judgements.count < block.rows { judgements = [UInt8](repeating: 0, count: block.rows) }
            for r in 0..<block.rows { judgements[r] = 0 }
            for c in checkPlans.indices {
                guard let left = checkPlans[c].left, let right = checkPlans[c].right, left < block.width, right < block.width else { continue }
                let op = checkPlans[c].check.op, slot = checkPlans[c].slot
                var checked = 0, failed = 0
                for r in 0..<block.rows {
                    guard let l = block.field(r, left), let rv = block.field(r, right) else { continue }
                    checked += 1
                    if Self.holds(op, l.value, l.facts.number, rv.value, rv.facts.number) {
                        judgements[r] |= 1
                    } else {
                        judgements[r] = 3
                        failed += 1
                        sample(slot, row: firstRow &+ r)
                    }
                }
                slots[slot].checked += checked
                slots[slot].failed += failed
            }
            for r in 0..<block.rows {
                checkedRows += Int(judgements[r] & 1)
                inconsistentRows += Int(judgements[r] >> 1)
            }
        }
        // Uniqueness: declared keys and unique columns, checked in batches (`flushKeys`).
        if !keyColumns.isEmpty {
            if pendingKeys.count != keyColumns.count { pendingKeys = keyColumns.map { _ in [] } }
            for k in keyColumns.indices {
                // Taken out while appended to, so that each append is to an array held once.
                var pending = pendingKeys[k]
                pendingKeys[k] = []
                let columns = keyColumns[k]
                for r in 0..<block.rows {
                    // The key's hash folds its columns' value hashes in order; every null is alike.
                    var key: UInt64 = 0x1F
                    for column in columns {
                        let hash = column.flatMap { $0 < block.width ? block.field(r, $0)?.facts.hash : nil } ?? 0x6A09_E667_F3BC_C908
                        key = ColumnAccumulator.fold(key ^ hash)
                    }
                    pending.append(ColumnAccumulator.finish(key))
                }
                pendingKeys[k] = pending
                slots[keySlots[k]].checked += block.rows
            }
            pendingRows.append(contentsOf: firstRow..<(firstRow &+ block.rows))
            if pendingRows.count >= SharedHashSet.batchSize { flushKeys() }
        }
        // Timeliness: the newest timestamp.
        if rules.freshness != nil, let column = freshnessColumn, column < block.width {
            for r in 0..<block.rows {
                guard let v = block.field(r, column)?.value else { continue }
                let text = String(decoding: v, as: UTF8.self)
                if let date = LocalTimestamp.parse(text, zone: timeZone), date > (latest ?? .distantPast) { latest = date }
            }
        }
    }

    /// Runs one rule over a block's non-null values of `column` and notes its counts in `slot`:
    /// `fails` says whether a value fails it, nil when it cannot tell (not checked).
    @inline(__always)
    private mutating func tally(
        _ slot: Int, _ column: Int, _ block: Block, _ firstRow: Int, _ fails: (UnsafeBufferPointer<UInt8>, FieldFacts) -> Bool?
    ) {
        var checked = 0, failed = 0
        for r in 0..<block.rows {
            guard let (value, found) = block.field(r, column), let failing = fails(value, found) else { continue }
            checked += 1
            if failing {
                failed += 1
                sample(slot, row: firstRow &+ r)
            }
        }
        slots[slot].checked += checked
        slots[slot].failed += failed
    }

    /// Keeps a failing row's number as one of the slot's samples (the first five in file order).
    @inline(__always)
    private mutating func sample(_ slot: Int, row: Int) {
        if slots[slot].samples.count < 5 { slots[slot].samples.append(row) }
    }

    /// Checks the pending keys: a row repeats a key when its hash was in the key's table before
    /// (an earlier row, or a row of another part read before it). Rows are counted once however
    /// many of their keys repeat; samples stay the first rows in file order.
    mutating func flushKeys() {
        guard !pendingRows.isEmpty else { return }
        var repeating = [Bool](repeating: false, count: pendingRows.count)
        for k in pendingKeys.indices {
            _ = pendingKeys[k].withUnsafeBufferPointer { keySets[k].insert(batch: $0, scratch: &keyScratch, found: &keyFound) }
            for (i, found) in keyFound.enumerated() where found {
                slots[keySlots[k]].failed += 1
                if slots[keySlots[k]].samples.count < 5 { slots[keySlots[k]].samples.append(pendingRows[i]) }
                repeating[i] = true
            }
            pendingKeys[k].removeAll(keepingCapacity: true)
        }
        duplicateKeyRows += repeating.reduce(0) { $0 + ($1 ? 1 : 0) }
        pendingRows.removeAll(keepingCapacity: true)
    }

    /// In a column of resident IDs, a value with a wrong check character is a validity failure
    /// ("id_number: resident-id check character"), counted over the ID-shaped values.
    mutating func addResidentIDChecks(_ profile: DatasetProfile) {
        for column in profile.columns where column.isResidentIDColumn {
            let valid = column.sensitive.first { $0.kind == .residentID }?.count ?? 0
            extra["\(column.name): resident-id check character"] = Outcome(
                checked: valid + column.mistypedResidentIDs, failed: column.mistypedResidentIDs, samples: [])
        }
    }

    static func conforms(_ actual: ValueType, to expected: ValueType) -> Bool {
        switch expected {
        case .string: true
        case .decimal: actual == .decimal || actual == .integer
        case .datetime: actual == .datetime || actual == .date
        default: actual == expected
        }
    }

    /// Whether `l op r` holds: numerically when both are numbers (`ln`, `rn`), otherwise by
    /// their bytes (ISO dates and date-times order so).
    static func holds(
        _ op: QualityRules.Check.Operator, _ l: UnsafeBufferPointer<UInt8>, _ ln: Double?, _ r: UnsafeBufferPointer<UInt8>, _ rn: Double?
    ) -> Bool {
        let order: Int
        if let a = ln, let b = rn {
            order = a < b ? -1 : a > b ? 1 : 0
        } else {
            order = compare(l, r)
        }
        switch op {
        case .ge: return order >= 0
        case .le: return order <= 0
        case .gt: return order > 0
        case .lt: return order < 0
        case .eq: return order == 0
        case .ne: return order != 0
        }
    }

    /// The bytes' order (negative, zero, positive), eight at a time: ISO timestamps are 19 or
    /// more bytes, and a `memcmp` call per row was 2 % of a profile with a timestamp check.
    @inline(__always)
    static func compare(_ l: UnsafeBufferPointer<UInt8>, _ r: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(l.count, r.count)
        var i = 0
        if let pl = l.baseAddress, let pr = r.baseAddress {
            while i &+ 8 <= common {
                let a = UInt64(bigEndian: UnsafeRawPointer(pl + i).loadUnaligned(as: UInt64.self))
                let b = UInt64(bigEndian: UnsafeRawPointer(pr + i).loadUnaligned(as: UInt64.self))
                if a != b { return a < b ? -1 : 1 }
                i &+= 8
            }
        }
        while i < common {
            if l[i] != r[i] { return l[i] < r[i] ? -1 : 1 }
            i &+= 1
        }
        return l.count &- r.count
    }

    static func format(_ n: Double) -> String { n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n) }

    /// Folds in a later part of the same file (its row numbers follow ours).
    /// Both sides must have flushed their keys (`TabularProfiler.close` does).
    mutating func merge(_ o: RuleEvaluator) {
        let offset = rows
        rows += o.rows
        for i in slots.indices where i < o.slots.count {
            slots[i].checked += o.slots[i].checked
            slots[i].failed += o.slots[i].failed
            slots[i].samples = Array((slots[i].samples + o.slots[i].samples.map { $0 + offset }).prefix(5))
        }
        for (name, theirs) in o.extra {
            var mine = extra[name] ?? Outcome()
            mine.checked += theirs.checked
            mine.failed += theirs.failed
            mine.samples = Array((mine.samples + theirs.samples.map { $0 + offset }).prefix(5))
            extra[name] = mine
        }
        requiredCells += o.requiredCells
        requiredNulls += o.requiredNulls
        checkedRows += o.checkedRows
        inconsistentRows += o.inconsistentRows
        duplicateKeyRows += o.duplicateKeyRows
        // The key sets are shared by the parts (`init(rules:keySets:)`): a key repeated across
        // parts was already counted by whichever part met it second.
        if let t = o.latest, t > (latest ?? .distantPast) { latest = t }
        missingColumns.formUnion(o.missingColumns)
    }

    /// Report lines for keys whose table reached the memory bound: their repeat counts are
    /// lower bounds.
    func keyApproximations(memoryLimit: Int) -> [String] {
        zip(keys, keySets).compactMap { key, set in
            guard set.untracked > 0 else { return nil }
            return "unique (\(key.joined(separator: ", "))): at least the count shown — \(set.count) distinct keys were tracked within the \(memoryLimit / 1_000_000) MB assessor memory and \(set.untracked) later keys could not be checked against each other; raise the memory bound for an exact count"
        }
    }

    /// The scores: each dimension X = 1 − A/B with A and B named, and the weighted overall.
    func report(duplicateRows: Int?, now: Date = Date()) -> QualityReport {
        var dimensions: [QualityReport.DimensionScore] = []
        func ratio(_ d: QualityRules.Dimension, failed a: Int, of b: Int, _ what: String) {
            guard b > 0 else {
                dimensions.append(.init(dimension: d, score: nil, formula: "not scored: \(what) — nothing to check"))
                return
            }
            dimensions.append(.init(dimension: d, score: 1 - Double(a) / Double(b), formula: "X = 1 − A/B = 1 − \(a)/\(b) (\(what))"))
        }
        ratio(.completeness, failed: requiredNulls, of: requiredCells, "A null cells in \(rules.columns.contains(where: \.required) ? "required columns" : "all columns"), B cells")
        let outcomes = self.outcomes
        let validityRules = outcomes.filter { key, _ in !key.hasPrefix("unique (") && !rules.checks.contains { $0.text == key } }
        ratio(.validity, failed: validityRules.values.reduce(0) { $0 + $1.failed }, of: validityRules.values.reduce(0) { $0 + $1.checked },
              "A rule checks failed, B rule checks on non-null cells")
        if rules.checks.isEmpty {
            dimensions.append(.init(dimension: .consistency, score: nil, formula: "not scored: no cross-field checks declared"))
        } else {
            ratio(.consistency, failed: inconsistentRows, of: checkedRows, "A rows failing a cross-field check, B rows the checks could judge")
        }
        let keys = rules.uniqueKeys + rules.columns.filter(\.unique).map { [$0.name] }
        if keys.isEmpty {
            if let duplicateRows { ratio(.uniqueness, failed: duplicateRows, of: rows, "A rows duplicating an earlier row, B rows") } else {
                dimensions.append(.init(dimension: .uniqueness, score: nil, formula: "not scored: duplicate rows not counted"))
            }
        } else {
            let bound = keySets.contains { $0.untracked > 0 } ? " — at least: the key tables reached the memory bound" : ""
            ratio(.uniqueness, failed: duplicateKeyRows, of: rows, "A rows repeating a declared key\(bound), B rows")
        }
        if let f = rules.freshness {
            if let latest {
                let age = max(0, now.timeIntervalSince(latest))
                let score = age <= f.interval ? 1 : f.interval / age
                dimensions.append(.init(dimension: .timeliness, score: score,
                    formula: "X = min(1, I/age) = min(1, \(Int(f.interval)) s / \(Int(age)) s) (newest \(f.column) \(ISO8601.format(latest)))"))
            } else {
                dimensions.append(.init(dimension: .timeliness, score: 0, formula: "X = 0: no readable timestamp in \(f.column)"))
            }
        } else {
            dimensions.append(.init(dimension: .timeliness, score: nil, formula: "not scored: no freshness rule declared"))
        }
        var weighted = 0.0, total = 0.0
        for d in dimensions {
            guard let s = d.score, let w = rules.weights[d.dimension], w > 0 else { continue }
            weighted += w * s
            total += w
        }
        let rulesOut = outcomes.sorted { $0.key < $1.key }.map { QualityReport.RuleOutcome(rule: $0.key, checked: $0.value.checked, failed: $0.value.failed, sampleRows: $0.value.samples) }
        return QualityReport(
            dimensions: dimensions, overall: total > 0 ? weighted / total : nil, weights: rules.weights, rules: rulesOut,
            implied: rules.implied, missingColumns: missingColumns.sorted())
    }
}

/// The quality evaluation of one file: dimension scores with their formulas, the overall
/// weighted score, and every rule's checked and failed counts with sample row numbers
/// (1-based data rows; values are never copied into the report).
public struct QualityReport: Sendable, Equatable {
    public struct DimensionScore: Sendable, Equatable {
        public let dimension: QualityRules.Dimension
        public let score: Double?
        public let formula: String
    }

    public struct RuleOutcome: Sendable, Equatable {
        public let rule: String
        public let checked: Int
        public let failed: Int
        public let sampleRows: [Int]
    }

    public let dimensions: [DimensionScore]
    public let overall: Double?
    public let weights: [QualityRules.Dimension: Double]
    public let rules: [RuleOutcome]
    /// The rules were implied by the profile (nothing declared).
    public let implied: Bool
    /// Columns the rules name that the file does not have.
    public let missingColumns: [String]

    public func score(_ d: QualityRules.Dimension) -> Double? { dimensions.first { $0.dimension == d }?.score }

    /// Scores from the profile alone when no rules were declared: completeness from nulls,
    /// validity from values not of each column's inferred type (non-string columns), uniqueness
    /// from duplicate rows; consistency and timeliness need declarations.
    public static func implied(by profile: DatasetProfile, now: Date? = nil) -> QualityReport {
        var evaluator = RuleEvaluator(rules: QualityRules.implied(by: profile))
        evaluator.rows = profile.rows
        evaluator.requiredCells = profile.columns.reduce(0) { $0 + $1.values }
        evaluator.requiredNulls = profile.columns.reduce(0) { $0 + $1.nulls }
        for column in profile.columns where column.inferredType != .string && column.nonNull > 0 {
            let conforming = column.types.filter { RuleEvaluator.conforms($0.key, to: column.inferredType) }.values.reduce(0, +)
            evaluator.extra["\(column.name): type \(column.inferredType.rawValue)"] = RuleEvaluator.Outcome(
                checked: column.nonNull, failed: column.nonNull - conforming, samples: [])
        }
        evaluator.addResidentIDChecks(profile)
        return evaluator.report(duplicateRows: profile.duplicateRows, now: now ?? Date())
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "dimensions": .array(dimensions.map { d in
                ["dimension": .string(d.dimension.rawValue), "score": d.score.map { .number($0) } ?? .null, "formula": .string(d.formula)]
            }),
            "weights": .object(Dictionary(uniqueKeysWithValues: weights.map { ($0.key.rawValue, JSONValue.number($0.value)) })),
            "rules": .array(rules.map { r in
                ["rule": .string(r.rule), "checked": .number(Double(r.checked)), "failed": .number(Double(r.failed)),
                 "sampleRows": .array(r.sampleRows.map { .number(Double($0)) })]
            }),
            "implied": .bool(implied), "missingColumns": .array(missingColumns.map { .string($0) }),
        ]
        object["overall"] = overall.map { .number($0) } ?? .null
        return .object(object)
    }
}
