/// Text written in both languages: `[[中文|English]]` markers in template source, resolved for
/// the language a reader asked for — Chinese, English, or both side by side (`中文 English`).
/// Used by the portal's templates and the quality report page; resolve template text only,
/// never values people supplied.
public enum BilingualText {
    public enum Choice: String, Sendable, CaseIterable {
        case chinese = "zh", english = "en", both
    }

    /// `中文 English`; a Chinese colon is dropped when the English ends with one.
    public static func sideBySide(_ zh: String, _ en: String) -> String {
        (zh.hasSuffix("：") && en.hasSuffix(":") ? String(zh.dropLast()) : zh) + " " + en
    }

    public static func pick(_ zh: String, _ en: String, _ choice: Choice) -> String {
        switch choice {
        case .chinese: zh
        case .english: en
        case .both: sideBySide(zh, en)
        }
    }

    /// `template` with every `[[中文|English]]` resolved; an unclosed marker is left as it is.
    public static func resolve(_ template: String, _ choice: Choice) -> String {
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "[[") {
            guard let close = rest[open.upperBound...].range(of: "]]"),
                let bar = rest[open.upperBound..<close.lowerBound].firstIndex(of: "|")
            else { break }
            output += rest[..<open.lowerBound]
            output += pick(String(rest[open.upperBound..<bar]), String(rest[rest.index(after: bar)..<close.lowerBound]), choice)
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}
