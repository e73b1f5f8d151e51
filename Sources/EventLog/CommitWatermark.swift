import Synchronization

/// The end of the committed part of a log, shared by its appender and its readers.
///
/// Every record with an LSN below `end` is committed (written, and durable as the log's
/// `Durability` says). The appender stores it after each commit; readers load it to know
/// how far they may read. `Sendable`: hand it to readers in other tasks.
public final class CommitWatermark: Sendable {
    private let value: Atomic<UInt64>

    init(_ end: UInt64) {
        value = Atomic(end)
    }

    /// The exclusive end of the committed LSNs.
    public var end: UInt64 { value.load(ordering: .acquiring) }

    func advance(to end: UInt64) {
        value.store(end, ordering: .releasing)
    }
}
