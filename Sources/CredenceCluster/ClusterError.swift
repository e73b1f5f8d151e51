/// A failure of the cluster layer: configuration, routing, a peer that does not answer, or a
/// merged export with a part missing. The message says what to do.
public struct ClusterError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        public static let configuration = Code(name: "configuration")
        /// A peer could not be reached or did not answer in time.
        public static let peerUnreachable = Code(name: "peer_unreachable")
        /// A part of a merged export is not available (yet).
        public static let partMissing = Code(name: "cluster_part_missing")
        /// A peer's answer could not be read.
        public static let protocolError = Code(name: "cluster_protocol")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
