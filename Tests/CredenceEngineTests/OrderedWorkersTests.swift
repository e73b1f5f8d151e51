import Foundation
import Synchronization
import Testing

@testable import CredenceEngine

@Suite struct OrderedWorkersTests {
    /// Results come back in the items' order although the workers finish them out of order (each
    /// item takes a time of its own), and every worker gets a share.
    @Test(arguments: [1, 2, 3])
    func resultsKeepTheItemsOrder(workers: Int) {
        let threads = Mutex<Set<String>>([])
        let (feeder, started) = OrderedWorkers.start(workers: workers, depth: 2, name: "test-worker") {
            { (item: consuming Int) -> String in
                let name = "\(pthread_self())"
                threads.withLock { _ = $0.insert(name) }
                // Uneven work: a later item is often ready before an earlier one.
                Thread.sleep(forTimeInterval: Double((item * 7919) % 5) / 10_000)
                return "item \(item)"
            }
        }
        Thread {
            var feeder = feeder
            for i in 0..<200 { _ = feeder.put(i) }
            feeder.finish()
        }.start()
        var collector = started
        var results: [String] = []
        while let result = collector.take() { results.append(result) }
        #expect(results == (0..<200).map { "item \($0)" })
        #expect(collector.take() == nil, "the end is sticky")
        #expect(threads.withLock { $0.count } == workers)
    }

    /// A consumer that stops early (a replay that meets a damaged record) releases a producer
    /// waiting for room, whichever worker's turn it is, and the workers end.
    @Test func cancellingStopsTheProducerAndTheWorkers() {
        for round in 0..<10 {
            let (feeder, started) = OrderedWorkers.start(workers: 2, depth: 1, name: "test-worker") {
                { (item: consuming Int) -> Int in item }
            }
            let produced = Mutex(0)
            let done = DispatchSemaphore(value: 0)
            Thread {
                var feeder = feeder
                for i in 0..<1_000 {
                    guard feeder.put(i) else { break }
                    produced.withLock { $0 += 1 }
                }
                feeder.finish()
                done.signal()
            }.start()
            var collector = started
            for expected in 0..<(round % 3) { #expect(collector.take() == expected) }
            if round % 2 == 0 { Thread.sleep(forTimeInterval: 0.01) }
            collector.cancel()
            #expect(done.wait(timeout: .now() + 10) == .success, "the producer was released")
            // Two queues of one in front, one result behind each, one in each worker's hands.
            #expect(produced.withLock { $0 } < 20)
        }
    }
}
