import Foundation
import Testing

@testable import CredenceCore

/// Large tables and buffers are marked for huge pages before their first touch: the kernel's
/// own account of the mapping (`/proc/self/smaps`, its `hg` flag, "advised for huge pages")
/// says so, and a small one is left alone. Only on a kernel with transparent huge pages.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")))
struct HugePagesTests {
    /// The `VmFlags` of the mapping holding `address`, from `/proc/self/smaps`.
    func flags(at address: UInt) throws -> [Substring]? {
        // Read to its end: a /proc file has no size for a whole-file read to go by.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
                let low = UInt(line[..<dash], radix: 16),
                let high = UInt(line[line.index(after: dash)..<space], radix: 16)
            {
                inside = low <= address && address < high
            } else if inside, line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ")
            }
        }
        return nil
    }

    /// The first 2 MB boundary inside `base`, where the advice starts.
    func firstHugePage(_ base: UnsafeRawPointer) -> UInt {
        let huge = UInt(2 << 20)
        return (UInt(bitPattern: base) + huge - 1) & ~(huge - 1)
    }

    @Test func aLargeBufferIsMarkedBeforeItsFirstTouch() throws {
        let large = HugePages.bytes(capacity: 16 << 20)
        #expect(large.isEmpty && large.capacity >= 16 << 20)
        let flagsOfLarge = try large.withUnsafeBufferPointer { buffer in
            try flags(at: firstHugePage(UnsafeRawPointer(buffer.baseAddress!)))
        }
        #expect(flagsOfLarge?.contains("hg") == true, "\(flagsOfLarge ?? [])")

        let small = HugePages.bytes(capacity: 64 << 10)
        #expect(small.isEmpty && small.capacity >= 64 << 10)
    }

    /// Below the threshold, no advice. Checked on a mapping of the test's own: a small array comes
    /// from the allocator's heap, where another test's large table may have left its region marked.
    @Test func aBufferBelowTheThresholdIsLeftAlone() throws {
        let bytes = 4 << 20
        let mapped = try #require(mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(mapped != MAP_FAILED)
        defer { munmap(mapped, bytes) }
        HugePages.advise(UnsafeMutableRawBufferPointer(start: mapped, count: HugePages.threshold - 1))
        let flagsOfSmall = try flags(at: UInt(bitPattern: mapped))
        #expect(flagsOfSmall?.contains("hg") == false, "\(flagsOfSmall ?? [])")
        HugePages.advise(UnsafeMutableRawBufferPointer(start: mapped, count: bytes))
        let flagsOfAll = try flags(at: firstHugePage(UnsafeRawPointer(mapped)))
        #expect(flagsOfAll?.contains("hg") == true, "the same mapping, advised whole: \(flagsOfAll ?? [])")
    }

    @Test func aLargeHashTableIsMarkedAndHoldsWhatItWasGiven() throws {
        var table = HashTable<UInt64>(capacity: 1 << 20, empty: 0)
        #expect(table.slotBytes >= HugePages.threshold)
        let address = table.slots.withUnsafeBufferPointer { firstHugePage(UnsafeRawPointer($0.baseAddress!)) }
        #expect(try flags(at: address)?.contains("hg") == true)
        for k in 1...1000 as ClosedRange<UInt64> {
            _ = table.insertIfAbsent(k * 3, forKey: StableHash(high: k, low: k &* 0x9E37_79B9))
        }
        #expect(table.count == 1000)
        #expect(table[StableHash(high: 500, low: 500 &* 0x9E37_79B9)] == 1500)
    }
}
