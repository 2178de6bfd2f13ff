import Foundation

/// ISO 8601 helpers shared by policies, metadata and tokens.
public enum ISO8601 {
    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fraction]](Z|±HH:MM)`; seconds may be left out, as in the
    /// DSP examples (`2023-12-31T06:00Z`). Hand-written because Foundation's format styles cost
    /// tens of microseconds per call on Linux, and every record read parses two.
    public static func parseDateTime(_ text: String) -> Date? {
        var b = Array(text.utf8)
        guard b.count >= 17, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
            b[13] == UInt8(ascii: ":")
        else { return nil }
        if b[16] != UInt8(ascii: ":") { b.insert(contentsOf: Array(":00".utf8), at: 16) }
        guard b.count >= 20 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2), let hour = digits(11, 2),
            let minute = digits(14, 2), let second = digits(17, 2),
            (1...12).contains(month), (1...daysInMonth(year, month)).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            guard i + 1 == b.count else { return nil }
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"), let oh = digits(i + 1, 2), let om = digits(i + 4, 2), oh < 24, om < 60 else {
                return nil
            }
            offset = (oh * 3_600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        guard year >= 1 else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Parses a date `YYYY-MM-DD` as midnight UTC.
    public static func parseDate(_ text: String) -> Date? {
        guard text.count == 10 else { return nil }
        return parseDateTime(text + "T00:00:00Z")
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC, whole seconds (rounded down).
    /// Dates outside years 1…9999 (and non-finite ones) are clamped to that window first, so
    /// formatting never traps whatever a peer or a file supplied.
    public static func format(_ date: Date) -> String {
        let total = Int(TimeWindow.clamp(date.timeIntervalSince1970).rounded(.down))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let rest = total - days * 86_400
        let (y, m, d) = civilFromDays(days)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        let year = String(y)
        let paddedYear = String(repeating: "0", count: max(0, 4 - year.count)) + year
        return "\(paddedYear)-\(two(m))-\(two(d))T\(two(rest / 3_600)):\(two(rest % 3_600 / 60)):\(two(rest % 60))Z"
    }

    public static func formatDate(_ date: Date) -> String {
        String(format(date).prefix(10))
    }

    /// Formats seconds as an ISO 8601 duration in days, hours, minutes and seconds (`P1DT2H`).
    public static func formatDuration(_ seconds: Double) -> String {
        var rest = Int(seconds.isFinite ? min(max(seconds, 0), TimeWindow.maximumDuration).rounded(.down) : 0)
        let days = rest / 86_400
        rest %= 86_400
        var text = "P"
        if days > 0 { text += "\(days)D" }
        if rest > 0 || days == 0 {
            text += "T"
            if rest >= 3_600 { text += "\(rest / 3_600)H" }
            if rest % 3_600 >= 60 { text += "\(rest % 3_600 / 60)M" }
            if rest % 60 > 0 || rest == 0 { text += "\(rest % 60)S" }
        }
        return text
    }

    /// Parses an ISO 8601 duration (PnYnMnDTnHnMnS, or PnW) to seconds, with months as 30 days and
    /// years as 365 days. Returns nil for anything else.
    public static func parseDuration(_ text: String) -> TimeInterval? {
        var chars = Substring(text)
        guard chars.first == "P", chars.count > 1 else { return nil }
        chars = chars.dropFirst()
        var total: TimeInterval = 0
        var inTime = false
        var number = ""
        var sawComponent = false
        for c in chars {
            if c == "T" {
                guard !inTime, number.isEmpty else { return nil }
                inTime = true
                continue
            }
            if c.isNumber || c == "." {
                number.append(c)
                continue
            }
            guard let n = Double(number) else { return nil }
            number = ""
            sawComponent = true
            switch (c, inTime) {
            case ("Y", false): total += n * 365 * 86_400
            case ("M", false): total += n * 30 * 86_400
            case ("W", false): total += n * 7 * 86_400
            case ("D", false): total += n * 86_400
            case ("H", true): total += n * 3_600
            case ("M", true): total += n * 60
            case ("S", true): total += n
            default: return nil
            }
        }
        guard number.isEmpty, sawComponent, total.isFinite, total <= TimeWindow.maximumDuration else { return nil }
        return total
    }
}
