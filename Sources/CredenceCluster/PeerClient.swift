import NIOCore
import NIOHTTP1
import NIOPosix

/// A peer's answer: status, headers and the whole body.
public struct PeerResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A small HTTP/1.1 client for instance-to-instance calls on a trusted network: one GET per
/// connection (`Connection: close`), the whole body in memory, a deadline per call.
///
/// ```swift
/// let reply = try await PeerClient().get("http://127.0.0.1:8081", path: "/v1/users/u1/score",
///                                        headers: [("Authorization", "Bearer ...")])
/// ```
public struct PeerClient: Sendable {
    /// How long a call may take, connecting included. Default: 10 s.
    public var timeout: Duration = .seconds(10)

    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
    }

    /// `http://host:port` split; the error says what a URL must look like.
    public static func endpoint(_ url: String) throws(ClusterError) -> (host: String, port: Int) {
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else {
            throw ClusterError(.configuration, "an advertised URL is http://HOST:PORT, got \"\(url)\"")
        }
        rest = rest.dropFirst("http://".count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65535).contains(port), colon != rest.startIndex
        else {
            throw ClusterError(.configuration, "an advertised URL is http://HOST:PORT, got \"\(url)\"")
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// GETs `path` (with its query) from the instance at `base`.
    public func get(_ base: String, path: String, headers: [(String, String)] = []) async throws(ClusterError)
        -> PeerResponse
    {
        let (host, port) = try Self.endpoint(base)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: PeerResponse.self)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let request = head
        let millis = Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(millis))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
        let deadline = loop.scheduleTask(in: .milliseconds(millis)) {
            promise.fail(ClusterError(.peerUnreachable, "\(base) did not answer \(path) within \(timeout)"))
        }
        bootstrap.connect(host: host, port: port).whenComplete { result in
            switch result {
            case .success(let channel):
                channel.write(HTTPClientRequestPart.head(request), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
            case .failure(let error):
                promise.fail(ClusterError(.peerUnreachable, "cannot connect to \(base): \(error)"))
            }
        }
        do {
            let response = try await promise.futureResult.get()
            deadline.cancel()
            return response
        } catch let error as ClusterError {
            deadline.cancel()
            throw error
        } catch {
            deadline.cancel()
            throw ClusterError(.peerUnreachable, "\(base) failed on \(path): \(error)")
        }
    }
}

/// Collects one response and completes the promise with it.
final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<PeerResponse>
    var status = 0
    var headers: [(name: String, value: String)] = []
    var body: [UInt8] = []

    init(promise: EventLoopPromise<PeerResponse>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            headers = head.headers.map { ($0.name, $0.value) }
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            promise.succeed(PeerResponse(status: status, headers: headers, body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(ClusterError(.peerUnreachable, "the connection failed: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ClusterError(.peerUnreachable, "the peer closed the connection before answering"))
    }
}
