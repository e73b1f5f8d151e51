import Foundation

/// Spreads a stream of items over a few threads, each turning one item into one result, and
/// hands the results on in the items' order: a pipeline stage on every core, order kept.
///
/// Item `k` goes to worker `k % workers` and its result comes back from that worker's queue, so
/// taking from the workers in turn gives the results in order without a reordering buffer. Each
/// worker has a bounded queue (``Handoff``) in front and behind: the producer waits when the
/// worker whose turn it is has `depth` items waiting, the consumer when that worker's result is
/// not ready.
///
/// With one stage thread, a two-core machine ran 80–86% busy in a replay or an ingest: when the
/// stage's one thread fell behind, the engine's thread waited for it and the stage before it was
/// blocked on a full queue, and one core idled. Two workers take turns instead.
///
/// The two ends are values each used by one thread (``Feeder``, ``Collector``), so neither holds
/// state the other changes. Each counts whose turn it is: use one copy of an end, not two.
enum OrderedWorkers {
    /// The producer's end: puts items in order.
    struct Feeder<Input: Sendable>: Sendable {
        fileprivate let queues: [Handoff<Input>]
        private var next = 0

        fileprivate init(queues: [Handoff<Input>]) { self.queues = queues }

        /// Queues `item` for the worker whose turn it is, waiting for room; `false` once the
        /// consumer cancelled (stop producing).
        mutating func put(_ item: consuming Input) -> Bool {
            let queue = queues[next]
            next = next + 1 == queues.count ? 0 : next + 1
            return queue.put(item)
        }

        /// No more items: each worker ends after the ones it has.
        func finish() {
            for queue in queues { queue.finish() }
        }
    }

    /// The consumer's end: takes results in the items' order.
    struct Collector<Output: Sendable>: Sendable {
        fileprivate let queues: [Handoff<Output>]
        private var next = 0

        fileprivate init(queues: [Handoff<Output>]) { self.queues = queues }

        /// The next item's result, waiting for it; `nil` once every item's result was taken.
        mutating func take() -> Output? {
            let result = queues[next].take()
            next = next + 1 == queues.count ? 0 : next + 1
            return result
        }

        /// The consumer gives up: results waiting are dropped, the workers stop, and the
        /// producer's next ``Feeder/put(_:)`` returns `false`.
        func cancel() {
            for queue in queues { queue.cancel() }
        }
    }

    /// Starts `workers` threads named `name`, each with its own `transform` (made on the worker's
    /// thread by `makeTransform`, so a worker may keep buffers of its own).
    ///
    /// - Parameter depth: items waiting in front of each worker, and results behind it, at most.
    static func start<Input: Sendable, Output: Sendable>(
        workers: Int, depth: Int, name: String,
        makeTransform: @escaping @Sendable () -> (consuming Input) -> Output
    ) -> (Feeder<Input>, Collector<Output>) {
        precondition(workers > 0 && depth > 0)
        let inputs = (0..<workers).map { _ in Handoff<Input>(capacity: depth) }
        let outputs = (0..<workers).map { _ in Handoff<Output>(capacity: depth) }
        for (input, output) in zip(inputs, outputs) {
            let thread = Thread {
                StagePriority.lowerCurrentThread()
                let transform = makeTransform()
                while let item = input.take() {
                    if !output.put(transform(item)) {
                        input.cancel()
                        break
                    }
                }
                output.finish()
            }
            thread.name = name
            thread.start()
        }
        return (Feeder(queues: inputs), Collector(queues: outputs))
    }
}
