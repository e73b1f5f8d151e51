import CRdKafka
import Logging
import Synchronization

/// Owns one `rd_kafka_t` (a producer or a consumer) and destroys it in `deinit`.
///
/// `@unchecked Sendable` is sound: the pointer never changes, librdkafka's `rd_kafka_t` is safe
/// to use from several threads for the calls this module makes (produce, poll, commit, assign,
/// metadata), and it is destroyed exactly once, in `deinit`, when no other reference exists.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The state librdkafka's callbacks reach through the configuration's opaque pointer. It
    /// outlives the handle's `rd_kafka_destroy` (callbacks run until then) because it is a
    /// stored property, released only after `deinit`'s body.
    let context: KafkaHandleContext

    /// Creates a client of `type` with `properties` (librdkafka names), after `configure` has
    /// registered whatever callbacks the client type needs.
    init(
        type: rd_kafka_type_t, properties: [(String, String)], logger: Logger,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let context = KafkaHandleContext(logger: logger)
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.client, "cannot allocate a configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let detail = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw KafkaError(
                    .configuration,
                    "librdkafka property \(name)=\(value) is not accepted: \(detail) (see librdkafka's CONFIGURATION.md)"
                )
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let context = Unmanaged<KafkaHandleContext>.fromOpaque(opaque).takeUnretainedValue()
            context.log(
                level: level, facility: facility.map { String(cString: $0) } ?? "",
                message: message.map { String(cString: $0) } ?? "")
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
            guard let opaque else { return }
            let context = Unmanaged<KafkaHandleContext>.fromOpaque(opaque).takeUnretainedValue()
            context.clientError(rk: rk, err: err, reason: reason.map { String(cString: $0) } ?? "")
        }
        configure(conf)
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            let detail = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(.configuration, "cannot create the Kafka client: \(detail)")
        }
        self.pointer = rk
        self.context = context
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    /// The fatal error a client hit, if any: it must be recreated.
    func checkFatal() throws(KafkaError) {
        if let fatal = context.state.withLock({ $0.fatal }) { throw fatal }
    }
}

/// What librdkafka's callbacks need: the logger, and state shared with the client's callers.
final class KafkaHandleContext: Sendable {
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var fatal: KafkaError? = nil
        /// Delivery reports since the last `flush`.
        var delivered = 0
        var failed = 0
        var firstFailure: KafkaError? = nil
        /// A consumer's rebalance waiting for its caller (see `KafkaConsumer.poll`).
        var pendingRebalance: KafkaRebalance? = nil
        /// Whether the consumer completes rebalances at once (while closing).
        var rebalanceImmediately = false
        var assignment: Set<KafkaTopicPartition> = []
    }

    init(logger: Logger) {
        self.logger = logger
    }

    /// librdkafka logs (syslog levels) to swift-log.
    func log(level: Int32, facility: String, message: String) {
        let swiftLevel: Logger.Level
        switch level {
        case ...2: swiftLevel = .critical
        case 3: swiftLevel = .error
        case 4: swiftLevel = .warning
        case 5: swiftLevel = .notice
        case 6: swiftLevel = .info
        default: swiftLevel = .debug
        }
        logger.log(level: swiftLevel, "\(message)", metadata: ["rdkafka.facility": "\(facility)"], source: "librdkafka")
    }

    /// librdkafka's error callback: most errors are transient (it retries and reconnects on its
    /// own) and are logged; a fatal one is kept so the next call throws it.
    func clientError(rk: OpaquePointer?, err: Int32, reason: String) {
        let code = rd_kafka_resp_err_t(err)
        if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
            var buffer = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(rk, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let error = KafkaError(
                .fatal, "the Kafka client hit a fatal error and must be recreated: \(text)",
                errorCode: underlying.rawValue)
            logger.error("\(error)")
            state.withLock { if $0.fatal == nil { $0.fatal = error } }
            return
        }
        let name = String(cString: rd_kafka_err2name(code))
        logger.warning("kafka: \(reason)", metadata: ["rdkafka.error": "\(name)"])
    }
}

extension String {
    /// A C string buffer's text up to its first NUL.
    init(cBuffer: [CChar]) {
        self = String(decoding: cBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Duration {
    /// Whole milliseconds, clamped to what librdkafka's `int` timeouts take.
    var kafkaMilliseconds: Int32 {
        let (s, a) = components
        let ms = s * 1000 + a / 1_000_000_000_000_000
        return Int32(clamping: max(ms, 0))
    }
}
