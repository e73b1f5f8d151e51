import Testing

@testable import EventLog

@Suite struct CRC32CHardwareTests {
    /// The instruction path (when the CPU has one) and the portable tables agree on every length
    /// and alignment, continuing from any start value.
    @Test func hardwareAndPortableAgree() {
        var rng = SystemRandomNumberGenerator()
        let data = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { raw in
            for start in 0..<9 {
                for length in [0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4000] where start + length <= raw.count {
                    let seed = UInt32.random(in: 0...UInt32.max, using: &rng)
                    let p = raw.baseAddress! + start
                    #expect(CRC32C.update(seed, p, length) == CRC32C.portable(seed, p, length))
                }
            }
        }
    }

    @Test func theInstructionIsUsedWhereTheCPUHasIt() {
        #if arch(x86_64)
            // Every x86-64 machine this runs on since 2008 has SSE4.2.
            #expect(CRC32C.usesHardware)
        #endif
    }
}
