/// What is wrong with a CSV header's names, if anything — one check for the upload validator
/// and for a profile that refuses problems (`ProfileOptions.refuseProblems`), so both word it
/// the same.
public enum HeaderNames {
    /// A column without a name (the first), else a name given twice; nil when neither.
    public static func problem(_ names: [String]) -> String? {
        if let empty = names.firstIndex(of: "") { return "header column \(empty + 1) has no name" }
        var seen = Set<String>()
        if let twice = names.first(where: { !seen.insert($0).inserted }) { return "header names column '\(twice)' twice" }
        return nil
    }
}
