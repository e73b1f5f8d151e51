import CredenceTestSupport
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
        let run = try CommandRunner.python(["-c", script, Repository.path("docker-compose.yml")])
        #expect(run.status == 0, "docker-compose.yml: \(run.output) (needs python3 with PyYAML)")
    }

    @Test func dockerfileBuildsTheCLIAndRunsIt() throws {
        let text = try String(contentsOfFile: Repository.path("Dockerfile"), encoding: .utf8)
        let file = Dockerfile(text)
        // Two stages: the build on a Swift image, the runtime on Debian with the shared libraries.
        #expect(file.stages.count == 2)
        let build = try #require(file.stages.first)
        let runtime = try #require(file.stages.last)
        #expect(build.aptPackages.isSuperset(of: ["librdkafka-dev", "libsqlite3-dev", "pkg-config"]))
        #expect(runtime.aptPackages.isSuperset(of: ["librdkafka1", "libsqlite3-0"]))
        let swiftBuild = try #require(build.runWords.first { $0.starts(with: ["swift", "build"]) })
        #expect(swiftBuild.adjacentPairs.contains { $0 == ("--product", "credence") })
        #expect(swiftBuild.adjacentPairs.contains { $0 == ("-c", "release") })
        // The binary goes from the build stage to the runtime's PATH and is the entry point.
        let copy = try #require(runtime.instructions.first { $0.keyword == "COPY" }).words
        #expect(copy == ["--from=build", "/credence", "/usr/local/bin/credence"])
        let entry = try #require(runtime.instructions.first { $0.keyword == "ENTRYPOINT" })
        let entryArray = try JSONSerialization.jsonObject(with: Data(entry.argument.utf8)) as? [String]
        #expect(entryArray == ["/usr/local/bin/credence"])
    }
}

/// A Dockerfile read as instructions (continuation lines joined, comments dropped), grouped by stage.
struct Dockerfile {
    struct Instruction {
        var keyword: String
        var argument: String
        var words: [String] { argument.split(separator: " ").map(String.init) }
    }

    struct Stage {
        var instructions: [Instruction] = []
        /// Each RUN's shell commands (split at `&&`), as words.
        var runWords: [[String]] {
            instructions.filter { $0.keyword == "RUN" }.flatMap { run in
                run.argument.components(separatedBy: "&&").map { $0.split(separator: " ").map(String.init) }
            }
        }
        /// The packages every `apt-get install` of the stage names.
        var aptPackages: Set<String> {
            Set(
                runWords.filter { $0.starts(with: ["apt-get", "install"]) }.flatMap { $0.dropFirst(2) }.filter {
                    !$0.hasPrefix("-")
                })
        }
    }

    var stages: [Stage] = []

    init(_ text: String) {
        var logical: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if trimmed.hasSuffix("\\") {
                current += trimmed.dropLast() + " "
            } else {
                current += trimmed
                if !current.isEmpty { logical.append(current) }
                current = ""
            }
        }
        for line in logical {
            let parts = line.split(separator: " ", maxSplits: 1)
            let instruction = Instruction(
                keyword: String(parts[0]).uppercased(),
                argument: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
            if instruction.keyword == "FROM" { stages.append(Stage()) }
            if !stages.isEmpty { stages[stages.count - 1].instructions.append(instruction) }
        }
    }
}

extension Array where Element == String {
    var adjacentPairs: [(String, String)] { zip(self, dropFirst()).map { ($0, $1) } }
}
