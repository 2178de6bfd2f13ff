import Synchronization

/// How many values of each column the sensitive-data detectors may still check, shared by the
/// parts of one file: together they check at most `ProfileOptions.sensitiveCheckLimit` values
/// per column, the ones the parts reach first. (Per part, a file cut in two would be checked
/// twice as far, and the part that starts later — a publish's second part starts when the
/// upload ends — would carry detector work the other has done.) Parts claim in blocks, so the
/// lock is taken once per `block` values.
final class DetectorBudget: Sendable {
    /// A column of a CSV file by position (headers may repeat a name), of JSON lines by key.
    enum Column: Hashable, Sendable {
        case position(Int)
        case key(String)
    }

    let limit: Int
    static let block = 4_096
    private let left: Mutex<[Column: Int]> = Mutex([:])

    init(limit: Int) { self.limit = max(0, limit) }

    /// Up to `block` more values of `column` to check; 0 once the column's allowance is spent.
    func claim(_ column: Column) -> Int {
        left.withLock { left in
            let have = left[column] ?? limit
            let granted = min(have, Self.block)
            left[column] = have - granted
            return granted
        }
    }
}
