//! Lua scripting, byte for byte against redis-server 7.0.15, with keys on 4 shards, in RESP2
//! and RESP3; and the atomicity of scripts whose keys span shards, declared or not.

mod common;
use common::*;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One command: its arguments.
type Cmd = Vec<Vec<u8>>;

fn c(args: &[&str]) -> Cmd {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

/// EVAL `script` with `keys` and `args`.
fn ev(script: &str, keys: &[&str], args: &[&str]) -> Cmd {
    let mut cmd = c(&["EVAL", script]);
    cmd.push(keys.len().to_string().into_bytes());
    cmd.extend(keys.iter().chain(args).map(|a| a.as_bytes().to_vec()));
    cmd
}

/// Runs each case (a list of commands) on a fresh connection to both servers, in RESP2 and
/// then again in RESP3 (after HELLO 3), and compares every reply byte for byte. The servers
/// keep their data between cases, so a case sees what the earlier ones wrote, on both.
fn compare(cases: &[Vec<Cmd>]) {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    for resp3 in [false, true] {
        for case in cases {
            let run = |port: u16| {
                let mut raw = Raw::connect(port);
                if resp3 {
                    raw.cmd(&[b"HELLO", b"3"]);
                }
                let mut out = Vec::new();
                for cmd in case {
                    let args: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
                    out.extend(raw.cmd(&args));
                    out.extend(b"\n");
                }
                out
            };
            let want = run(redis.port);
            let got = run(shardis.port);
            let shown: Vec<String> =
                case.iter().map(|cmd| cmd.iter().map(|a| s(a)).collect::<Vec<_>>().join(" ")).collect();
            assert_eq!(s(&got), s(&want), "resp3={resp3} case {shown:?}");
        }
    }
}

#[test]
fn eval_replies_and_conversions() {
    compare(&[
        vec![
            ev("return 1", &[], &[]),
            ev("return 'x'", &[], &[]),
            ev("return 3.99", &[], &[]),
            ev("return -3.99", &[], &[]),
        ],
        vec![
            ev("return {1,2,3.7,'x',true,false,nil,4}", &[], &[]),
            ev("return true", &[], &[]),
            ev("return false", &[], &[]),
        ],
        vec![ev("return nil", &[], &[]), ev("return {}", &[], &[]), ev("return {{1,{2,{3}}},'a'}", &[], &[])],
        vec![
            ev("return {ok='st'}", &[], &[]),
            ev("return {err='My Error'}", &[], &[]),
            ev("return {err='x', ok='y'}", &[], &[]),
        ],
        vec![
            ev("return {err='line\\r\\nbreak'}", &[], &[]),
            ev("return {ok=1}", &[], &[]),
            ev("return {err=1}", &[], &[]),
        ],
        vec![ev("return {1, {err='inner'}, {ok='o'}}", &[], &[]), ev("return redis.status_reply('fine')", &[], &[])],
        vec![ev("return redis.error_reply('x')", &[], &[]), ev("return redis.error_reply('x y')", &[], &[])],
        vec![ev("return redis.error_reply()", &[], &[]), ev("return redis.status_reply()", &[], &[])],
        vec![
            ev("return redis.error_reply('-x')", &[], &[]),
            ev("return {err='-x'}", &[], &[]),
            ev("return redis.error_reply('-')", &[], &[]),
        ],
        vec![ev("local t = redis.error_reply('x') return {type(t), t.err}", &[], &[]), ev("return {err=''}", &[], &[])],
        vec![ev("return {double=3.5}", &[], &[]), ev("return {big_number='123456789012345678901234567890'}", &[], &[])],
        vec![ev("return {map={a=1}}", &[], &[]), ev("return {set={a=true}}", &[], &[])],
        vec![ev("return {verbatim_string={format='txt', string='hello'}}", &[], &[])],
        vec![
            ev("return KEYS", &["a", "b"], &["c"]),
            ev("return ARGV", &["a"], &["b", "c", ""]),
            ev("return {#KEYS, #ARGV}", &[], &[]),
        ],
        vec![ev("return 12345678901234", &[], &[]), ev("return 1e300", &[], &[]), ev("return -0.5", &[], &[])],
        vec![ev("return tostring(1e15)", &[], &[]), ev("return tostring(0.1)", &[], &[])],
    ]);
}

#[test]
fn calls_and_their_replies() {
    compare(&[
        vec![c(&["SET", "s", "abc"]), ev("return redis.call('get', 's')", &[], &[]), ev("return redis.call('get', 'nokey')", &[], &[])],
        vec![ev("return type(redis.call('get', 'nokey'))", &[], &[]), ev("return redis.call('incr','s')", &[], &[])],
        vec![ev("return redis.pcall('incr','s')", &[], &[]), ev("local ok, e = pcall(redis.call,'incr','s') return e", &[], &[])],
        vec![ev("local ok, e = pcall(redis.call,'incr','s') return {type(e)}", &[], &[])],
        vec![ev("local e = redis.pcall('incr','s') return e.err", &[], &[])],
        vec![ev("return redis.call('lpush','s','x')", &[], &[]), ev("redis.call('incr','s')", &[], &[])],
        vec![ev("return redis.call('nosuch')", &[], &[]), ev("return redis.pcall('nosuch')", &[], &[]), ev("return redis.call()", &[], &[])],
        vec![ev("return redis.call({})", &[], &[]), ev("return redis.call('get', {})", &[], &[]), ev("return redis.call('get')", &[], &[])],
        vec![ev("return redis.call('set', 'k', 1.5)", &[], &[]), ev("return redis.call('get', 'k')", &[], &[])],
        vec![ev("redis.call('set', 'k', 1e20) return redis.call('get', 'k')", &[], &[])],
        vec![ev("redis.call('set', 'k', 0.1) return redis.call('get', 'k')", &[], &[])],
        vec![ev("redis.call('set', 'k', 42) return redis.call('get', 'k')", &[], &[])],
        vec![ev("return redis.call('multi')", &[], &[]), ev("return redis.call('eval', 'return 1', '0')", &[], &[])],
        vec![ev("return redis.call('client', 'id')", &[], &[]), ev("return redis.call('ping')", &[], &[])],
        vec![ev("return redis.call('echo', 'hi')", &[], &[]), ev("return redis.call('type', 's')", &[], &[])],
        vec![c(&["DEL", "l"]), ev("redis.call('rpush','l','a','b','c') return redis.call('lrange','l',0,-1)", &["l"], &[])],
        vec![ev("return redis.call('hset','h','f','v','g','w')", &["h"], &[]), ev("return redis.call('hgetall','h')", &["h"], &[])],
        vec![ev("return redis.call('exists','h','l','s','zz')", &[], &[]), ev("return redis.call('del','h')", &["h"], &[])],
        vec![ev("redis.call('zadd','z',1,'a',2.5,'b') return redis.call('zrange','z',0,-1,'withscores')", &["z"], &[])],
        vec![ev("return redis.call('zscore','z','b')", &["z"], &[]), ev("return redis.call('zincrby','z',1,'b')", &["z"], &[])],
        vec![ev("redis.setresp(3) return redis.call('zscore','z','b')", &["z"], &[])],
        vec![ev("redis.setresp(3) return redis.call('hgetall','nohash')", &[], &[])],
        vec![ev("redis.setresp(3) redis.call('hset','h3','a','1') return redis.call('hgetall','h3')", &["h3"], &[])],
        vec![ev("redis.setresp(3) local r = redis.call('hgetall','h3') return r.map.a", &["h3"], &[])],
        vec![ev("redis.setresp(3) redis.call('sadd','st','m') local r = redis.call('smembers','st') return tostring(r.set.m)", &["st"], &[])],
        vec![ev("redis.setresp(3) return redis.call('smembers','st')", &["st"], &[])],
        vec![ev("redis.setresp(3) return {redis.call('get','nokey') == nil}", &[], &[])],
        vec![ev("redis.setresp(3) local d = redis.call('zscore','z','a') return d.double", &["z"], &[])],
        vec![ev("return redis.setresp(4)", &[], &[]), ev("return redis.setresp()", &[], &[])],
        vec![ev("redis.call('select', 5) redis.call('set', 'in5', 'x') return redis.call('get', 'in5')", &[], &[])],
        vec![c(&["GET", "in5"]), c(&["SELECT", "5"]), c(&["GET", "in5"]), c(&["SELECT", "0"])],
        vec![ev("return redis.call('blpop', 'emptylist', 0)", &[], &[]), ev("return redis.call('brpoplpush', 'e1', 'e2', 0)", &[], &[])],
    ]);
}

#[test]
fn errors_and_the_sandbox() {
    compare(&[
        vec![ev("x = 1", &[], &[]), ev("return y", &[], &[]), ev("string.foo = 1", &[], &[]), ev("redis.call = 1", &[], &[])],
        vec![ev("return print", &[], &[]), ev("return debug", &[], &[]), ev("return getfenv", &[], &[]), ev("return os", &[], &[])],
        vec![ev("return {type(coroutine), type(load), type(gcinfo), type(loadstring), type(unpack), type(collectgarbage)}", &[], &[])],
        vec![ev("local t={} for k,v in pairs(_G) do t[#t+1]=k..'='..type(v) end table.sort(t) return t", &[], &[])],
        vec![ev("local t={} for k,v in pairs(redis) do t[#t+1]=k..'='..type(v) end table.sort(t) return t", &[], &[])],
        vec![ev("local t={} for k,v in pairs(string) do t[#t+1]=k end table.sort(t) return t", &[], &[])],
        vec![ev("local t = {} t.x = 1 return t.x", &[], &[]), ev("setmetatable(_G, nil)", &[], &[])],
        vec![ev("return _G.zz", &[], &[]), ev("rawset(_G, 'q', 1) return 1", &[], &[]), ev("_G.x = 1", &[], &[])],
        vec![ev("local ok, e = pcall(rawset, _G, 'a', 1) return {type(e), e}", &[], &[])],
        vec![ev("local ok, e = pcall(function() x = 1 end) return {type(e), e}", &[], &[])],
        vec![ev("local ok, e = pcall(error, 'x') return {type(e), e}", &[], &[])],
        vec![ev("local ok, e = pcall(string.rep) return {type(e), e}", &[], &[])],
        vec![ev("local ok,e = pcall(error, {err='x'}) return e", &[], &[]), ev("local ok,e = pcall(error, {foo='x'}) return type(e)", &[], &[])],
        vec![ev("local ok,e = pcall(function() error({err='x'}) end) return e", &[], &[])],
        vec![ev("local ok,e = xpcall(function() error({err='x'}) end, function(m) return type(m) end) return e", &[], &[])],
        vec![ev("error('boom')", &[], &[]), ev("error({err='tbl'})", &[], &[]), ev("error()", &[], &[]), ev("error(12)", &[], &[])],
        vec![ev("error('WRONGTYPE x', 0)", &[], &[]), ev("error('ERR x', 0)", &[], &[]), ev("error({err='x'}, 2)", &[], &[])],
        vec![ev("local ok,e = pcall(function() return redis.call('incr','s') end) error(e)", &[], &[])],
        vec![ev("\nlocal x = 1\nreturn redis.call('lpush','s','x')", &[], &[]), ev("local function f() return redis.call('incr','s') end return f()", &[], &[])],
        vec![ev("return 1 +", &[], &[]), ev("return redis.call('nosuch')", &[], &[]), ev("return {pcall(redis.error_reply)}", &[], &[])],
        vec![ev("return redis.sha1hex('')", &[], &[]), ev("return redis.sha1hex(1)", &[], &[]), ev("return redis.sha1hex()", &[], &[])],
        vec![ev("return redis.log()", &[], &[]), ev("return redis.log(99, 'x')", &[], &[]), ev("return redis.log(redis.LOG_WARNING, 'from a test', 1)", &[], &[])],
        vec![ev("return redis.set_repl()", &[], &[]), ev("return redis.set_repl(99)", &[], &[]), ev("return redis.set_repl(redis.REPL_ALL)", &[], &[])],
        vec![ev("return redis.replicate_commands()", &[], &[]), ev("return redis.breakpoint()", &[], &[]), ev("return redis.debug('x')", &[], &[])],
        vec![ev("return redis.acl_check_cmd()", &[], &[]), ev("return redis.acl_check_cmd('nosuch')", &[], &[]), ev("return redis.acl_check_cmd('get','x')", &[], &[])],
        vec![ev("return {redis.LOG_DEBUG,redis.LOG_VERBOSE,redis.LOG_NOTICE,redis.LOG_WARNING,redis.REPL_NONE,redis.REPL_AOF,redis.REPL_SLAVE,redis.REPL_REPLICA,redis.REPL_ALL}", &[], &[])],
        vec![ev("return math.random(0)", &[], &[]), ev("return math.random(1,2,3)", &[], &[]), ev("return math.random(3,1)", &[], &[])],
        vec![ev("math.randomseed() return 1", &[], &[]), ev("return {pcall(math.random, 0)}", &[], &[])],
        vec![ev("math.randomseed(42) return {math.random(100), math.random(5, 10), math.random(1000000)}", &[], &[])],
        vec![ev("return (\"x\"):rep(3)", &[], &[]), ev("return string.format('%5.2f|%d|%s', 3.14159, 42, 'x')", &[], &[])],
        vec![ev("return table.concat({1,2,3}, ',')", &[], &[]), ev("return select('#', 1, 2, 3)", &[], &[])],
        vec![ev("local co = coroutine.wrap(function() coroutine.yield(1) end) return co()", &[], &[])],
        vec![ev("return loadstring('return 7')()", &[], &[]), ev("return tonumber('0x10')", &[], &[])],
        vec![ev("return cjson.encode({1,2,{a=1}})", &[], &[]), ev("return cjson.decode('[1,2,{\"a\":[3]}]')[3].a[1]", &[], &[])],
        vec![ev("return cjson.encode(cjson.decode('{\"a\":null}'))", &[], &[]), ev("return {pcall(cjson.encode, function() end)}", &[], &[])],
        vec![ev("return cjson.encode({[1]=1, [4]=2})", &[], &[]), ev("return cjson.encode({1, nil, 3})", &[], &[]), ev("cjson.foo = 1", &[], &[])],
        vec![ev("return bit.tohex(-1)", &[], &[]), ev("return struct.pack('>i2', 5)", &[], &[]), ev("return {cmsgpack.unpack(cmsgpack.pack({1,2,3}, 'x'))}", &[], &[])],
        vec![ev("return {pcall(string.byte, string.rep('a', 40), 1, 40)}", &[], &[]), ev("return {struct.unpack('<I4', 'abcd')}", &[], &[])],
        vec![ev("return cjson.decode('[1,')", &[], &[]), ev("return cjson.encode(0.1)", &[], &[]), ev("return cjson.encode('a/\"b')", &[], &[])],
    ]);
}

#[test]
fn eval_arguments_shebangs_and_the_cache() {
    compare(&[
        vec![
            c(&["EVAL", "return 1", "-1"]),
            c(&["EVAL", "return 1", "2", "a"]),
            c(&["EVAL", "return 1", "x"]),
            c(&["EVAL", "return 1"]),
        ],
        vec![c(&["EVALSHA", "0000000000000000000000000000000000000000", "0"]), c(&["EVALSHA", "abc", "0"])],
        vec![
            c(&["SCRIPT", "LOAD", "return 'loaded'"]),
            c(&["EVALSHA", "1f2a5e9f6d7c8b3a4e5d6c7b8a9f0e1d2c3b4a59", "0"]),
        ],
        vec![
            c(&["SCRIPT", "LOAD", "return 'loaded'"]),
            c(&["EVALSHA", "ab2e6fc4d1ad7fd3b21d4b5e2b4c9b6f2a3b1b0b", "0"]),
        ],
        vec![c(&["SCRIPT", "LOAD", "return 1 +"]), c(&["SCRIPT", "LOAD"]), c(&["SCRIPT", "LOAD", "a", "b"])],
        vec![c(&["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "x"]), ev("return 1", &[], &[])],
        vec![c(&[
            "SCRIPT",
            "EXISTS",
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
            "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB",
        ])],
        vec![
            c(&["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"]),
            c(&["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]),
        ],
        vec![
            c(&["SCRIPT", "FLUSH", "foo"]),
            c(&["SCRIPT", "FLUSH", "ASYNC"]),
            c(&["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"]),
        ],
        vec![
            c(&["SCRIPT", "FLUSH"]),
            c(&["SCRIPT", "FLUSH", "SYNC"]),
            c(&["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]),
        ],
        vec![c(&["SCRIPT", "KILL"]), c(&["SCRIPT"]), c(&["SCRIPT", "FOO"]), c(&["SCRIPT", "HELP"])],
        vec![
            ev("#!lua\nerror('x')", &[], &[]),
            ev("#!lua flags=no-writes\nreturn redis.call('set','a','1')", &[], &[]),
        ],
        vec![
            ev("#!luax\nreturn 1", &[], &[]),
            ev("#!lua flags=foo\nreturn 1", &[], &[]),
            ev("#!lua foo=bar\nreturn 1", &[], &[]),
        ],
        vec![ev("#!lua", &[], &[]), ev("#!lua flags=\nreturn 1", &[], &[]), ev("#!lua name=x\nreturn 1", &[], &[])],
        vec![
            ev("#! lua\nreturn 1", &[], &[]),
            ev("#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 2", &[], &[]),
        ],
        vec![
            c(&["EVAL_RO", "return redis.call('set','a','1')", "0"]),
            c(&["EVAL_RO", "#!lua\nreturn redis.call('set','a','1')", "0"]),
        ],
        vec![
            c(&["EVAL_RO", "return redis.call('get','a')", "1", "a"]),
            c(&["EVAL_RO", "#!lua flags=no-writes\nreturn 5", "0"]),
        ],
        vec![
            c(&["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"]),
            c(&["COMMAND", "GETKEYS", "EVAL", "return 1", "0"]),
        ],
        vec![c(&["COMMAND", "INFO", "eval", "evalsha", "eval_ro", "evalsha_ro"])],
        vec![c(&["MULTI"]), ev("return redis.call('incr', KEYS[1])", &["mx"], &[]), c(&["INCR", "mx"]), c(&["EXEC"])],
        vec![
            c(&["MULTI"]),
            ev("return redis.call('incr', 'undeclared')", &[], &[]),
            c(&["GET", "undeclared"]),
            c(&["EXEC"]),
        ],
    ]);
}

/// Moves one unit between two keys, from a script, keys declared (or not: then computed from
/// ARGV).
const MOVE_DECLARED: &str = "local a = tonumber(redis.call('get', KEYS[1]) or '0') \
    redis.call('set', KEYS[1], a - 1) \
    redis.call('incrby', KEYS[2], 1) return 1";
const MOVE_UNDECLARED: &str = "local a = tonumber(redis.call('get', ARGV[1]) or '0') \
    redis.call('set', ARGV[1], a - 1) \
    redis.call('incrby', ARGV[2], 1) return 1";

/// The invariant users rely on: scripts moving amounts between keys on different shards, with
/// keys declared and not, never let a reader see money created or destroyed, and nothing is
/// lost when a client disconnects mid-way.
#[test]
fn transfers_across_shards_keep_the_total() {
    let shardis = Proc::shardis(&[]);
    let keys: Vec<String> = (0..SHARDS).map(|s| key_on_shard("acct", s, SHARDS)).collect();
    let mut setup = shardis.client();
    for k in &keys {
        let _: () = redis::cmd("SET").arg(k).arg(1000).query(&mut setup).unwrap();
    }
    let total = 1000 * keys.len() as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (keys, port) = (keys.clone(), shardis.port);
        writers.push(std::thread::spawn(move || {
            let mut conn = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
            // Two scripts waiting for each other's shard would hang here: fail instead.
            conn.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
            let mut rng = fastrand::Rng::with_seed(w);
            for i in 0..300 {
                let (a, b) = (rng.usize(..keys.len()), rng.usize(..keys.len()));
                let script = if i % 2 == 0 { MOVE_DECLARED } else { MOVE_UNDECLARED };
                let (nkeys, names): (usize, Vec<&str>) =
                    if i % 2 == 0 { (2, vec![&keys[a], &keys[b]]) } else { (0, vec![&keys[a], &keys[b]]) };
                let _: i64 = redis::cmd("EVAL").arg(script).arg(nkeys).arg(&names).query(&mut conn).unwrap();
                if i % 50 == 49 {
                    // A client that sends a script and goes away without reading the reply.
                    let mut raw = Raw::connect(port);
                    let args: Vec<&[u8]> =
                        vec![b"EVAL", MOVE_UNDECLARED.as_bytes(), b"0", keys[b].as_bytes(), keys[a].as_bytes()];
                    raw.send(&encode(&args));
                }
            }
        }));
    }
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (keys, port, stop) = (keys.clone(), shardis.port, stop.clone());
            std::thread::spawn(move || {
                let mut conn =
                    redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap().get_connection().unwrap();
                let mut seen = 0;
                while !stop.load(Ordering::Relaxed) {
                    let values: Vec<i64> = redis::cmd("MGET").arg(&keys).query(&mut conn).unwrap();
                    assert_eq!(values.iter().sum::<i64>(), total, "a reader saw a script half done: {values:?}");
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let values: Vec<i64> = redis::cmd("MGET").arg(&keys).query(&mut setup).unwrap();
    assert_eq!(values.iter().sum::<i64>(), total);
}

/// A script that wrote on its own shard, then touches a key of another shard, escalates: its
/// first run's writes are undone (the INCR is applied once, not twice), and it is remembered.
#[test]
fn escalation_undoes_and_runs_once_more() {
    let shardis = Proc::shardis(&[]);
    let a = key_on_shard("esc", 0, SHARDS);
    let b = key_on_shard("esc", 1, SHARDS);
    let mut conn = shardis.client();
    let script = "redis.call('incr', KEYS[1]) redis.call('rpush', KEYS[1]..':log', 'x') \
        redis.call('incr', ARGV[1]) return redis.call('get', KEYS[1])";
    for round in 1..=3 {
        let got: i64 = redis::cmd("EVAL").arg(script).arg(1).arg(&a).arg(&b).query(&mut conn).unwrap();
        assert_eq!(got, round);
        let other: i64 = redis::cmd("GET").arg(&b).query(&mut conn).unwrap();
        assert_eq!(other, round);
        let log: i64 = redis::cmd("LLEN").arg(format!("{a}:log")).query(&mut conn).unwrap();
        assert_eq!(log, round);
    }
}

/// The undo log of a run that escalates puts back big collections written piece by piece
/// (only what each write changed is saved, see `scripting::undo`): after scripts that write
/// every kind of big collection, then touch another shard's key, everything matches Redis,
/// where each script ran once.
#[test]
fn escalation_undoes_writes_to_big_collections() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let tag = key_on_shard("q", 0, SHARDS);
    let k = |name: &str| format!("{{{tag}}}:{name}");
    let keys = [k("z"), k("h"), k("s"), k("l"), k("s2"), k("l2")];
    let other = key_on_shard("other", 1, SHARDS);
    let script = "local z, h, s, l = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        redis.call('zadd', z, 5, 'new1', 7, 'm1')
        redis.call('zadd', z, 'xx', 'ch', 1000, 'm2')
        redis.call('zincrby', z, 3, 'm3')
        redis.call('zrem', z, 'm4', 'nosuch')
        redis.call('zpopmin', z, 2)
        redis.call('zpopmax', z)
        redis.call('hset', h, 'f1', 'changed', 'fnew', 'v')
        redis.call('hincrby', h, 'n', 5)
        redis.call('hsetnx', h, 'f2', 'no')
        redis.call('hdel', h, 'f3')
        redis.call('sadd', s, 'new', 'a1')
        redis.call('srem', s, 'a2')
        redis.call('smove', s, KEYS[5], 'a3')
        redis.call('lpush', l, 'x', 'y')
        redis.call('rpush', l, 'z')
        redis.call('lpop', l, 3)
        redis.call('rpop', l)
        redis.call('rpoplpush', l, l)
        redis.call('lmove', l, KEYS[6], 'left', 'right')
        redis.call('expire', z, 1000)
        redis.call('persist', h)
        redis.call('pexpireat', s, '99999999999999')
        return redis.call('incr', ARGV[1])";
    let dump = |conn: &mut redis::Connection| -> Vec<String> {
        let mut out = Vec::new();
        let z: Vec<(String, f64)> =
            redis::cmd("ZRANGE").arg(&keys[0]).arg(0).arg(-1).arg("WITHSCORES").query(conn).unwrap();
        out.push(format!("{z:?}"));
        let mut h: Vec<(String, String)> = redis::cmd("HGETALL").arg(&keys[1]).query(conn).unwrap();
        h.sort();
        out.push(format!("{h:?}"));
        for set in [&keys[2], &keys[4]] {
            let mut m: Vec<String> = redis::cmd("SMEMBERS").arg(set).query(conn).unwrap();
            m.sort();
            out.push(format!("{m:?}"));
        }
        for list in [&keys[3], &keys[5]] {
            let l: Vec<String> = redis::cmd("LRANGE").arg(list).arg(0).arg(-1).query(conn).unwrap();
            out.push(format!("{l:?}"));
        }
        for key in &keys {
            let ttl: i64 = redis::cmd("TTL").arg(key).query(conn).unwrap();
            let enc: String = redis::cmd("OBJECT").arg("ENCODING").arg(key).query(conn).unwrap();
            out.push(format!("{key} ttl>0:{} {enc}", ttl > 0));
        }
        let n: i64 = redis::cmd("GET").arg(&other).query(conn).unwrap();
        out.push(format!("other {n}"));
        out
    };
    let mut conns = [redis.client(), shardis.client()];
    for conn in &mut conns {
        let mut pipe = redis::pipe();
        for i in 0..300 {
            pipe.cmd("ZADD").arg(&keys[0]).arg(i).arg(format!("m{i}")).ignore();
            pipe.cmd("HSET").arg(&keys[1]).arg(format!("f{i}")).arg(i).ignore();
            pipe.cmd("SADD").arg(&keys[2]).arg(format!("a{i}")).ignore();
            pipe.cmd("SADD").arg(&keys[4]).arg(format!("b{i}")).ignore();
            pipe.cmd("RPUSH").arg(&keys[3]).arg(format!("e{i}")).ignore();
            pipe.cmd("RPUSH").arg(&keys[5]).arg(format!("g{i}")).ignore();
        }
        pipe.cmd("HSET").arg(&keys[1]).arg("n").arg(1).ignore();
        pipe.cmd("EXPIRE").arg(&keys[1]).arg(5000).ignore();
        pipe.query::<()>(conn).unwrap();
    }
    for round in 0..3 {
        // A new script each round, so each one's first run is on one shard and escalates.
        let body = format!("{script} -- round {round}");
        let got: Vec<i64> = conns
            .iter_mut()
            .map(|conn| redis::cmd("EVAL").arg(&body).arg(keys.len()).arg(&keys).arg(&other).query(conn).unwrap())
            .collect();
        assert_eq!(got, [round + 1, round + 1]);
        let [a, b] = &mut conns;
        assert_eq!(dump(b), dump(a), "round {round}");
    }
}

const LIB: &str = "#!lua name=lib1
redis.register_function('f1', function(keys, args) error('boom') end)";
const LIB2: &str = "#!lua name=lib2
local function helper() return string.len('abc') end
redis.register_function{function_name='f2', callback=function(keys, args) return {helper(), keys, args} end, flags={'no-writes','allow-oom'}, description='two'}";
const LIB3: &str = "#!lua name=lib3
redis.register_function('f3', function(keys, args) return redis.call('incr', keys[1]) end)";

fn fload(code: &str) -> Cmd {
    c(&["FUNCTION", "LOAD", code])
}

#[test]
fn functions() {
    let bad = |body: &str| fload(&format!("#!lua name=bad\n{body}"));
    compare(&[
        vec![c(&["FUNCTION", "FLUSH"]), fload(LIB), fload(LIB), fload(LIB2), fload(LIB3), c(&["FUNCTION", "STATS"])],
        vec![c(&["FCALL", "f1", "0"]), c(&["FCALL", "f2", "2", "a", "b", "c"]), c(&["FCALL", "f3", "1", "cnt"])],
        vec![c(&["FCALL", "f3", "x"]), c(&["FCALL", "f3", "5", "a"]), c(&["FCALL", "f3", "-1"]), c(&["FCALL", "nosuch", "0"])],
        vec![c(&["FCALL_RO", "f2", "0"]), c(&["FCALL_RO", "f3", "1", "cnt"]), c(&["SET", "str", "x"]), c(&["FCALL", "f3", "1", "str"])],
        vec![c(&["FUNCTION", "LIST", "LIBRARYNAME", "lib2", "WITHCODE"]), c(&["FUNCTION", "LIST", "LIBRARYNAME", "lib3"])],
        vec![c(&["FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"]), c(&["FUNCTION", "LIST", "x"]), c(&["FUNCTION", "LIST", "LIBRARYNAME"])],
        vec![c(&["FUNCTION", "LIST", "WITHCODE", "WITHCODE"]), c(&["FUNCTION", "DELETE", "nosuch"]), c(&["FUNCTION", "DELETE"])],
        vec![c(&["FUNCTION", "DELETE", "lib1"]), c(&["FCALL", "f1", "0"]), c(&["FUNCTION", "STATS"]), c(&["FUNCTION", "KILL"])],
        vec![c(&["FUNCTION", "LOAD", "REPLACE", LIB3]), c(&["FUNCTION", "LOAD", "FOO", LIB3]), c(&["FUNCTION", "FLUSH", "x"])],
        vec![fload("#!lua\nreturn 1"), fload("#!lua name=\nx"), fload("#!lua name=a-b\nx"), fload("#!lua name=ok foo=bar\nx")],
        vec![fload("return 1"), fload("#!luax name=l\nx"), fload("#!lua name=l name=m\nx"), bad("")],
        vec![bad("redis.register_function('a-b', function() end)"), bad("redis.register_function('f3', function() end)")],
        vec![bad("redis.register_function()"), bad("redis.register_function('x')"), bad("redis.register_function('x', 1)")],
        vec![bad("redis.register_function{function_name='x', callback=function() end, flags={'bad'}}")],
        vec![bad("redis.register_function{function_name='x', callback=function() end, foo=1}")],
        vec![bad("redis.register_function{callback=function() end}"), bad("return 1 +"), bad("x = 1")],
        vec![bad("local f = redis.call"), bad("local t = string"), bad("redis.register_function('a', function() end) redis.register_function('a', function() end)")],
        vec![bad("redis.register_function('x', function() return 1 end) redis.log(redis.LOG_WARNING, 'hi') return redis.REDIS_VERSION")],
        vec![fload("#!lua name=inf\nwhile true do end"), fload("#!lua name=inf\nlocal t = {} while true do t[1] = 1 end")],
        // One library left: DUMP orders libraries as its hash table does, which is no order.
        vec![c(&["FCALL", "x", "0"]), c(&["FUNCTION", "DELETE", "bad"]), c(&["FUNCTION", "DELETE", "lib2"]), c(&["FUNCTION", "DUMP"])],
        vec![c(&["FUNCTION", "RESTORE", "xx"]), c(&["FUNCTION", "RESTORE", "xx", "FOO"]), c(&["FUNCTION", "STATS", "x"])],
        vec![c(&["FUNCTION", "HELP"]), c(&["FUNCTION"]), c(&["FUNCTION", "FLUSH", "ASYNC"]), c(&["FUNCTION", "DUMP"])],
        vec![c(&["COMMAND", "INFO", "fcall", "fcall_ro"]), c(&["COMMAND", "GETKEYS", "FCALL", "f", "2", "a", "b", "c"])],
    ]);
}

/// FUNCTION DUMP payloads move both ways between redis-server and shardis.
#[test]
fn function_dump_and_restore_with_redis() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let bulk = |reply: Vec<u8>| -> Vec<u8> {
        let start = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
        reply[start..reply.len() - 2].to_vec()
    };
    let (mut a, mut b) = (Raw::connect(redis.port), Raw::connect(shardis.port));
    for raw in [&mut a, &mut b] {
        raw.cmd(&[b"FUNCTION", b"FLUSH"]);
    }
    assert_eq!(s(&a.cmd(&[b"FUNCTION", b"LOAD", LIB2.as_bytes()])), "$4\r\nlib2\r\n");
    assert_eq!(s(&b.cmd(&[b"FUNCTION", b"LOAD", LIB3.as_bytes()])), "$4\r\nlib3\r\n");
    let from_redis = bulk(a.cmd(&[b"FUNCTION", b"DUMP"]));
    let from_shardis = bulk(b.cmd(&[b"FUNCTION", b"DUMP"]));
    assert_eq!(s(&b.cmd(&[b"FUNCTION", b"RESTORE", &from_redis])), "+OK\r\n");
    assert_eq!(s(&a.cmd(&[b"FUNCTION", b"RESTORE", &from_shardis])), "+OK\r\n");
    // Both now hold lib2 and lib3; the same library dumps to the same bytes on both.
    for lib in ["lib2", "lib3"] {
        let list = [b"FUNCTION".as_slice(), b"LIST", b"LIBRARYNAME", lib.as_bytes(), b"WITHCODE"];
        assert_eq!(s(&b.cmd(&list)), s(&a.cmd(&list)), "{lib}");
    }
    let call = [b"FCALL".as_slice(), b"f2", b"1", b"k", b"v"];
    assert_eq!(s(&b.cmd(&call)), s(&a.cmd(&call)));
    // APPEND (the default) refuses a library that exists; REPLACE and FLUSH take it.
    assert_eq!(s(&b.cmd(&[b"FUNCTION", b"RESTORE", &from_redis])), s(&a.cmd(&[b"FUNCTION", b"RESTORE", &from_redis])));
    for policy in [b"REPLACE".as_slice(), b"FLUSH"] {
        assert_eq!(s(&b.cmd(&[b"FUNCTION", b"RESTORE", &from_redis, policy])), "+OK\r\n");
    }
    assert_eq!(s(&b.cmd(&[b"FUNCTION", b"LIST", b"LIBRARYNAME", b"lib3"])), "*0\r\n");
    // Every shard has what was restored: FCALL from many connections (on every shard).
    for _ in 0..16 {
        let mut raw = Raw::connect(shardis.port);
        assert_eq!(s(&raw.cmd(&call)), s(&a.cmd(&call)));
    }
    let mut tampered = from_redis.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(s(&b.cmd(&[b"FUNCTION", b"RESTORE", &tampered])), s(&a.cmd(&[b"FUNCTION", b"RESTORE", &tampered])));
}

/// SCRIPT LOAD, EVAL's caching and FUNCTION LOAD reach every shard before they reply: a
/// connection on any shard finds the script or function at once.
#[test]
fn loads_reach_every_shard_before_the_reply() {
    let shardis = Proc::shardis(&[]);
    let mut loader = Raw::connect(shardis.port);
    let others: Vec<Raw> = (0..16).map(|_| Raw::connect(shardis.port)).collect();
    let mut others = others;
    for i in 0..20 {
        let body = format!("return {i}");
        let sha = s(&loader.cmd(&[b"SCRIPT", b"LOAD", body.as_bytes()]));
        let sha = sha.lines().nth(1).unwrap().to_string();
        for raw in others.iter_mut() {
            assert_eq!(s(&raw.cmd(&[b"EVALSHA", sha.as_bytes(), b"0"])), format!(":{i}\r\n"));
        }
        let lib = format!("#!lua name=l{i}\nredis.register_function('fn{i}', function() return {i} end)");
        loader.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()]);
        let name = format!("fn{i}");
        for raw in others.iter_mut() {
            assert_eq!(s(&raw.cmd(&[b"FCALL", name.as_bytes(), b"0"])), format!(":{i}\r\n"));
        }
    }
}

/// A connection whose own shard is not the one a long script runs on (the owner of
/// `busy_key`), once the script has run past the threshold: one that gets -BUSY for the key
/// but not for PING.
fn connection_off(port: u16, busy_key: &str) -> Raw {
    for _ in 0..200 {
        let mut raw = Raw::connect(port);
        raw.send(&encode(&[b"GET", busy_key.as_bytes()]));
        match raw.reply_within(std::time::Duration::from_millis(500)) {
            // Busy; and PING answers PONG only off the script's shard (on it, -BUSY too).
            Ok(reply) if reply.starts_with(b"-BUSY") => {
                if raw.cmd(&[b"PING"]) == b"+PONG\r\n" {
                    return raw;
                }
            }
            // Not busy yet (the script has not started, or not for long enough).
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
            // On the script's shard: it answers when the script ends.
            Err(_) => {}
        }
    }
    panic!("no connection landed off the busy shard");
}

/// Sends `cmd` on `other` (off the script's shard) until the reply starts with `want`: the
/// script has started (commands for its shard's keys would wait until it is past the
/// threshold, so only commands that need no shard are sent).
fn until_reply(other: &mut Raw, cmd: &[&[u8]], want: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        last = s(&other.cmd(cmd));
        if last.starts_with(want) {
            return last;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("never got {want}; last {last}");
}

const BUSY_EVAL: &str = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
const BUSY_FUNCTION: &str = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// Long scripts: past busy-reply-threshold, commands that need the script's shard get -BUSY
/// (commands on other shards keep running); SCRIPT KILL stops a script that has not written,
/// FUNCTION KILL a function; a script that wrote is UNKILLABLE, and SHUTDOWN NOSAVE still
/// stops the server. Texts as redis-server 7.0.15 gives them.
#[test]
fn long_scripts_busy_kill_and_unkillable() {
    use std::time::Duration;
    let mut shardis = Proc::shardis(&["--busy-reply-threshold", "100"]);
    let busy_key = key_on_shard("busy", 0, SHARDS);
    let free_key = key_on_shard("free", 1, SHARDS);
    let spin = "local i = 0 while true do i = i + 1 end";
    let sha = s(&Raw::connect(shardis.port).cmd(&[b"SCRIPT", b"LOAD", spin.as_bytes()]));
    let sha = sha.lines().nth(1).unwrap().to_string();

    // A script that only reads: BUSY for its shard's keys, then SCRIPT KILL.
    let mut runner = Raw::connect(shardis.port);
    runner.send(&encode(&[b"EVAL", spin.as_bytes(), b"1", busy_key.as_bytes()]));
    let mut other = connection_off(shardis.port, &busy_key);
    assert_eq!(s(&other.cmd(&[b"GET", busy_key.as_bytes()])), format!("-{BUSY_EVAL}\r\n"));
    assert_eq!(s(&other.cmd(&[b"SET", free_key.as_bytes(), b"1"])), "+OK\r\n");
    assert_eq!(s(&other.cmd(&[b"FUNCTION", b"KILL"])), format!("-{BUSY_EVAL}\r\n"));
    assert_eq!(s(&other.cmd(&[b"SCRIPT", b"KILL"])), "+OK\r\n");
    let killed = runner.reply_within(Duration::from_secs(20)).expect("the killed script's reply");
    assert_eq!(
        s(&killed),
        format!("-ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:1.\r\n")
    );
    assert_eq!(s(&runner.cmd(&[b"GET", busy_key.as_bytes()])), "$-1\r\n");
    // The script's shard still wakes for other shards' messages (a busy turn may have taken
    // its wake-up and tick completions; the event loop handles them before it waits again).
    for _ in 0..20 {
        other.send(&encode(&[b"GET", busy_key.as_bytes()]));
        assert_eq!(s(&other.reply_within(Duration::from_secs(5)).expect("the busy shard woke")), "$-1\r\n");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s(&other.cmd(&[b"SCRIPT", b"KILL"])), "-NOTBUSY No scripts in execution right now.\r\n");

    // A script inside pcall is still killed (the kill error comes back until it ends).
    let caught = "while true do pcall(function() local i = 0 while true do i = i + 1 end end) end";
    runner.send(&encode(&[b"EVAL", caught.as_bytes(), b"1", busy_key.as_bytes()]));
    until_reply(&mut other, &[b"SCRIPT", b"KILL"], "+OK");
    assert!(s(&runner.reply_within(Duration::from_secs(20)).unwrap()).starts_with("-ERR Script killed by user"));

    // A function: FUNCTION KILL.
    let lib = "#!lua name=busy\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(s(&other.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()])), "$4\r\nbusy\r\n");
    runner.send(&encode(&[b"FCALL", b"spin", b"1", busy_key.as_bytes()]));
    until_reply(&mut other, &[b"SCRIPT", b"KILL"], &format!("-{BUSY_FUNCTION}"));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(s(&other.cmd(&[b"GET", busy_key.as_bytes()])), format!("-{BUSY_FUNCTION}\r\n"));
    assert_eq!(s(&other.cmd(&[b"FUNCTION", b"KILL"])), "+OK\r\n");
    let killed = runner.reply_within(Duration::from_secs(20)).unwrap();
    assert_eq!(s(&killed), "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n");

    // A script that wrote cannot be killed; SHUTDOWN NOSAVE still ends the server.
    let writes = "redis.call('set', KEYS[1], 'x') while true do end";
    runner.send(&encode(&[b"EVAL", writes.as_bytes(), b"1", busy_key.as_bytes()]));
    assert_eq!(
        until_reply(&mut other, &[b"SCRIPT", b"KILL"], "-UNKILLABLE"),
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
    );
    other.send(&encode(&[b"SHUTDOWN", b"NOSAVE"]));
    assert!(shardis.wait_exit(Duration::from_secs(5)), "SHUTDOWN NOSAVE during a script");
}

/// SLOWLOG, INFO commandstats and MONITOR see a script and the commands it calls as Redis
/// shows them; INFO memory counts scripts and functions.
#[test]
fn scripts_in_slowlog_commandstats_monitor_and_info() {
    let redis = Proc::redis(&[]);
    let shardis = Proc::shardis(&[]);
    let script = "redis.call('set', KEYS[1], '1') return redis.call('get', KEYS[1])";
    let mut seen = Vec::new();
    for port in [redis.port, shardis.port] {
        let mut raw = Raw::connect(port);
        let mut monitor = Raw::connect(port);
        assert_eq!(s(&monitor.cmd(&[b"MONITOR"])), "+OK\r\n");
        raw.cmd(&[b"CONFIG", b"SET", b"slowlog-log-slower-than", b"0"]);
        raw.cmd(&[b"SLOWLOG", b"RESET"]);
        raw.cmd(&[b"CONFIG", b"RESETSTAT"]);
        raw.cmd(&[b"EVAL", script.as_bytes(), b"1", b"sl"]);
        // SLOWLOG GET: entries newest first; keep command, arguments, client address and name.
        let log = s(&raw.cmd(&[b"SLOWLOG", b"GET", b"3"]));
        let lines: Vec<&str> = log.lines().collect();
        let shape: Vec<&str> = lines.iter().copied().filter(|l| !l.starts_with(':') && !l.starts_with('*')).collect();
        let stats = s(&raw.cmd(&[b"INFO", b"commandstats"]));
        let mut calls: Vec<String> = stats
            .lines()
            .filter(|l| l.starts_with("cmdstat_eval") || l.starts_with("cmdstat_get") || l.starts_with("cmdstat_set"))
            .map(|l| l.split(",usec").next().unwrap().to_string())
            .collect();
        calls.sort();
        let mut mon = Vec::new();
        for _ in 0..3 {
            let line = s(&monitor.reply());
            let line = line.split_once(" [").map(|(_, rest)| rest.to_string()).unwrap();
            mon.push(if line.starts_with("0 lua]") { line } else { line.split_once(']').unwrap().1.to_string() });
        }
        let shape: Vec<String> = shape
            .iter()
            .map(|l| if l.starts_with("$15\r") || l.contains("127.0.0.1") { "<addr>".into() } else { l.to_string() })
            .collect();
        seen.push((shape, calls, mon));
    }
    assert_eq!(seen[1], seen[0]);

    let mut raw = Raw::connect(shardis.port);
    raw.cmd(&[b"SCRIPT", b"LOAD", b"return 1"]);
    raw.cmd(&[b"SCRIPT", b"LOAD", b"return 2"]);
    raw.cmd(&[
        b"FUNCTION",
        b"LOAD",
        b"#!lua name=m\nredis.register_function('a', function() end) redis.register_function('b', function() end)",
    ]);
    let info = s(&raw.cmd(&[b"INFO", b"memory"]));
    let field = |name: &str| -> i64 {
        info.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).unwrap().trim().parse().unwrap()
    };
    assert_eq!(field("number_of_cached_scripts"), 3);
    assert_eq!(field("number_of_functions"), 2);
    assert!(field("used_memory_lua") > 0 && field("used_memory_scripts") > 0);
    raw.cmd(&[b"SCRIPT", b"FLUSH"]);
    let info = s(&raw.cmd(&[b"INFO", b"memory"]));
    assert!(info.contains("number_of_cached_scripts:0\r\n"), "{info}");
}

/// With one shard every client shares the script's thread: past the threshold its hook serves
/// them (-BUSY, SCRIPT KILL, a new connection's commands), as Redis does.
#[test]
fn long_scripts_on_one_shard() {
    use std::time::Duration;
    let mut shardis = Proc::shardis(&["--busy-reply-threshold", "100", "--shards", "1"]);
    let mut runner = Raw::connect(shardis.port);
    let mut early = Raw::connect(shardis.port);
    runner.send(&encode(&[b"EVAL", b"local i = 0 while true do i = i + 1 end", b"0"]));
    std::thread::sleep(Duration::from_millis(50));
    // A connection made while the script runs, and one made before.
    let mut late = Raw::connect(shardis.port);
    let busy = format!("-{BUSY_EVAL}\r\n");
    assert_eq!(until_reply(&mut late, &[b"GET", b"x"], "-BUSY"), busy);
    assert_eq!(s(&early.cmd(&[b"SET", b"x", b"1"])), busy);
    assert_eq!(s(&early.cmd(&[b"PING"])), busy);
    assert_eq!(s(&late.cmd(&[b"FUNCTION", b"KILL"])), busy);
    assert_eq!(s(&late.cmd(&[b"FUNCTION", b"STATS"])).lines().nth(3), Some("$-1"));
    assert_eq!(s(&late.cmd(&[b"SCRIPT", b"KILL"])), "+OK\r\n");
    let killed = s(&runner.reply_within(Duration::from_secs(20)).unwrap());
    assert!(killed.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "), "{killed}");
    assert_eq!(s(&early.cmd(&[b"SET", b"x", b"1"])), "+OK\r\n");
    assert_eq!(s(&runner.cmd(&[b"GET", b"x"])), "$1\r\n1\r\n");
    // FUNCTION STATS shows a running function (to this shard's clients), as Redis does.
    let lib = "#!lua name=busy\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(s(&late.cmd(&[b"FUNCTION", b"LOAD", lib.as_bytes()])), "$4\r\nbusy\r\n");
    runner.send(&encode(&[b"FCALL", b"spin", b"1", b"k", b"arg"]));
    let busy_function = format!("-{BUSY_FUNCTION}\r\n");
    assert_eq!(until_reply(&mut late, &[b"GET", b"x"], "-BUSY"), busy_function);
    let stats = s(&late.cmd(&[b"FUNCTION", b"STATS"]));
    let head: Vec<&str> = stats.lines().take(18).collect();
    assert_eq!(
        head,
        [
            "*4",
            "$14",
            "running_script",
            "*6",
            "$4",
            "name",
            "$4",
            "spin",
            "$7",
            "command",
            "*5",
            "$5",
            "fcall",
            "$4",
            "spin",
            "$1",
            "1",
            "$1"
        ],
        "{stats}"
    );
    assert!(stats.contains("duration_ms"), "{stats}");
    assert_eq!(s(&late.cmd(&[b"FUNCTION", b"KILL"])), "+OK\r\n");
    assert!(s(&runner.reply_within(Duration::from_secs(20)).unwrap()).starts_with("-ERR Script killed"));
    // What the script's own client sends behind the script runs after it, in order.
    runner.send(&encode(&[b"EVAL", b"while true do end", b"0"]));
    std::thread::sleep(Duration::from_millis(150));
    runner.send(&encode(&[b"INCR", b"n"]));
    until_reply(&mut late, &[b"SCRIPT", b"KILL"], "+OK");
    assert!(s(&runner.reply_within(Duration::from_secs(20)).unwrap()).starts_with("-ERR Script killed"));
    assert_eq!(s(&runner.reply_within(Duration::from_secs(20)).unwrap()), ":1\r\n");
    // A script that wrote cannot be killed; SHUTDOWN NOSAVE still ends the server.
    runner.send(&encode(&[b"EVAL", b"redis.call('incr', 'n') while true do end", b"0"]));
    let mut other = Raw::connect(shardis.port);
    until_reply(&mut other, &[b"SCRIPT", b"KILL"], "-UNKILLABLE");
    other.send(&encode(&[b"SHUTDOWN", b"NOSAVE"]));
    assert!(shardis.wait_exit(Duration::from_secs(5)), "SHUTDOWN NOSAVE during a script");
}
