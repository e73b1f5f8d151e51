/// The scoring state as bytes, for state checkpoints: what a restart loads instead of
/// replaying the whole log.
///
/// The encoding is deterministic: users in `user_id` byte order, each user's parts in the
/// order the state keeps them. Two states that answer every question alike (features as of
/// any `T`, the closed months, every user's last closed score) encode to the same bytes, which
/// is how a test shows that a restart from a checkpoint equals a full replay.
///
/// Layout (``ByteWriter`` integers): the range (`maxSeen`, `minSeen`, each a presence byte and
/// a zigzag millisecond), the closed months (count, zigzag indexes), then the users (count,
/// then per user: id, last closed score, ``UserState`` as written by `encode(into:)`).
extension ScoringState {
    /// Appends the state to `writer`.
    package func encode(into writer: inout ByteWriter) {
        writer.writeOptionalInstant(maxSeen)
        writer.writeOptionalInstant(minSeen)
        writer.writeVarint(UInt64(closedMonths.count))
        for m in closedMonths { writer.writeZigZag(Int64(m.index)) }
        let ids = users.keys.sorted(by: ScoringState.byteOrder)
        writer.writeVarint(UInt64(ids.count))
        for id in ids {
            writer.writeString(id)
            if let last = lastScores[id] {
                writer.writeByte(1)
                writer.writeZigZag(Int64(last.month.index))
                writer.writeZigZag(last.score)
            } else {
                writer.writeByte(0)
            }
            users[id]!.encode(into: &writer)
        }
    }

    /// Reads a state that ``encode(into:)`` wrote.
    package static func decode(
        from reader: inout ByteReader, configuration: ScoringConfiguration
    ) throws -> ScoringState {
        var state = ScoringState(configuration: configuration)
        state.maxSeen = try reader.readOptionalInstant()
        state.minSeen = try reader.readOptionalInstant()
        let months = try reader.readCount(atMost: 1 << 20)
        state.closedMonths.reserveCapacity(months)
        for _ in 0..<months { state.closedMonths.append(Month(index: try reader.readInt32())) }
        let count = try reader.readCount(atMost: reader.remaining)
        state.users.reserveCapacity(count)
        state.sortedUserIDs.reserveCapacity(count)
        var previous: String? = nil
        for _ in 0..<count {
            let id = try reader.readString()
            if let p = previous, !ScoringState.byteOrder(p, id) {
                throw BinaryDecodingError(
                    code: .invalidValue, offset: reader.offset, message: "users are not in byte order")
            }
            previous = id
            if try reader.readBool() {
                let month = Month(index: try reader.readInt32())
                state.lastScores[id] = (month, try reader.readZigZag())
            }
            state.users[id] = try UserState.decode(from: &reader)
            state.sortedUserIDs.append(id)
        }
        state.refreshCloseHorizon()
        return state
    }
}

extension UserState {
    /// Appends the user's state: the erasure cut, enrolments, credit limits, payment months and
    /// obligations, each list with its count first.
    package func encode(into writer: inout ByteWriter) {
        writer.writeOptionalInstant(erasureCut)
        writer.writeVarint(UInt64(enrolments.count))
        for m in enrolments {
            writer.writeZigZag(m.at.millisecondsSinceEpoch)
            writer.writeString(m.eventID)
            writer.writeBool(m.value)
        }
        writer.writeVarint(UInt64(limits.count))
        for m in limits {
            writer.writeZigZag(m.at.millisecondsSinceEpoch)
            writer.writeString(m.eventID)
            writer.writeZigZag(m.value)
        }
        writer.writeVarint(UInt64(paymentMonths.count))
        for p in paymentMonths {
            writer.writeZigZag(Int64(p.month))
            writer.writeVarint(UInt64(p.approved))
            writer.writeVarint(UInt64(p.declined))
            writer.writeInt128(p.spendMinor)
        }
        writer.writeVarint(UInt64(obligations.count))
        for o in obligations {
            writer.writeString(o.id)
            writer.writeOptionalInstant(o.openedAt)
            writer.writeZigZag(o.dueAt.millisecondsSinceEpoch)
            writer.writeZigZag(o.amountMinor)
            writer.writeByte(o.service.rawValue)
            writer.writeOptionalInstant(o.cancelledAt)
            writer.writeVarint(UInt64(o.movements.count))
            for m in o.movements {
                writer.writeZigZag(m.at.millisecondsSinceEpoch)
                writer.writeZigZag(m.delta)
            }
        }
    }

    package static func decode(from reader: inout ByteReader) throws -> UserState {
        var state = UserState(erasureCut: try reader.readOptionalInstant())
        let enrolments = try reader.readCount(atMost: reader.remaining)
        state.enrolments.reserveCapacity(enrolments)
        for _ in 0..<enrolments {
            let at = Instant(millisecondsSinceEpoch: try reader.readZigZag())
            state.enrolments.append(Mark(at: at, eventID: try reader.readString(), value: try reader.readBool()))
        }
        let limits = try reader.readCount(atMost: reader.remaining)
        state.limits.reserveCapacity(limits)
        for _ in 0..<limits {
            let at = Instant(millisecondsSinceEpoch: try reader.readZigZag())
            state.limits.append(Mark(at: at, eventID: try reader.readString(), value: try reader.readZigZag()))
        }
        let months = try reader.readCount(atMost: reader.remaining)
        state.paymentMonths.reserveCapacity(months)
        for _ in 0..<months {
            var p = PaymentMonth(month: try reader.readInt32())
            p.approved = try reader.readUInt32()
            p.declined = try reader.readUInt32()
            p.spendMinor = try reader.readInt128()
            state.paymentMonths.append(p)
        }
        let obligations = try reader.readCount(atMost: reader.remaining)
        state.obligations.reserveCapacity(obligations)
        for _ in 0..<obligations {
            var o = Obligation(id: try reader.readString())
            o.openedAt = try reader.readOptionalInstant()
            o.dueAt = Instant(millisecondsSinceEpoch: try reader.readZigZag())
            o.amountMinor = try reader.readZigZag()
            let start = reader.offset
            guard let service = Service(rawValue: try reader.readByte()) else {
                throw BinaryDecodingError(code: .invalidValue, offset: start, message: "unknown service")
            }
            o.service = service
            o.cancelledAt = try reader.readOptionalInstant()
            let movements = try reader.readCount(atMost: reader.remaining)
            o.movements.reserveCapacity(movements)
            for _ in 0..<movements {
                let at = Instant(millisecondsSinceEpoch: try reader.readZigZag())
                o.movements.append(Movement(at: at, delta: try reader.readZigZag()))
            }
            state.obligations.append(o)
        }
        return state
    }
}

extension ByteWriter {
    /// A presence byte, then the instant's milliseconds as a zigzag varint.
    package mutating func writeOptionalInstant(_ value: Instant?) {
        if let value {
            writeByte(1)
            writeZigZag(value.millisecondsSinceEpoch)
        } else {
            writeByte(0)
        }
    }

    /// The high half as a zigzag varint, then the low half as a varint.
    package mutating func writeInt128(_ value: Int128) {
        writeZigZag(Int64(truncatingIfNeeded: value >> 64))
        writeVarint(UInt64(truncatingIfNeeded: value))
    }
}

extension ByteReader {
    package mutating func readOptionalInstant() throws -> Instant? {
        try readBool() ? Instant(millisecondsSinceEpoch: try readZigZag()) : nil
    }

    package mutating func readInt128() throws -> Int128 {
        let high = try readZigZag()
        let low = try readVarint()
        return Int128(high) << 64 | Int128(low)
    }

    /// A varint count of items, each at least one byte long, so at most `limit`.
    package mutating func readCount(atMost limit: Int) throws -> Int {
        let start = offset
        let n = try readVarint()
        guard n <= UInt64(max(limit, 0)) else {
            throw BinaryDecodingError(
                code: .invalidValue, offset: start, message: "a count of \(n) items does not fit in what is left")
        }
        return Int(n)
    }

    package mutating func readInt32() throws -> Int32 {
        let start = offset
        guard let v = Int32(exactly: try readZigZag()) else {
            throw BinaryDecodingError(code: .invalidValue, offset: start, message: "a value does not fit in 32 bits")
        }
        return v
    }

    package mutating func readUInt32() throws -> Int32 {
        let start = offset
        guard let v = Int32(exactly: try readVarint()) else {
            throw BinaryDecodingError(code: .invalidValue, offset: start, message: "a count does not fit in 31 bits")
        }
        return v
    }
}
