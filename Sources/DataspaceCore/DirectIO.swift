/// Linux's O_DIRECT, which Swift's Glibc module does not export (it is behind _GNU_SOURCE):
/// reads and writes that bypass the page cache, for large files read or written once — an
/// upload being stored and assessed — so they neither pay for the cache's copy nor push the
/// node's other files out of it. Nil where the value is not known.
public enum DirectIO {
    public static let flag: Int32? = {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        return 0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
        return 0o200000
        #else
        return nil
        #endif
    }()

    /// What offsets, lengths and buffer addresses must be multiples of (a page: no logical
    /// block size in use is larger).
    public static let alignment = 4_096
}
