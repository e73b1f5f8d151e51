import Foundation
import Testing

@testable import CredenceEngine

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct StagePriorityTests {
    #if os(Linux)
        /// The calling thread's nice value.
        static func nice() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

        @Test func aStageThreadLowersItsOwnPriorityAndNoOtherThreads() async throws {
            let before = Self.nice()
            let stage = await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
                let thread = Thread {
                    StagePriority.lowerCurrentThread()
                    done.resume(returning: Self.nice())
                }
                thread.start()
            }
            #expect(stage == min(before + StagePriority.niceIncrement, 19))  // 19: the lowest there is
            #expect(Self.nice() == before)
        }
    #endif
}
