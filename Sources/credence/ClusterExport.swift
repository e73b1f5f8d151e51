import ArgumentParser
import CredenceCluster
import CredenceCore
import Foundation

/// `credence snapshot export --cluster`: asks one instance for the cluster's merged month.
enum ClusterExport {
    static func write(month: Month, instance: String, modelVersion: String?, revision: Int?, output: String?)
        async throws
    {
        if revision != nil {
            throw ValidationError("--revision cannot be combined with --cluster: the cluster exports latest revisions")
        }
        let tokens = (ProcessInfo.processInfo.environment["CREDENCE_READ_TOKENS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let token = tokens.first else {
            throw CLIError("--cluster reads over HTTP: set CREDENCE_READ_TOKENS to a read token of the instances")
        }
        var path = "/v1/snapshots/\(month)/export"
        if let modelVersion {
            path += "?model=" + (modelVersion.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        let reply: PeerResponse
        do {
            reply = try await PeerClient(timeout: .seconds(300)).get(
                instance, path: path, headers: [("Authorization", "Bearer \(token)")])
        } catch {
            throw CLIError("\(error.message); is `credence run --http-port` running at \(instance)? (--instance URL)")
        }
        guard reply.status == 200 else {
            throw CLIError("\(instance) refused the export (HTTP \(reply.status)): \(Self.message(reply.body))")
        }
        let sink = try OutputSink(path: output)
        reply.body.withUnsafeBytes { sink.write($0) }
        try sink.close()
    }

    /// The `message` of an error body, or the body itself.
    static func message(_ body: [UInt8]) -> String {
        struct Body: Decodable {
            struct Inner: Decodable { var message: String }
            var error: Inner
        }
        return (try? JSONDecoder().decode(Body.self, from: Data(body)))?.error.message
            ?? String(decoding: body.prefix(500), as: UTF8.self)
    }
}
