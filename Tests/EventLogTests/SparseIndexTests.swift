import CredenceTestSupport
import Testing

@testable import EventLog

@Suite struct SparseIndexTests {
    static let configuration = EventLogConfiguration.small(segmentSize: 8192, indexInterval: 200)

    /// A closed log of 600 records over several segments; returns the payloads.
    func makeLog(_ dir: String) throws -> [[UInt8]] {
        var rng = SeededGenerator(seed: 3)
        let payloads = makePayloads((0..<600).map { _ in Int.random(in: 0...80, using: &rng) }, rng: &rng)
        try writeLog(payloads, directory: dir, configuration: Self.configuration)
        return payloads
    }

    func expectSeeksWork(_ dir: String, _ payloads: [[UInt8]]) throws {
        for from in stride(from: 0, through: payloads.count, by: 37) {
            let records = try readAll(dir, configuration: Self.configuration, from: UInt64(from))
            #expect(records.first?.lsn == (from < payloads.count ? UInt64(from) : nil))
            #expect(records.map(\.payload) == Array(payloads[from...]))
        }
    }

    @Test func writerIndexMatchesARebuild() throws {
        try withTemporaryDirectory { dir in
            _ = try makeLog(dir)
            for base in try SegmentFile.list(dir) {
                let file = try SystemFile.open(segmentPath(dir, base: base), flags: 0)
                let rebuilt = try SparseIndex.rebuild(file: file, base: base, configuration: Self.configuration)
                #expect(rebuilt.entries.count > 10)
                #expect(try readFile(segmentPath(dir, base: base, extension: ".idx")) == rebuilt.encoded(base: base))
            }
        }
    }

    /// One cursor seeking to scattered LSNs, forward and back, across segments and into the last
    /// one, reads what a fresh cursor at each LSN reads (the erasure's access pattern).
    func expectOneCursorSeeksLikeFreshOnes(_ dir: String, _ payloads: [[UInt8]]) throws {
        let reader = try EventLogReader(directory: dir, configuration: Self.configuration, watermark: nil)
        let cursor = try reader.records(from: 0)
        var rng = SeededGenerator(seed: 11)
        var targets = (0..<80).map { _ in UInt64.random(in: 0..<UInt64(payloads.count), using: &rng) }
        targets += [UInt64(payloads.count - 1), 0, 5, 6, 7, 300, 299, UInt64(payloads.count)]
        for lsn in targets {
            try cursor.seek(to: lsn)
            #expect(cursor.nextLSN == lsn)
            for k in 0..<3 {
                let record = try cursor.next()
                let expected = lsn + UInt64(k)
                if expected < UInt64(payloads.count) {
                    #expect(record?.lsn == expected)
                    #expect(record?.payload == payloads[Int(expected)])
                } else {
                    #expect(record == nil)
                }
            }
        }
    }

    @Test func oneCursorSeeksToScatteredRecords() throws {
        try withTemporaryDirectory { dir in
            let payloads = try makeLog(dir)
            #expect(try SegmentFile.list(dir).count > 3)
            try expectOneCursorSeeksLikeFreshOnes(dir, payloads)
            // A damaged sealed index is rebuilt on the first seek into its segment, as a new
            // cursor would; the seeks after it use the rebuilt one.
            let path = segmentPath(dir, base: try SegmentFile.list(dir)[1], extension: ".idx")
            let original = try readFile(path)
            var bytes = original
            for i in 60..<90 { bytes[i] = UInt8(truncatingIfNeeded: i * 31) }
            try writeFile(path, bytes)
            try expectOneCursorSeeksLikeFreshOnes(dir, payloads)
            #expect(try readFile(path) == original)
        }
    }

    @Test(arguments: ["deleted", "garbage", "truncated mid-entry", "lying offset"])
    func damagedIndexOfASealedSegmentIsRebuilt(damage: String) throws {
        try withTemporaryDirectory { dir in
            let payloads = try makeLog(dir)
            let base = try SegmentFile.list(dir)[1]
            let path = segmentPath(dir, base: base, extension: ".idx")
            let original = try readFile(path)
            switch damage {
            case "deleted":
                try FileManagerShim.remove(path)
            case "garbage":
                var bytes = original
                for i in 60..<90 { bytes[i] = UInt8(truncatingIfNeeded: i * 31) }
                try writeFile(path, bytes)
            case "truncated mid-entry":
                try writeFile(path, Array(original[..<(original.count - 5)]))
            default:
                // A well-formed entry (good checksum) that points into the middle of a record.
                var index = SparseIndex()
                let good = try SparseIndex.load(path: path, base: base, segmentSize: 1 << 20).index
                index.entries = good.entries.map { SparseIndex.Entry(lsn: $0.lsn, offset: $0.offset + 3) }
                try writeFile(path, index.encoded(base: base))
            }
            #expect(try EventLog.verify(directory: dir, configuration: Self.configuration).indexProblems.count == 1)
            try expectSeeksWork(dir, payloads)
            #expect(try readFile(path) == original)
            #expect(try EventLog.verify(directory: dir, configuration: Self.configuration).indexProblems.isEmpty)
        }
    }

    @Test func damagedIndexOfTheLastSegmentIsRebuiltOnOpen() throws {
        try withTemporaryDirectory { dir in
            let payloads = try makeLog(dir)
            let base = try SegmentFile.list(dir).last!
            let path = segmentPath(dir, base: base, extension: ".idx")
            let original = try readFile(path)
            #expect(original.count > FileHeader.size)
            for damaged in [nil, Array(original[..<40]), original.map { $0 ^ 0x55 }] {
                if let damaged { try writeFile(path, damaged) } else { try FileManagerShim.remove(path) }
                // A reader of the live tail does not rewrite the appender's index but still seeks right.
                try expectSeeksWork(dir, payloads)
                let log = try EventLog(directory: dir, configuration: Self.configuration)
                #expect(log.recovery == nil)
                try log.close()
                #expect(try readFile(path) == original)
            }
        }
    }

    /// One cursor kept while its log grows (the engine's erasure reads): seeks into the last,
    /// open segment use the index loaded by an earlier seek while it covers the LSN, and load it
    /// again for records past it.
    @Test func oneCursorFollowsTheLastSegmentAsItGrows() throws {
        try withTemporaryDirectory { dir in
            let configuration = EventLogConfiguration.small(segmentSize: 1 << 20, indexInterval: 200)
            var rng = SeededGenerator(seed: 5)
            let payloads = makePayloads((0..<900).map { _ in Int.random(in: 1...80, using: &rng) }, rng: &rng)
            let log = try EventLog(directory: dir, configuration: configuration)
            let cursor = try log.makeReader().records(from: 0)
            var written = 0
            for round in 0..<3 {
                for payload in payloads[written..<(written + 300)] { try log.append(payload) }
                try log.commit()
                written += 300
                var targets = (0..<40).map { _ in Int.random(in: 0..<written, using: &rng) }.sorted()
                targets += [written - 1, 0, written - 300]
                for lsn in targets {
                    try cursor.seek(to: UInt64(lsn))
                    let record = try cursor.next()
                    #expect(record?.lsn == UInt64(lsn), "round \(round)")
                    #expect(record?.payload == payloads[lsn], "round \(round), record \(lsn)")
                }
                try cursor.seek(to: UInt64(written))
                #expect(try cursor.next() == nil)
            }
            #expect(try SegmentFile.list(dir).count == 1)
            try log.close()
        }
    }

    /// Records passed over on the way to a seek's target are not checksummed, but the one handed
    /// out always is: a damaged target is reported, not returned.
    @Test func aDamagedRecordIsReportedWhenASeekLandsOnIt() throws {
        try withTemporaryDirectory { dir in
            let payloads = try makeLog(dir)
            let bases = try SegmentFile.list(dir)
            // A record in the middle of the second segment, at least 8 bytes long, found by its bytes.
            let target = (Int(bases[1]) + 20..<payloads.count).first { payloads[$0].count >= 8 }!
            let path = segmentPath(dir, base: bases[1])
            var bytes = try readFile(path)
            let at = try #require(bytes.firstRange(of: payloads[target]))
            bytes[at.lowerBound + 3] ^= 0x40
            try writeFile(path, bytes)
            let cursor = try EventLogReader(directory: dir, configuration: Self.configuration, watermark: nil)
                .records(from: 0)
            try cursor.seek(to: UInt64(target))
            #expect(throws: EventLogError.self) { try cursor.next() }
        }
    }

    @Test func entryLookupFindsTheLastEntryAtOrBefore() {
        let index = SparseIndex(entries: [.init(lsn: 10, offset: 100), .init(lsn: 20, offset: 200)])
        #expect(index.entry(atOrBefore: 9) == nil)
        #expect(index.entry(atOrBefore: 10)?.offset == 100)
        #expect(index.entry(atOrBefore: 19)?.offset == 100)
        #expect(index.entry(atOrBefore: 1000)?.offset == 200)
    }
}
