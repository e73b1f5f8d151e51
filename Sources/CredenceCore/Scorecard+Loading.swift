import Foundation

/// Why a scorecard model was refused.
public struct ScorecardError: Error, Sendable, CustomStringConvertible {
    /// Where in the model the problem is, as a JSON path such as `characteristics[2].bins[1].max`.
    public var path: String
    public var problem: String

    public var description: String {
        "invalid scorecard model: \(path.isEmpty ? "" : path + ": ")\(problem)"
    }
}

extension Scorecard {
    /// Loads and validates a model (`default-scorecard.json` format).
    ///
    /// Checks: required fields and types, known features, bins ascending with a bin for every
    /// value (a final bin without `max`, and a `null` bin for `utilization_bp`), unique reason
    /// codes, `range.min <= range.max`, integer thresholds.
    public static func load(json data: [UInt8]) throws(ScorecardError) -> Scorecard {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(data), options: [])
        } catch {
            throw ScorecardError(path: "", problem: "not valid JSON (\(error.localizedDescription))")
        }
        let r = try object(root, "")
        let version = try string(r["model_version"], "model_version")
        guard !version.isEmpty else { throw ScorecardError(path: "model_version", problem: "must not be empty") }
        let range = try object(r["range"], "range")
        let lo = try integer(range["min"], "range.min")
        let hi = try integer(range["max"], "range.max")
        guard lo <= hi else { throw ScorecardError(path: "range", problem: "min \(lo) is above max \(hi)") }
        let base = try integer(r["base_points"], "base_points")
        guard let chars = r["characteristics"] as? [Any], !chars.isEmpty else {
            throw ScorecardError(path: "characteristics", problem: "must be a non-empty array")
        }
        var characteristics = [Characteristic]()
        var reasons = Set<String>()
        for (i, raw) in chars.enumerated() {
            let p = "characteristics[\(i)]"
            let c = try object(raw, p)
            let featureName = try string(c["feature"], p + ".feature")
            guard let feature = FeatureName(featureName) else {
                throw ScorecardError(
                    path: p + ".feature",
                    problem: "unknown feature \"\(featureName)\"; known: \(Features.names.joined(separator: ", "))")
            }
            let reason = try string(c["reason"], p + ".reason")
            guard !reason.isEmpty else { throw ScorecardError(path: p + ".reason", problem: "must not be empty") }
            guard reasons.insert(reason).inserted else {
                throw ScorecardError(path: p + ".reason", problem: "reason code \(reason) is used twice")
            }
            let text = try string(c["text"], p + ".text")
            guard let rawBins = c["bins"] as? [Any], !rawBins.isEmpty else {
                throw ScorecardError(path: p + ".bins", problem: "must be a non-empty array")
            }
            var bins = [Bin]()
            var previousMax: Int128? = nil
            var catchAll = false
            var nullBin = false
            for (j, rb) in rawBins.enumerated() {
                let bp = p + ".bins[\(j)]"
                let b = try object(rb, bp)
                let points = try integer(b["points"], bp + ".points")
                if let n = b["null"] {
                    guard let isNull = n as? Bool, isNumberFree(n) else {
                        throw ScorecardError(path: bp + ".null", problem: "must be true or false")
                    }
                    if isNull {
                        guard b["max"] == nil else {
                            throw ScorecardError(path: bp, problem: "a null bin cannot have a max")
                        }
                        guard !nullBin else { throw ScorecardError(path: bp, problem: "a second null bin") }
                        nullBin = true
                        bins.append(Bin(max: nil, matchesNull: true, points: points))
                        continue
                    }
                }
                guard !catchAll else {
                    throw ScorecardError(path: bp, problem: "unreachable: an earlier bin without max takes every value")
                }
                if let m = b["max"] {
                    let max = Int128(try integer(m, bp + ".max"))
                    if let prev = previousMax, max <= prev {
                        throw ScorecardError(
                            path: bp + ".max", problem: "bins must ascend: \(max) is not above \(prev)")
                    }
                    previousMax = max
                    bins.append(Bin(max: max, points: points))
                } else {
                    catchAll = true
                    bins.append(Bin(max: nil, points: points))
                }
            }
            guard catchAll else {
                throw ScorecardError(
                    path: p + ".bins", problem: "no bin for values above the last max: end with a bin without max")
            }
            if feature.description == "utilization_bp", !nullBin {
                throw ScorecardError(
                    path: p + ".bins", problem: "utilization_bp can be null: add a bin with \"null\": true")
            }
            characteristics.append(Characteristic(feature: feature, reason: reason, text: text, bins: bins))
        }
        let servicesObject = try object(r["services"], "services")
        // JSONSerialization loses member order; keep the model's order by scanning the raw text.
        let order = memberOrder(ofObjectNamed: "services", in: data)
        var services = [(name: String, threshold: Int64)]()
        for name in servicesObject.keys.sorted(by: { (order[$0] ?? .max, $0) < (order[$1] ?? .max, $1) }) {
            services.append((name, try integer(servicesObject[name], "services.\(name)")))
        }
        return Scorecard(
            modelVersion: version, minScore: lo, maxScore: hi, basePoints: base,
            characteristics: characteristics, services: services)
    }

    private static func object(_ v: Any?, _ path: String) throws(ScorecardError) -> [String: Any] {
        guard let o = v as? [String: Any] else {
            throw ScorecardError(path: path, problem: v == nil ? "missing" : "must be an object")
        }
        return o
    }

    private static func string(_ v: Any?, _ path: String) throws(ScorecardError) -> String {
        guard let s = v as? String else {
            throw ScorecardError(path: path, problem: v == nil ? "missing" : "must be a string")
        }
        return s
    }

    private static func isNumberFree(_ v: Any) -> Bool {
        // On Linux, JSON true/false come back as Bool, numbers as Int/Double; 1 must not pass as true.
        type(of: v) == Bool.self || String(describing: type(of: v)).contains("Bool")
    }

    private static func integer(_ v: Any?, _ path: String) throws(ScorecardError) -> Int64 {
        guard let v else { throw ScorecardError(path: path, problem: "missing") }
        if v is Bool, isNumberFree(v) { throw ScorecardError(path: path, problem: "must be an integer, not a bool") }
        if let i = v as? Int { return Int64(i) }
        if let d = v as? Double, d.rounded() == d, abs(d) < 9.0e15 { return Int64(d) }
        throw ScorecardError(path: path, problem: "must be an integer")
    }

    /// Position of each member name of the top-level object member `name`, in text order.
    private static func memberOrder(ofObjectNamed name: String, in data: [UInt8]) -> [String: Int] {
        guard let text = String(validating: data, as: UTF8.self),
            let start = text.range(of: "\"\(name)\"")
        else { return [:] }
        var result = [String: Int]()
        let rest = text[start.upperBound...]
        guard let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") else { return [:] }
        let body = rest[rest.index(after: open)..<close]
        var index = 0
        var i = body.startIndex
        while let q1 = body[i...].firstIndex(of: "\"") {
            guard let q2 = body[body.index(after: q1)...].firstIndex(of: "\"") else { break }
            result[String(body[body.index(after: q1)..<q2])] = index
            index += 1
            guard let comma = body[q2...].firstIndex(of: ",") else { break }
            i = comma
        }
        return result
    }
}
