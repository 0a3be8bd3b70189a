#!/usr/bin/env bash
# Configure and build meshgate into build/ (clang, warnings as errors, the
# libFuzzer targets included). Extra arguments go to `meson setup`.
set -euo pipefail
cd "$(dirname "$0")/.."

export CC="${CC:-clang}"
if [ ! -f build/build.ninja ]; then
	meson setup build -Dwerror=true "$@"
elif [ $# -gt 0 ]; then
	meson setup --reconfigure build -Dwerror=true "$@"
fi
ninja -C build -j"$(nproc)"
