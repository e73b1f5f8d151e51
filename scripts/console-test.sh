#!/usr/bin/env bash
# The console's browser test: headless Chromium (Debian's chromium + chromium-driver) driven by
# selenium (PyPI) against `credence serve` on loopback. Installs what is missing, builds the CLI
# unless CREDENCE_BIN names one, then runs Tests/console/test_console.py.
#   scripts/console-test.sh                 # screenshots in .build/console-screenshots
#   scripts/console-test.sh --update-docs   # also copies the month page's screenshot to docs/
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
python3 -c 'import selenium' 2>/dev/null || python3 -m pip install -q 'selenium==4.51.0'
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest

if [ -z "${CREDENCE_BIN:-}" ]; then
    swift build --product credence
    CREDENCE_BIN="$(swift build --show-bin-path)/credence"
fi
export CREDENCE_BIN
if [ -d .build-deps/librdkafka-2.8/lib ]; then
    export LD_LIBRARY_PATH="$PWD/.build-deps/librdkafka-2.8/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export CONSOLE_SCREENSHOTS="${CONSOLE_SCREENSHOTS:-$PWD/.build/console-screenshots}"
python3 -m pytest -q -p no:cacheprovider Tests/console/test_console.py
echo "screenshots in $CONSOLE_SCREENSHOTS"
if [ "${1:-}" = "--update-docs" ]; then
    cp "$CONSOLE_SCREENSHOTS/month.png" docs/console-month.png
    echo "copied the month page to docs/console-month.png"
fi
