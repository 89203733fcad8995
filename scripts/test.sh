#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian/Ubuntu machine: installs the reference
# redis-server 7.0 and redis-tools (the byte-for-byte comparisons need them) and tmux (redis-cli
# is driven in a real terminal) if they are missing,
# then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v tmux >/dev/null; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools tmux >/dev/null
fi
# Debian's package may start a redis-server on 6379; the tests use their own ports, but leave
# the default port free for `cargo run`.
exec cargo test "$@"
