import Foundation

/// The span of time the node accepts and prints. Every instant that comes from outside (a
/// token's `exp`, a policy's `dateTime`, a timestamp in a file) is checked against it before any
/// arithmetic or formatting, so no value a stranger sends can overflow an integer conversion.
public enum TimeWindow {
    /// 0001-01-01T00:00:00Z, seconds since 1970.
    public static let earliest: Double = -62_135_596_800
    /// 9999-12-31T23:59:59Z, seconds since 1970.
    public static let latest: Double = 253_402_300_799
    /// JWT NumericDate values we accept: 1970 up to the end of year 9999.
    public static let numericDates: ClosedRange<Double> = 0...latest
    /// The longest duration a policy may state (about 10,000 years).
    public static let maximumDuration: Double = 315_576_000_000

    /// `seconds` pulled into [earliest, latest]; NaN becomes the epoch.
    public static func clamp(_ seconds: Double) -> Double {
        guard seconds.isFinite else { return seconds.isNaN ? 0 : (seconds > 0 ? latest : earliest) }
        return min(max(seconds, earliest), latest)
    }
}
