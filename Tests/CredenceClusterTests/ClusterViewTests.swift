import Testing

@testable import CredenceCluster

@Suite struct ClusterViewTests {
    func record(_ p: Int32, max: Int64?, idle: Bool, owner: String = "http://a:1") -> PartitionRecord {
        PartitionRecord(
            topic: "payments", partition: p, partitionCount: 3, owner: owner, member: "m",
            maxEventTimeMilliseconds: max, idle: idle, lag: idle ? 0 : 5, restating: false, atMilliseconds: 0)
    }

    @Test func globalWatermarkIsTheLowestBusyPartitionMinusTheLateness() {
        var view = ClusterView()
        view.apply(record(0, max: 1000, idle: false))
        view.apply(record(1, max: 400, idle: true))
        #expect(view.globalWatermark(partitionCount: 3, latenessMilliseconds: 100) == nil, "partition 2 unclaimed")
        view.apply(record(2, max: 700, idle: false))
        #expect(view.globalWatermark(partitionCount: 3, latenessMilliseconds: 100) == 600)
        // An idle partition does not hold the watermark back.
        view.apply(record(2, max: 700, idle: true))
        #expect(view.globalWatermark(partitionCount: 3, latenessMilliseconds: 100) == 900)
        // Every partition idle: the largest event time of all, as one caught-up input.
        view.apply(record(0, max: 1000, idle: true))
        #expect(view.globalWatermark(partitionCount: 3, latenessMilliseconds: 100) == 900)
        // A busy partition without an event yet holds everything back.
        view.apply(record(1, max: nil, idle: false))
        #expect(view.globalWatermark(partitionCount: 3, latenessMilliseconds: 100) == nil)
    }

    @Test func laterRecordsReplaceEarlierOwners() {
        var view = ClusterView()
        view.apply(record(0, max: 1, idle: false, owner: "http://a:1"))
        view.apply(record(0, max: 1, idle: false, owner: "http://b:2"))
        #expect(view.owner(of: 0)?.owner == "http://b:2")
        #expect(view.unclaimed(count: 3) == [1, 2])
    }

    @Test func recordsRoundTripThroughTheirJSON() throws {
        let r = record(2, max: 1_767_225_600_000, idle: false)
        let back = try #require(PartitionRecord.decode(r.encoded()))
        #expect(back == r)
        #expect(String(decoding: r.encoded(), as: UTF8.self).contains("\"max_event_time_ms\":1767225600000"))
    }

    @Test func advertisedURLsAreCheckedAndSplit() throws {
        let a = try PeerClient.endpoint("http://127.0.0.1:8081")
        #expect(a.host == "127.0.0.1" && a.port == 8081)
        let b = try PeerClient.endpoint("http://[::1]:80/")
        #expect(b.host == "::1" && b.port == 80)
        #expect(throws: ClusterError.self) { try PeerClient.endpoint("127.0.0.1:8081") }
        #expect(throws: ClusterError.self) { try PeerClient.endpoint("http://host") }
    }
}

extension ClusterViewTests {
    @Test func aReleaseClearsOnlyTheReleasingMembersClaim() {
        var view = ClusterView()
        let a = record(0, max: 1, idle: false, owner: "http://a:1")
        view.apply(a)
        view.apply(a.released(at: 5))
        #expect(view.owner(of: 0) == nil)
        // The next owner's claim came first: A's late release changes nothing.
        var b = record(0, max: 1, idle: false, owner: "http://b:2")
        b.member = "b"
        view.apply(a)
        view.apply(b)
        view.apply(a.released(at: 6))
        #expect(view.owner(of: 0)?.owner == "http://b:2")
    }
}
