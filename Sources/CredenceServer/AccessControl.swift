import Hummingbird

/// Checks bearer tokens against the configured read and write scopes.
///
/// Every configured token is compared on every request, each in time that depends only on
/// the lengths involved, so response times do not reveal how much of a token matched.
/// Tokens never reach a log line or an error message.
struct AccessControl: Sendable {
    enum Scope: Sendable {
        case read, write
    }

    private let read: [[UInt8]]
    private let write: [[UInt8]]

    init(_ access: ServerConfiguration.Access) {
        read = access.readTokens.map { Array($0.utf8) }
        write = access.writeTokens.map { Array($0.utf8) }
    }

    /// Throws 401 without a known token, 403 with a token of the other scope.
    func authorize(_ request: Request, _ scope: Scope) throws(ServerError) {
        guard var header = Self.authorization(request.headers) else {
            throw ServerError(.unauthorized, "this route needs a bearer token: send `Authorization: Bearer <token>`")
        }
        // Read in place: no copy of the header or the token.
        let matched: (inRead: Bool, inWrite: Bool)? = header.withUTF8 { bytes in
            // "Bearer" is case-insensitive (RFC 6750); one space, then the token.
            guard bytes.count > 7, Self.isBearer(bytes[0..<6]), bytes[6] == 0x20 else { return nil }
            let token = bytes[7...]
            var inRead = false
            var inWrite = false
            for t in read { inRead = Self.equal(t, token) || inRead }
            for t in write { inWrite = Self.equal(t, token) || inWrite }
            return (inRead, inWrite)
        }
        guard let (inRead, inWrite) = matched else {
            throw ServerError(.unauthorized, "the Authorization header must be `Bearer <token>`")
        }
        switch scope {
        case .read:
            if inRead { return }
            if inWrite { throw ServerError(.forbidden, "this token may post events but not read: use a read token") }
        case .write:
            if inWrite { return }
            if inRead { throw ServerError(.forbidden, "this token may read but not post events: use a write token") }
        }
        throw ServerError(.unauthorized, "the bearer token is not valid: check the token you were given")
    }

    /// The Authorization header: the one field's value without going through the fields'
    /// subscript (which joins repeated fields), or, when it is repeated, what the subscript gives.
    static func authorization(_ fields: HTTPFields) -> String? {
        var found: String?
        for field in fields where field.name == .authorization {
            if found != nil { return fields[.authorization] }
            found = field.value
        }
        return found
    }

    /// Whether `bytes` spell "bearer" in any case.
    private static func isBearer(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        zip(bytes, "bearer".utf8).allSatisfy { b, lower in (b >= 65 && b <= 90 ? b + 32 : b) == lower }
    }

    /// Constant-time equality for a given pair of lengths: no early exit on the first difference.
    static func equal<Candidate: RandomAccessCollection<UInt8>>(_ secret: [UInt8], _ candidate: Candidate) -> Bool
    where Candidate.Index == Int {
        var diff = UInt8(truncatingIfNeeded: secret.count ^ candidate.count)
        let base = candidate.startIndex
        let n = candidate.count
        for i in 0..<secret.count {
            let c = n == 0 ? 0 : candidate[base + (i < n ? i : 0)]
            diff |= secret[i] ^ c
        }
        return diff == 0 && secret.count == candidate.count
    }
}
