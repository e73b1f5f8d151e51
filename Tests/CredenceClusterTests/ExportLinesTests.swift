import Testing

@testable import CredenceCluster

/// Splitting an export by partition and merging the parts gives back the same bytes.
@Suite struct ExportLinesTests {
    static func export(_ users: [String]) -> [UInt8] {
        Array(
            users.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                .map { "{\"user_id\":\"\($0)\",\"month\":\"2025-01\",\"score\":700}\n" }.joined().utf8)
    }

    @Test(arguments: [1, 3, 6])
    func splitThenMergedIsTheWholeExport(partitions: Int) throws {
        let users = (0..<500).map { "u\($0)" } + ["A", "Z:9", "a.b", "u-1", "u_1"]
        let whole = Self.export(users)
        // Parts as three owners hold them: each owns some partitions.
        var parts: [[UInt8]] = []
        for owner in 0..<3 {
            let mine = Set((0..<Int32(partitions)).filter { Int($0) % 3 == owner })
            parts.append(
                try ExportLines.filter(
                    whole, partitions: mine, partitionCount: partitions, partitioner: .consistentRandom))
        }
        #expect(try ExportLines.merge(parts) == whole)
        #expect(try ExportLines.merge(parts.reversed()) == whole)
    }

    @Test func aUserInTwoPartsIsAnErrorNotADuplicateLine() {
        let a = Self.export(["u1", "u2"])
        let b = Self.export(["u2", "u3"])
        #expect(throws: ClusterError.self) { try ExportLines.merge([a, b]) }
    }

    @Test func aLineThatIsNotAnExportLineIsAnError() {
        #expect(throws: ClusterError.self) {
            try ExportLines.filter(
                Array("{\"month\":1}\n".utf8), partitions: [0], partitionCount: 1, partitioner: .consistentRandom)
        }
    }
}
