public import Hummingbird

/// The request context of the API: Hummingbird's core storage and the body limit.
public struct CredenceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The largest body `collectBody` takes; set from ``ServerConfiguration/maxBodyBytes``.
    public var maxUploadSize: Int

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        maxUploadSize = 16 << 20
    }
}
