/// When committed records are forced to stable storage with `fdatasync`.
///
/// A struct with static members rather than an enum, so policies can be added without
/// breaking callers.
///
/// ```swift
/// var configuration = EventLogConfiguration()
/// configuration.durability = .interval(.milliseconds(50))
/// ```
public struct Durability: Sendable, Hashable, CustomStringConvertible {
    enum Mode: Hashable {
        case everyCommit
        case never
        case interval(Duration)
    }

    let mode: Mode

    /// `commit()` returns only after the records are on stable storage; segment rolls sync
    /// the old segment and the directory. The default: nothing committed is lost in a crash.
    public static let fsyncEveryCommit = Durability(mode: .everyCommit)

    /// Never sync: the OS writes pages back when it likes. Committed records survive a crash
    /// of the process but not of the machine. For benchmarks, tests and rebuildable data.
    public static let none = Durability(mode: .never)

    /// Sync at a commit when at least `interval` has passed since the last sync (and at
    /// segment rolls and `close()`). A machine crash loses at most about `interval` of
    /// committed records; there is no background timer, so an idle log syncs at its next commit.
    public static func interval(_ interval: Duration) -> Durability {
        Durability(mode: .interval(interval))
    }

    /// Whether rolls and `close()` sync at all.
    public var syncs: Bool { mode != .never }

    public var description: String {
        switch mode {
        case .everyCommit: return "fsyncEveryCommit"
        case .never: return "none"
        case .interval(let d): return "interval(\(d))"
        }
    }
}
