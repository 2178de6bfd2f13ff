import Foundation
import Testing

@testable import DataspaceQuality

#if canImport(Glibc)
import Glibc
#endif

/// A publish's first part lowers only its own thread's priority: the thread that asked runs
/// at the background nice value, the others keep theirs.
@Suite struct ThreadPriorityTests {
    #if os(Linux)
    @Test func onlyTheCallingThreadYields() async throws {
        let before = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen = try await onOwnThread { () -> Int32 in
            ThreadPriority.yieldToOthers()
            return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        }
        #expect(seen == max(before, ThreadPriority.background))
        let after = try await onOwnThread { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        #expect(after == before)
    }
    #endif
}
