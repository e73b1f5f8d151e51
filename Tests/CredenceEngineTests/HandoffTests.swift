import Foundation
import Synchronization
import Testing

@testable import CredenceEngine

@Suite struct HandoffTests {
    @Test func itemsArriveInOrderAndTheEndIsSticky() {
        let handoff = Handoff<Int>(capacity: 3)
        let producer = Thread {
            for i in 0..<100 { _ = handoff.put(i) }
            handoff.finish()
        }
        producer.start()
        var taken: [Int] = []
        while let i = handoff.take() { taken.append(i) }
        #expect(taken == Array(0..<100))
        #expect(handoff.take() == nil)
    }

    /// A consumer that gives up while the producer waits for room (a replay that meets a damaged
    /// record, a stop): the producer is released and told to stop, and the queue can be freed.
    /// libdispatch traps when a semaphore is freed with fewer permits than it was created with,
    /// which the dropped items and the refused `put` used to leave.
    @Test func cancellingReleasesAWaitingProducerAndTheQueueIsFreed() throws {
        for round in 0..<20 {
            var handoff: Handoff<Int>? = Handoff(capacity: 2)
            weak let freed = handoff
            let results = Mutex<[Bool]>([])
            let done = DispatchSemaphore(value: 0)
            // Not kept here: the thread, which holds the queue, is released when it ends.
            Thread { [handoff] in
                for i in 0..<5 {
                    let accepted = handoff!.put(i)
                    results.withLock { $0.append(accepted) }
                    if !accepted { break }
                }
                done.signal()
            }.start()
            // Half the rounds cancel while the producer waits on the full queue, half maybe before.
            if round % 2 == 0 { Thread.sleep(forTimeInterval: 0.02) }
            handoff!.cancel()
            #expect(done.wait(timeout: .now() + 10) == .success, "the producer was released")
            let accepted = results.withLock { $0 }
            #expect(accepted.last == false && accepted.dropLast().allSatisfy { $0 } && accepted.count <= 3)
            #expect(handoff!.put(99) == false, "a put after the cancel returns at once")
            handoff = nil
            let deadline = ContinuousClock.now + .seconds(10)
            while freed != nil, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.001) }
            #expect(freed == nil, "the queue is freed once the producer's thread lets go of it")
        }
    }
}
