import Foundation

/// Wakes whoever waits for a negotiation or transfer to change: the management API's `wait`
/// parameter and the CLI use it instead of polling.
public actor ChangeNotifier {
    private var versions: [String: Int] = [:]
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func version(_ id: String) -> Int { versions[id, default: 0] }

    public func notify(_ id: String) {
        versions[id, default: 0] += 1
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume() }
    }

    /// Returns once `id` changed after `version` (or at once if it already has).
    func wait(_ id: String, after version: Int) async {
        if versions[id, default: 0] != version { return }
        await withCheckedContinuation { waiters[id, default: []].append($0) }
    }

    /// Waits until `done()` holds or `timeout` seconds pass; returns the last value read.
    public nonisolated func wait<T: Sendable>(
        _ id: String, timeout: Double, read: @Sendable () async throws -> T, done: @Sendable (T) -> Bool
    ) async throws -> T {
        // Monotonic; a timeout outside 0…1 day (or not a number) is clamped, never trapped on.
        let deadline = ContinuousClock.now + .seconds(timeout.isFinite ? min(max(0, timeout), 86_400) : 0)
        while true {
            let seen = await version(id)
            let value = try await read()
            if done(value) || ContinuousClock.now >= deadline { return value }
            let remaining = deadline - ContinuousClock.now
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.wait(id, after: seen) }
                group.addTask {
                    // Only a timeout that really expired wakes the waiters; a cancelled one (the
                    // change arrived first) must not wake everyone else waiting on `id`.
                    guard (try? await Task.sleep(for: max(.zero, remaining))) != nil else { return }
                    await self.notify(id)
                }
                await group.next()
                group.cancelAll()
            }
        }
    }
}
