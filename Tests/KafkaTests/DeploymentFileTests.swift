import Foundation
import Testing

/// docker-compose.yml and the Dockerfile cannot run here (no Docker engine): check their shape.
@Suite struct DeploymentFileTests {
    @Test func composeFileParsesAndWiresKafkaTopicsAndCredence() throws {
        let script = """
            import sys, yaml
            doc = yaml.safe_load(open(sys.argv[1]))
            s = doc["services"]
            assert s["kafka"]["image"].startswith("apache/kafka:"), "kafka must use the official apache/kafka image"
            env = s["kafka"]["environment"]
            assert "controller" in env["KAFKA_PROCESS_ROLES"], "kafka must run in KRaft mode"
            assert "healthcheck" in s["kafka"]
            assert s["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
            cmd = " ".join(s["topics"]["command"])
            for t in ("payments:", "payments.dlq:", "score-changes:"):
                assert t in cmd, "topic %s is not created" % t
            c = s["credence"]
            assert c["build"] == "."
            assert c["depends_on"]["topics"]["condition"] == "service_completed_successfully"
            assert c["command"][0] == "run"
            assert c["environment"]["CREDENCE_KAFKA_BROKERS"] == "kafka:9092"
            print("ok")
            """
        let root = TansuBroker.repositoryRoot
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, root + "/docker-compose.yml"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "docker-compose.yml: \(out) (needs python3 with PyYAML)")
    }

    @Test func dockerfileBuildsTheCLIAndRunsIt() throws {
        let text = try String(contentsOfFile: TansuBroker.repositoryRoot + "/Dockerfile", encoding: .utf8)
        #expect(text.contains("librdkafka-dev"))
        #expect(text.contains("--product credence"))
        #expect(text.contains("ENTRYPOINT [\"/usr/local/bin/credence\"]"))
    }
}
