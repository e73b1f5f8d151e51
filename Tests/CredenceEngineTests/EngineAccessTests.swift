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

    /// With a batch open and the users' states with the shards' threads, a read goes through the
    /// queue, which takes them back: it sees every event submitted, and readers after it read beside.
    @Test func serviceReadInTheMiddleOfAShardedBatch() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("credence-access-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var configuration = EngineConfiguration()
        configuration.dataDirectory = dir
        configuration.shards = 3
        let service = try EngineService(configuration)
        let lent = try service.runSync { engine in
            for u in 0..<40 {
                let line =
                    #"{"event_id":"e\#(u)","type":"user.enrolled","user_id":"u\#(u)","#
                    + #""occurred_at":"2025-01-02T10:00:00+08:00","identity_verified":true}"#
                _ = try engine.submit(Array(line.utf8), at: SourcePosition(source: "t", position: UInt64(u + 1)))
            }
            return !engine.shardsAtHome
        }
        #expect(lent, "the batch is open and the states are with the shards' threads")
        #expect(try await service.read { $0.scoring.userCount } == 40)
        #expect(try await service.read { $0.shardsAtHome })
        #expect(try await service.read { $0.scoring.user("u7") != nil })
        try service.runSync { try $0.close() }
    }
}
