import EventLog
import Testing

@Suite struct ZeroBytesTests {
    /// Zeros follow what the array held, whatever their count: none, fewer than the zeroed block
    /// they are copied from, and several blocks' worth.
    @Test(arguments: [0, 1, 63, 16_384, 16_385, 100_000])
    func appendsExactlyThatManyZerosAfterTheBytesThere(count: Int) {
        var bytes: [UInt8] = [7, 8, 9]
        bytes.appendZeros(count)
        #expect(bytes.count == 3 + count)
        #expect(Array(bytes.prefix(3)) == [7, 8, 9])
        #expect(bytes.dropFirst(3).allSatisfy { $0 == 0 })
        bytes.append(5)
        #expect(bytes.last == 5 && bytes.count == 4 + count)
    }

    /// Appending into room a buffer kept (`removeAll(keepingCapacity:)`) does not reallocate it.
    @Test func fillsKeptRoomInPlace() {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4_096)
        let capacity = bytes.capacity
        bytes.appendZeros(1_000)
        bytes.removeAll(keepingCapacity: true)
        bytes.appendZeros(4_000)
        #expect(bytes.capacity == capacity && bytes.count == 4_000)
    }
}
