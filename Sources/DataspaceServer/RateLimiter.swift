import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Per-client token buckets: each client address may make `rate` requests a second on average,
/// `burst` at once. A shared, hot structure behind a `Mutex`; the clock is injected so tests
/// never sleep. The table is bounded: past `maximumClients` it forgets clients whose buckets are
/// full (they lose nothing by being forgotten).
public final class RateLimiter: Sendable {
    public let rate: Double
    public let burst: Double
    let maximumClients: Int
    let now: @Sendable () -> Double
    let buckets = Mutex<[String: (tokens: Double, at: Double)]>([:])

    public init(rate: Double, burst: Double, maximumClients: Int = 100_000, now: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.rate = rate
        self.burst = burst
        self.maximumClients = maximumClients
        self.now = now
    }

    static let origin = ContinuousClock.now

    /// Seconds on the monotonic clock since the process first asked.
    public static let monotonicSeconds: @Sendable () -> Double = {
        let t = ContinuousClock.now - origin
        return Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
    }

    /// Clients with a bucket right now.
    public var clientCount: Int { buckets.withLock { $0.count } }

    /// Takes one token for `client`; false when its bucket is empty.
    public func allow(_ client: String) -> Bool {
        let t = now()
        return buckets.withLock { table in
            var bucket = table[client] ?? (burst, t)
            bucket.tokens = min(burst, bucket.tokens + max(0, t - bucket.at) * rate)
            bucket.at = t
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if table[client] == nil, table.count >= maximumClients {
                table = table.filter { $0.value.tokens + max(0, t - $0.value.at) * rate < burst }
                if table.count >= maximumClients { table.removeAll(keepingCapacity: true) }
            }
            table[client] = bucket
            return allowed
        }
    }
}

/// Answers 429 to a client over its rate on the public, DSP and data routes. The management API
/// (admin token), `/healthz` and `/metrics` are not limited: monitoring keeps working while the
/// public face is flooded. Clients are counted by network (`ClientNetwork`); behind a trusted
/// proxy, by the address the proxy names in `X-Forwarded-For`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let limiter: RateLimiter
    let proxies: TrustedProxies

    static func isExempt(_ path: String) -> Bool {
        path == "/healthz" || path == "/metrics" || path.hasPrefix("/api/v1/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.isExempt(request.uri.path) else { return try await next(request, context) }
        let client = proxies.client(peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
        let name = client?.description ?? "unknown"
        guard limiter.allow(name) else {
            var response = Responses.problem(
                status: .tooManyRequests, code: "rate_limited",
                detail: "more than \(Int(limiter.rate)) requests a second from \(name); slow down and retry")
            response.headers[.retryAfter] = "1"
            return response
        }
        return try await next(request, context)
    }
}
