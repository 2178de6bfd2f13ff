/// Splits text into search tokens the way Lucene's CJK analyzer does for Han text, and by words
/// for everything else: lower-cased words of letters and digits, and runs of CJK characters that
/// are indexed as single characters plus overlapping bigrams. Full-width ASCII is folded.
public enum TextAnalyzer {
    public enum Token: Hashable, Sendable {
        case word(String)
        /// A run of consecutive CJK characters, as Unicode scalar values.
        case cjk([UInt32])
    }

    @inline(__always)
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2EBEF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x3040...0x30FF).contains(v) || (0xAC00...0xD7AF).contains(v)
    }

    /// Lower-cases and folds full-width forms (Ａ→a, ０→0).
    @inline(__always)
    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        var v = scalar.value
        if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 }
        if v < 0x80 {
            if v >= 65 && v <= 90 { v += 32 }
            return Unicode.Scalar(v) ?? scalar
        }
        if let folded = Unicode.Scalar(v), folded.properties.isUppercase {
            return folded.properties.lowercaseMapping.unicodeScalars.first ?? folded
        }
        return Unicode.Scalar(v) ?? scalar
    }

    @inline(__always)
    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return (v >= 97 && v <= 122) || (v >= 48 && v <= 57) }
        return s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Normalized text used for exact substring checks: folded, with every separator run as one space.
    public static func normalize(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars { out.append(fold(s)) }
        return String(out)
    }

    public static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var word = String.UnicodeScalarView()
        var run: [UInt32] = []
        func flushWord() {
            if !word.isEmpty { tokens.append(.word(String(word))); word = String.UnicodeScalarView() }
        }
        func flushRun() {
            if !run.isEmpty { tokens.append(.cjk(run)); run = [] }
        }
        for raw in text.unicodeScalars {
            let s = fold(raw)
            if isCJK(s.value) {
                flushWord()
                run.append(s.value)
            } else if isWordScalar(s) {
                flushRun()
                word.append(s)
            } else {
                flushWord()
                flushRun()
            }
        }
        flushWord()
        flushRun()
        return tokens
    }
}
