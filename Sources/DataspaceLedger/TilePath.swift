/// C2SP tlog-tiles paths: `tile/<L>/<N>[.p/<W>]` for hash tiles and `tile/entries/<N>[.p/<W>]`
/// for entry bundles, with N written in groups of three digits, every group but the last
/// prefixed with `x` (1234067 → `x001/x234/067`).
public enum TilePath {
    /// Hashes (or entries) per full tile.
    public static let width: UInt64 = 256
    /// Tree levels per tile level.
    public static let height = 8

    public static func index(_ n: UInt64) -> String {
        var groups: [String] = []
        var rest = n
        repeat {
            let group = rest % 1000
            groups.insert(group < 10 ? "00\(group)" : group < 100 ? "0\(group)" : "\(group)", at: 0)
            rest /= 1000
        } while rest > 0
        return groups.enumerated().map { $0.offset < groups.count - 1 ? "x" + $0.element : $0.element }.joined(separator: "/")
    }

    public static func tile(level: Int, index n: UInt64, width w: UInt64 = width) -> String {
        "tile/\(level)/\(index(n))" + (w < width ? ".p/\(w)" : "")
    }

    public static func entries(index n: UInt64, width w: UInt64 = width) -> String {
        "tile/entries/\(index(n))" + (w < width ? ".p/\(w)" : "")
    }

    /// Parses a request path below the log root (`tile/0/x001/234.p/5`) into its parts.
    public static func parse(_ path: String) -> (level: Int?, index: UInt64, width: UInt64)? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "tile" else { return nil }
        parts.removeFirst()
        let levelText = parts.removeFirst()
        let level: Int?
        if levelText == "entries" { level = nil } else {
            guard let l = Int(levelText), l >= 0, l < 64, String(l) == levelText else { return nil }
            level = l
        }
        var w = width
        if parts.count >= 2, parts[parts.count - 2].hasSuffix(".p") {
            guard let pw = UInt64(parts[parts.count - 1]), pw >= 1, pw < width, String(pw) == parts[parts.count - 1] else { return nil }
            w = pw
            parts.removeLast()
            parts[parts.count - 1] = String(parts[parts.count - 1].dropLast(2))
        }
        var n: UInt64 = 0
        for (i, group) in parts.enumerated() {
            let digits = i < parts.count - 1 ? (group.hasPrefix("x") ? String(group.dropFirst()) : "") : group
            guard digits.count == 3, let v = UInt64(digits), digits.allSatisfy(\.isNumber) else { return nil }
            let (shifted, overflow) = n.multipliedReportingOverflow(by: 1000)
            let (sum, carry) = shifted.addingReportingOverflow(v)
            guard !overflow, !carry else { return nil }
            n = sum
        }
        return (level, n, w)
    }
}
