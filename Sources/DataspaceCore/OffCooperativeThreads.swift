import Dispatch

/// Runs long synchronous work — a file scan, an fsync, a profile, a computation over a large
/// set — on a dispatch queue and awaits it, so the cooperative threads (as many as there are
/// cores) stay free for the node's other requests meanwhile.
public func offCooperativeThreads<T: Sendable>(
    qos: DispatchQoS.QoSClass = .userInitiated, _ work: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: qos).async { continuation.resume(with: Result { try work() }) }
    }
}

/// `offCooperativeThreads` for work that cannot fail.
public func offCooperativeThreads<T: Sendable>(qos: DispatchQoS.QoSClass = .userInitiated, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: qos).async { continuation.resume(returning: work()) }
    }
}
