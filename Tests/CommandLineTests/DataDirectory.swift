import CredenceTestSupport
import Foundation

/// A data directory as the CLI shows it.
enum DataDirectory {
    /// Each closed month's export of a data directory.
    static func exports(_ data: String) throws -> [String: String] {
        let list = try CommandRunner.watch(["snapshot", "list", "--data-dir", data]).output
        var out: [String: String] = [:]
        for line in list.split(separator: "\n").dropFirst() {
            let month = String(line.split(separator: " ")[0])
            out[month] = try CommandRunner.watch(["snapshot", "export", "--data-dir", data, "--month", month]).output
        }
        return out
    }

    static func loggedEvents(_ data: String) throws -> Int? {
        let text = try CommandRunner.watch(["log", "verify", "--data-dir", data]).output
        for line in text.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("event:") {
            return Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
