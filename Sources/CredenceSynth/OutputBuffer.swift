import CredenceCore

/// A growable byte buffer that lines are serialized into before they go to the sink.
///
/// Hand-rolled rather than `[UInt8]` so that appending a key, a digit or a timestamp is a
/// store or a `memcpy` with no uniqueness checks; this is the generator's hot path. It is
/// a noncopyable struct, not a class, so that its accesses need no dynamic exclusivity checks.
struct OutputBuffer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0
    /// Bytes handed to sinks so far.
    private(set) var flushedBytes = 0
    /// The last local day formatted and its `YYYY-MM-DD`: consecutive lines are mostly on the same day.
    private var cachedDay: Int64 = .min
    private var cachedDate: (UInt64, UInt16) = (0, 0)

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        self.base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Hands the buffered bytes to `sink` and empties the buffer.
    mutating func flush(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard count > 0 else { return }
        let n = count
        count = 0
        flushedBytes += n
        try sink(UnsafeRawBufferPointer(start: base, count: n))
    }

    /// Makes room for `n` more bytes (lines are short; this almost never grows).
    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        reserve(n)
        (base + count).update(from: text.utf8Start, count: n)
        count += n
    }

    mutating func append(_ bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { (base + count).update(from: $0.baseAddress!, count: $0.count) }
        count += bytes.count
    }

    /// Appends `value` in decimal, with a `-` if negative.
    @inline(__always)
    mutating func appendDecimal(_ value: Int64) {
        reserve(20)
        var v = value.magnitude
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var digits = 1
        var probe = v
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var i = count + digits - 1
        repeat {
            base[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
            i -= 1
        } while v > 0
        count += digits
    }

    @inline(__always)
    private func put2(_ v: Int64, at i: Int) {
        base[i] = UInt8(truncatingIfNeeded: 48 + v / 10)
        base[i + 1] = UInt8(truncatingIfNeeded: 48 + v % 10)
    }

    /// Appends an RFC 3339 timestamp of `millis` at `offsetMinutes`: milliseconds only when not
    /// zero, and offset zero as `Z` when `zulu`. Years 0-9999 only (the configuration checks it).
    mutating func appendTimestamp(_ millis: Int64, offsetMinutes: Int, zulu: Bool) {
        reserve(29)
        let local = millis + Int64(offsetMinutes) * 60_000
        var days = local / 86_400_000
        var msOfDay = local - days * 86_400_000
        if msOfDay < 0 {
            days -= 1
            msOfDay += 86_400_000
        }
        let i = count
        if days != cachedDay {
            let date = CivilDate.civilFromDays(days)
            put2(date.year / 100, at: i)
            put2(date.year % 100, at: i + 2)
            base[i + 4] = UInt8(ascii: "-")
            put2(date.month, at: i + 5)
            base[i + 7] = UInt8(ascii: "-")
            put2(date.day, at: i + 8)
            cachedDay = days
            cachedDate = (
                UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self),
                UnsafeRawPointer(base + i + 8).loadUnaligned(as: UInt16.self)
            )
        } else {
            UnsafeMutableRawPointer(base + i).storeBytes(of: cachedDate.0, as: UInt64.self)
            UnsafeMutableRawPointer(base + i + 8).storeBytes(of: cachedDate.1, as: UInt16.self)
        }
        base[i + 10] = UInt8(ascii: "T")
        let seconds = msOfDay / 1000
        put2(seconds / 3600, at: i + 11)
        base[i + 13] = UInt8(ascii: ":")
        put2(seconds / 60 % 60, at: i + 14)
        base[i + 16] = UInt8(ascii: ":")
        put2(seconds % 60, at: i + 17)
        count += 19
        let ms = msOfDay % 1000
        if ms != 0 {
            base[count] = UInt8(ascii: ".")
            base[count + 1] = UInt8(truncatingIfNeeded: 48 + ms / 100)
            put2(ms % 100, at: count + 2)
            count += 4
        }
        if zulu && offsetMinutes == 0 {
            base[count] = UInt8(ascii: "Z")
            count += 1
        } else {
            let a = Int64(abs(offsetMinutes))
            base[count] = offsetMinutes < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            put2(a / 60, at: count + 1)
            base[count + 3] = UInt8(ascii: ":")
            put2(a % 60, at: count + 4)
            count += 6
        }
    }
}
