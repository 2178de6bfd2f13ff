import DataspaceCore
import DataspaceServer
import Foundation
import Synchronization
import Testing

/// Degrading instead of falling: per-client rate limits with an injected clock, bounded
/// expensive work, and a flooded node that still answers its health check and its members.
@Suite(.tags(.hostile)) struct OverloadTests {
    final class FakeClock: Sendable {
        let seconds = Mutex<Double>(0)
        func advance(_ s: Double) { seconds.withLock { $0 += s } }
        var now: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
    }

    @Test func eachClientGetsItsRateAndBurstAndNoMore() {
        let clock = FakeClock()
        let limiter = RateLimiter(rate: 10, burst: 20, now: clock.now)
        #expect((0..<25).filter { _ in limiter.allow("10.0.0.1") }.count == 20)
        #expect(limiter.allow("10.0.0.2"), "another client has its own bucket")
        clock.advance(0.5)
        #expect((0..<10).filter { _ in limiter.allow("10.0.0.1") }.count == 5)
        clock.advance(100)
        #expect((0..<30).filter { _ in limiter.allow("10.0.0.1") }.count == 20, "the bucket refills to its burst, not beyond")
    }

    @Test func theClientTableStaysBounded() {
        let clock = FakeClock()
        let limiter = RateLimiter(rate: 1, burst: 1, maximumClients: 100, now: clock.now)
        for i in 0..<10_000 { _ = limiter.allow("client-\(i)") }
        #expect(limiter.clientCount <= 100)
    }

    @Test func expensiveWorkIsBoundedAndTheRestIsRefusedAtOnce() async throws {
        let limiter = WorkLimiter(name: "test work", limit: 2, queue: 3)
        actor Gate {
            var open = false
            var waiters: [CheckedContinuation<Void, Never>] = []
            func wait() async { if !open { await withCheckedContinuation { waiters.append($0) } } }
            func release() { open = true; waiters.forEach { $0.resume() }; waiters = [] }
        }
        let gate = Gate()
        final class Gauge: Sendable {
            let state = Mutex((running: 0, peak: 0))
            func enter() { state.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running) } }
            func leave() { state.withLock { $0.running -= 1 } }
            var peak: Int { state.withLock { $0.peak } }
        }
        let gauge = Gauge()
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        return try await limiter.run {
                            gauge.enter()
                            await gate.wait()
                            gauge.leave()
                            return "ran"
                        }
                    } catch is WorkLimiter.Busy {
                        return "busy"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            // Two run, three wait; the other three are refused without waiting.
            var results: [String] = []
            for _ in 0..<3 { if let r = await group.next() { results.append(r) } }
            await gate.release()
            for await r in group { results.append(r) }
            return results
        }
        #expect(outcomes.filter { $0 == "busy" }.count == 3, "\(outcomes)")
        #expect(outcomes.filter { $0 == "ran" }.count == 5)
        #expect(gauge.peak == 2)
    }

    /// Leak traces are bounded like publishing (each keeps up to 250,000 values and scores on
    /// every core): two run, two wait, the next is refused at once; the waiting ones are answered
    /// when slots free.
    @Test func leakTracesAreBoundedAndTheRestRefusedAtOnce() async throws {
        try await withNetwork([TestNetwork.authority, TestNetwork.bureau]) { net in
            let tracing = net.nodes[1].tracing
            // Both slots held, as by two long traces.
            try await tracing.acquire()
            try await tracing.acquire()
            let csv = Data(("amount\n" + (0..<100).map { "\($0).25" }.joined(separator: "\n") + "\n").utf8)
            let headers = [("Authorization", "Bearer \(net.nodes[1].adminToken)"), ("Content-Type", "text/csv")]
            let replies = try await withThrowingTaskGroup(of: RawReply.self) { group in
                // One more than the line holds: those in line cannot finish while the slots are
                // held, so the first answer is the refusal.
                for _ in 0...tracing.queue { group.addTask { try await raw(.POST, net.url(1) + "/api/v1/quality/trace", headers: headers, body: csv) } }
                var all: [RawReply] = []
                if let first = try await group.next() { all.append(first) }
                await tracing.release()
                await tracing.release()
                for try await reply in group { all.append(reply) }
                return all
            }
            #expect(replies.first?.status == 503 && replies.first?.json?["code"]?.stringValue == "busy", "\(replies.map(\.status))")
            #expect(replies.first?.headers.first(name: "Retry-After") == "1")
            #expect(tracing.limit == 2 && tracing.queue == 2)
            #expect(replies.count == tracing.queue + 1 && replies.dropFirst().allSatisfy { $0.status == 200 && $0.json?["markedValues"]?.intValue == 100 }, "\(replies.map(\.text))")
        }
    }

    @Test func aFloodedNodeRefusesTheFloodAndKeepsAnsweringHealthChecks() async throws {
        var bureau = TestNetwork.bureau
        bureau.requestsPerSecond = 1
        try await withNetwork([TestNetwork.authority, bureau]) { net in
            // Thirty requests at once against a budget of one a second (burst one).
            let replies = try await withThrowingTaskGroup(of: RawReply.self) { group in
                for _ in 0..<30 { group.addTask { try await raw(.GET, net.url(1) + "/?q=x") } }
                var all: [RawReply] = []
                for try await r in group { all.append(r) }
                return all
            }
            let refused = replies.filter { $0.status == 429 }
            #expect(refused.count >= 20, "\(replies.map(\.status))")
            #expect(replies.allSatisfy { $0.status == 200 || $0.status == 429 })
            #expect(refused.first?.headers.first(name: "Retry-After") == "1")
            #expect(refused.first?.json?["code"]?.stringValue == "rate_limited")
            // Monitoring and the operator's API are not limited.
            for _ in 0..<20 { #expect(try await raw(.GET, net.url(1) + "/healthz").status == 200) }
            _ = try await net.clients[1].call(.GET, "/api/v1/node")
        }
    }
}
