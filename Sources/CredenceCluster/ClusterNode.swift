import Synchronization

/// This instance's place in the cluster: what it owns (from its consumer), what it has read of
/// everybody's control records, and how to reach its peers. Shared by the control-topic
/// service, which keeps it current, and the HTTP API, which routes with it.
public final class ClusterNode: Sendable {
    public let configuration: ClusterConfiguration
    /// This process's id on the control topic (a restart is a new member).
    public let member: String
    public let client: PeerClient
    private let state = Mutex(State())

    /// A partition this instance owns now, as its consumer sees it.
    public struct OwnedPartition: Sendable, Hashable {
        /// Messages not read yet; `nil` while unknown.
        public var lag: Int64?
        /// Taken over after closing months without it; those months are restated once caught up.
        public var restating: Bool
        /// The largest event time accepted from it.
        public var maxEventTimeMilliseconds: Int64?

        public init(lag: Int64?, restating: Bool, maxEventTimeMilliseconds: Int64?) {
            self.lag = lag
            self.restating = restating
            self.maxEventTimeMilliseconds = maxEventTimeMilliseconds
        }

        /// Caught up: nothing left to read.
        public var idle: Bool { lag.map { $0 <= 0 } ?? false }
    }

    struct State {
        var view = ClusterView()
        var owned: [Int32: OwnedPartition] = [:]
        var partitionCount = 0
        var globalWatermark: Int64? = nil
    }

    public init(_ configuration: ClusterConfiguration, member: String) {
        self.configuration = configuration
        self.member = member
        client = PeerClient(timeout: configuration.peerTimeout)
    }

    public var advertise: String { configuration.advertise }

    // MARK: - Kept current by the control service

    public func apply(_ record: PartitionRecord) {
        guard record.topic == configuration.topic else { return }
        state.withLock { s in
            s.view.apply(record)
            s.partitionCount = max(s.partitionCount, s.view.partitionCount)
        }
    }

    public func setOwned(_ owned: [Int32: OwnedPartition]) {
        state.withLock { $0.owned = owned }
    }

    public func setPartitionCount(_ count: Int) {
        state.withLock { $0.partitionCount = max($0.partitionCount, count) }
    }

    public func setGlobalWatermark(_ w: Int64?) {
        state.withLock { $0.globalWatermark = w }
    }

    // MARK: - Read by the API

    public var view: ClusterView { state.withLock { $0.view } }
    public var owned: [Int32: OwnedPartition] { state.withLock { $0.owned } }
    public var partitionCount: Int { state.withLock { $0.partitionCount } }
    public var globalWatermark: Int64? { state.withLock { $0.globalWatermark } }

    /// Where a user's queries are answered.
    public enum Route: Sendable, Hashable {
        /// Here: this instance owns the partition.
        case local(partition: Int32, OwnedPartition)
        /// At the owner's URL.
        case forward(partition: Int32, owner: String)
        /// Nobody is known to own the partition (a rebalance, or the control topic not read yet):
        /// answered here, marked stale.
        case unowned(partition: Int32)
        /// The topic's partition count is not known yet.
        case unknown
    }

    public func route(userID: String) -> Route {
        state.withLock { s in
            guard s.partitionCount > 0 else { return .unknown }
            let p = configuration.partitioner.partition(ofUser: userID, partitionCount: s.partitionCount)
            if let mine = s.owned[p] { return .local(partition: p, mine) }
            if let r = s.view.owner(of: p), r.owner != configuration.advertise {
                return .forward(partition: p, owner: r.owner)
            }
            return .unowned(partition: p)
        }
    }
}

extension ClusterNode {
    /// Every partition of the topic has a known owner.
    public var isComplete: Bool {
        let (count, view, owned) = state.withLock { ($0.partitionCount, $0.view, $0.owned) }
        guard count > 0 else { return false }
        return (0..<Int32(count)).allSatisfy { owned[$0] != nil || view.owner(of: $0) != nil }
    }
}
