import Foundation

/// Runs CPU-heavy synchronous test work on a thread of its own. A synchronous test body holds
/// one of the cooperative pool's threads — two on a two-core machine — for as long as it runs,
/// and the in-process nodes of suites running beside it wait for them (a node of
/// `ContractFlowTests` was not listening after three minutes).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
