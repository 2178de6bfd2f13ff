/// Which values of a column the sensitive-data detectors look at, and what they found: the
/// values of a sample of rows chosen by their content's hash — the rows whose hash begins with
/// at least `level` zero bits, `level` the least that keeps the sample within
/// `ProfileOptions.sensitiveCheckLimit` values. A sample that would hold less than a quarter of
/// the limit (rows that repeat so often that a few of them outnumber it) takes the level below
/// instead, past the limit; without that, a million identical rows of phone numbers would show
/// none.
///
/// The sample is the same however the file is cut into parts and whichever part runs first:
/// each part checks the rows at or above the level below its own, which never exceeds the whole
/// file's (a part holds fewer rows), and the merge counts at the file's level. So a file
/// assessed twice gives the same report, and the sample spans the whole file. (The parts used to
/// claim the limit in blocks as they reached values: the first values met, all from the start of
/// the file, and differing from run to run near the limit.)
struct DetectorSample {
    /// Levels kept: a row hash's leading zeros, 0…32 (more counts as 32).
    static let levels = 33
    /// Values checked, by level: inline, so counting one is an add (an array's uniqueness was
    /// checked on every write).
    private(set) var checkedAtLevel = InlineArray<33, Int>(repeating: 0)
    /// Rows below this level are no longer checked; 33: none are.
    private(set) var level = 0
    /// Values checked at `level` or above.
    private(set) var checked = 0
    /// Matches by kind and level (`kind.bit * levels + level`), made at the first match.
    private var foundAtLevel: [Int] = []
    /// Values shaped like resident IDs whose check character is wrong, by level.
    private var mistypedAtLevel: [Int] = []
    /// Hashes of shapes no detector can match, by their top six bits (0: none): most columns
    /// hold a few such shapes, and their values skip the detectors.
    private var noCandidateShapes = InlineArray<64, UInt64>(repeating: 0)
    /// Shapes whose every value gets one answer (`SensitiveDetector.matchesTellingShape`), by
    /// their top six bits, and that answer: an e-mail column's values skip the detectors.
    private var decidedShapes = InlineArray<64, UInt64>(repeating: 0)
    private var decidedMatches = InlineArray<64, UInt32>(repeating: 0)

    /// The level of a row whose hash is `key`.
    @inline(__always)
    static func level(of key: UInt64) -> Int { min(levels - 1, key.leadingZeroBitCount) }

    /// Whether a row of this level is still checked (the level below the sample's too).
    @inline(__always)
    func takes(_ rowLevel: Int) -> Bool { rowLevel >= lowestTaken }

    /// The lowest row level still checked; it only rises.
    var lowestTaken: Int { level - 1 }

    /// Runs the detectors over a value of a row at `rowLevel` (`takes` said yes). `shape` is the
    /// value's shape hash when the value is short ASCII (its shape then decides whether any
    /// detector can match), else 0.
    mutating func check(_ b: UnsafeBufferPointer<UInt8>, shape: UInt64, rowLevel: Int, limit: Int) {
        checkedAtLevel[rowLevel] += 1
        if rowLevel >= level {
            checked += 1
            while checked > limit && level < Self.levels {
                checked -= checkedAtLevel[level]
                level += 1
            }
        }
        guard rowLevel >= level - 1 else { return }
        let slot = Int(truncatingIfNeeded: shape >> 58)
        if shape != 0 && noCandidateShapes[slot] == shape { return }
        let found: SensitiveMatches
        if shape != 0 && decidedShapes[slot] == shape {
            found = SensitiveMatches(rawValue: decidedMatches[slot])
        } else {
            let (matched, shapeDecides) = SensitiveDetector.matchesTellingShape(in: b)
            found = matched
            if shape != 0 && shapeDecides {
                decidedShapes[slot] = shape
                decidedMatches[slot] = matched.rawValue
            }
        }
        if found == .noCandidate {
            if shape != 0 { noCandidateShapes[slot] = shape }
        } else if found == .mistypedResidentID {
            if b.count <= 22 {
                if mistypedAtLevel.isEmpty { mistypedAtLevel = [Int](repeating: 0, count: Self.levels) }
                mistypedAtLevel[rowLevel] += 1
            }
        } else {
            if foundAtLevel.isEmpty { foundAtLevel = [Int](repeating: 0, count: SensitiveKind.allCases.count * Self.levels) }
            // The kinds' bits, lowest first.
            var bits = found.kindBits
            while bits != 0 {
                foundAtLevel[bits.trailingZeroBitCount * Self.levels + rowLevel] += 1
                bits &= bits &- 1
            }
        }
    }

    /// Folds in another part's sample of the same column, at the level both together need.
    mutating func merge(_ o: DetectorSample, limit: Int) {
        for i in 0..<Self.levels { checkedAtLevel[i] += o.checkedAtLevel[i] }
        if !o.foundAtLevel.isEmpty {
            if foundAtLevel.isEmpty { foundAtLevel = o.foundAtLevel } else { for i in foundAtLevel.indices { foundAtLevel[i] += o.foundAtLevel[i] } }
        }
        if !o.mistypedAtLevel.isEmpty {
            if mistypedAtLevel.isEmpty { mistypedAtLevel = o.mistypedAtLevel } else { for i in 0..<Self.levels { mistypedAtLevel[i] += o.mistypedAtLevel[i] } }
        }
        level = max(level, o.level)
        checked = Self.sum(checkedAtLevel, from: level)
        while checked > limit && level < Self.levels {
            checked -= checkedAtLevel[level]
            level += 1
        }
    }

    /// The level the report counts from: `level`, or the one below when the sample at `level`
    /// holds less than a quarter of the limit.
    func reportLevel(limit: Int) -> Int {
        level > 0 && checked < limit / 4 ? level - 1 : level
    }

    /// Values the detectors looked at in the reported sample.
    func checkedValues(limit: Int) -> Int {
        Self.sum(checkedAtLevel, from: reportLevel(limit: limit))
    }

    static func sum(_ counts: InlineArray<33, Int>, from level: Int) -> Int {
        var total = 0
        for i in level..<max(level, levels) { total += counts[i] }
        return total
    }

    /// Values of `kind` found in the reported sample.
    func found(_ kind: SensitiveKind, limit: Int) -> Int {
        let from = reportLevel(limit: limit)
        guard !foundAtLevel.isEmpty, from < Self.levels else { return 0 }
        let base = kind.bit * Self.levels
        return foundAtLevel[(base + from)..<(base + Self.levels)].reduce(0, +)
    }

    /// Mistyped resident IDs found in the reported sample.
    func mistypedResidentIDs(limit: Int) -> Int {
        let from = reportLevel(limit: limit)
        guard !mistypedAtLevel.isEmpty, from < Self.levels else { return 0 }
        return mistypedAtLevel[from...].reduce(0, +)
    }
}
