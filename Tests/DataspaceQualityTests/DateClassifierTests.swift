import Foundation
import Testing

@testable import DataspaceQuality

/// The profiler's date and date-time test against the rule written out independently: the
/// syntax as a regular expression, the calendar from Foundation's Gregorian calendar, on random
/// strings made from the pieces that decide it (separators, impossible months and days, leap
/// years, hours past 23, seconds up to the leap second, fractions, zones, stray bytes).
@Suite("Dates and date-times")
struct DateClassifierTests {
    static let rule = #"([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"#

    /// What the answer must be, from the regular expression and the calendar.
    static func expected(_ text: String, _ regex: Regex<AnyRegexOutput>) -> ValueType? {
        guard let match = text.wholeMatch(of: regex) else { return nil }
        func number(_ i: Int) -> Int? { match.output[i].substring.flatMap { Int($0) } }
        guard let year = number(1), let month = number(3), let day = number(4), (1...12).contains(month) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        guard let first = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
            let days = calendar.range(of: .day, in: .month, for: first), days.contains(day)
        else { return nil }
        guard match.output[5].substring != nil else { return .date }
        guard let hour = number(5), let minute = number(6), hour < 24, minute < 60 else { return nil }
        if let second = number(7), second > 60 { return nil }
        return .datetime
    }

    static func classify(_ text: String) -> ValueType? {
        Array(text.utf8).withUnsafeBufferPointer { ValueClassifier.dateOrDateTime($0) }
    }

    @Test func randomStringsAgreeWithTheWrittenRule() throws {
        let regex = try Regex(Self.rule)
        var random = SeededGenerator(seed: 2_026_1205)
        let years = ["2024", "2023", "1900", "2000", "2100", "0000", "9999", "202", "20a4"]
        let months = ["01", "02", "04", "12", "13", "00", "1", "x2"]
        let days = ["01", "28", "29", "30", "31", "32", "00", "9"]
        let times = ["", "", "", "", "T00:00", " 23:59", "T24:00", "T12:60", "T08:30:00", "T08:30:60", "T08:30:61", "T08:30:00.5", "T08:30:00.", "T08:30:00.123456",
            "T1:00", "T08-30", "x08:30"]
        let zones = ["", "", "Z", "+08:00", "-05:30", "+0800", "+08:0", "ZZ", " "]
        func pick(_ list: [String]) -> String { list[Int(random.next() % UInt64(list.count))] }
        var dates = 0, dateTimes = 0
        for _ in 0..<20_000 {
            let separator = random.next() % 5 == 0 ? "/" : "-"
            let other = random.next() % 9 == 0 ? (separator == "-" ? "/" : "-") : separator
            var text = pick(years) + separator + pick(months) + other + pick(days) + pick(times) + pick(zones)
            if random.next() % 10 == 0 { text.removeLast(min(text.count, Int(random.next() % 4))) }
            let want = Self.expected(text, regex)
            #expect(Self.classify(text) == want, "\(text)")
            if want == .date { dates += 1 }
            if want == .datetime { dateTimes += 1 }
        }
        // The pieces make valid values often enough for the comparison to mean something.
        #expect(dates > 100 && dateTimes > 500, "\(dates) dates, \(dateTimes) date-times")
    }

    @Test(arguments: [
        ("2024-02-29", ValueType.date), ("2023-02-29", nil), ("1900-02-29", nil), ("2000-02-29", .date), ("2024/04/30", .date), ("2024/04/31", nil),
        ("2024-01-01T00:00:00Z", .datetime), ("2024-01-01 23:59:60.999+08:00", .datetime), ("2024-01-01T24:00", nil), ("2024-01-01Z", nil),
        ("2024-01/01", nil), ("２０２４-01-01", nil),
    ])
    func handPicked(_ text: String, _ type: ValueType?) {
        #expect(Self.classify(text) == type, "\(text)")
    }
}
