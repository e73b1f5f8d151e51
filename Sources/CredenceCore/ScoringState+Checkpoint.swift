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
    /// Mutating only to merge the users seen since the last close into the sorted list, which
    /// the next close would do anyway: no sort of every user per checkpoint.
    package mutating func encode(into writer: inout ByteWriter) {
        writer.writeOptionalInstant(maxSeen)
        writer.writeOptionalInstant(minSeen)
        writer.writeVarint(UInt64(closedMonths.count))
        for m in closedMonths { writer.writeZigZag(Int64(m.index)) }
        table.mergeNew()
        writer.writeVarint(UInt64(table.sorted.count))
        for slot in table.sorted {
            let slot = Int(slot)
            writer.writeString(table.ids[slot])
            if let last = table.lastScores[slot].value {
                writer.writeByte(1)
                writer.writeZigZag(Int64(last.month.index))
                writer.writeZigZag(last.score)
            } else {
                writer.writeByte(0)
            }
            table[state: slot].encode(into: &writer)
            writer.spillIfFull()
        }
    }

    /// Reads a state that ``encode(into:)`` wrote.
    package static func decode(
        from reader: inout ByteReader, configuration: ScoringConfiguration, shards: Int = 1
    ) throws -> ScoringState {
        var state = ScoringState(configuration: configuration, shards: shards)
        state.maxSeen = try reader.readOptionalInstant()
        state.minSeen = try reader.readOptionalInstant()
        let months = try reader.readCount(atMost: 1 << 20)
        state.closedMonths.reserveCapacity(months)
        for _ in 0..<months { state.closedMonths.append(Month(index: try reader.readInt32())) }
        let count = try reader.readCount(atMost: reader.remaining)
        state.table.reserveCapacity(count)
        var previous: String? = nil
        for _ in 0..<count {
            let id = try reader.readString()
            if let p = previous, !ScoringState.byteOrder(p, id) {
                throw BinaryDecodingError(
                    code: .invalidValue, offset: reader.offset, message: "users are not in byte order")
            }
            previous = id
            var last = UserTable.LastScore.none
            if try reader.readBool() {
                last.month = try reader.readInt32()
                last.score = try reader.readZigZag()
            }
            let user = try UserState.decode(from: &reader)
            let slot = state.table.append(id, user, last, sorted: true)
            if let cut = user.erasureCut { state.setErasureCut(cut, atSlot: slot) }
        }
        state.refreshCloseHorizon()
        return state
    }
}

extension UserState {
    /// Appends the user's state: the erasure cut, enrolments, credit limits, payment months and
    /// obligations, each list with its count first.
    ///
    /// The packed state keeps exactly these bytes after its header (`UserState+Packed.swift`),
    /// with its gap between the payment months and the obligations, so this is two copies.
    package func encode(into writer: inout ByteWriter) {
        let gapStart = slot(UserState.gapSlot)
        let gapEnd = slot(UserState.obligationsSlot)
        storage.withUnsafeBufferPointer { bytes in
            writer.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[UserState.headerSize..<gapStart]))
            writer.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[gapEnd...]))
        }
    }

    /// Reads a state that ``encode(into:)`` wrote, checking every field, and keeps its bytes.
    package static func decode(from reader: inout ByteReader) throws -> UserState {
        let start = reader.offset
        _ = try reader.readOptionalInstant()
        let enrolments = try reader.readCount(atMost: reader.remaining)
        for _ in 0..<enrolments {
            _ = try reader.readZigZag()
            _ = try reader.readString()
            _ = try reader.readBool()
        }
        let limits = try reader.readCount(atMost: reader.remaining)
        for _ in 0..<limits {
            _ = try reader.readZigZag()
            _ = try reader.readString()
            _ = try reader.readZigZag()
        }
        let paymentsStart = reader.offset
        var lastPayment: Int? = nil
        let months = try reader.readCount(atMost: reader.remaining)
        for _ in 0..<months {
            lastPayment = reader.offset
            _ = try reader.readInt32()
            _ = try reader.readUInt32()
            _ = try reader.readUInt32()
            _ = try reader.readInt128()
        }
        let obligationsStart = reader.offset
        let obligations = try reader.readCount(atMost: reader.remaining)
        var obligationFilter: UInt64 = 0
        for _ in 0..<obligations {
            var id = try reader.readString()
            obligationFilter |= id.withUTF8 { obligationFilterBit($0) }
            _ = try reader.readOptionalInstant()
            _ = try reader.readZigZag()
            _ = try reader.readZigZag()
            let serviceStart = reader.offset
            guard Service(rawValue: try reader.readByte()) != nil else {
                throw BinaryDecodingError(code: .invalidValue, offset: serviceStart, message: "unknown service")
            }
            _ = try reader.readOptionalInstant()
            let movements = try reader.readCount(atMost: reader.remaining)
            for _ in 0..<movements {
                _ = try reader.readZigZag()
                _ = try reader.readZigZag()
            }
        }
        let end = reader.offset
        var storage = [UInt8]()
        storage.reserveCapacity(headerSize + end - start)
        storage.append(contentsOf: repeatElement(0, count: headerSize))
        storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: reader.bytes[start..<end]))
        var state = UserState(storage: storage)
        let shift = headerSize - start
        state.setSlot(paymentsSlot, paymentsStart + shift)
        state.setSlot(lastPaymentSlot, lastPayment.map { $0 + shift } ?? 0)
        state.setSlot(obligationsSlot, obligationsStart + shift)
        state.setSlot(gapSlot, obligationsStart + shift)  // no gap: a state loads at its size
        state.obligationFilter = obligationFilter
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
