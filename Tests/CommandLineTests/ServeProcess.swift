import CredenceTestSupport
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `credence serve` child process on a free loopback port.
final class ServeProcess: @unchecked Sendable {
    // @unchecked: `process` and `pipe` are set once in init and only read afterwards; Process
    // itself is thread-safe for terminate/wait.
    let process = Process()
    let port: Int
    let stderrPath: String

    static let bothToken = "both-scopes-token-0001"

    /// Starts the CLI and waits (up to `timeout`) for its `listening on` line.
    init(dataDir: String, extraArguments: [String] = [], timeout: TimeInterval = 60) throws {
        let binary = CommandRunner.binary
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure(
                "no credence binary at \(binary): run `swift build` first (scripts/test does), or set CREDENCE_BIN")
        }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data-dir", dataDir, "--port", "0", "--no-fsync"] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["CREDENCE_READ_TOKENS"] = "\(Tokens.read),\(Self.bothToken)"
        environment["CREDENCE_WRITE_TOKENS"] = "\(Tokens.write),\(Self.bothToken)"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        stderrPath = dataDir + ".serve.log"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()

        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        var found: Int?
        let handle = out.fileHandleForReading
        while found == nil {
            guard Date() < deadline, process.isRunning else { break }
            let chunk = handle.availableData  // blocks until output or EOF
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if text[range.upperBound...].contains("\n") { found = Int(digits) }
            }
        }
        guard let port = found else {
            process.terminate()
            let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw TestFailure("credence serve did not start: stdout \(text) stderr \(log)")
        }
        self.port = port
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// SIGTERM, then waits for a graceful exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }

    /// One HTTP request over the loopback socket.
    func request(_ method: String, _ path: String, token: String?, body: String? = nil) async throws
        -> (status: Int, body: String)
    {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/x-ndjson", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program and waits for it, killing it after `timeout` seconds.
func runProgram(_ path: String, _ arguments: [String], timeout: TimeInterval, environment: [String: String]? = nil)
    throws -> (status: Int32, output: String, timedOut: Bool)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let outputPath = NSTemporaryDirectory() + "credence-run-\(UUID().uuidString).log"
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let handle = FileHandle(forWritingAtPath: outputPath)!
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            process.terminate()
            break
        }
        Thread.sleep(forTimeInterval: 0.1)
    }
    process.waitUntilExit()
    try? handle.close()
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return (process.terminationStatus, output, timedOut)
}

/// Finds an executable on PATH.
func which(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
