/// Bounds how many expensive jobs of one kind run at once (publishing and profiling a file,
/// fetching a DID document). Up to `limit` run; up to `queue` more wait their turn in order;
/// past that the caller is told the node is busy at once (503), instead of piling up work.
public actor WorkLimiter {
    nonisolated public let name: String
    nonisolated public let limit: Int
    nonisolated public let queue: Int
    var running = 0
    var waiting: [CheckedContinuation<Void, Never>] = []

    public init(name: String, limit: Int, queue: Int) {
        self.name = name
        self.limit = max(1, limit)
        self.queue = max(0, queue)
    }

    /// Runs `body` when a slot is free; throws `Busy` if too many are already waiting.
    public nonisolated func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    /// Takes a slot, waiting in line if all are taken; `Busy` if the line is full. Pair with
    /// `release()` (or use `run`).
    public func acquire() async throws {
        if running < limit {
            running += 1
            return
        }
        guard waiting.count < queue else { throw Busy(name: name) }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            // The slot passes straight to the next waiter: `running` stays the same.
            waiting.removeFirst().resume()
        }
    }

    /// Too much of this work is already running and queued.
    public struct Busy: Error, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { "the node is busy with \(name); retry in a moment" }
    }
}
