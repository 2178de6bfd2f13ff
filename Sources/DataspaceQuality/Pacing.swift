/// How a publish's first part keeps pace with the later parts while the upload runs.
///
/// The first part starts on the upload's first bytes; a later part starts only once the bytes
/// at its cut have landed, half an upload later for the second of two. Left alone, the first
/// part stays that far ahead and ends that much earlier, a core idle while the last part runs
/// on. A lower thread priority for it did not hold: the scheduler balances each core's queue
/// by weight, so a low-weight thread alone on one core ran at full speed there while the later
/// part shared the other with the upload, and it ended up to a second before or after it
/// (`perf sched timehist` of a 1 GiB publish on two cores).
///
/// So the first part waits, while the upload runs, whenever it has profiled a larger share of
/// its range than a later part has of its own — unless a later part is waiting for bytes, when
/// the upload, not the cores, sets the pace. The core it leaves goes to the later parts and to
/// the upload. Once the upload is done no part waits: each has a core, and waiting would only
/// idle one.
enum Pacing {
    /// A part's range length and how much of it has been profiled.
    struct Progress: Equatable, Sendable {
        var length: Int64
        var taken: Int64 = 0

        /// The share of the range profiled; a range of no length counts as done.
        var share: Double { length > 0 ? Double(taken) / Double(length) : 1 }
    }

    /// How far ahead, as a share of its range, the first part may get before it waits
    /// (about 5 MB of a 1 GB upload's half: a wait every few tens of milliseconds at most).
    static let lead = 0.01
    /// A waiting first part goes on once it is at most this far ahead, so that it does not
    /// wake for each chunk a later part takes.
    static let resumeLead = 0.005

    /// Whether the first part, at `first`, waits for the later parts still running (`later`);
    /// `waiting`: it is already waiting.
    static func waits(first: Progress, later: [Progress], waiting: Bool) -> Bool {
        guard let slowest = later.map(\.share).min() else { return false }
        return first.share - slowest > (waiting ? resumeLead : lead)
    }
}
