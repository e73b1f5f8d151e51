import Foundation

/// A Tansu broker on loopback, started and stopped with `scripts/tansu.sh`.
///
/// Tests that need it are skipped (with the reason printed) when `CREDENCE_TANSU` is unset;
/// `scripts/test` sets it.
public final class TansuBroker {
    public let port: Int
    public var brokers: String { "127.0.0.1:\(port)" }

    /// The CLI's options for a client of this broker: its address, and a group session short
    /// enough for a test (a member that is gone is noticed in 6 s, not librdkafka's 45).
    public var cliArguments: [String] {
        ["--brokers", brokers, "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]
    }

    static let repositoryRoot: String = Repository.root.path

    public static var binary: String? {
        ProcessInfo.processInfo.environment["CREDENCE_TANSU"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var skipReason: String? {
        binary == nil ? "CREDENCE_TANSU is not set: skipping tests against a real broker (scripts/test sets it)" : nil
    }

    /// Starts a broker on a free port; throws when none starts.
    public init() throws {
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20_000..<40_000)
            let (status, output) = Self.script("start", port)
            if status == 0 {
                self.port = port
                return
            }
            lastError = output
        }
        throw TansuError(message: "cannot start tansu: \(lastError)")
    }

    public func stop() {
        _ = Self.script("stop", port)
    }

    deinit { stop() }

    /// Creates a topic with Tansu's own command line.
    public func createTopic(_ name: String, partitions: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary!)
        p.arguments = ["topic", "create", name, "--partitions", "\(partitions)", "--broker", "tcp://\(brokers)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw TansuError(message: "tansu topic create \(name) failed") }
    }

    static func script(_ command: String, _ port: Int) -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [repositoryRoot + "/scripts/tansu.sh", command, "\(port)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

public struct TansuError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
