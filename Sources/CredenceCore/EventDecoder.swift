/// Turns the raw bytes of one input message into a validated ``Event`` and the
/// ``ContentDigest`` of its JSON value, or a ``Rejection`` saying why not
/// (SCORING.md section 2).
///
/// ```swift
/// let decoder = EventDecoder()
/// switch line.withUnsafeBytes({ decoder.decode($0, key: kafkaKey) }) {
/// case .accepted(let event, let digest): intake(event, digest)
/// case .rejected(let rejection): deadLetter(line, rejection)
/// }
/// ```
///
/// The parser is strict RFC 8259 over bytes (see the rules on each
/// ``Rejection/Reason``); unknown extra fields are validated as JSON, counted in
/// the digest and otherwise ignored, as are the known fields of other event types.
/// Blank NDJSON lines are the caller's business: an empty input is `not_json`.
///
/// When an event breaks several rules, the first one found is reported, in this
/// order: size, JSON syntax, depth, not an object, duplicate keys, then the fields
/// in the order of the spec's tables (envelope first), each field checked for
/// presence, then type, then value; the message key is checked right after `user_id`.
public struct EventDecoder: Sendable {
    /// How events are decoded.
    public struct Configuration: Sendable, Hashable {
        /// The deployment currency; a payment in any other is rejected. Default: `CNY`.
        public var currency: String
        /// Larger inputs are rejected unread as `too_large`. Default: 1 MiB.
        public var maxEventBytes: Int
        /// Deepest nesting of objects and arrays accepted, the event object being
        /// level 1; at most 256. Default: 64.
        public var maxNestingDepth: Int

        public init(currency: String = "CNY", maxEventBytes: Int = 1 << 20, maxNestingDepth: Int = 64) {
            self.currency = currency
            self.maxEventBytes = maxEventBytes
            self.maxNestingDepth = maxNestingDepth
        }

        /// Checks every option, naming the first bad one.
        public func validate() throws(ConfigurationError) {
            let c = Array(currency.utf8)
            guard c.count == 3, c.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else {
                throw ConfigurationError(
                    message: "currency \"\(currency)\" must be 3 uppercase ASCII letters (ISO 4217)")
            }
            guard maxEventBytes > 0 else {
                throw ConfigurationError(message: "maxEventBytes must be positive, got \(maxEventBytes)")
            }
            guard (1...256).contains(maxNestingDepth) else {
                throw ConfigurationError(message: "maxNestingDepth must be between 1 and 256, got \(maxNestingDepth)")
            }
        }
    }

    /// A configuration option is out of range.
    public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public let configuration: Configuration
    let currencyBytes: [UInt8]
    let maxDepth: Int

    /// A decoder; call ``Configuration/validate()`` first to refuse a bad configuration
    /// (with an invalid currency every payment is rejected; the depth is clamped to 1...256).
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.currencyBytes = Array(configuration.currency.utf8)
        self.maxDepth = min(max(configuration.maxNestingDepth, 1), 256)
    }

    /// Decodes and validates one event.
    ///
    /// - Parameters:
    ///   - bytes: the whole message or NDJSON line, without its line terminator.
    ///   - key: the Kafka message key, or nil if the message has none; when present (even
    ///     empty) it must equal the unescaped bytes of `user_id`.
    public func decode(_ bytes: UnsafeRawBufferPointer, key: [UInt8]? = nil) -> DecodeResult {
        guard let key else { return decode(bytes, keyBytes: nil) }
        return key.withUnsafeBytes { decode(bytes, keyBytes: $0) }
    }

    /// ``decode(_:key:)`` with the message key read where it is (a Kafka message's, in
    /// librdkafka's buffer), not copied into an array.
    public func decode(_ bytes: UnsafeRawBufferPointer, keyBytes key: UnsafeRawBufferPointer?) -> DecodeResult {
        guard bytes.count <= configuration.maxEventBytes else {
            return .rejected(
                Rejection(
                    .tooLarge, "event is \(bytes.count) bytes, more than the limit of \(configuration.maxEventBytes)"))
        }
        guard let raw = bytes.baseAddress, bytes.count > 0 else {
            return .rejected(Rejection(.notJSON, "not JSON: empty input"))
        }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        return withUnsafeTemporaryAllocation(of: JSONValueInfo.self, capacity: EventField.allCases.count) { slots in
            slots.initialize(repeating: .absent)
            var parser = JSONParser<EventField>(base: base, count: bytes.count, maxDepth: maxDepth)
            let document: (kind: JSONKind, digest: ContentDigest)
            do throws(JSONError) {
                document = try parser.parseDocument(fields: slots)
            } catch {
                if case .tooDeep = error.problem { return .rejected(Rejection(.tooDeep, error.explanation)) }
                return .rejected(Rejection(.notJSON, "not JSON: " + error.explanation))
            }
            guard document.kind == .object else {
                return .rejected(Rejection(.notObject, "not an object: the event is \(document.kind.phrase)"))
            }
            if let duplicate = parser.duplicate {
                let name = JSONParser<EventField>.unescape(base: base, duplicate)
                return .rejected(
                    Rejection(.duplicateField, "duplicate field " + name.withUnsafeBufferPointer(Rejection.fieldName)))
            }
            let fields = EventFields(base: base, slots: UnsafeBufferPointer(slots))
            do throws(Rejection) {
                let event = try fields.event(
                    currency: currencyBytes, deploymentCurrency: configuration.currency, key: key)
                return .accepted(event, document.digest)
            } catch {
                return .rejected(error)
            }
        }
    }

    /// Decodes and validates one event held in an array.
    public func decode(_ bytes: [UInt8], key: [UInt8]? = nil) -> DecodeResult {
        bytes.withUnsafeBytes { decode($0, key: key) }
    }
}

/// The outcome of decoding one event with ``EventDecoder``.
public enum DecodeResult: Sendable, Hashable {
    /// A valid event and the digest of its JSON value, for duplicate detection.
    case accepted(Event, ContentDigest)
    case rejected(Rejection)

    public var event: Event? {
        if case .accepted(let e, _) = self { return e }
        return nil
    }

    public var rejection: Rejection? {
        if case .rejected(let r) = self { return r }
        return nil
    }
}

extension JSONKind {
    /// "a string", "an array", ... for messages.
    var phrase: String {
        switch self {
        case .absent: return "absent"
        case .string: return "a string"
        case .number: return "a number"
        case .object: return "an object"
        case .array: return "an array"
        case .true: return "true"
        case .false: return "false"
        case .null: return "null"
        }
    }
}
