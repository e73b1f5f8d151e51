import CredenceCore
import CredenceTestSupport
import Foundation
import Testing

/// The decoder and the JSON Schemas in `Schemas/` agree on every labelled example.
@Suite struct SchemaAgreementTests {
    static let schemasFolder = TestSupport.packageRoot.appendingPathComponent("Schemas")

    @Test(arguments: SchemaExample.events)
    func decoderFollowsTheLabel(_ example: SchemaExample) {
        let result = TestSupport.decode(example.json)
        switch example.label {
        case .valid:
            #expect(result.event != nil, "\(result.rejection?.message ?? "")")
        case .invalid(let reason?), .schemaValidButRejected(let reason):
            #expect(result.rejection?.reason == reason, "\(result.rejection?.message ?? "accepted")")
        case .invalid(nil):
            Issue.record("an input example needs a reason")
        }
    }

    /// Every line of the expected snapshot exports of the project's worked example (and of the
    /// spec's, when `../shared/spec` is beside the clone), as valid `snapshot-line` examples.
    static func expectedExportLines() throws -> [SchemaExample] {
        let examples = [Repository.workedExample] + (SharedSpec.isAvailable ? [SharedSpec.workedExample] : [])
        return try examples.flatMap { example in
            try example.months.flatMap { month in
                String(decoding: try example.expected(month), as: UTF8.self)
                    .split(separator: "\n").map {
                        SchemaExample.valid("snapshot-\(month)", String($0), schema: "snapshot-line")
                    }
            }
        }
    }

    @Test func schemasFollowTheLabels() throws {
        let examples = SchemaExample.events + SchemaExample.outputs + (try Self.expectedExportLines())
        #expect(examples.count > SchemaExample.events.count + SchemaExample.outputs.count)
        let verdicts = try Self.runJSONSchema(on: examples)
        try #require(
            verdicts.count == examples.count, "python printed \(verdicts.count) verdicts for \(examples.count)")
        for (example, verdict) in zip(examples, verdicts) {
            let valid = verdict == "valid"
            #expect(valid == example.schemaAccepts, "\(example.schema): \(example.note): \(verdict)\n\(example.json)")
        }
    }

    /// Validates each example against its schema with python's `jsonschema` and returns
    /// `valid` or `invalid: <why>` per example, in order.
    static func runJSONSchema(on examples: [SchemaExample]) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("credence-schema-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("examples.ndjson")
        var lines = Data()
        for example in examples {
            lines += try JSONSerialization.data(withJSONObject: ["schema": example.schema, "json": example.json])
            lines += Data("\n".utf8)
        }
        try lines.write(to: input)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schemasFolder.path, input.path]
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONIOENCODING"] = "utf-8"
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0:
            return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        case 3:
            Issue.record("python3 cannot import jsonschema: run `pip install jsonschema` (\(err))")
        case 127:
            Issue.record("python3 was not found: install python3 and `pip install jsonschema`")
        default:
            Issue.record("python3 failed with status \(process.terminationStatus): \(err)")
        }
        return []
    }

    static let script = """
        import json, pathlib, sys
        try:
            import jsonschema
            from referencing import Registry, Resource
        except ImportError as e:
            print(e, file=sys.stderr)
            sys.exit(3)
        schemas, resources = {}, []
        for path in sorted(pathlib.Path(sys.argv[1]).glob("*.schema.json")):
            schema = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            schemas[path.name[: -len(".schema.json")]] = schema
            resources.append((schema["$id"], Resource.from_contents(schema)))
        registry = Registry().with_resources(resources)
        validators = {name: jsonschema.Draft202012Validator(s, registry=registry) for name, s in schemas.items()}
        for line in open(sys.argv[2], encoding="utf-8"):
            example = json.loads(line)
            try:
                instance = json.loads(example["json"])
            except ValueError as e:
                print("invalid: not JSON:", e)
                continue
            errors = list(validators[example["schema"]].iter_errors(instance))
            print("valid" if not errors else "invalid: " + errors[0].message.replace("\\n", " ")[:300])
        """
}
