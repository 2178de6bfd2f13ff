import Foundation

/// Text from outside (a file name, a column header) made safe to show to a person.
public enum ShownText {
    /// `text` without control or format characters (a terminal obeys escapes; bidi overrides
    /// reorder what a person reads), cut at `limit` Unicode scalars.
    public static func safe(_ text: String, limit: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.lazy.filter { !CharacterSet.controlCharacters.contains($0) }.prefix(max(0, limit))))
    }
}
