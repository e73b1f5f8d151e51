public import CredenceCore
public import Logging

/// What the HTTP API listens on, who may use it and how much it takes in.
///
/// ```swift
/// var configuration = ServerConfiguration()
/// configuration.port = 0                      // any free port
/// configuration.access.readTokens = ["r-secret"]
/// configuration.apply(environment: ProcessInfo.processInfo.environment)
/// try configuration.validate()
/// ```
public struct ServerConfiguration: Sendable {
    /// The address to bind. Default: `127.0.0.1` (loopback only).
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 picks a free one. Default: 8080.
    public var port: Int = 8080
    /// Bearer tokens and their scopes.
    public var access = Access()
    /// Whether `POST /v1/events` takes events. Default: `false` (`credence serve` turns it on;
    /// `credence run` leaves intake to Kafka).
    public var intakeEnabled: Bool = false
    /// The largest request body `POST /v1/events` accepts, in bytes; larger ones get 413.
    /// Default: 16 MiB.
    public var maxBodyBytes: Int = 16 << 20
    /// The least severe log level written. Default: `.info`.
    public var logLevel: Logger.Level = .info
    /// The instant provisional scores are computed as of; `nil` means the wall clock at each
    /// request. Default: `nil` (tests pin it for reproducible answers).
    public var provisionalAsOf: Instant? = nil
    /// How many rejected lines an intake response lists one by one (all are counted and
    /// dead-lettered). Default: 1000.
    public var maxListedRejections: Int = 1000
    /// A backtest report (`credence model backtest --json`) the console's compare page shows.
    /// Default: `nil`, none.
    public var backtestReportPath: String? = nil

    /// Bearer tokens: a read scope for personal data, a write scope for intake.
    ///
    /// A token grants exactly its scope: a write token on a read route gets 403. Tokens are
    /// compared in constant time (for a given length) and never logged.
    public struct Access: Sendable {
        /// Tokens that may read scores, eligibility and snapshots. Default: none.
        public var readTokens: [String] = []
        /// Tokens that may post events. Default: none.
        public var writeTokens: [String] = []

        public init(readTokens: [String] = [], writeTokens: [String] = []) {
            self.readTokens = readTokens
            self.writeTokens = writeTokens
        }
    }

    /// Environment variables the configuration reads in ``apply(environment:)``.
    public enum EnvironmentKey {
        /// Comma-separated read tokens, added to the configured ones.
        public static let readTokens = "CREDENCE_READ_TOKENS"
        /// Comma-separated write tokens, added to the configured ones.
        public static let writeTokens = "CREDENCE_WRITE_TOKENS"
    }

    public init() {}

    /// Adds the tokens named by `CREDENCE_READ_TOKENS` and `CREDENCE_WRITE_TOKENS`
    /// (comma-separated; blanks around commas are ignored).
    public mutating func apply(environment: [String: String]) {
        access.readTokens += Self.tokens(environment[EnvironmentKey.readTokens])
        access.writeTokens += Self.tokens(environment[EnvironmentKey.writeTokens])
    }

    static func tokens(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: ",").map { $0.trimmingASCIISpaces() }.filter { !$0.isEmpty }
    }

    /// Checks everything; the error says what to change.
    public func validate() throws(ServerError) {
        guard !host.isEmpty else { throw ServerError(.configuration, "the host must not be empty (default 127.0.0.1)") }
        guard (0...65535).contains(port) else {
            throw ServerError(.configuration, "the port must be in 0...65535 (0 picks a free port), not \(port)")
        }
        guard maxBodyBytes >= 1024 else {
            throw ServerError(.configuration, "the request body limit must be at least 1024 bytes, not \(maxBodyBytes)")
        }
        guard maxListedRejections >= 0 else {
            throw ServerError(.configuration, "the number of listed rejections must not be negative")
        }
        guard !access.readTokens.isEmpty else {
            throw ServerError(
                .configuration,
                "no read token: personal data is only served to bearer tokens; set \(EnvironmentKey.readTokens)"
                    + " (comma-separated) to at least one secret")
        }
        if intakeEnabled && access.writeTokens.isEmpty {
            throw ServerError(
                .configuration,
                "intake is on but there is no write token: set \(EnvironmentKey.writeTokens) (comma-separated)"
                    + " to at least one secret, or turn intake off")
        }
        for token in access.readTokens + access.writeTokens {
            guard token.utf8.count >= 8, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw ServerError(
                    .configuration,
                    "a token must be at least 8 printable ASCII characters without spaces; pick a longer secret")
            }
        }
    }
}

extension Substring {
    func trimmingASCIISpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
