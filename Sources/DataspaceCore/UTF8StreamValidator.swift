/// Validates UTF-8 incrementally across chunk boundaries (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF), so a file is checked while it streams.
public struct UTF8StreamValidator: Sendable {
    /// What to tell a person whose file is not UTF-8: Chinese exports are often GBK/GB18030,
    /// which the node converts when told (detection reads only the first 64 KiB).
    public static let encodingHint = "; if the file is GBK/GB18030 (Excel's \"CSV\" on Chinese Windows), give its encoding: --encoding gb18030 (charset=gb18030)"

    public init() {}

    private var needed = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Returns false at the first byte that cannot continue valid UTF-8.
    @inline(__always)
    public mutating func consume(_ byte: UInt8) -> Bool {
        if needed == 0 {
            if byte < 0x80 { return true }
            switch byte {
            case 0xC2...0xDF: needed = 1
            case 0xE0: needed = 2; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: needed = 2
            case 0xED: needed = 2; upper = 0x9F
            case 0xF0: needed = 3; lower = 0x90
            case 0xF1...0xF3: needed = 3
            case 0xF4: needed = 3; upper = 0x8F
            default: return false
            }
            return true
        }
        guard byte >= lower && byte <= upper else { return false }
        lower = 0x80
        upper = 0xBF
        needed -= 1
        return true
    }

    /// Validates a whole chunk; returns the offset of the first byte that cannot continue valid
    /// UTF-8, or nil. Runs of ASCII are skipped eight bytes at a time.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer) -> Int? {
        let n = chunk.count
        var i = 0
        while i < n {
            if needed == 0 {
                while i + 8 <= n, UInt64(littleEndian: chunk.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & 0x8080_8080_8080_8080 == 0 { i += 8 }
                if i == n { break }
            }
            if !consume(chunk[i]) { return i }
            i += 1
        }
        return nil
    }

    /// True when the stream did not stop inside a multi-byte character.
    public var isAtBoundary: Bool { needed == 0 }
}
