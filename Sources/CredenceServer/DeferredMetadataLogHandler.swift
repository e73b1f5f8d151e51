public import Logging

/// swift-log's `StreamLogHandler`, with its metadata rendered when a message is logged rather
/// than whenever an entry is set.
///
/// `StreamLogHandler` renders all of its metadata into one string each time an entry changes,
/// logged or not. Hummingbird sets a request id on every request's logger, so at the default
/// `warning` level each request rendered a string that nothing printed: about 5% of a request's
/// work on the concurrency pool in the load test. This handler keeps the entries and hands them to
/// the stream handler with each message it logs, which prints them as it printed its own: sorted
/// by key, `key=value`, after the label. (The one difference: an entry set here wins over the
/// logging system's metadata provider, as a message's own metadata does; Credence sets no
/// provider.)
///
/// ```swift
/// LoggingSystem.bootstrap { label in DeferredMetadataLogHandler(label: label, level: .info) }
/// ```
public struct DeferredMetadataLogHandler: LogHandler {
    private var output: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    /// A handler printing to standard error at `level` and above.
    public init(label: String, level: Logger.Level) {
        self.init(output: StreamLogHandler.standardError(label: label), level: level)
    }

    /// A handler printing through `output` (a test's captured stream) at `level` and above.
    public init(output: StreamLogHandler, level: Logger.Level) {
        self.output = output
        self.output.logLevel = level
    }

    public var logLevel: Logger.Level {
        get { output.logLevel }
        set { output.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { output.metadataProvider }
        set { output.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = event.metadata.map { metadata.merging($0) { _, message in message } } ?? metadata
        }
        output.log(event: event)
    }
}
