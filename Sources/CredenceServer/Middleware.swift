import Dispatch
import Hummingbird
import Logging

/// Records every request's latency by route pattern and status (outermost middleware, so it
/// sees the status that error mapping produced).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = CredenceRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await next(request, context)
        let elapsed = DispatchTime.now().uptimeNanoseconds &- start
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
            status: response.status.code, nanoseconds: Int64(truncatingIfNeeded: elapsed))
        return response
    }
}

/// Turns every error into a JSON body: ``ServerError`` as it is, Hummingbird's own errors
/// (unknown route, body too large) with their status, anything else as a 500 that is logged.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = CredenceRequestContext
    /// The API's routes, to tell an unknown path (404) from a known one with another method (405).
    let routes: [APIRoute]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as ServerError {
            if error.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            return JSONResponse.error(error)
        } catch let error as HTTPError {
            let code: ServerError.Code
            let message: String
            switch error.status {
            case .notFound where routes.contains(where: { $0.matches(path: request.uri.path[...]) }):
                let allowed = routes.filter { $0.matches(path: request.uri.path[...]) }.map(\.method)
                var response = JSONResponse.error(
                    ServerError(
                        .methodNotAllowed,
                        "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))"
                    ))
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            case .notFound:
                code = .notFound
                message = "no such route: \(request.method) \(request.uri.path); see Schemas/openapi.yaml"
            case .contentTooLarge:
                code = .payloadTooLarge
                message = "the request body is larger than \(context.maxUploadSize) bytes: send smaller batches"
            case .methodNotAllowed:
                code = .methodNotAllowed
                message = "\(request.method) is not allowed on \(request.uri.path)"
            default:
                code = ServerError.Code(name: "http_\(error.status.code)", status: error.status)
                message = error.body ?? error.status.reasonPhrase
            }
            var response = JSONResponse.error(ServerError(code, message))
            for field in error.headers { response.headers.append(field) }
            return response
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return JSONResponse.error(ServerError(.internalError, "internal error; the server log has the details"))
        }
    }
}
