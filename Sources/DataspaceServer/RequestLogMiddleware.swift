import Hummingbird
import Logging

/// Logs each request's method and path — never its query string, which can carry secrets (an
/// invitation token, a receipt being checked) — at `level`. Stands in for Hummingbird's
/// LogRequestsMiddleware, which logs the whole URI.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    init(_ level: Logger.Level) { self.level = level }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.log(
            level: level, "Request",
            metadata: ["hb.request.path": .string(request.uri.path), "hb.request.method": .string(request.method.rawValue)])
        return try await next(request, context)
    }
}
