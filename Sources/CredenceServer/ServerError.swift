import CredenceCore
public import HTTPTypes

/// A failure the API reports: an HTTP status, a stable code and a message that says what to do.
///
/// Handlers throw it; ``ErrorMiddleware`` turns it (and any other error) into a JSON body:
///
///     {"error":{"code":"invalid_user_id","message":"..."}}
public struct ServerError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public let status: HTTPResponse.Status
        public var description: String { name }

        public static let configuration = Code(name: "configuration", status: .internalServerError)
        public static let invalidUserID = Code(name: "invalid_user_id", status: .badRequest)
        public static let invalidMonth = Code(name: "invalid_month", status: .badRequest)
        public static let unauthorized = Code(name: "unauthorized", status: .unauthorized)
        public static let forbidden = Code(name: "forbidden", status: .forbidden)
        public static let notFound = Code(name: "not_found", status: .notFound)
        public static let monthNotClosed = Code(name: "month_not_closed", status: .notFound)
        public static let methodNotAllowed = Code(name: "method_not_allowed", status: .methodNotAllowed)
        public static let payloadTooLarge = Code(name: "payload_too_large", status: .contentTooLarge)
        public static let intakeDisabled = Code(name: "intake_disabled", status: .notFound)
        public static let badRequest = Code(name: "bad_request", status: .badRequest)
        public static let unavailable = Code(name: "unavailable", status: .serviceUnavailable)
        public static let internalError = Code(name: "internal", status: .internalServerError)
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var status: HTTPResponse.Status { code.status }

    public var description: String {
        if let underlying { return "\(code): \(message) (\(underlying))" }
        return "\(code): \(message)"
    }

    /// The response body.
    var json: String {
        var out = "{\"error\":{\"code\":"
        JSONText.appendString(code.name, to: &out)
        out += ",\"message\":"
        JSONText.appendString(message, to: &out)
        out += "}}"
        return out
    }
}
