import Foundation

/// Timestamps as Chinese exports write them, often without a zone: `2026-11-01 08:00`,
/// `2026/11/01 08:00:00`, `2026.11.01`, `20261101`, `20261101080000`. Those without a zone are
/// read in the zone given (the node's `node.timeZone`, Asia/Shanghai by default); ISO 8601
/// date-times with a zone keep theirs.
public enum LocalTimestamp {
    public static func parse(_ text: String, zone: TimeZone) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let zoned = ISO8601.parseDateTime(trimmed) { return zoned }
        let b = Array(trimmed.utf8)
        guard b.count >= 8, b.count <= 32 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var n = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        var year: Int, month: Int, day: Int
        var rest: Int
        if let y = digits(0..<4), b.count >= 10, [UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: ".")].contains(b[4]), b[7] == b[4],
            let m = digits(5..<7), let d = digits(8..<10)
        {
            (year, month, day, rest) = (y, m, d, 10)
        } else if b.count == 8 || b.count == 12 || b.count == 14, let y = digits(0..<4), let m = digits(4..<6), let d = digits(6..<8) {
            // 20261101, 202611010800, 20261101080000
            guard let hour = b.count > 8 ? digits(8..<10) : 0, let minute = b.count > 8 ? digits(10..<12) : 0,
                let second = b.count == 14 ? digits(12..<14) : 0
            else { return nil }
            return make(y, m, d, hour, minute, second, zone)
        } else {
            return nil
        }
        guard rest < b.count else { return make(year, month, day, 0, 0, 0, zone) }
        // [T or space]HH:MM[:SS[.fraction]]
        guard b[rest] == UInt8(ascii: "T") || b[rest] == UInt8(ascii: " "), let hour = digits(rest + 1..<rest + 3), rest + 3 < b.count,
            b[rest + 3] == UInt8(ascii: ":"), let minute = digits(rest + 4..<rest + 6)
        else { return nil }
        var second = 0
        var i = rest + 6
        if i < b.count, b[i] == UInt8(ascii: ":") {
            guard let s = digits(i + 1..<i + 3) else { return nil }
            second = s
            i += 3
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            }
        }
        guard i == b.count else { return nil }
        return make(year, month, day, hour, minute, second, zone)
    }

    static func make(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, _ zone: TimeZone) -> Date? {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }
}
