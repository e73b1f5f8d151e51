import Foundation
import Testing

@testable import CredenceEngine

/// Readers beside the engine's queue: they share, and they give way while the queue works.
@Suite struct EngineAccessTests {
    @Test func readersShareWithEachOther() {
        let access = EngineAccess()
        #expect(access.shared { access.shared { 2 } } == .some(.some(2)))
    }

    @Test func aReaderGivesWayWhileTheQueueWorksAndReadsAgainAfter() {
        let access = EngineAccess()
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            access.exclusive {
                inside.signal()
                release.wait()
            }
            done.signal()
        }.start()
        inside.wait()
        #expect(access.shared { 1 } == nil)
        release.signal()
        done.wait()
        #expect(access.shared { 1 } == 1)
    }

    @Test func aWaitingWriterStopsNewReaders() {
        let access = EngineAccess()
        let writerStarted = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        var secondReader: Int?? = nil
        let first: Int? = access.shared {
            Thread {
                writerStarted.signal()
                access.exclusive {}
                writerDone.signal()
            }.start()
            writerStarted.wait()
            // The writer is blocked behind this reader; give it time to say it waits.
            Thread.sleep(forTimeInterval: 0.2)
            secondReader = .some(access.shared { 2 })
            return 1
        }
        writerDone.wait()
        #expect(first == 1)
        #expect(secondReader == .some(nil))
    }

    /// The service's `read` answers while the queue is idle and while it is busy (then after it).
    @Test func serviceReadAnswersBesideABusyQueue() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("credence-access-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dataDirectory = dir
        let service = try EngineService(configuration)
        #expect(try await service.read { $0.scoring.userCount } == 0)
        async let busy: Void = service.run { _ in Thread.sleep(forTimeInterval: 0.3) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await service.read { $0.scoring.userCount } == 0)
        try await busy
    }
}
