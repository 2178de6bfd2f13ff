#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many files the process may hold open, and how many client connections that leaves room
/// for. A process out of descriptors does not just refuse connections: libdispatch's thread
/// monitor traps when it cannot open `/proc`, ending the node (docs/security.md, "Connections").
enum OpenFileLimit {
    /// Descriptors the node keeps for itself whatever the connections: the database, stored
    /// files being read or written, calls to peers, logs.
    static let reserved = 64

    /// The fewest open files a node runs with.
    static let minimum = 128

    /// Raises the soft limit to the hard one, as a server should (the usual soft default of
    /// 1,024 is meant for interactive shells), and returns the limit now in force.
    static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(resourceNumber, &limit) == 0 else { return minimum }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceNumber, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// The most connections to accept at once under `openFiles`: what is configured, or fewer,
    /// so that beside `reserved` for the node's own work each connection has room for a second
    /// descriptor (the stored file a download reads, a publish's temporary file).
    static func connectionCap(configured: Int, openFiles: Int) throws -> Int {
        guard openFiles >= minimum else {
            throw ConfigurationError(
                key: "http.maxConnections",
                message: "the process may open only \(openFiles) files; raise its limit (ulimit -n, or LimitNOFILE= in a systemd unit) to at least \(minimum)")
        }
        return min(configured, (openFiles - reserved) / 2)
    }

    #if canImport(Glibc)
    private static let resourceNumber = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNumber = RLIMIT_NOFILE
    #endif
}
