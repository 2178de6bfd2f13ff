import DataspaceCore
@testable import DataspaceQuality
import Testing

/// A column's repeats counted from its memo of values seen before (`ValueMemo`) give the counts,
/// shapes, types and extremes that classifying every value gives: checked against counts kept
/// here in a plain dictionary, while the memo is in use, after the column outgrows it, past the
/// shape limit and across a merge.
@Suite struct ValueMemoTests {
    /// Feeds `values` to a fresh accumulator.
    func accumulate(_ values: [String], options: ProfileOptions = Self.options) -> ColumnAccumulator {
        var column = ColumnAccumulator(options: options)
        var memory = ColumnMemory.Pool(options: options, columns: 1)
        for value in values {
            let bytes = Array(value.utf8)
            bytes.withUnsafeBufferPointer { _ = column.add($0, memory: &memory) }
        }
        return column
    }

    /// Every value and shape listed.
    static let options: ProfileOptions = {
        var options = ProfileOptions()
        options.topValues = 10_000
        return options
    }()

    func counts(_ items: [ColumnProfile.ValueCount]) -> [String: Int] {
        Dictionary(items.map { ($0.value, $0.count) }, uniquingKeysWith: +)
    }

    /// What the column should say of `values`, worked out value by value.
    func expectAgrees(_ profile: ColumnProfile, with values: [String]) {
        let nonNull = values.filter { v in !Array(v.utf8).withUnsafeBufferPointer { ValueClassifier.isNull($0) } }
        var valueCounts: [String: Int] = [:]
        var shapeCounts: [String: Int] = [:]
        var types: [ValueType: Int] = [:]
        var numbers: [Double] = []
        for value in nonNull {
            valueCounts[value, default: 0] += 1
            Array(value.utf8).withUnsafeBufferPointer { b in
                shapeCounts[ValueClassifier.pattern(b), default: 0] += 1
                let (type, number) = ValueClassifier.classify(b)
                types[type, default: 0] += 1
                if let number { numbers.append(number) }
            }
        }
        #expect(profile.values == values.count)
        #expect(profile.nulls == values.count - nonNull.count)
        #expect(counts(profile.topValues) == valueCounts)
        #expect(counts(profile.patterns) == shapeCounts)
        #expect(profile.types == types)
        #expect(profile.distinct == valueCounts.count && profile.distinctExact)
        #expect(profile.minLength == nonNull.map(\.count).min())
        #expect(profile.maxLength == nonNull.map(\.count).max())
        if numbers.count == nonNull.count, let low = numbers.min(), let high = numbers.max() {
            #expect(profile.minimum == .number(low) && profile.maximum == .number(high))
        } else {
            #expect(profile.minimum == nonNull.min(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).map { .text($0) })
            #expect(profile.maximum == nonNull.max(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).map { .text($0) })
        }
        if !numbers.isEmpty {
            let mean = numbers.reduce(0, +) / Double(numbers.count)
            #expect(abs((profile.mean ?? .nan) - mean) <= 1e-9 * max(1, abs(mean)))
        }
    }

    @Test func repeatsCountAsIfEachWereClassified() {
        var random = SeededGenerator(seed: 0x3E30)
        let pool = ["GZ", "SZ", "ok", "warn", "12", "-7", "3.25", "0.5", "2026-01-02", "2026-01-02T03:04:05", "", "NULL", "true", "张伟", "a b", "99"]
        let values = (0..<5_000).map { _ in pool[Int.random(in: 0..<pool.count, using: &random)] }
        expectAgrees(accumulate(values).profile(name: "c"), with: values)
    }

    @Test func numbersRepeatedKeepTheirMeanAndExtremes() {
        let values = (0..<3_000).map { String(($0 * 7) % 40 - 15) }
        expectAgrees(accumulate(values).profile(name: "n"), with: values)
    }

    /// 50 values seen often, then more distinct values than the memo holds, then the 50 again:
    /// the counts stay exact when the memo is dropped half-way.
    @Test func aColumnOutgrowingTheMemoKeepsExactCounts() {
        let common = (0..<50).map { "v\($0)" }
        let values = (0..<20).flatMap { _ in common } + (0..<(ValueMemo.maximumDistinct * 3)).map { "w\($0)" } + (0..<20).flatMap { _ in common }
        expectAgrees(accumulate(values).profile(name: "c"), with: values)
    }

    /// Past the shape limit a shape is counted among the other shapes, for its repeats too.
    @Test func repeatsOfAShapePastTheLimitCountAsOtherShapes() {
        var options = Self.options
        options.patternLimit = 2
        let values = (0..<300).map { ["abc", "42", "A-9", "xyz", "A-9"][$0 % 5] }
        var column = accumulate(values, options: options)
        column.settle()
        #expect(counts(column.profile(name: "c").patterns) == ["aaa": 120, "99": 60])
        #expect(column.otherPatterns == 120)
    }

    /// Shapes counted a run at a time (`ColumnAccumulator.endPatternRun`) add up to each value
    /// counted alone: distinct values (the memo soon stops) in runs of one shape of random
    /// lengths; two parts merged with their runs still open; and, past a shape limit of 2, the
    /// first two shapes counted in full and every other value among the other shapes.
    @Test func shapeRunsCountAsEachValueAlone() {
        var random = SeededGenerator(seed: 0x5A9E)
        let makers: [(Int) -> String] = [{ "v\($0)" }, { "\($0)" }, { "\($0).5" }, { "X-\($0)" }]
        var values: [String] = []
        while values.count < 30_000 {
            let make = makers[Int(random.next() % UInt64(makers.count))]
            for _ in 0..<Int(random.next() % 40) { values.append(make(values.count)) }
        }
        let shapes = values.map { value in Array(value.utf8).withUnsafeBufferPointer { ValueClassifier.pattern($0) } }
        let shapeCounts = Dictionary(shapes.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(shapeCounts.count > 8)

        let half = values.count / 2 + 7
        var merged = accumulate(Array(values[..<half]))
        merged.merge(accumulate(Array(values[half...])))
        #expect(counts(merged.profile(name: "c").patterns) == shapeCounts)
        #expect(merged.otherPatterns == 0)

        var options = Self.options
        options.patternLimit = 2
        var firstTwo: [String] = []
        for shape in shapes where !firstTwo.contains(shape) && firstTwo.count < 2 { firstTwo.append(shape) }
        var limited = accumulate(values, options: options)
        limited.settle()
        #expect(counts(limited.profile(name: "c").patterns) == shapeCounts.filter { firstTwo.contains($0.key) })
        #expect(limited.otherPatterns == shapes.count { !firstTwo.contains($0) })
    }

    /// Two parts' columns, each with repeats still in its memo, merge to the whole file's counts.
    @Test func mergedPartsCountTheirPendingRepeats() {
        let first = (0..<1_000).map { ["a", "b", "c", "1"][$0 % 4] }
        let second = (0..<777).map { ["c", "d", "1", "2.5"][$0 % 4] }
        var column = accumulate(first)
        column.merge(accumulate(second))
        expectAgrees(column.profile(name: "c"), with: first + second)
    }
}
