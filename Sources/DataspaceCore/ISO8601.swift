import Foundation

/// ISO 8601 helpers shared by policies, metadata and tokens.
public enum ISO8601 {
    /// Parses a date-time with offset (fractional seconds optional).
    public static func parseDateTime(_ text: String) -> Date? {
        let plain = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? plain.parse(text)) ?? (try? fractional.parse(text))
    }

    /// Parses a date `YYYY-MM-DD` as midnight UTC.
    public static func parseDate(_ text: String) -> Date? {
        guard text.count == 10 else { return nil }
        return parseDateTime(text + "T00:00:00Z")
    }

    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    public static func formatDate(_ date: Date) -> String {
        String(format(date).prefix(10))
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
        return number.isEmpty && sawComponent ? total : nil
    }
}
