#if canImport(Glibc)
import Glibc
#endif

/// Scheduling weight of the calling thread, for an assessment whose parts start at different
/// times. A publish's first part starts on the first bytes that land; a later part starts only
/// once the bytes at its cut are there. At equal weight the first part shared the cores with
/// the upload and the later parts while the upload ran, stayed ahead by the time they waited,
/// and finished a second before them while a core stood idle (`perf sched timehist` of a 1 GiB
/// publish on two cores). Run behind them, it takes what the upload and the later parts leave,
/// the upload lands sooner, and the parts end closer together. Only contended cores are
/// affected: with a core for each part, weights change nothing, and no result depends on them.
enum ThreadPriority {
    /// The nice value of a thread that runs only on what others leave (the lowest weight).
    static let background: Int32 = 19

    /// Makes the calling thread yield to the process's other threads where cores are
    /// contended (the Linux nice value `background`, per thread under NPTL). A thread may raise
    /// its nice value but, without privilege, not lower it again: call this only on a thread
    /// that ends with the work it was made for. Threads it starts inherit the value. Does
    /// nothing where not supported, and a refusal leaves the thread at its weight: it costs
    /// time, never a result.
    static func yieldToOthers() {
        #if os(Linux)
        // `who` 0 with PRIO_PROCESS is the calling thread on Linux.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, background)
        #endif
    }
}
