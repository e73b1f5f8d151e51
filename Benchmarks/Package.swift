// swift-tools-version:6.0
import PackageDescription

// Builds ordo-one's malloc interposer (`libMallocInterposerSwift.so`) for
// `scripts/bench-allocations`, which preloads it into `credence bench` so the benchmark prints
// allocations per event. A package of its own so that the interposer, which puts a header on
// every allocation, never links into the `credence` binary or its tests.
let package = Package(
    name: "credence-benchmarks",
    dependencies: [
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1")
    ],
    targets: []
)
