/// Lines appended and not yet written: the pending part of a line file (dead letters, the
/// outbox). The engine renders its lines into one; ``take(prefix:)`` hands whole lines over to be
/// written (by the ``EffectsWriter``'s thread), and an erasure removes its user's lines from what
/// is still here (``removeLines(of:mentioning:pendingPrefix:user:)``).
///
/// Invariant: the bytes are whole lines, each ending with a newline.
struct LineBuffer {
    private(set) var bytes: [UInt8] = []

    mutating func append(line: String) {
        bytes.append(contentsOf: line.utf8)
        bytes.append(10)
    }

    /// Appends a line that `render` writes straight into the buffer (without its newline).
    mutating func appendLine(_ render: (inout [UInt8]) -> Void) {
        render(&bytes)
        bytes.append(10)
    }

    var hasPending: Bool { !bytes.isEmpty }

    /// Bytes appended and not yet taken.
    var pendingBytes: Int { bytes.count }

    /// Takes the first `prefix` bytes (whole lines; all of them when `nil` or beyond the end):
    /// the rest stays pending. Taking all of them leaves `spare` to render into next, when
    /// given (an emptied buffer whose pages are mapped: ``EffectsWriter/spareLines()``), or a
    /// new buffer of the same capacity.
    mutating func take(prefix: Int? = nil, spare: @autoclosure () -> [UInt8]? = nil) -> [UInt8] {
        guard let prefix, prefix < bytes.count else {
            var taken = spare() ?? []
            precondition(taken.isEmpty, "a spare line buffer is empty")
            swap(&taken, &bytes)
            if bytes.capacity == 0 { bytes.reserveCapacity(taken.capacity) }
            return taken
        }
        precondition(prefix == 0 || bytes[prefix - 1] == 10, "a flush must end at a line's end")
        let taken = Array(bytes[..<prefix])
        bytes.removeFirst(prefix)
        return taken
    }

    /// Removes the pending lines that `user(line)` says belong to `userID`, among the first
    /// `pendingPrefix` bytes (all of them when `nil`), and leaves the lines after those alone;
    /// `pendingPrefix` comes back as what is left of those bytes. Returns how many it removed.
    ///
    /// `mentioning`, when given, are bytes every line of the user holds (their id, when the
    /// format leaves it unescaped): the lines are searched one by one only when the pending
    /// bytes hold them somewhere.
    mutating func removeLines(
        of userID: String, mentioning: [UInt8]?, pendingPrefix: inout Int?, user: (ArraySlice<UInt8>) -> String?
    ) -> Int {
        guard hasPending else { return 0 }
        let limit = min(pendingPrefix ?? bytes.count, bytes.count)
        let mentioned =
            mentioning.map { needle in
                bytes.withUnsafeBytes {
                    ByteSearch.firstOffset(of: needle, in: UnsafeRawBufferPointer(rebasing: $0[..<limit])) != nil
                }
            } ?? true
        guard mentioned else {
            // None of the user's lines is pending: as the search would leave the prefix.
            if pendingPrefix != nil { pendingPrefix = limit }
            return 0
        }
        var removed = 0
        var kept: [UInt8] = []
        for line in bytes[..<limit].split(separator: 10, omittingEmptySubsequences: true) {
            if user(line) == userID {
                removed += 1
            } else {
                kept += line
                kept.append(10)
            }
        }
        if pendingPrefix != nil { pendingPrefix = kept.count }
        bytes = kept + bytes[limit...]
        return removed
    }
}
