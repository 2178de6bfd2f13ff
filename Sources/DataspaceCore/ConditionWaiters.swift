import Synchronization

/// Callers suspended until a condition their owner tracks comes true: each is let go when the
/// owner, having changed its state, resumes those whose need now holds, or when the caller is
/// cancelled. A caller joins the list before it looks at the condition, so a change between the
/// two is never missed.
public final class ConditionWaiters<Need: Sendable>: Sendable {
    private let waiting = Mutex<(last: Int, list: [Int: (need: Need, continuation: CheckedContinuation<Void, Never>)])>((0, [:]))

    public init() {}

    /// Returns once `holds(need)` is true (looked at once, on joining), or the owner resumes this
    /// caller, or the caller is cancelled.
    public func wait(for need: Need, holds: (Need) -> Bool) async {
        let id = waiting.withLock { w in
            w.last += 1
            return w.last
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                waiting.withLock { $0.list[id] = (need, continuation) }
                if holds(need) || Task.isCancelled { take(id)?.resume() }
            }
        } onCancel: {
            take(id)?.resume()
        }
    }

    /// Resumes the callers whose need `satisfied` says holds; call after the state changed.
    public func resume(where satisfied: (Need) -> Bool) {
        let ready = waiting.withLock { w in
            let ready = w.list.filter { satisfied($0.value.need) }
            for id in ready.keys { w.list[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Removes a caller, if it is still waiting (each is resumed exactly once).
    private func take(_ id: Int) -> CheckedContinuation<Void, Never>? {
        waiting.withLock { $0.list.removeValue(forKey: id)?.continuation }
    }
}
