import CredenceCore
import CredenceSynth
import Foundation

/// Facts about a generated stream, read back line by line as a scorer would.
struct StreamAnalysis: Sendable {
    var lines = 0
    var blankLines = 0
    var invalid: [InvalidLineKind: Int] = [:]
    /// Distinct valid event ids (first copies), conflicting openings included.
    var distinctEvents = 0
    var exactDuplicates = 0
    var conflictingDuplicates = 0
    var conflictingOpens = 0
    var late = 0
    var kinds: Set<EventKind> = []
    var services: Set<String> = []
    var reasons: Set<String> = []
    var outcomes: Set<String> = []
    var offsets: Set<String> = []
    var withMilliseconds = 0
    var monthBoundaryEvents = 0
    var sameInstantPairs = 0
    var sameInstantCreditLimits = 0
    var repaymentsBeforeOpening = 0
    var disorderWithinLateness = 0
    var withdrawals = 0
    var reEnrolments = 0
    var refundSettlements = 0
    var reopenedBySettlementInterest = 0
    var keyOrderViolations: [String] = []
    var orphanReferences: [String] = []
    var eventsOutsideConsent: [String] = []

    static let keyOrder: [EventKind: [String]] = {
        let envelope = ["event_id", "type", "user_id", "occurred_at"]
        var order: [EventKind: [String]] = [:]
        for (kind, fields) in LineClassifier.fields { order[kind] = envelope + fields.map(\.0) }
        return order
    }()

    init(_ bytes: [UInt8], lateness: Int64 = 48 * 3_600_000, offset: UTCOffset = .beijing) {
        var firstCopy: [String: [UInt8]] = [:]
        var opened: [String: Instant] = [:]  // "user obligation" -> opening time
        var referencedBeforeOpening: Set<String> = []
        var accepted: [LineClassifier.Event] = []
        var maxOccurred: Instant?
        for line in LineClassifier.lines(bytes) {
            lines += 1
            if line.isEmpty {
                blankLines += 1
                continue
            }
            switch LineClassifier.classify(line) {
            case .invalid(let kind):
                invalid[kind, default: 0] += 1
            case .valid(let event):
                if let first = firstCopy[event.eventID] {
                    if first == line { exactDuplicates += 1 } else { conflictingDuplicates += 1 }
                    continue
                }
                firstCopy[event.eventID] = line
                distinctEvents += 1
                if event.keys != Self.keyOrder[event.type] {
                    keyOrderViolations.append(String(decoding: line, as: UTF8.self))
                }
                let obligationKey = event.obligationID.map { event.userID + " " + $0 }
                if event.type == .obligationOpened, let key = obligationKey {
                    if opened[key] != nil {
                        conflictingOpens += 1
                        continue  // dead-lettered: neither accepted nor part of the watermark
                    }
                    opened[key] = event.occurredAt
                    if referencedBeforeOpening.contains(key) { repaymentsBeforeOpening += 1 }
                } else if event.type == .repayment, let key = obligationKey, opened[key] == nil {
                    referencedBeforeOpening.insert(key)
                }
                if let max = maxOccurred {
                    let watermark = max.adding(milliseconds: -lateness)
                    if watermark > Month(containing: event.occurredAt, offset: offset).end(offset: offset) {
                        late += 1
                    } else if event.occurredAt < max
                        && max.millisecondsSinceEpoch - event.occurredAt.millisecondsSinceEpoch <= lateness
                    {
                        disorderWithinLateness += 1
                    }
                }
                if maxOccurred.map({ event.occurredAt > $0 }) ?? true { maxOccurred = event.occurredAt }
                accepted.append(event)
                record(event)
            }
        }
        analyseUsers(accepted)
    }

    private mutating func record(_ event: LineClassifier.Event) {
        kinds.insert(event.type)
        if let service = event.fields["service"] as? String { services.insert(service) }
        if let reason = event.fields["reason"] as? String { reasons.insert(reason) }
        if let outcome = event.fields["outcome"] as? String { outcomes.insert(outcome) }
        let text = event.occurredAtText
        offsets.insert(text.hasSuffix("Z") ? "Z" : String(text.suffix(6)))
        if text.count > 20 && text.dropFirst(19).first == "." { withMilliseconds += 1 }
        if text.hasSuffix("-01T00:00:00+08:00") { monthBoundaryEvents += 1 }
    }

    /// Per-user checks: references, consent periods, same instants, settlements.
    private mutating func analyseUsers(_ events: [LineClassifier.Event]) {
        let byUser = Dictionary(grouping: events, by: \.userID)
        for (user, unsorted) in byUser {
            // Events at one instant apply together; an enrolment opens consent for its own instant.
            func rank(_ e: LineClassifier.Event) -> Int { e.type == .userEnrolled ? 0 : 1 }
            let history = unsorted.sorted {
                ($0.occurredAt, rank($0), $0.eventID) < ($1.occurredAt, rank($1), $1.eventID)
            }
            // Consent: nothing before the first enrolment or between a withdrawal and the next enrolment.
            var enrolled = false
            var obligations: [String: (amount: Int64, due: Int64, repaid: Int64, refunded: Int64)] = [:]
            for event in history {
                switch event.type {
                case .userEnrolled:
                    if !enrolled && withdrawals(in: history, before: event.occurredAt) > 0 { reEnrolments += 1 }
                    enrolled = true
                case .userWithdrawn:
                    withdrawals += 1
                    enrolled = false
                default:
                    if !enrolled { eventsOutsideConsent.append("\(user) \(event.eventID)") }
                }
                guard let id = event.obligationID else { continue }
                if event.type == .obligationOpened {
                    let amount = event.integer("amount_minor")!
                    obligations[id] = (amount, amount, 0, 0)
                    continue
                }
                guard var o = obligations[id] else {
                    orphanReferences.append("\(user) \(event.eventID) \(id)")
                    continue
                }
                if event.type == .repayment { o.repaid += event.integer("amount_minor")! }
                if event.type == .obligationAdjusted {
                    let delta = event.integer("delta_minor")!
                    if delta > 0 && o.due - o.repaid <= 0 { reopenedBySettlementInterest += 1 }
                    o.due += delta
                    if event.fields["reason"] as? String == "refund" {
                        o.refunded -= delta
                        if o.refunded == o.amount && o.repaid == 0 { refundSettlements += 1 }
                    }
                }
                obligations[id] = o
            }
            for (a, b) in zip(history, history.dropFirst()) where a.occurredAt == b.occurredAt {
                sameInstantPairs += 1
                if a.type == .creditLimitSet && b.type == .creditLimitSet { sameInstantCreditLimits += 1 }
            }
        }
    }

    private func withdrawals(in history: [LineClassifier.Event], before t: Instant) -> Int {
        history.filter { $0.type == .userWithdrawn && $0.occurredAt < t }.count
    }
}
