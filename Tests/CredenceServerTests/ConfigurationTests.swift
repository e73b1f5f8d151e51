import Testing

@testable import CredenceServer

@Suite struct ConfigurationTests {
    @Test func defaults() {
        let c = ServerConfiguration()
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 8080)
        #expect(c.intakeEnabled == false)
        #expect(c.maxBodyBytes == 16 << 20)
        #expect(c.logLevel == .info)
    }

    @Test func tokensComeFromTheEnvironment() throws {
        var c = ServerConfiguration()
        c.apply(environment: [
            "CREDENCE_READ_TOKENS": " read-aaaaaaaa , read-bbbbbbbb,,", "CREDENCE_WRITE_TOKENS": "write-cccccccc",
        ])
        #expect(c.access.readTokens == ["read-aaaaaaaa", "read-bbbbbbbb"])
        #expect(c.access.writeTokens == ["write-cccccccc"])
        c.intakeEnabled = true
        try c.validate()
    }

    @Test func validationSaysWhatToChange() {
        var c = ServerConfiguration()
        #expect(throws: ServerError.self) { try c.validate() }  // no read token
        c.access.readTokens = ["read-aaaaaaaa"]
        c.intakeEnabled = true
        #expect(
            performing: { try c.validate() },
            throws: { ($0 as? ServerError)?.message.contains("CREDENCE_WRITE_TOKENS") == true })
        c.intakeEnabled = false
        c.port = 70000
        #expect(throws: ServerError.self) { try c.validate() }
        c.port = 0
        c.access.readTokens = ["short"]
        #expect(throws: ServerError.self) { try c.validate() }
        c.access.readTokens = ["has space in it"]
        #expect(throws: ServerError.self) { try c.validate() }
        c.access.readTokens = ["read-aaaaaaaa"]
        c.maxBodyBytes = 10
        #expect(throws: ServerError.self) { try c.validate() }
    }

    @Test(arguments: [
        ("u1", true), ("a.b:c_d-e", true), (String(repeating: "z", count: 64), true), ("", false),
        (String(repeating: "z", count: 65), false), ("a b", false), ("é", false), ("a/b", false),
    ])
    func userIDRule(id: String, valid: Bool) {
        #expect(CredenceAPI.isValidUserID(id[...]) == valid)
    }
}
