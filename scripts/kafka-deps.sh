#!/usr/bin/env bash
# Kept for older notes and habits: the Kafka test dependencies are installed by scripts/setup --test.
# Prints the Tansu binary's path on its last line.
exec "$(dirname "$0")/setup" --test
