/// How stores keep a share vector: decimal numbers separated by commas (both databases read it
/// the same way, and a vector is at most 2,002 numbers).
public enum ShareText {
    public static func encode(_ values: [UInt64]) -> String { values.map(String.init).joined(separator: ",") }

    /// Values that do not read as numbers are dropped; the caller compares the length.
    public static func decode(_ text: String) -> [UInt64] { text.split(separator: ",").compactMap { UInt64($0) } }
}
