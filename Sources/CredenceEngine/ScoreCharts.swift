import CredenceCore
import Foundation
public import SnapshotStore

/// Charts as standalone SVG documents (no scripts, no fonts to fetch): the score histogram
/// with service thresholds, and line charts over months. `credence snapshot show --svg` and
/// the web console draw the same ones.
public enum ScoreCharts {
    /// One population drawn on a histogram.
    public struct Series: Sendable {
        public var name: String
        public var distribution: ScoreDistribution
        /// A CSS colour.
        public var color: String

        public init(name: String, distribution: ScoreDistribution, color: String) {
            self.name = name
            self.distribution = distribution
            self.color = color
        }
    }

    /// The colours series take in turn.
    public static let palette = ["#2f6db5", "#d9822b", "#3a9a5b", "#b83b5e", "#7b5ea7", "#8c6d31"]

    /// A histogram of the score bands (``ScoreDistribution``'s 50-point buckets), one bar per
    /// band and series, with a dashed vertical line at each service threshold.
    ///
    /// Every bar is a `<rect class="bar" data-series=… data-band="300-349" data-count="N">`, so
    /// a test can read the counts back.
    public static func histogram(
        title: String, series: [Series], thresholds: [(name: String, threshold: Int64)], width: Int = 720,
        height: Int = 360
    ) -> String {
        let left = 56.0
        let right = 16.0
        // One row per threshold label above the plot, so labels of close thresholds never overlap.
        let top = 40.0 + 13 * Double(thresholds.count)
        let bottom = 64.0
        let plotW = Double(width) - left - right
        let plotH = Double(height + 13 * thresholds.count) - top - bottom
        let buckets = series.first?.distribution.buckets ?? ScoreDistribution(scoreCounts: []).buckets
        let lower = Double(buckets.first?.lower ?? 300)
        let upper = Double((buckets.last?.upper ?? 850) + 1)
        let peak = max(1, series.flatMap { $0.distribution.buckets.map(\.count) }.max() ?? 1)
        func x(_ score: Double) -> Double { left + (score - lower) / (upper - lower) * plotW }
        func y(_ count: Int) -> Double { top + plotH - Double(count) / Double(peak) * plotH }

        let fullHeight = height + 13 * thresholds.count
        var s = header(width, fullHeight, title: title)
        s += text(left, 22, title, size: 15, weight: "600")
        s += axes(left: left, top: top, plotW: plotW, plotH: plotH)
        for tick in niceTicks(Double(peak)) {
            let ty = top + plotH - tick / Double(peak) * plotH
            s += line(left - 4, ty, left + plotW, ty, stroke: "#e3e3e3")
            s += text(left - 8, ty + 4, format(tick), anchor: "end")
        }
        let n = Double(max(series.count, 1))
        for b in buckets {
            let x0 = x(Double(b.lower))
            let x1 = x(Double(b.upper + 1))
            let slot = (x1 - x0 - 4) / n
            for (k, one) in series.enumerated() {
                let count = one.distribution.buckets.first { $0.lower == b.lower }?.count ?? 0
                let bx = x0 + 2 + Double(k) * slot
                let by = y(count)
                s += "<rect class=\"bar\" data-series=\"\(escape(one.name))\" data-band=\"\(b.lower)-\(b.upper)\""
                s += " data-count=\"\(count)\" x=\"\(f(bx))\" y=\"\(f(by))\" width=\"\(f(max(slot - 1, 1)))\""
                s += " height=\"\(f(top + plotH - by))\" fill=\"\(one.color)\">"
                s += "<title>\(escape(one.name)) \(b.lower)-\(b.upper): \(count)</title></rect>\n"
            }
            s += text(x0, top + plotH + 16, "\(b.lower)", anchor: "middle", size: 10)
        }
        if let last = buckets.last {
            s += text(x(Double(last.upper + 1)), top + plotH + 16, "\(last.upper)", anchor: "middle", size: 10)
        }
        for (i, t) in thresholds.enumerated() {
            let tx = x(Double(t.threshold))
            guard tx >= left, tx <= left + plotW else { continue }
            s += "<line class=\"threshold\" data-service=\"\(escape(t.name))\" data-threshold=\"\(t.threshold)\""
            s += " x1=\"\(f(tx))\" y1=\"\(f(top))\" x2=\"\(f(tx))\" y2=\"\(f(top + plotH))\""
            s += " stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n"
            let ly = 44 + Double(i) * 13
            s += line(tx, ly + 2, tx, top, stroke: "#e8b4ae")
            let label = "\(t.name) \(t.threshold)"
            // Labels right of their line, or left of it near the right edge.
            let flip = tx + 8 + Double(label.count) * 5.6 > left + plotW
            s += text(tx + (flip ? -3 : 3), ly, label, anchor: flip ? "end" : "start", size: 10, fill: "#c0392b")
        }
        s += text(left + plotW / 2, Double(fullHeight) - 30, "score band", anchor: "middle")
        s += legend(series.map { ($0.name, $0.color) }, x: left, y: Double(fullHeight) - 10)
        return s + "</svg>\n"
    }

    /// A line chart over months: one polyline per series; `nil` values leave a gap.
    public static func lines(
        title: String, months: [String], series: [(name: String, values: [Double?])], yRange: ClosedRange<Double>,
        yFormat: (Double) -> String = ScoreCharts.whole, width: Int = 720, height: Int = 320
    ) -> String {
        let left = 56.0
        let right = 32.0
        let top = 36.0
        let bottom = 64.0
        let plotW = Double(width) - left - right
        let plotH = Double(height) - top - bottom
        let span = max(yRange.upperBound - yRange.lowerBound, 1e-9)
        func x(_ i: Int) -> Double {
            months.count <= 1 ? left + plotW / 2 : left + Double(i) / Double(months.count - 1) * plotW
        }
        func y(_ v: Double) -> Double { top + plotH - (v - yRange.lowerBound) / span * plotH }

        var s = header(width, height, title: title)
        s += text(left, 22, title, size: 15, weight: "600")
        s += axes(left: left, top: top, plotW: plotW, plotH: plotH)
        // Round steps from the bottom of the range: 300, 400, ... rather than quarters of it.
        for step in [0.0] + niceTicks(span, integral: false) {
            let v = yRange.lowerBound + step
            s += line(left - 4, y(v), left + plotW, y(v), stroke: "#e3e3e3")
            s += text(left - 8, y(v) + 4, yFormat(v), anchor: "end")
        }
        let every = max(1, months.count / 12)
        for (i, m) in months.enumerated() where i % every == 0 || i == months.count - 1 {
            s += text(x(i), top + plotH + 16, m, anchor: "middle", size: 10)
        }
        for (k, one) in series.enumerated() {
            let color = palette[k % palette.count]
            var path = ""
            var pen = false
            for (i, v) in one.values.enumerated() {
                guard let v else {
                    pen = false
                    continue
                }
                path += (pen ? " L" : " M") + "\(f(x(i))) \(f(y(v)))"
                pen = true
            }
            s += "<path class=\"series\" data-series=\"\(escape(one.name))\" d=\"\(path)\" fill=\"none\""
            s += " stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for (i, v) in one.values.enumerated() {
                guard let v else { continue }
                s += "<circle class=\"point\" data-series=\"\(escape(one.name))\" data-month=\"\(months[i])\""
                s += " data-value=\"\(yFormat(v))\" cx=\"\(f(x(i)))\" cy=\"\(f(y(v)))\" r=\"3\" fill=\"\(color)\">"
                s += "<title>\(escape(one.name)) \(months[i]): \(yFormat(v))</title></circle>\n"
            }
        }
        s += legend(series.enumerated().map { ($1.name, palette[$0 % palette.count]) }, x: left, y: Double(height) - 10)
        return s + "</svg>\n"
    }

    // MARK: - Pieces

    static func header(_ w: Int, _ h: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\""
            + " font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"\(escape(title))\">\n"
            + "<rect width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
    }

    static func axes(left: Double, top: Double, plotW: Double, plotH: Double) -> String {
        line(left, top, left, top + plotH, stroke: "#555")
            + line(left, top + plotH, left + plotW, top + plotH, stroke: "#555")
    }

    static func legend(_ items: [(String, String)], x: Double, y: Double) -> String {
        var s = ""
        var at = x
        for (name, color) in items {
            s += "<rect x=\"\(f(at))\" y=\"\(f(y - 9))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += text(at + 14, y, name)
            at += 24 + Double(name.count) * 6.5
        }
        return s
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>\n"
    }

    static func text(
        _ x: Double, _ y: Double, _ s: String, anchor: String = "start", size: Int = 11, weight: String = "400",
        fill: String = "#222"
    ) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" font-weight=\"\(weight)\""
            + " fill=\"\(fill)\">\(escape(s))</text>\n"
    }

    /// About five round steps up to `peak`; whole steps only when `integral` (counts).
    static func niceTicks(_ peak: Double, integral: Bool = true) -> [Double] {
        guard peak > 0 else { return [] }
        let raw = peak / 5
        let magnitude = pow(10, floor(log10(integral ? max(raw, 1) : raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: step, through: peak, by: step).map { $0 }
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// A value rounded to a whole number, the default label of a line chart's axis.
    public static func whole(_ v: Double) -> String { String(Int(v.rounded())) }

    /// Text for XML content and attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
