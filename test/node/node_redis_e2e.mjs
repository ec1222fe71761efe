// node-redis v5 (package `redis` in test/node/node_modules) against a running server: kvd or
// Debian's redis-server 7.0, over RESP2 (the client's default) or RESP3 (`RESP: 3`, HELLO 3).
// Run by test/e2e/test_node_redis.py, which runs it against both servers in both protocols and
// compares the replies recorded here.
//
//   node test/node/node_redis_e2e.mjs --port PORT --resp 2|3 [--server kvd|redis] [--only step,step]
//
// Prints "ok <check>" per check and "FAIL <step>: <error>" per failed step, then one line
// "RESULTS <json>" (the replies recorded with rec(); for the same --resp they must be identical
// for kvd and redis-server) and the summary "node-redis e2e (RESPn): N passed, M failed". Exits 0
// only when every step passed, 2 when the run exceeds RUN_MS. Every wait is bounded.
//
// Replies are checked twice: through node-redis's command methods (which normalise RESP2 and
// RESP3 into the same JS values: HGETALL an object, ZSCORE a number...) and raw, through
// sendCommand with a type mapping that keeps the wire types (RESP3 maps as Map, sets as Set,
// doubles as their text, verbatim strings as VerbatimString), so a server answering RESP3
// with RESP2 shapes is caught.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createClient, RESP_TYPES, VerbatimString, ErrorReply, MultiErrorReply, WatchError } from 'redis';

const RUN_MS = 90000;  // ~4 s normally; room for sanitizer builds
const WAIT_MS = 5000;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const port = Number(arg('--port'));
const RESP = Number(arg('--resp', '2'));
const serverKind = arg('--server', 'kvd');
if (!port || (RESP !== 2 && RESP !== 3)) {
  console.error('usage: node_redis_e2e.mjs --port PORT --resp 2|3 [--server kvd|redis]');
  process.exit(64);
}
const libVersion = createRequire(import.meta.url)('redis/package.json').version;

const watchdog = setTimeout(() => {
  console.error(`FAIL the run did not finish within ${RUN_MS / 1000} s`);
  process.exit(2);
}, RUN_MS);

/** A JSON-able picture of a decoded reply that keeps its JS type (Map, Set, Buffer...). */
function tag(v) {
  if (v === null || v === undefined) return v === null ? null : { $undefined: true };
  if (v instanceof VerbatimString) return { $verbatim: v.format, length: v.length };
  if (Buffer.isBuffer(v)) return { $hex: v.toString('hex') };
  if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [tag(k), tag(x)]) };
  if (v instanceof Set) return { $set: [...v].map(tag) };
  if (Array.isArray(v)) return v.map(tag);
  if (v instanceof Error) return { $error: v.constructor.name, message: v.message };
  if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
  if (typeof v === 'bigint') return { $bigint: String(v) };
  if (typeof v === 'object') {
    return { $object: Object.getPrototypeOf(v) === null ? 'null-proto' : 'plain',
      entries: Object.entries(v).map(([k, x]) => [k, tag(x)]) };
  }
  return v;
}
const results = {};
/** Records a reply under `label` (compared between kvd and redis-server); returns it. */
function rec(label, v) { results[label] = tag(v); return v; }
function ok(what) { console.log('ok   ' + what); }
function eq(got, want, what) { assert.deepStrictEqual(got, want, what); ok(what); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(pred, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(10);
  }
}

/** Expects `p` to reject with an ErrorReply whose message is `text`; returns the error. */
async function rejects(p, text, what) {
  let err = null;
  try { await p; } catch (e) { err = e; }
  assert.ok(err, what + ': expected a rejection');
  assert.ok(err instanceof ErrorReply, `${what}: expected ErrorReply, got ${err && err.constructor.name}: ${err}`);
  eq(err.message, text, what);
  return err;
}

const clients = [];
/** A connected node-redis client in this run's protocol (tracked, closed at the end). */
async function connect(opts = {}) {
  const c = createClient({ socket: { host: '127.0.0.1', port, connectTimeout: WAIT_MS }, RESP, ...opts });
  c.on('error', () => {});  // reconnects are expected in one step; failures surface in commands
  clients.push(c);
  await c.connect();
  return c;
}

// Raw replies keep the wire types: Map for RESP3 maps, Set for sets, doubles as text.
const WIRE = { [RESP_TYPES.MAP]: Map, [RESP_TYPES.SET]: Set, [RESP_TYPES.DOUBLE]: String,
  [RESP_TYPES.VERBATIM_STRING]: VerbatimString, [RESP_TYPES.BIG_NUMBER]: String };

let c;   // main client
let wire;  // sendCommand with the wire type mapping

const steps = {
  async connect() {
    c = await connect({ name: 'nr-main' });
    wire = (args) => c.sendCommand(args, { typeMapping: WIRE });
    eq(c.isReady, true, 'client ready');
    eq(await c.ping(), 'PONG', 'PING');
    rec('flushall', await c.flushAll());
    const info = await c.clientInfo();
    eq(info.resp, RESP, `CLIENT INFO resp=${RESP} (HELLO ${RESP === 3 ? '3 sent' : 'not sent'})`);
    eq(info.name, 'nr-main', 'connection name set during the handshake');
    rec('client_info_keys', Object.keys(info).filter((k) => !['libName', 'libVer'].includes(k)));
    if (serverKind === 'kvd') {
      // node-redis pipelines CLIENT SETINFO LIB-VER / LIB-NAME into its handshake.
      eq([info.libName, info.libVer], ['node-redis', libVersion], 'CLIENT SETINFO lib-name/lib-ver seen in CLIENT INFO');
      await rejects(c.sendCommand(['CLIENT', 'SETINFO', 'LIB-NAME', 'has space']),
        'ERR lib-name cannot contain spaces, newlines or special characters.', 'CLIENT SETINFO rejects spaces');
    }
    rec('getname', await c.clientGetName());
    // HELLO without a version answers the server's handshake map in the current protocol.
    const hello = await wire(['HELLO']);
    const entries = hello instanceof Map ? [...hello.entries()] : Array.from({ length: hello.length / 2 }, (_, i) => [hello[2 * i], hello[2 * i + 1]]);
    const h = Object.fromEntries(entries);
    rec('hello_type', hello instanceof Map ? 'map' : 'array');
    rec('hello_keys', entries.map(([k]) => k));
    rec('hello_proto', h.proto);
    rec('hello_mode_role', [h.mode, h.role]);
    eq(h.id, info.id, 'HELLO id is the CLIENT ID');
    rec('hello4', (await rejects(c.sendCommand(['HELLO', '4']), 'NOPROTO unsupported protocol version', 'HELLO 4')).message);
    rec('hello_bad', (await rejects(c.sendCommand(['HELLO', 'x']), 'ERR Protocol version is not an integer or out of range', 'HELLO x')).message);
  },

  async types() {
    await c.hSet('h', { f1: 'v1', f2: 'v2' });
    await c.sAdd('s', ['3', '1', '2']);
    await c.zAdd('z', [{ score: 1.5, value: 'a' }, { score: 2, value: 'b' }, { score: Infinity, value: 'c' }]);
    await c.set('str', 'x');
    // Normalised by node-redis: the same JS values in both protocols.
    eq(await c.hGetAll('h'), Object.assign(Object.create(null), { f1: 'v1', f2: 'v2' }), 'HGETALL -> object');
    rec('hgetall', await c.hGetAll('h'));
    rec('hgetall_missing', await c.hGetAll('none'));
    eq(await c.sMembers('s'), ['1', '2', '3'], 'SMEMBERS -> array (intset order)');
    eq(await c.zScore('z', 'a'), 1.5, 'ZSCORE -> number');
    eq(await c.zScore('z', 'c'), Infinity, 'ZSCORE inf -> Infinity');
    eq(await c.zScore('z', 'nope'), null, 'ZSCORE missing -> null');
    rec('zrange_withscores', await c.zRangeWithScores('z', 0, -1));
    rec('zincrby', await c.zIncrBy('z', 0.25, 'a'));
    rec('zmscore', await c.zmScore('z', ['a', 'nope', 'c']));
    rec('zpopmin', await c.zPopMin('z'));
    rec('zrandmember_missing', await c.zRandMember('none'));
    rec('get_missing', await c.get('none'));
    rec('lpop_missing', await c.lPop('none'));
    rec('sismember', [await c.sIsMember('s', '1'), await c.sIsMember('s', '9')]);
    rec('smismember', await c.smIsMember('s', ['1', '9']));
    rec('exists', await c.exists(['h', 's', 'none']));
    rec('type', await c.type('z'));
    rec('config_get', await c.configGet('maxmemory-policy'));
    rec('incrbyfloat', await c.incrByFloat('fl', 1.5));
    rec('hrandfield_missing', await c.hRandField('none'));
    const info = await c.info('server');
    assert.equal(typeof info, 'string', 'INFO is a string');
    assert.match(info, /^# Server\r\nredis_version:/, 'INFO text');
    ok('INFO -> string starting with # Server');

    // The wire types, through sendCommand with WIRE.
    rec('raw_hgetall', await wire(['HGETALL', 'h']));
    rec('raw_smembers', await wire(['SMEMBERS', 's']));
    rec('raw_zscore', await wire(['ZSCORE', 'z', 'b']));
    rec('raw_zscore_inf', await wire(['ZSCORE', 'z', 'c']));
    rec('raw_zrange_ws', await wire(['ZRANGE', 'z', '0', '-1', 'WITHSCORES']));
    rec('raw_zpopmin_count', await wire(['ZPOPMIN', 'z', '1']));
    rec('raw_zadd_incr', await wire(['ZADD', 'z', 'INCR', '0.1', 'b']));
    rec('raw_zmscore', await wire(['ZMSCORE', 'z', 'b', 'nope']));
    rec('raw_config_get', await wire(['CONFIG', 'GET', 'maxmemory-polic*']));
    rec('raw_get_missing', await wire(['GET', 'none']));
    rec('raw_mget', await wire(['MGET', 'str', 'none']));
    rec('raw_hrandfield_wv', await wire(['HRANDFIELD', 'h', '-1', 'WITHVALUES']).then((r) => r.length));
    rec('raw_exec_empty', await wire(['TYPE', 'h']));
    rec('raw_smismember', await wire(['SMISMEMBER', 's', '1', '9']));
    rec('raw_sinter_empty', await wire(['SINTER', 's', 'none']));
    rec('raw_zscan', await wire(['ZSCAN', 'z', '0']));
    rec('raw_hscan', await wire(['HSCAN', 'h', '0']));
    rec('raw_blpop_timeout', await wire(['BLPOP', 'none', '0.05']));
    rec('raw_memory_usage_missing', await wire(['MEMORY', 'USAGE', 'none']));
    rec('raw_object_freq_err', (await wire(['OBJECT', 'FREQ', 'h']).catch((e) => e)).message);
    rec('raw_pubsub_numsub', await wire(['PUBSUB', 'NUMSUB', 'a', 'b']));
    const rawInfo = await wire(['INFO', 'server']);
    if (RESP === 3) {
      assert.ok(rawInfo instanceof VerbatimString && rawInfo.format === 'txt', 'RESP3 INFO is a verbatim txt string');
      ok('INFO is a verbatim string (txt) under RESP3');
    } else {
      eq(typeof rawInfo, 'string', 'INFO is a bulk string under RESP2');
    }
    const cmdInfo = await wire(['COMMAND', 'INFO', 'get']);
    rec('raw_command_info_get', cmdInfo[0].slice(0, 6));
  },

  async transactions() {
    const res = await c.multi().set('t:a', '1').incr('t:a').get('t:a').hGetAll('h').zScore('z', 'b').exec();
    rec('multi_exec', res);
    eq(res.slice(0, 3), ['OK', 2, '2'], 'MULTI/EXEC replies');
    const pipe = await c.multi().set('t:b', 'x').get('t:b').zScore('z', 'b').execAsPipeline();
    rec('exec_as_pipeline', pipe);
    eq(pipe.slice(0, 2), ['OK', 'x'], 'execAsPipeline replies');
    // A runtime error inside EXEC: MultiErrorReply with the WRONGTYPE entry, the rest ran.
    let err = await c.multi().incr('t:a').lPush('t:a', 'x').incr('t:a').exec().catch((e) => e);
    assert.ok(err instanceof MultiErrorReply, 'MultiErrorReply: ' + err);
    eq(err.errorIndexes, [1], 'the failing index');
    eq(err.replies[1].message, 'WRONGTYPE Operation against a key holding the wrong kind of value', 'WRONGTYPE inside EXEC');
    rec('multi_runtime_error', err.replies);
    // Queue-time error: EXECABORT.
    err = await c.multi().set('t:c', '1').addCommand(['GET']).exec().catch((e) => e);
    assert.ok(err instanceof ErrorReply, 'EXECABORT is an ErrorReply: ' + err);
    rec('execabort', err.message);
    eq(await c.exists('t:c'), 0, 'nothing of the aborted transaction ran');
    // WATCH abort -> WatchError.
    const other = await connect();
    await c.watch('t:w');
    await other.set('t:w', 'changed');
    err = await c.multi().set('t:w', 'mine').exec().catch((e) => e);
    assert.ok(err instanceof WatchError, 'WatchError: ' + err);
    ok('EXEC after a watched key changed -> WatchError');
    eq(await c.get('t:w'), 'changed', 'the aborted write did not happen');
    await c.watch('t:w');
    eq(await c.multi().set('t:w', 'mine').exec(), ['OK'], 'WATCH with no interference commits');
    // A plain pipeline (no MULTI) of many commands.
    const p = c.multi();
    for (let i = 0; i < 500; i++) p.set('p:' + i, String(i)).get('p:' + i);
    const big = await p.execAsPipeline();
    assert.ok(big.length === 1000 && big.every((v, i) => v === (i % 2 ? String(i >> 1) : 'OK')), 'pipeline of 1000');
    ok('execAsPipeline of 1000 commands in order');
    // Implicit pipelining: many concurrent commands on one connection.
    const all = await Promise.all([...Array(300).keys()].map((i) => c.incr('p:ctr')));
    eq(all[299], 300, '300 concurrent INCRs pipelined');
    await other.close();
  },

  async pubsub() {
    const pub = await connect();
    // A dedicated subscriber (works in both protocols).
    const sub = c.duplicate();
    sub.on('error', () => {});
    clients.push(sub);
    await sub.connect();
    const got = [];
    await sub.subscribe(['news', 'sport'], (msg, ch) => got.push(['message', ch, msg]));
    await sub.pSubscribe('news.*', (msg, ch) => got.push(['pmessage', ch, msg]));
    await sub.subscribe('bin', (msg, ch) => got.push(['buffer', ch.toString(), msg.toString('hex')]), true);
    rec('numsub', await pub.pubSubNumSub(['news', 'sport', 'none']));
    rec('numpat', await pub.pubSubNumPat());
    rec('channels', (await pub.pubSubChannels()).sort());
    eq(await pub.publish('news', 'hello'), 1, 'PUBLISH news');
    eq(await pub.publish('news.tech', 'gadget'), 1, 'PUBLISH news.tech (pattern)');
    eq(await pub.publish('bin', Buffer.from([0, 0xff, 13, 10])), 1, 'PUBLISH binary');
    await until(() => got.length >= 3, '3 messages');
    eq(got, [['message', 'news', 'hello'], ['pmessage', 'news.tech', 'gadget'], ['buffer', 'bin', '00ff0d0a']],
      'messages and pattern messages delivered in order');
    if (RESP === 2) {
      // RESP2: a subscribed connection only takes subscriber commands. (node-redis's queue
      // does not recover from that error in RESP2 pub/sub mode, so a throwaway connection.)
      const sub2 = c.duplicate();
      sub2.on('error', () => {});
      clients.push(sub2);
      await sub2.connect();
      await sub2.subscribe('other', () => {});
      const e = await sub2.get('x').catch((x) => x);
      assert.ok(e instanceof ErrorReply, 'GET on a RESP2 subscriber: ' + e);
      rec('resp2_sub_get', e.message);
      ok('GET on a RESP2 subscribed connection -> error');
      sub2.destroy();
    } else {
      // RESP3: the subscribed connection keeps serving ordinary commands (push frames).
      await c.set('ps:k', 'v');
      eq(await sub.get('ps:k'), 'v', 'GET on a RESP3 subscribed connection');
      rec('resp3_sub_ping', await sub.ping());
    }
    await sub.unsubscribe('sport');
    await sub.pUnsubscribe('news.*');  // (the no-argument form resolves only once nothing is left)
    rec('numsub_after', await pub.pubSubNumSub(['news', 'sport']));
    await sub.unsubscribe();
    await sub.close();

    if (RESP === 3) {
      // RESP3: subscribe on the main connection, interleaved with commands.
      const mine = [];
      await c.subscribe('same', (msg) => mine.push(msg));
      const pending = [c.get('ps:k'), pub.publish('same', 'm1'), c.incr('ps:n'), pub.publish('same', 'm2')];
      const r = await Promise.all(pending);
      eq([r[0], r[2]], ['v', 1], 'commands interleaved with push messages on one connection');
      await until(() => mine.length >= 2, 'push messages on the main connection');
      eq(mine, ['m1', 'm2'], 'push messages delivered on the command connection');
      await c.unsubscribe('same');
      eq(await c.ping(), 'PONG', 'PING after UNSUBSCRIBE');
    }
    await pub.close();
  },

  async errors() {
    await c.set('e:s', 'x');
    const wt = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    await rejects(c.lPush('e:s', 'a'), wt, 'LPUSH on a string');
    await rejects(c.hGetAll('e:s'), wt, 'HGETALL on a string');
    await rejects(c.zScore('e:s', 'm'), wt, 'ZSCORE on a string');
    await rejects(c.sendCommand(['NOSUCHCMD', 'a']), "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ", 'unknown command');
    await rejects(c.sendCommand(['GET']), "ERR wrong number of arguments for 'get' command", 'wrong arity');
    await rejects(c.incr('e:s'), 'ERR value is not an integer or out of range', 'INCR on text');
    rec('err_zadd_nan', (await c.sendCommand(['ZADD', 'e:z', 'nan', 'm']).catch((e) => e)).message);
    eq(await c.ping(), 'PONG', 'usable after errors');
  },

  async scan() {
    const m = c.multi();
    for (let i = 0; i < 300; i++) m.set('scan:' + i, 'v');
    for (let i = 0; i < 40; i++) m.hSet('scan:h', 'f' + i, 'v' + i).sAdd('scan:s', 'm' + i).zAdd('scan:z', { score: i, value: 'm' + i });
    await m.execAsPipeline();
    const keys = [];
    for await (const batch of c.scanIterator({ MATCH: 'scan:*', COUNT: 50 })) keys.push(...batch);
    eq(new Set(keys).size, 303, 'scanIterator MATCH finds every key');
    const strings = [];
    for await (const batch of c.scanIterator({ MATCH: 'scan:*', TYPE: 'string', COUNT: 100 })) strings.push(...batch);
    eq(new Set(strings).size, 300, 'scanIterator TYPE string');
    const fields = [];
    for await (const batch of c.hScanIterator('scan:h', { COUNT: 7 })) fields.push(...batch);
    eq(fields.length, 40, 'hScanIterator entries');
    eq(fields.find((e) => e.field === 'f7'), { field: 'f7', value: 'v7' }, 'hScanIterator entry shape');
    const members = [];
    for await (const batch of c.sScanIterator('scan:s', { MATCH: 'm1*' })) members.push(...batch);
    eq(new Set(members).size, 11, 'sScanIterator MATCH');
    const zm = [];
    for await (const batch of c.zScanIterator('scan:z')) zm.push(...batch);
    eq(zm.length, 40, 'zScanIterator');
    eq(zm.find((e) => e.value === 'm3'), { value: 'm3', score: 3 }, 'zScanIterator entry shape');
    rec('scan_small', await c.scan('0', { MATCH: 'nomatch*' }).then((r) => r.keys));
  },

  async raw() {
    eq(await c.sendCommand(['SET', 'raw:k', 'v']), 'OK', 'sendCommand SET');
    rec('raw_hgetall_default', await c.sendCommand(['HGETALL', 'h']));
    rec('raw_lrange', await c.sendCommand(['LRANGE', 'none', '0', '-1']));
    // (sendCommand takes the type mapping as an option; withTypeMapping applies to command methods.)
    const buf = await c.sendCommand(['GET', 'raw:k'], { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } });
    eq(buf, Buffer.from('v'), 'BLOB_STRING as Buffer');
    const bin = Buffer.from([0, 1, 0xfe, 0xff, 13, 10]);
    await c.set(Buffer.from([0xff, 0]), bin);
    eq(await c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(Buffer.from([0xff, 0])), bin, 'binary key and value');
    rec('raw_echo', await c.sendCommand(['ECHO', 'héllo']));
    rec('raw_dbsize', typeof await c.sendCommand(['DBSIZE']));
  },

  async blocking() {
    const b = await connect();
    let t0 = Date.now();
    rec('blpop_timeout', await b.blPop('bl:none', 0.2));
    assert.ok(Date.now() - t0 >= 150, 'BLPOP waited');
    ok('BLPOP 0.2 -> null after ~0.2 s');
    t0 = Date.now();
    const p = b.blPop(['bl:a', 'bl:b'], 5);
    await sleep(50);
    await c.rPush('bl:b', ['x', 'y']);
    rec('blpop_woken', await p);
    assert.ok(Date.now() - t0 < 3000, 'woken by RPUSH');
    ok('BLPOP woken by RPUSH');
    const pz = b.bzPopMin('bl:z', 5);
    await sleep(50);
    await c.zAdd('bl:z', { score: 2.5, value: 'm' });
    rec('bzpopmin', await pz);
    await b.close();
  },

  async reconnect() {
    const a = await connect();
    const id1 = await a.clientId();
    let reconnecting = 0;
    a.on('reconnecting', () => reconnecting++);
    eq(await c.clientKill({ filter: 'ID', id: id1 }), 1, 'CLIENT KILL ID');
    await until(() => a.isReady && reconnecting > 0, 'reconnect');
    const id2 = await a.clientId();
    assert.ok(id2 > id1, `new id ${id2} > ${id1}`);
    ok('node-redis reconnected after CLIENT KILL');
    eq(await a.get('raw:k'), 'v', 'commands after the reconnect');
    await a.close();
  },

  async reset() {
    // reset() sends RESET (which puts the connection back to RESP2, db 0, no name, no
    // subscriptions) and then replays the handshake (HELLO 3 under RESP3, SETNAME, SELECT).
    const x = await connect({ name: 'nr-reset' });
    await x.select(4);
    await x.set('rs:k', 'v');
    await x.reset();
    const info = await x.clientInfo();
    eq([info.resp, info.name], [RESP, 'nr-reset'], 'after reset(): the protocol and name of the handshake again');
    rec('reset_db', info.db);  // (node-redis's handshake re-selects the db it had selected)
    rec('reset_raw', await x.sendCommand(['RESET']));
    rec('reset_after', await x.sendCommand(['CLIENT', 'INFO']).then((t) => / resp=(\d)(\s|$)/.exec(t)[1]));
    await x.close();
  },

  async sharded_pubsub() {
    const pub = await connect();
    const sub = c.duplicate();
    sub.on('error', () => {});
    clients.push(sub);
    await sub.connect();
    const got = [];
    await sub.sSubscribe('sch', (msg, ch) => got.push([ch, msg]));
    rec('shardchannels', await pub.sendCommand(['PUBSUB', 'SHARDCHANNELS']));
    rec('shardnumsub', await pub.pubSubShardNumSub(['sch', 'none']));
    eq(await pub.sPublish('sch', 'sharded'), 1, 'SPUBLISH reaches the SSUBSCRIBE listener');
    await until(() => got.length >= 1, 'sharded message');
    eq(got, [['sch', 'sharded']], 'sharded message delivered');
    await sub.sUnsubscribe('sch');
    rec('shardnumsub_after', await pub.pubSubShardNumSub(['sch']));
    await sub.close();
    await pub.close();
  },

  async monitor() {
    const m = c.duplicate();
    m.on('error', () => {});
    clients.push(m);
    await m.connect();
    const lines = [];
    await m.monitor((line) => lines.push(line));
    await c.set('mon:k', 'a b');
    await until(() => lines.some((l) => l.includes('"mon:k"')), 'MONITOR line for SET');
    const line = lines.find((l) => l.includes('"mon:k"'));
    assert.match(line, /^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "mon:k" "a b"$/, 'MONITOR line: ' + line);
    ok('MONITOR line format');
    await m.destroy();
  },

  async client_side_cache() {
    // clientSideCache (RESP3 only) puts CLIENT TRACKING ON into the handshake. kvd has no
    // tracking (issue 5 allows an error): the connect must reject at once with kvd's error text,
    // not hang or half-connect; redis-server accepts it.
    if (RESP !== 3) return;
    const x = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: WAIT_MS },
      RESP, clientSideCache: { ttl: 0, maxEntries: 0 } });
    x.on('error', () => {});
    let err = null;
    try { await x.connect(); } catch (e) { err = e; }
    if (serverKind === 'kvd') {
      assert.ok(err instanceof ErrorReply, 'clientSideCache connect should reject with an ErrorReply: ' + err);
      eq(err.message, 'ERR CLIENT TRACKING is not supported by this server (no client-side caching invalidation)',
        'clientSideCache: CLIENT TRACKING refused with a clear error');
    } else {
      eq(err, null, 'clientSideCache connects to redis-server');
      eq(await x.get('nokey'), null, 'GET through the cache');
    }
    try { x.destroy(); } catch { /* not open */ }
  },

  // Only with --only while_loading (test_node_redis.py starts kvd on a large RDB): the handshake
  // (HELLO, CLIENT SETINFO, SETNAME...) is allowed while loading, as in Redis; commands get
  // -LOADING as an ErrorReply until the load ends.
  async while_loading() {
    const key = arg('--key');
    const want = arg('--value');
    const x = await connect({ name: 'nr-loading' });
    eq((await x.clientInfo()).resp, RESP, 'connected during the load');
    const info = await x.info('persistence');
    assert.match(info, /\r\nloading:1\r\n/, 'INFO while loading');
    ok('INFO says loading:1');
    await rejects(x.get(key), 'LOADING Redis is loading the dataset in memory', 'GET while loading');
    const deadline = Date.now() + 60000;
    let got;
    while (Date.now() < deadline) {
      got = await x.get(key).catch((e) => e);
      if (!(got instanceof ErrorReply)) break;
      assert.match(got.message, /^LOADING /, 'only LOADING errors while loading');
      await sleep(50);
    }
    assert.ok(typeof got === 'string' && got.startsWith(want), `GET ${key} after the load: ${got}`);
    ok('GET answers once the load ended');
  },

  async databases() {
    const d = await connect({ database: 2 });
    await d.set('db2', 'x');
    eq(await c.exists('db2'), 0, 'database option selects db 2');
    eq((await d.clientInfo()).db, 2, 'CLIENT INFO db=2');
    await d.close();
  },
};

// --only a,b runs those steps; by default every step except the while_* ones.
const only = arg('--only');
const selected = only ? only.split(',') : Object.keys(steps).filter((n) => !n.startsWith('while_'));
let passed = 0;
const failed = [];
for (const name of selected) {
  const fn = steps[name];
  try {
    await fn();
    passed++;
    console.log('PASS ' + name);
  } catch (e) {
    failed.push(name);
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    if (name === 'connect') break;
  }
}
for (const x of clients) {
  try { x.destroy(); } catch { /* already closed */ }
}
clearTimeout(watchdog);
console.log('RESULTS ' + JSON.stringify(results));
console.log(`node-redis e2e (RESP${RESP}): ${passed} passed, ${failed.length} failed${failed.length ? ': ' + failed.join(', ') : ''}`);
process.exit(failed.length ? 1 : 0);
