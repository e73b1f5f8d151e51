import CredenceTestSupport
import Foundation
import Kafka
import Testing

/// The clients against a real broker process (Tansu) on 127.0.0.1.
@Suite(.serialized) struct KafkaTansuTests {
    typealias S = KafkaTestSupport

    init() {
        if let reason = TansuBroker.skipReason { print("KafkaTansuTests: \(reason)") }
    }

    @Test(.enabled(if: TansuBroker.skipReason == nil, "CREDENCE_TANSU is not set"))
    func runsAgainstALibrdkafkaThatTalksToTansu() {
        #expect(
            KafkaLibrary.supportsFlexibleAPIVersions,
            "librdkafka \(KafkaLibrary.version) cannot talk to Tansu; run through scripts/test (LD_LIBRARY_PATH=.build-deps/librdkafka-2.8/lib)"
        )
    }

    @Test(
        .enabled(
            if: TansuBroker.skipReason == nil && KafkaLibrary.supportsFlexibleAPIVersions,
            "needs CREDENCE_TANSU and librdkafka >= 2.1"))
    func adminProduceConsumeCommitResume() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        let admin = try KafkaAdmin(KafkaConfiguration(brokers: broker.brokers), logger: S.logger)
        try admin.createTopics([KafkaAdmin.NewTopic("payments", partitions: 3)])
        try admin.createTopics([KafkaAdmin.NewTopic("payments", partitions: 3)])
        #expect(try admin.partitionCount(of: "payments") == 3)

        let producer = try S.producer(brokers: broker.brokers)
        for i in 0..<600 {
            try producer.send(
                topic: "payments", key: S.key(i % 7), value: S.value(i % 7, i / 7), headers: [KafkaHeader("n", "\(i)")])
        }
        try producer.flush(timeout: .seconds(30))

        let first = try S.consumer(brokers: broker.brokers, group: "g-tansu", topics: ["payments"])
        let part1 = try S.consume(first, count: 250, timeout: .seconds(60), commit: true)
        #expect(part1.count == 250)
        #expect(part1.first.map { $0.headers.first?.name == "n" } == true)
        try first.close()

        let second = try S.consumer(brokers: broker.brokers, group: "g-tansu", topics: ["payments"])
        let part2 = try S.drain(second, quiet: .seconds(3), first: .seconds(60))
        #expect(part1.count + part2.count == 600)
        #expect(Set((part1 + part2).map(\.text)).count == 600)
        try second.close()
    }

    @Test(
        .enabled(
            if: TansuBroker.skipReason == nil && KafkaLibrary.supportsFlexibleAPIVersions,
            "needs CREDENCE_TANSU and librdkafka >= 2.1"))
    func twoMembersSplitThePartitionsAndTheSurvivorTakesOver() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("split", partitions: 4)
        let producer = try S.producer(brokers: broker.brokers)
        func produce(_ range: Range<Int>) throws {
            for i in range { try producer.send(topic: "split", key: S.key(i % 20), value: S.value(i % 20, i / 20)) }
            try producer.flush(timeout: .seconds(30))
        }
        try produce(0..<200)

        let a = try S.consumer(brokers: broker.brokers, group: "g-split", topics: ["split"])
        let b = try S.consumer(brokers: broker.brokers, group: "g-split", topics: ["split"])
        let got = SharedMessages()
        let stopB = Flag()
        @Sendable func pollAndCommit(_ c: KafkaConsumer, _ who: String) throws {
            let r = try c.poll(maxMessages: 50, timeout: .milliseconds(100))
            got.append(r.messages.indices.map { r.messages[$0] }, by: who)
            var next: [KafkaTopicPartition: Int64] = [:]
            for i in r.messages.indices { next[r.messages[i].topicPartition] = r.messages[i].offset + 1 }
            try c.commit(next)
        }
        let threadB = Thread {
            while !stopB.isSet { try? pollAndCommit(b, "b") }
            try? b.close()
            stopB.done()
        }
        threadB.start()
        var splitSeen = false
        var deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && !(splitSeen && got.count >= 200) {
            try pollAndCommit(a, "a")
            if !a.assignment.isEmpty && !b.assignment.isEmpty && a.assignment.isDisjoint(with: b.assignment) {
                splitSeen = true
            }
        }
        stopB.set()
        stopB.wait()
        #expect(splitSeen, "the two members never held disjoint, non-empty assignments")
        #expect(got.by("b") > 0)
        #expect(got.count == 200)

        // b has left; a takes over its partitions and gets everything produced from now on.
        try produce(200..<400)
        deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && got.count < 400 { try pollAndCommit(a, "a") }
        #expect(a.assignment.count == 4)
        #expect(got.count == 400)
        #expect(Set(got.all.map(\.text)).count == 400)
        try a.close()
    }
}

final class SharedMessages: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var messages: [KafkaMessage] = []
    private var counts: [String: Int] = [:]
    func append(_ m: [KafkaMessage], by who: String) {
        lock.withLock {
            messages += m
            counts[who, default: 0] += m.count
        }
    }
    var count: Int { lock.withLock { messages.count } }
    var all: [KafkaMessage] { lock.withLock { messages } }
    func by(_ who: String) -> Int { lock.withLock { counts[who, default: 0] } }
}

final class Flag: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value = false
    private let finished = DispatchSemaphore(value: 0)
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
    func done() { finished.signal() }
    func wait() { finished.wait() }
}
