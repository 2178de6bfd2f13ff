@testable import DataspaceApplication
import Synchronization
import Testing

/// The outbox's idle wait, alone: it waits for what is in flight, lets a cancelled caller go,
/// and returns at once when nothing is queued or the queue has stopped.
@Suite struct OutboxQueueTests {
    @Test(.timeLimit(.minutes(10))) func idleWaitsForTheDeliveryAndLetsACancelledCallerGo() async {
        let queue = OutboxQueue()
        let (release, releasing) = AsyncStream.makeStream(of: Void.self)
        let delivered = Mutex(0)
        let loop = Task {
            await queue.run { _ in
                // The one delivery holds until the test releases it.
                for await _ in release { break }
                delivered.withLock { $0 += 1 }
            }
        }
        await queue.idle()  // nothing submitted yet
        queue.submit(.transfer("t1"))
        #expect(queue.submissions == 1)

        // A caller that gives up is let go while the delivery still runs.
        let gaveUp = Task { await queue.idle() }
        gaveUp.cancel()
        await gaveUp.value
        #expect(delivered.withLock { $0 } == 0)

        // Released, the delivery ends, and only then does the wait.
        releasing.yield()
        await queue.idle()
        #expect(delivered.withLock { $0 } == 1)

        queue.finish()
        await loop.value
        queue.submit(.transfer("t2"))
        #expect(queue.submissions == 1, "a stopped queue takes nothing more")
        await queue.idle()
    }
}
