#!/usr/bin/env bash
# Regenerates src/commands/docs.resp3: the raw RESP3 replies of a reference
# Redis 7.0.15 server to `COMMAND DOCS` and `COMMAND INFO` (no arguments, so
# every command), captured after `HELLO 3`.
#
# The file holds exactly two top-level RESP3 values, back to back:
#   1. the COMMAND DOCS map   (%N: command name -> docs map)
#   2. the COMMAND INFO array (*N: one 10-element array per command)
#
# Post-processing (done on a parsed tree, then re-serialized as RESP3):
#   * Redis emits commands (and each command's subcommands) in hash-table
#     order, which is randomly seeded per process.  To keep this script
#     idempotent the top-level DOCS map, the INFO array, and every
#     subcommand map/array are sorted by command name.  Nothing else is
#     reordered: field order inside each entry is exactly what Redis sent.
#   * The Redis 7.2 subcommands that clients send on connect,
#     CLIENT SETINFO and CLIENT NO-TOUCH, are added (DOCS and INFO entries)
#     in the 7.0 reply shape, from the 7.2 command reference
#     (src/commands/client-setinfo.json / client-no-touch.json). Entries the
#     server already reports are left alone.
#
# Usage: scripts/gen-command-docs.sh [path/to/redis-server]
#   Env: REDIS_SERVER (default: redis-server on PATH), PORT (default: a free port)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$root/src/commands/docs.resp3"

server="${1:-${REDIS_SERVER:-redis-server}}"
command -v "$server" >/dev/null || { echo "redis-server not found: $server" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }

version="$("$server" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')"
if [ "$version" != "7.0.15" ]; then
    echo "warning: expected redis-server 7.0.15, found '$version'" >&2
fi

port="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
workdir="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$workdir"
}
trap cleanup EXIT

"$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$workdir" --daemonize no --logfile "$workdir/redis.log" &
pid=$!

python3 - "$port" "$out" <<'PY'
import os, socket, sys, time

port, out = int(sys.argv[1]), sys.argv[2]

# ---- connect (wait for the server to come up) -------------------------------
deadline = time.time() + 10
while True:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("redis-server did not start on port %d" % port)
        time.sleep(0.05)

buf = bytearray()

def fill():
    chunk = sock.recv(1 << 16)
    if not chunk:
        sys.exit("connection closed by server")
    buf.extend(chunk)

def line(pos):
    while True:
        end = buf.find(b"\r\n", pos)
        if end >= 0:
            return bytes(buf[pos:end]), end + 2
        fill()

def need(n):
    while len(buf) < n:
        fill()

# ---- RESP3 parse: node = (type_byte, payload) -------------------------------
#  aggregates  '*' '~' '>' -> list of nodes;  '%' '|' -> list of (k, v)
#  blobs       '$' '=' '!' -> bytes (None for $-1);  others -> raw line bytes
def parse(pos):
    hdr, pos = line(pos)
    if not hdr:
        raise ValueError("empty RESP header")
    t, rest = hdr[:1], hdr[1:]
    if t in (b"$", b"=", b"!"):
        n = int(rest)
        if n < 0:
            return (t, None), pos
        need(pos + n + 2)
        if buf[pos + n:pos + n + 2] != b"\r\n":
            raise ValueError("bad blob terminator")
        return (t, bytes(buf[pos:pos + n])), pos + n + 2
    if t in (b"*", b"~", b">"):
        n = int(rest)
        if n < 0:
            return (t, None), pos
        items = []
        for _ in range(n):
            v, pos = parse(pos)
            items.append(v)
        return (t, items), pos
    if t in (b"%", b"|"):
        items = []
        for _ in range(int(rest)):
            k, pos = parse(pos)
            v, pos = parse(pos)
            items.append((k, v))
        return (t, items), pos
    if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return (t, rest), pos
    raise ValueError("unknown RESP3 type %r" % t)

def reply():
    v, pos = parse(0)
    raw = bytes(buf[:pos])
    del buf[:pos]
    return v, raw

def ser(node, o):
    t, p = node
    if t in (b"$", b"=", b"!"):
        if p is None:
            o += t + b"-1\r\n"
        else:
            o += t + b"%d\r\n" % len(p) + p + b"\r\n"
    elif t in (b"*", b"~", b">"):
        if p is None:
            o += t + b"-1\r\n"
        else:
            o += t + b"%d\r\n" % len(p)
            for v in p:
                ser(v, o)
    elif t in (b"%", b"|"):
        o += t + b"%d\r\n" % len(p)
        for k, v in p:
            ser(k, o)
            ser(v, o)
    else:
        o += t + p + b"\r\n"
    return o

def enc(*args):
    o = b"*%d\r\n" % len(args)
    for a in args:
        o += b"$%d\r\n%s\r\n" % (len(a), a)
    return o

def call(*args):
    sock.sendall(enc(*args))
    return reply()

# ---- capture ----------------------------------------------------------------
hello, _ = call(b"HELLO", b"3")
if hello[0] != b"%":
    sys.exit("HELLO 3 failed: %r" % (hello,))
docs, docs_raw = call(b"COMMAND", b"DOCS")
info, info_raw = call(b"COMMAND", b"INFO")
sock.close()
assert ser(docs, bytearray()) == docs_raw, "RESP3 round trip failed (DOCS)"
assert ser(info, bytearray()) == info_raw, "RESP3 round trip failed (INFO)"
assert docs[0] == b"%" and info[0] == b"*"

# ---- helpers on the tree ----------------------------------------------------
def blob(s):
    return (b"$", s.encode() if isinstance(s, str) else s)

def simple(s):
    return (b"+", s.encode())

def mget(node, key):
    for k, v in node[1]:
        if k[1] == key:
            return v
    return None

def info_name(entry):
    return entry[1][0][1]

def sort_docs(m):
    m[1].sort(key=lambda kv: kv[0][1])
    for _, v in m[1]:
        sub = mget(v, b"subcommands")
        if sub is not None:
            sort_docs(sub)

def sort_info(arr):
    arr[1].sort(key=info_name)
    for e in arr[1]:
        sort_info(e[1][9])

# ---- Redis 7.2 additions (DOCS in 7.0 shape; no display_text in 7.0) -------
def arg(**kw):
    order = ["name", "type", "key_spec_index", "token", "summary", "since",
             "flags", "deprecated_since", "arguments"]
    fields = []
    for k in order:
        if k in kw:
            v = kw[k]
            if isinstance(v, str):
                v = blob(v)
            fields.append((blob(k), v))
    return (b"%", fields)

def docs_entry(summary, since, group, complexity, arguments):
    return (b"%", [
        (blob("summary"), blob(summary)),
        (blob("since"), blob(since)),
        (blob("group"), blob(group)),
        (blob("complexity"), blob(complexity)),
        (blob("arguments"), (b"*", arguments)),
    ])

ADDED_DOCS = [
    (b"client|setinfo", docs_entry(
        "Sets information specific to the client or connection.", "7.2.0",
        "connection", "O(1)",
        [arg(name="attr", type="oneof", arguments=(b"*", [
            arg(name="libname", type="string", token="lib-name"),
            arg(name="libver", type="string", token="lib-ver"),
        ]))])),
    (b"client|no-touch", docs_entry(
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
        "7.2.0", "connection", "O(1)",
        [arg(name="enabled", type="oneof", arguments=(b"*", [
            arg(name="on", type="pure-token", token="ON"),
            arg(name="off", type="pure-token", token="OFF"),
        ]))])),
]

def empty_set():
    return (b"~", [])

def info_entry(name, arity, flags, categories):
    # Same shape Redis 7.0 gives a keyless, tip-less subcommand such as
    # client|setname: empty sets for tips, key specs and subcommands.
    return (b"*", [
        blob(name), (b":", b"%d" % arity),
        (b"~", [simple(f) for f in flags]),
        (b":", b"0"), (b":", b"0"), (b":", b"0"),
        (b"~", [simple(c) for c in categories]),
        empty_set(), empty_set(), empty_set(),
    ])

ADDED_INFO = [
    info_entry("client|setinfo", 4, ["noscript", "loading", "stale"], ["@slow", "@connection"]),
    info_entry("client|no-touch", 3, ["noscript", "loading", "stale"], ["@slow", "@connection"]),
]

# Sanity check that the template shape matches what this server reports.
setname = [e for e in next(e for e in info[1] if info_name(e) == b"client")[1][9][1]
           if info_name(e) == b"client|setname"]
if setname:
    want = info_entry("client|setname", 3, ["noscript", "loading", "stale"], ["@slow", "@connection"])
    if ser(setname[0], bytearray()) != ser(want, bytearray()):
        print("warning: client|setname INFO shape differs from the 7.2 template", file=sys.stderr)

client_docs = mget(mget(docs, b"client"), b"subcommands")
for name, entry in ADDED_DOCS:
    if mget(client_docs, name) is None:
        client_docs[1].append((blob(name), entry))

client_info = next(e for e in info[1] if info_name(e) == b"client")[1][9]
have = {info_name(e) for e in client_info[1]}
for entry in ADDED_INFO:
    if info_name(entry) not in have:
        client_info[1].append(entry)

sort_docs(docs)
sort_info(info)

data = bytes(ser(docs, bytearray()) + ser(info, bytearray()))
tmp = out + ".tmp"
with open(tmp, "wb") as f:
    f.write(data)
os.replace(tmp, out)
print("wrote %s: %d bytes, %d commands in DOCS, %d in INFO"
      % (out, len(data), len(docs[1]), len(info[1])))
PY
