import Dispatch
import Foundation

/// Runs the `credence` binary as a user does: whole commands, their output and exit status.
///
/// The binary is `CREDENCE_BIN` when set, else `.build/debug/credence`, which `scripts/test`
/// builds before the suites run.
public enum CommandRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var out: String
        public var err: String
    }

    /// The CLI binary's path.
    public static var binary: String {
        if let bin = ProcessInfo.processInfo.environment["CREDENCE_BIN"], !bin.isEmpty {
            return bin.hasPrefix("/") ? bin : Repository.path(bin)
        }
        return Repository.path(".build/debug/credence")
    }

    /// Whether the binary was built.
    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Runs `credence ARGS...` to its end and returns its status and output.
    public static func credence(_ args: [String], environment: [String: String]? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if let environment { p.environment = environment }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes while the child runs, so that neither fills up and blocks it.
        let errData = LockedData()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errData.set(err.fileHandleForReading.readDataToEndOfFile())
            done.signal()
        }.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        done.wait()
        return Result(
            status: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
            err: String(decoding: errData.value, as: UTF8.self))
    }

    /// Starts `credence ARGS...` with its output discarded; kills it with SIGKILL after
    /// `killAfter` seconds when given, and returns its exit status.
    public static func run(_ args: [String], killAfter: Double? = nil) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        if let killAfter {
            Thread.sleep(forTimeInterval: killAfter)
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// Data handed from a reader thread.
private final class LockedData: @unchecked Sendable {
    // @unchecked: every access holds `lock`.
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.withLock { data = d } }
    var value: Data { lock.withLock { data ?? Data() } }
}

extension CommandRunner {
    /// What `watch` saw: the status and standard output and error, interleaved.
    public struct Watched: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `credence ARGS...`, killing it with SIGKILL once `killWhen` says so or `timeout`
    /// seconds have passed.
    public static func watch(_ args: [String], killWhen: (() -> Bool)? = nil, timeout: Double = 120) throws -> Watched {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("credence-cli-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning {
            if let killWhen, killWhen() {
                kill(p.processIdentifier, SIGKILL)
                break
            }
            if Date() > deadline {
                kill(p.processIdentifier, SIGKILL)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        p.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: out)
        return Watched(status: p.terminationStatus, output: text)
    }
}

extension CommandRunner {
    /// Runs `python3 ARGS...` (found on PATH) in the repository's root; returns its status and
    /// standard output and error together.
    public static func python(_ arguments: [String]) throws -> Watched {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        p.currentDirectoryURL = Repository.root
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return Watched(status: p.terminationStatus, output: out)
    }
}
