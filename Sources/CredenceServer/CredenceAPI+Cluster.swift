import CredenceCluster
import CredenceCore
import Dispatch
import HTTPTypes
import Hummingbird
import SnapshotStore

extension ServerError.Code {
    /// A part of a merged export is not available: a partition without an owner, an owner that
    /// does not answer or has not caught up.
    static let clusterPartMissing = ServerError.Code(name: "cluster_part_missing", status: .serviceUnavailable)
    /// The owner of the user's partition does not answer and this instance has nothing to say.
    static let ownerUnavailable = ServerError.Code(name: "owner_unavailable", status: .serviceUnavailable)
}

/// The headers that say who answered a user route in a cluster.
enum ClusterHeader {
    /// The advertised URL of the instance that answered.
    static let instance = HTTPField.Name("Credence-Instance")!
    /// The input partition that holds the user.
    static let partition = HTTPField.Name("Credence-Partition")!
    /// Why the answer may be behind: `catching-up`, `restating`, `not-owner`, `no-owner`,
    /// `owner-unreachable`. Absent when the owner answered with nothing left to read.
    static let stale = HTTPField.Name("Credence-Stale")!
    /// Messages of the partition the answering owner has not read yet.
    static let lag = HTTPField.Name("Credence-Lag")!
    /// Set on a request one instance forwards to another; the receiver answers it itself.
    static let forwardedBy = HTTPField.Name("Credence-Forwarded-By")!
}

extension CredenceAPI {
    /// A user route, answered by the instance that owns the user's partition: here, or
    /// forwarded to the owner (once: a forwarded request is answered where it lands).
    static func routed(_ handler: @escaping APIHandler) -> APIHandler {
        { api in
            let local = handler(api)
            return { request, context in try await api.answerOrForward(request, context, local) }
        }
    }

    func answerOrForward(
        _ request: Request, _ context: CredenceRequestContext,
        _ local: @escaping (Request, CredenceRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let cluster else { return try await local(request, context) }
        try access.authorize(request, .read)
        let userID = try userID(context)
        let forwarded = request.headers[ClusterHeader.forwardedBy] != nil
        var stale: String? = nil
        var lag: Int64? = nil
        var partition: Int32? = nil
        switch cluster.route(userID: userID) {
        case .local(let p, let owned):
            partition = p
            lag = owned.lag
            if owned.restating { stale = "restating" } else if !owned.idle { stale = "catching-up" }
        case .forward(let p, let owner):
            partition = p
            if !forwarded {
                do {
                    return try await forward(request, to: owner, cluster: cluster)
                } catch {
                    context.logger.warning(
                        "cluster: the owner of partition \(p) does not answer", metadata: ["owner": "\(owner)"])
                    stale = "owner-unreachable"
                }
            } else {
                stale = "not-owner"
            }
        case .unowned(let p):
            partition = p
            stale = "no-owner"
        case .unknown:
            stale = "no-owner"
        }
        var response: Response
        do {
            response = try await local(request, context)
        } catch let error as ServerError {
            if error.code == .notFound && stale == "owner-unreachable" {
                // Saying "no score" for a user whose owner is down would be a wrong answer.
                var r = JSONResponse.error(
                    ServerError(
                        .ownerUnavailable,
                        "the instance that owns partition \(partition.map(String.init) ?? "?") does not answer and "
                            + "this one has no score for the user; retry in a few seconds, once the group has "
                            + "given the partition to a live instance"))
                r.headers[.retryAfter] = "5"
                response = r
            } else {
                response = JSONResponse.error(error)
            }
        }
        response.headers[ClusterHeader.instance] = cluster.advertise
        if let partition { response.headers[ClusterHeader.partition] = String(partition) }
        if let lag { response.headers[ClusterHeader.lag] = String(lag) }
        if let stale { response.headers[ClusterHeader.stale] = stale }
        return response
    }

    /// Sends the request on to `owner` and returns its answer as it is.
    func forward(_ request: Request, to owner: String, cluster: ClusterNode) async throws -> Response {
        var headers: [(String, String)] = [(ClusterHeader.forwardedBy.rawName, cluster.advertise)]
        if let auth = request.headers[.authorization] { headers.append(("Authorization", auth)) }
        let reply = try await cluster.client.get(owner, path: "\(request.uri)", headers: headers)
        var fields = HTTPFields()
        for (name, value) in reply.headers {
            guard let field = HTTPField.Name(name) else { continue }
            let lower = name.lowercased()
            if lower == "content-type" || lower.hasPrefix("credence-") || lower == "retry-after"
                || lower == "www-authenticate"
            {
                fields.append(HTTPField(name: field, value: value))
            }
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}

// MARK: - One export for the whole cluster

extension CredenceAPI {
    /// `GET /v1/snapshots/{month}/export`: alone, this instance's export; in a cluster, every
    /// owner's part merged in `user_id` byte order (`?partitions=` asks for this instance's part).
    func clusterExport(_ request: Request, _ context: CredenceRequestContext) async throws -> Response {
        guard let cluster else {
            // Alone, this instance holds every partition there is: the list only has to be well formed.
            if let list = request.uri.queryParameters["partitions"] {
                try access.authorize(request, .read)
                _ = try Self.partitionList(String(list))
            }
            return try await export(request, context)
        }
        try access.authorize(request, .read)
        let month = try Self.parseMonth(Self.percentDecoded(context.parameters.get("month") ?? "")?[...] ?? "")
        let version = try requestedModel(request)
        if let list = request.uri.queryParameters["partitions"] {
            return try await exportPart(month: month, version: version, partitions: String(list), cluster: cluster)
        }
        _ = try closedMonth(month, modelVersion: version)
        let count = cluster.partitionCount
        guard count > 0 else {
            throw partMissing("the input topic's partition count is not known yet; retry in a few seconds")
        }
        let owned = cluster.owned
        let view = cluster.view
        var byOwner: [String: [Int32]] = [:]
        var missing: [String] = []
        for p in 0..<Int32(count) {
            if owned[p] != nil {
                byOwner[cluster.advertise, default: []].append(p)
            } else if let r = view.owner(of: p), r.owner != cluster.advertise {
                byOwner[r.owner, default: []].append(p)
            } else {
                missing.append("partition \(p) has no owner yet")
            }
        }
        guard missing.isEmpty else { throw partMissing(missing.joined(separator: "; ")) }
        let auth = request.headers[.authorization]
        let parts = await withTaskGroup(of: (String, Result<[UInt8], ServerError>).self) { group in
            for (owner, partitions) in byOwner {
                group.addTask {
                    let list = partitions.map(String.init).joined(separator: ",")
                    do {
                        if owner == cluster.advertise {
                            return (owner, .success(try await self.localPart(month, version, partitions, cluster)))
                        }
                        var headers: [(String, String)] = [(ClusterHeader.forwardedBy.rawName, cluster.advertise)]
                        if let auth { headers.append(("Authorization", auth)) }
                        var path = "/v1/snapshots/\(month)/export?partitions=\(list)"
                        if version != self.modelVersion { path += "&model=\(version)" }
                        let reply = try await cluster.client.get(owner, path: path, headers: headers)
                        guard reply.status == 200 else {
                            let text = String(decoding: reply.body.prefix(400), as: UTF8.self)
                            return (owner, .failure(self.partMissing("partitions \(list) at \(owner): \(text)")))
                        }
                        return (owner, .success(reply.body))
                    } catch let error as ServerError {
                        return (owner, .failure(self.partMissing("partitions \(list) at \(owner): \(error.message)")))
                    } catch {
                        return (owner, .failure(self.partMissing("partitions \(list) at \(owner): \(error)")))
                    }
                }
            }
            var out: [(String, Result<[UInt8], ServerError>)] = []
            for await part in group { out.append(part) }
            return out.sorted { $0.0 < $1.0 }
        }
        var bodies: [[UInt8]] = []
        var failures: [String] = []
        for (_, result) in parts {
            switch result {
            case .success(let body): bodies.append(body)
            case .failure(let error): failures.append(error.message)
            }
        }
        guard failures.isEmpty else { throw partMissing(failures.joined(separator: "; ")) }
        let merged: [UInt8]
        do { merged = try ExportLines.merge(bodies) } catch { throw partMissing(error.message) }
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        headers[ClusterHeader.instance] = cluster.advertise
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: merged)))
    }

    /// This instance's part of a month: the users of `partitions`, which it must own, caught up
    /// past the month (closed here, nothing left to restate).
    func exportPart(month: Month, version: String, partitions list: String, cluster: ClusterNode) async throws
        -> Response
    {
        let partitions = try Self.partitionList(list)
        _ = try closedMonth(month, modelVersion: version)
        let body = try await localPart(month, version, partitions, cluster)
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        headers[ClusterHeader.instance] = cluster.advertise
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `0,3` as partition numbers; a 400 for anything else.
    static func partitionList(_ list: String) throws(ServerError) -> [Int32] {
        let items = list.split(separator: ",", omittingEmptySubsequences: false)
        let partitions = items.compactMap { item in item.allSatisfy(\.isASCII) ? Int32(item) : nil }.filter { $0 >= 0 }
        guard !items.isEmpty, partitions.count == items.count, items.allSatisfy({ !$0.hasPrefix("+") }) else {
            throw ServerError(.badRequest, "?partitions= is a comma-separated list of partition numbers, like 0,3")
        }
        return partitions
    }

    func localPart(_ month: Month, _ version: String, _ partitions: [Int32], _ cluster: ClusterNode) async throws
        -> [UInt8]
    {
        let owned = cluster.owned
        let notOwned = partitions.filter { owned[$0] == nil }
        guard notOwned.isEmpty else {
            throw partMissing(
                "\(cluster.advertise) does not own partitions \(notOwned.map(String.init).joined(separator: ",")) "
                    + "(a rebalance moved them); retry once it has settled")
        }
        let restating = partitions.filter { owned[$0]?.restating == true }
        guard restating.isEmpty else {
            throw partMissing(
                "\(cluster.advertise) took partitions \(restating.map(String.init).joined(separator: ",")) over and "
                    + "restates its closed months once it has caught up; retry then (see /readyz)")
        }
        _ = try closedMonth(month, modelVersion: version)
        let count = cluster.partitionCount
        let store = self.store
        let whole = try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], any Error>) in
            DispatchQueue.global().async {
                c.resume(
                    with: Result {
                        var out: [UInt8] = []
                        _ = try store.exportBytes(month: month, modelVersion: version) { out += $0 }
                        return out
                    })
            }
        }
        return try ExportLines.filter(
            whole, partitions: Set(partitions), partitionCount: count, partitioner: cluster.configuration.partitioner)
    }

    func partMissing(_ detail: String) -> ServerError {
        ServerError(
            .clusterPartMissing,
            "the cluster's export is incomplete, so it is refused: \(detail). Retry once every partition has an "
                + "owner that has caught up (GET /readyz shows each partition's owner and lag)")
    }
}
