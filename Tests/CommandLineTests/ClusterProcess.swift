import CredenceTestSupport
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A `credence run --http-port P` child process, one instance of a cluster.
final class ClusterProcess: @unchecked Sendable {
    // @unchecked: every stored property is set once in init and only read afterwards; Process
    // itself is thread-safe for terminate/wait/kill.
    let process = Process()
    let port: Int
    let dataDir: String
    let logPath: String

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `credence run --data-dir DIR --http-port PORT` plus `arguments`.
    init(dataDir: String, port: Int, arguments: [String]) throws {
        self.port = port
        self.dataDir = dataDir
        logPath = dataDir + ".run.log"
        process.executableURL = URL(fileURLWithPath: CommandRunner.binary)
        process.arguments = ["run", "--data-dir", dataDir, "--http-port", "\(port)"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CREDENCE_READ_TOKENS"] = Tokens.read
        process.environment = environment
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// SIGKILL: no graceful anything.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the graceful exit.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One GET with the read token; status 0 when the connection failed.
    func get(_ path: String, timeout: TimeInterval = 30) async -> Reply {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.timeoutInterval = timeout
        request.setValue("Bearer " + Tokens.read, forHTTPHeaderField: "Authorization")
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            var headers: [String: String] = [:]
            for (k, v) in http?.allHeaderFields ?? [:] { headers["\(k)".lowercased()] = "\(v)" }
            return Reply(status: http?.statusCode ?? 0, headers: headers, body: data)
        } catch {
            return Reply(status: 0, headers: [:], body: Data("\(error)".utf8))
        }
    }

    /// What `/readyz` says of the cluster.
    struct ClusterState: Decodable {
        struct Partition: Decodable {
            var partition: Int
            var owner: String?
            var lag: Int?
            var idle: Bool
            var restating: Bool
        }
        var instance: String
        var partitions: [Partition]
        var owned: [Int]
    }

    func clusterState() async -> ClusterState? {
        struct Ready: Decodable { var cluster: ClusterState? }
        let reply = await get("/readyz", timeout: 5)
        return (try? JSONDecoder().decode(Ready.self, from: reply.body))?.cluster
    }

    /// Closed months as `GET /v1/snapshots` lists them.
    func closedMonths() async -> [String]? {
        struct List: Decodable {
            struct Item: Decodable { var month: String }
            var months: [Item]
        }
        let reply = await get("/v1/snapshots", timeout: 5)
        guard reply.status == 200 else { return nil }
        return (try? JSONDecoder().decode(List.self, from: reply.body))?.months.map(\.month)
    }

    /// A free loopback port (bound, read, released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
