#!/usr/bin/env bash
# Build the CPU binary as deploy/docker/Dockerfile does (that file runs this script):
#
#     bash scripts/build_release.sh [DEST]      # DEST defaults to target/dist/terjemah
#
# cargo build --release --locked (Cargo.lock as committed), then the stripped binary is copied to DEST.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-target/dist/terjemah}
cargo build --release --locked
mkdir -p "$(dirname "$dest")"
strip -o "$dest" target/release/terjemah
echo "built $dest" >&2
