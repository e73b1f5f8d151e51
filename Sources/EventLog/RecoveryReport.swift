/// What opening a log cut from the end of its last segment after a crash.
///
/// Only the last segment is checked when the log opens, from its last trustworthy index
/// entry on: a crash can only tear what was being written. Damage further back (bit rot)
/// is found by `EventLog.verify` and makes readers throw `.corruptRecord`.
public struct RecoveryReport: Sendable, Hashable, CustomStringConvertible {
    /// Path of the segment file that was truncated.
    public var segment: String
    /// Offset the file was truncated at: the end of the last good record.
    public var offset: Int64
    /// Bytes removed from the end of the file.
    public var bytesCut: Int64
    /// Records left in the segment.
    public var recordsKept: UInt64
    /// What was found at `offset`.
    public var reason: FrameProblem

    public var description: String {
        "cut \(bytesCut) bytes at offset \(offset) of \(segment) (\(reason)); \(recordsKept) records kept in it"
    }
}
