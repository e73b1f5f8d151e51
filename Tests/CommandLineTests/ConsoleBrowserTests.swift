import CredenceTestSupport
import Foundation
import Testing

/// The console in a real browser: runs `Tests/console/test_console.py` (headless Chromium through
/// selenium, against `credence serve` on loopback) when Debian's `chromium` and `chromium-driver`
/// and PyPI's `selenium` are installed. Without them it is skipped, unless
/// `CREDENCE_REQUIRE_CONSOLE_TEST=1` makes that a failure; `scripts/console-test.sh` installs
/// them and runs the same script.
@Suite struct ConsoleBrowserTests {
    @Test(.timeLimit(.minutes(3)))
    func everyConsolePageInHeadlessChromium() throws {
        let required = ProcessInfo.processInfo.environment["CREDENCE_REQUIRE_CONSOLE_TEST"] == "1"
        let python = which("python3")
        let hasSelenium = try python.map {
            try runProgram($0, ["-c", "import selenium, pytest"], timeout: 30).status == 0
        }
        guard which("chromium") != nil, which("chromedriver") != nil, let python, hasSelenium == true else {
            if required {
                let how = "run scripts/console-test.sh, which installs them"
                Issue.record(
                    "the console test needs chromium, chromium-driver (apt) and selenium, pytest (pip): \(how)")
            }
            return
        }
        let binary = CommandRunner.binary
        try #require(
            FileManager.default.isExecutableFile(atPath: binary), "run `swift build` first, or set CREDENCE_BIN")
        var environment = ProcessInfo.processInfo.environment
        environment["CREDENCE_BIN"] = binary
        let script = Repository.path("Tests/console/test_console.py")
        let run = try runProgram(
            python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", script], timeout: 170, environment: environment)
        #expect(!run.timedOut, "the browser test ran past 170 s")
        #expect(run.status == 0, "the browser test failed:\n\(run.output.suffix(4000))")
    }
}
