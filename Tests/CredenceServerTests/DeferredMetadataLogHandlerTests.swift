import Logging
import Synchronization
import Testing

@testable import CredenceServer

/// The deferred handler prints what `StreamLogHandler` prints with the same metadata set on it.
@Suite struct DeferredMetadataLogHandlerTests {
    /// A stream that keeps what is written to it.
    final class Captured: TextOutputStream, Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
        /// The lines without their timestamps (the first word: the second may turn between two).
        var lines: [Substring] {
            text.withLock { $0 }.split(separator: "\n").map { $0.drop { $0 != " " } }
        }
    }

    func stream(_ captured: Captured) -> StreamLogHandler {
        StreamLogHandler(label: "credence", stream: captured, metadataProvider: nil)
    }

    @Test func printsWhatTheStreamHandlerPrints() {
        let plain = Captured()
        let deferred = Captured()
        var a = Logger(label: "credence", factory: { _ in self.stream(plain) })
        a.logLevel = .info
        let b = Logger(
            label: "credence", factory: { _ in DeferredMetadataLogHandler(output: self.stream(deferred), level: .info) }
        )
        for var logger in [a, b] {
            logger[metadataKey: "hb.request.id"] = "7"
            logger[metadataKey: "a"] = "first"
            logger.info("no metadata of its own")
            logger.warning("with its own", metadata: ["a": "overridden", "z": "last"])
            logger.debug("below the level")
            logger[metadataKey: "a"] = nil
            logger.error("one entry left")
        }
        #expect(deferred.lines.count == 3)
        #expect(plain.lines == deferred.lines)
        #expect(
            deferred.lines[1].hasSuffix(
                "credence: a=overridden hb.request.id=7 z=last [CredenceServerTests] with its own"))
    }

    @Test func aLevelSetLaterApplies() {
        let captured = Captured()
        var logger = Logger(
            label: "credence",
            factory: { _ in DeferredMetadataLogHandler(output: self.stream(captured), level: .error) })
        logger.warning("dropped")
        logger.logLevel = .warning
        logger.warning("kept")
        #expect(captured.lines.count == 1)
        #expect(captured.lines.first?.hasSuffix("kept") == true)
    }
}
