import Hummingbird

/// Responses with hand-written JSON bodies (no encoder per request).
enum JSONResponse {
    static func ok(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    /// A body rendered as bytes (``UserJSON``): one copy into the response's buffer.
    static func ok(bytes json: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: jsonHeaders, body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }

    /// `Content-Type: application/json`, built once: a response copies it (a reference) and
    /// only a response that adds a header pays for its own.
    private static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    static func error(_ error: ServerError) -> Response {
        var response = ok(error.json, status: error.status)
        if error.code == .unauthorized {
            response.headers[.wwwAuthenticate] = "Bearer realm=\"credence\""
        }
        return response
    }
}
