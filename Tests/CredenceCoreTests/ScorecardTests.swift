import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

@Suite struct ScorecardTests {
    @Test func embeddedDefaultIsTheRepositoryFile() throws {
        // scripts/embed-model regenerates the Swift literal from the file.
        #expect(try String(contentsOfFile: Repository.defaultModel, encoding: .utf8) == Scorecard.defaultModelJSON)
    }

    // Needs ../shared/spec (the CI machine has it); a clone on its own skips this.
    @Test(.enabled(if: SharedSpec.isAvailable, "../shared/spec is not beside this clone"))
    func embeddedDefaultIsTheSpecFile() throws {
        #expect(try SharedSpec.text("default-scorecard.json") == Scorecard.defaultModelJSON)
    }

    @Test func theDefaultModel() throws {
        let m = Scorecard.default
        #expect(m.modelVersion == "default-1")
        #expect(m.characteristics.count == 13)
        #expect(
            m.services.map(\.name) == [
                "ride_first_pay_later", "deposit_free_rental", "deposit_free_accommodation", "pay_later",
            ])
        #expect(m.services.map(\.threshold) == [550, 600, 600, 650])
    }

    @Test func binsNullAndBooleans() throws {
        let m = Scorecard.default
        let util = try #require(m.characteristics.first { $0.feature.description == "utilization_bp" })
        #expect(util.points(for: nil) == 15)
        #expect(util.points(for: 0) == 50)
        #expect(util.points(for: 999) == 50)
        #expect(util.points(for: 1000) == 45)
        #expect(util.points(for: 1_000_000) == 5)
        var f = Features()
        f.identityVerified = true
        let r = m.score(f)
        let idx = try #require(m.characteristics.firstIndex { $0.feature.description == "identity_verified" })
        #expect(r.points[idx] == 30)
    }

    @Test func reasonsLargestShortfallFirstTiesInModelOrder() {
        // A new user: R05 (70), R08 (50), R09 (50), R06 (35), then R10 (30) and R13 (30) tie.
        var f = Features()
        f.identityVerified = false
        let r = Scorecard.default.score(f)
        #expect(r.reasons == ["R05", "R08", "R09", "R06"])
        #expect(r.score == 300 + 90 + 60 + 40 + 30 + 0 + 15 + 20 + 0 + 0 + 0 + 0 + 10 + 0)
    }

    @Test func scoreIsClamped() throws {
        var json = Scorecard.defaultModelJSON
        json = json.replacingOccurrences(of: "\"base_points\": 300", with: "\"base_points\": 1000")
        let m = try Scorecard.load(json: Array(json.utf8))
        #expect(m.score(Features()).score == 850)
    }

    static let broken: [(String, String, String)] = [
        ("\"feature\": \"tenure_days\"", "\"feature\": \"tenure\"", "unknown feature \"tenure\""),
        ("\"max\": 89,\n          \"points\": 0", "\"max\": 1000,\n          \"points\": 0", "bins must ascend"),
        ("\"reason\": \"R02\"", "\"reason\": \"R01\"", "reason code R01 is used twice"),
        ("\"base_points\": 300", "\"base_points\": 300.5", "base_points: must be an integer"),
        ("{\n          \"null\": true,\n          \"points\": 15\n        },", "", "add a bin with \"null\": true"),
        ("\"min\": 300", "\"min\": 900", "min 900 is above max 850"),
        ("\"model_version\": \"default-1\",", "", "model_version: missing"),
    ]

    @Test(arguments: broken)
    func badModelsAreRefusedWithTheirPath(_ find: String, _ replace: String, _ message: String) throws {
        let json = Scorecard.defaultModelJSON.replacingOccurrences(of: find, with: replace)
        #expect(json != Scorecard.defaultModelJSON)
        do {
            _ = try Scorecard.load(json: Array(json.utf8))
            Issue.record("accepted a broken model")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func missingCatchAllBinIsRefused() throws {
        let json = """
            {"model_version":"m","range":{"min":0,"max":10},"base_points":0,
             "characteristics":[{"feature":"tenure_days","reason":"R1","text":"t","bins":[{"max":5,"points":1}]}],
             "services":{"s":5}}
            """
        #expect(throws: ScorecardError.self) { try Scorecard.load(json: Array(json.utf8)) }
    }

    @Test func notJSONIsRefused() {
        #expect(throws: ScorecardError.self) { try Scorecard.load(json: Array("{".utf8)) }
    }
}

/// `score` against the plain reading of SCORING.md section 6 (every shortfall, sorted by size
/// then model order, the first four), on random features and on a model with many ties.
@Suite struct ScorecardReasonsTests {
    static func reference(_ model: Scorecard, _ f: Features) -> (score: Int64, points: [Int64], reasons: [String]) {
        var total = model.basePoints
        var points: [Int64] = []
        var shortfalls: [(index: Int, shortfall: Int64)] = []
        for (i, c) in model.characteristics.enumerated() {
            let p = c.points(for: f.value(of: c.feature)) ?? 0
            points.append(p)
            total += p
            if c.maxPoints - p > 0 { shortfalls.append((i, c.maxPoints - p)) }
        }
        shortfalls.sort { $0.shortfall != $1.shortfall ? $0.shortfall > $1.shortfall : $0.index < $1.index }
        return (
            min(max(total, model.minScore), model.maxScore), points,
            shortfalls.prefix(4).map { model.characteristics[$0.index].reason }
        )
    }

    static func randomFeatures(_ random: inout SeededRandom) -> Features {
        func small() -> Int64 { Int64(random.next() % 40) }
        var f = Features()
        f.identityVerified = random.next() % 2 == 0
        f.tenureDays = Int64(random.next() % 2_000)
        f.payments12m = small()
        f.spend12mMinor = Int128(random.next() % 5_000_000)
        f.activeMonths12m = Int64(random.next() % 13)
        f.declined12m = small() % 6
        f.obligationsTotal = small()
        f.onTimeSettled = small()
        f.lateSettled24m = small() % 5
        f.openObligations = small() % 8
        f.outstandingMinor = Int128(random.next() % 900_000)
        f.overdueObligations = small() % 4
        f.maxDpdCurrent = small() * 3
        f.maxDpd24m = small() * 4
        f.defaults24m = small() % 3
        f.creditLimitMinor = random.next() % 3 == 0 ? 0 : Int64(random.next() % 2_000_000)
        f.utilizationBp = f.creditLimitMinor == 0 ? nil : Int128(random.next() % 12_000)
        return f
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theDefaultModelAgreesWithTheReference(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for _ in 0..<3_000 {
            let f = Self.randomFeatures(&random)
            let r = Scorecard.default.score(f)
            let expected = Self.reference(.default, f)
            #expect(r.score == expected.score && r.points == expected.points && r.reasons == expected.reasons)
        }
    }

    /// Every characteristic short by one of two amounts: ties everywhere, and more than four.
    @Test func tiesKeepModelOrder() {
        var model = Scorecard.default
        for i in model.characteristics.indices {
            let short: Int64 = i % 3 == 0 ? 7 : 5
            model.characteristics[i] = Scorecard.Characteristic(
                feature: model.characteristics[i].feature, reason: "T\(i)", text: "tie \(i)",
                bins: [
                    Scorecard.Bin(max: nil, matchesNull: true, points: 10 - short),
                    Scorecard.Bin(max: nil, points: 10 - short),
                    Scorecard.Bin(max: -1_000_000_000, points: 10),
                ])
        }
        var random = SeededRandom(seed: 9)
        for _ in 0..<200 {
            let f = Self.randomFeatures(&random)
            let r = model.score(f)
            let expected = Self.reference(model, f)
            #expect(r.score == expected.score && r.points == expected.points && r.reasons == expected.reasons)
            #expect(r.reasons == ["T0", "T3", "T6", "T9"])
        }
    }
}
