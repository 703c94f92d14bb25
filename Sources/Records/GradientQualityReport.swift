import Foundation

/// What `bgpo study gradients` measures: for one fixed batch of rollouts, the noise and the bias
/// of each objective's gradient as n_t grows (the paper's Figures 3 and 4), with the machine and
/// the reference it was measured against. Written and read as JSON; ``html`` draws it.
public struct GradientQualityReport: Codable, Sendable {
    /// One objective at one n_t: `repeats` gradients, each with fresh likelihood masks.
    public struct Cell: Codable, Sendable {
        /// The objective (`bgpo`, `vrpo-ol`, `diffu-grpo`, ...).
        public var objective: String
        /// n_t, the likelihood samples per response (diffu-GRPO: 1, its one pass).
        public var samples: Int
        /// Gradients computed.
        public var repeats: Int
        /// `sqrt(sum_i var_i) / |theta|`: the gradient's standard deviation over repeats (root of
        /// the summed per-parameter variances) relative to the parameters' norm.
        public var relativeStd: Double
        /// The median over parameters of `std_i / |theta_i|`.
        public var medianStdOverTheta: Double
        /// `|mean gradient - reference| / |reference|`.
        public var bias: Double
        /// The part of ``bias`` that noise alone explains in expectation:
        /// `sqrt(sum var / repeats + sum var_ref / passes_ref) / |reference|`.
        public var noiseFloor: Double
        /// Whether the estimator is biased at this n_t (stratified, n_t not dividing the response length).
        public var estimatorBiased: Bool
        /// Seconds per gradient (median).
        public var secondsPerGradient: Double

        /// Creates a cell.
        public init(objective: String, samples: Int, repeats: Int, relativeStd: Double, medianStdOverTheta: Double,
                    bias: Double, noiseFloor: Double, estimatorBiased: Bool, secondsPerGradient: Double) {
            self.objective = objective
            self.samples = samples
            self.repeats = repeats
            self.relativeStd = relativeStd
            self.medianStdOverTheta = medianStdOverTheta
            self.bias = bias
            self.noiseFloor = noiseFloor
            self.estimatorBiased = estimatorBiased
            self.secondsPerGradient = secondsPerGradient
        }
    }

    /// An objective and n_t that were not run, and why (VRPO-OL beyond the memory limit).
    public struct Stop: Codable, Sendable {
        /// The objective.
        public var objective: String
        /// The first n_t not run.
        public var samples: Int
        /// Why.
        public var reason: String

        /// Creates a stop.
        public init(objective: String, samples: Int, reason: String) {
            self.objective = objective
            self.samples = samples
            self.reason = reason
        }
    }

    /// The reference gradient the bias is measured against.
    public struct Reference: Codable, Sendable {
        /// Its objective.
        public var objective: String
        /// n_t of each of its passes (unbiased for the estimator).
        public var samplesPerPass: Int
        /// Passes averaged: `samplesPerPass * passes` likelihood samples per response in all.
        public var passes: Int
        /// The norm of the mean gradient.
        public var norm: Double

        /// Creates a reference.
        public init(objective: String, samplesPerPass: Int, passes: Int, norm: Double) {
            self.objective = objective
            self.samplesPerPass = samplesPerPass
            self.passes = passes
            self.norm = norm
        }
    }

    /// The CPU, its BLAS core and the threads.
    public var machine: String
    /// The configuration (preset and overrides) whose rollouts and objectives were used.
    public var configuration: String
    /// The base model directory.
    public var model: String
    /// The rollout seed (`train.seed`) and step.
    public var seed: Int, step: Int
    /// Responses rolled out, and those with a non-zero advantage (the ones with a gradient).
    public var responses: Int, responsesWithAdvantage: Int
    /// Response length L and the likelihood estimator.
    public var completionLength: Int, estimator: String
    /// Trainable parameters and their norm.
    public var parameters: Int, thetaNorm: Double
    /// The reference gradient.
    public var reference: Reference
    /// The measured cells, objectives in the order given, n_t ascending.
    public var cells: [Cell]
    /// What was not run.
    public var stopped: [Stop]

    /// Creates a report.
    public init(machine: String, configuration: String, model: String, seed: Int, step: Int, responses: Int,
                responsesWithAdvantage: Int, completionLength: Int, estimator: String, parameters: Int, thetaNorm: Double,
                reference: Reference, cells: [Cell], stopped: [Stop]) {
        self.machine = machine
        self.configuration = configuration
        self.model = model
        self.seed = seed
        self.step = step
        self.responses = responses
        self.responsesWithAdvantage = responsesWithAdvantage
        self.completionLength = completionLength
        self.estimator = estimator
        self.parameters = parameters
        self.thetaNorm = thetaNorm
        self.reference = reference
        self.cells = cells
        self.stopped = stopped
    }

    /// The report as pretty-printed JSON with sorted keys.
    public var json: Data {
        get throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            return try encoder.encode(self)
        }
    }

    /// Reads a report written by ``json``; throws ``RecordError`` naming the file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RecordError.io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            self = try decoder.decode(GradientQualityReport.self, from: data)
        } catch {
            throw RecordError.malformed(path: url.path, reason: "not a bgpo study gradients report: \(error)")
        }
    }

    /// The objectives in the order of their first cell.
    private var objectives: [String] {
        cells.map(\.objective).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The lines of one quantity per objective against n_t; an objective with one n_t (diffu-GRPO's
    /// single pass) is drawn flat across the measured range.
    private func series(_ value: (Cell) -> Double) -> [SVGLinePlot.Series] {
        let range = (cells.map(\.samples).min() ?? 1, cells.map(\.samples).max() ?? 1)
        return objectives.enumerated().map { index, objective in
            let own = cells.filter { $0.objective == objective }
            var points = own.map { (x: Double($0.samples), y: value($0)) }
            var name = objective
            if own.count == 1, range.0 < range.1 {
                points = [(Double(range.0), points[0].y), (Double(range.1), points[0].y)]
                name += " (one pass)"
            }
            return SVGLinePlot.Series(name: name, colorIndex: index, points: points)
        }
    }

    /// The page: the setting, the two log-log plots and the table of every cell.
    public var html: String {
        func esc(_ text: String) -> String { SVGLinePlot.escaped(text) }
        var body = "<p>\(esc(configuration)); model \(esc(model)); rollouts of step \(step), seed \(seed): \(responses) "
        body += "responses of \(completionLength) tokens, \(responsesWithAdvantage) with a non-zero advantage; "
        body += "\(parameters) parameters, |theta| = \(String(format: "%.4g", thetaNorm)); estimator \(esc(estimator)).<br>"
        body += "Bias against the mean of \(reference.passes) \(esc(reference.objective)) gradients at n_t = "
        body += "\(reference.samplesPerPass) (\(reference.passes * reference.samplesPerPass) samples per response), "
        body += "|reference| = \(String(format: "%.4g", reference.norm)). \(esc(machine)).</p>\n<div class=\"grid\">\n"
        let plots = [SVGLinePlot(title: "Gradient std / |theta|", series: series(\.relativeStd), xLabel: "n_t", scale: .logLog),
                     SVGLinePlot(title: "Bias |mean - reference| / |reference|", series: series(\.bias), xLabel: "n_t",
                                 scale: .logLog)]
        body += plots.compactMap(\.svg).joined() + "</div>\n"
        body += "<table><tr><th>objective</th><th>n_t</th><th>repeats</th><th>std / |theta|</th><th>median std_i / |theta_i|</th>"
        body += "<th>bias</th><th>noise floor of the bias</th><th>s per gradient</th></tr>\n"
        for cell in cells {
            body += "<tr><td>\(esc(cell.objective))\(cell.estimatorBiased ? " (estimator biased at this n_t)" : "")</td>"
            body += "<td>\(cell.samples)</td><td>\(cell.repeats)</td>"
            body += String(format: "<td>%.3e</td><td>%.3e</td><td>%.3f</td><td>%.3f</td><td>%.2f</td></tr>\n", cell.relativeStd,
                           cell.medianStdOverTheta, cell.bias, cell.noiseFloor, cell.secondsPerGradient)
        }
        body += "</table>\n"
        for stop in stopped {
            body += "<p>\(esc(stop.objective)) stopped at n_t = \(stop.samples): \(esc(stop.reason))</p>\n"
        }
        return SVGLinePlot.page(title: "bgpo gradient quality", body: body)
    }
}
