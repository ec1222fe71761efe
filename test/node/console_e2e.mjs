// Drives kvd's web console in headless Chromium (Debian's /usr/bin/chromium) with
// playwright-core. Run by test/e2e/test_console.py, which starts kvd, seeds keys, and checks
// the keys this script creates with redis-cli afterwards.
//
//   node test/node/console_e2e.mjs --url http://127.0.0.1:PORT --out DIR
//
// Prints one "ok <what>" line per check, saves screenshots DIR/console-<view>.png, exits 0
// when every check passed, 1 on the first failure, 2 when the whole run exceeds its limit.
// Every wait is bounded (STEP_MS per action, RUN_MS for the run).

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const STEP_MS = 15000;
const RUN_MS = 150000;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const base = arg('--url');
const outDir = arg('--out', '.');
const chromiumPath = arg('--chromium', '/usr/bin/chromium');
if (!base) {
  console.error('usage: console_e2e.mjs --url http://127.0.0.1:PORT --out DIR');
  process.exit(64);
}
fs.mkdirSync(outDir, { recursive: true });

const watchdog = setTimeout(() => {
  console.error(`FAIL the browser run did not finish within ${RUN_MS / 1000} s`);
  process.exit(2);
}, RUN_MS);

function ok(what) { console.log('ok   ' + what); }
function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  ok(what);
}

let browser;
const pageErrors = [];
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: STEP_MS * 2,
    // --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);
  page.on('pageerror', (e) => pageErrors.push('uncaught: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|SyntaxError|TypeError|ReferenceError/.test(m.text())) {
      pageErrors.push('console: ' + m.text());
    }
  });
  const shot = async (name) => {
    const file = path.join(outDir, `console-${name}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: STEP_MS });
    ok(`screenshot ${file}`);
  };
  const text = (sel) => page.locator(sel).first().innerText({ timeout: STEP_MS });
  const go = async (view) => {
    await page.click(`#nav a[data-view="${view}"]`);
    await page.waitForFunction((v) => document.getElementById('main').dataset.view === v, view, { timeout: STEP_MS });
  };

  // The detail panel shows key `name` of `type` and its value view finished loading.
  const waitDetail = (name, type) => page.waitForFunction(([n, t]) => {
    const k = document.getElementById('detail-key'), ty = document.getElementById('detail-type');
    const v = document.getElementById('value-view');
    return k && ty && v && k.textContent === n && ty.textContent === t && v.dataset.state === 'ready';
  }, [name, type], { timeout: STEP_MS });

  // ---- overview ----
  const res = await page.goto(base + '/', { waitUntil: 'load' });
  check(res && res.status() === 200, `GET / answers 200 (${res && res.status()})`);
  // Two polls at least: the second computes ops/s from the counter's change.
  await page.waitForFunction(() => {
    const t = (id) => (document.getElementById(id) || {}).textContent || '';
    return /^\d+$/.test(t('stat-ops')) && /^\d+$/.test(t('stat-clients')) && /\d/.test(t('stat-mem')) &&
      /^\d+$/.test(t('stat-keys'));
  }, null, { timeout: STEP_MS });
  await page.waitForTimeout(2200);
  const ops = Number(await text('#stat-ops'));
  const clients = Number(await text('#stat-clients'));
  check(Number.isFinite(ops) && ops >= 0, `overview shows ops/s (${ops})`);
  check(clients >= 1, `overview shows connected clients (${clients})`);
  check(/\d/.test(await text('#stat-mem')), `overview shows used memory (${await text('#stat-mem')})`);
  check(Number(await text('#stat-keys')) >= 4, `overview counts the seeded keys (${await text('#stat-keys')})`);
  const drawn = await page.evaluate(() => {
    const c = document.getElementById('chart-mem');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
    return painted;
  });
  check(drawn > 100, `memory chart is drawn (${drawn} painted pixels)`);
  await shot('overview');

  // ---- key browser ----
  await go('keys');
  await page.fill('#scan-pattern', 'console:*');
  await page.click('#scan-button');
  await page.waitForFunction(() => /scan complete/.test(document.getElementById('scan-info').textContent), null, { timeout: STEP_MS });
  const listed = await text('#key-list');
  for (const k of ['console:list', 'console:set', 'console:zset', 'console:seeded']) {
    check(listed.includes(k), `SCAN MATCH console:* lists ${k}`);
  }

  // Create a string key, give it a TTL.
  await page.fill('#new-key', 'console:str');
  await page.selectOption('#new-type', 'string');
  await page.fill('#new-value', 'hello from the console');
  await page.click('#new-create');
  await waitDetail('console:str', 'string');
  check((await page.inputValue('#string-value')) === 'hello from the console', 'created string key shows its value');
  await page.fill('#ttl-seconds', '1000');
  await page.click('#ttl-set');
  await page.waitForFunction(() => /\(\d+ ms\)/.test((document.getElementById('detail-ttl') || {}).textContent), null, { timeout: STEP_MS });
  ok('TTL set through the key browser: ' + (await text('#detail-ttl')));

  // Create a hash with one field, then add a second field whose value looks like markup.
  await page.fill('#new-key', 'console:hash');
  await page.selectOption('#new-type', 'hash');
  await page.fill('#new-field', 'f1');
  await page.fill('#new-value', 'v1');
  await page.click('#new-create');
  await waitDetail('console:hash', 'hash');
  await page.fill('#hash-add-field', 'f2');
  await page.fill('#hash-add-value', '<b id="injected">v2</b>&amp;');
  await page.click('#hash-add-button');
  await page.waitForFunction(() => /Field saved/.test((document.getElementById('detail-msg') || {}).textContent), null, { timeout: STEP_MS });
  const hashTable = await text('#hash-table');
  check(hashTable.includes('f1') && hashTable.includes('f2'), 'hash view lists both fields');
  const values = await page.$$eval('#hash-table input.cell-input', (els) => els.map((e) => e.value));
  check(values.includes('<b id="injected">v2</b>&amp;'), 'markup-like value shown as text');
  check((await page.locator('#injected').count()) === 0, 'markup-like value not turned into an element');

  // A key name with markup, created through the form, appears as text in the list.
  await page.fill('#new-key', 'console:<img src=x id=evil>');
  await page.selectOption('#new-type', 'set');
  await page.fill('#new-value', 'member');
  await page.click('#new-create');
  await waitDetail('console:<img src=x id=evil>', 'set');
  check((await page.locator('#evil').count()) === 0, 'markup-like key name not turned into an element');
  check((await text('#detail-key')).includes('console:<img src=x id=evil>'), 'markup-like key name shown as text');

  // Type-aware views of keys seeded over RESP.
  const open = async (name, type) => {
    await page.click('#scan-button');
    await page.waitForFunction(() => /scan complete/.test(document.getElementById('scan-info').textContent), null, { timeout: STEP_MS });
    await page.locator('#key-list button.key', { hasText: new RegExp('^' + name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$') }).click();
    await waitDetail(name, type);
  };
  await open('console:list', 'list');
  const listValues = () => page.$$eval('#list-table input.cell-input', (els) => els.map((e) => e.value).join(','));
  check((await listValues()) === 'a,b,c', `list view shows the elements (${await listValues()})`);
  await page.fill('#list-add-value', 'd');
  await page.click('#list-rpush');
  await page.waitForFunction(() => /Pushed/.test((document.getElementById('detail-msg') || {}).textContent), null, { timeout: STEP_MS });
  check((await listValues()) === 'a,b,c,d', `RPUSH from the list view (${await listValues()})`);
  await open('console:zset', 'zset');
  const zsetScores = await page.$$eval('#zset-table input.score-input', (els) => els.map((e) => e.value));
  check(JSON.stringify(zsetScores) === JSON.stringify(['1', '2.5']), `zset view shows scores in order (${zsetScores})`);
  await open('console:set', 'set');
  check((await text('#set-table')).includes('x'), 'set view shows members');
  await open('console:bin', 'string');
  check((await text('#string-value')).includes('\\x00\\xff'), `binary string shown escaped (${await text('#string-value')})`);
  await open('console:str', 'string');
  await shot('keys');

  // ---- command console ----
  await go('console');
  const run = async (line) => {
    const before = await page.locator('#cli-output .entry').count();
    await page.fill('#cli-input', line);
    await page.press('#cli-input', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#cli-output .entry').length > n, before, { timeout: STEP_MS });
    return page.locator('#cli-output .entry pre.reply').last().innerText();
  };
  check((await run('SET console:cli "hi there"')) === 'OK', 'console: SET prints OK');
  check((await run('GET console:cli')) === '"hi there"', 'console: GET prints the quoted value');
  check((await run('INCR console:counter')) === '(integer) 1', 'console: INCR prints (integer) 1');
  const lr = await run('LRANGE console:list 0 -1');
  check(lr === '1) "a"\n2) "b"\n3) "c"\n4) "d"', `console: LRANGE prints a numbered list (${JSON.stringify(lr)})`);
  check((await run('GET console:nosuchkey')) === '(nil)', 'console: missing key prints (nil)');
  // \xHH escapes are bytes (sent as {"base64": ...}); binary replies print escaped.
  check((await run('SET "console:\\xffbin" "\\x00\\x01 ok"')) === 'OK', 'console: SET with \\xHH escapes');
  const bin = await run('GET "console:\\xffbin"');
  check(bin === '"\\x00\\x01 ok"', `console: binary value printed escaped (${bin})`);
  const err = await run('NOSUCHCOMMAND x');
  check(err.startsWith('(error) ERR unknown command'), `console: unknown command prints the error (${err})`);
  await shot('console');

  // ---- slowlog (the error text is shown while SLOWLOG is not implemented) ----
  await go('slowlog');
  await page.waitForFunction(() => {
    const m = document.getElementById('slowlog-msg');
    return m && m.textContent && m.textContent !== 'Loading ...';
  }, null, { timeout: STEP_MS });
  const slowMsg = await text('#slowlog-msg');
  const slowTable = await page.locator('#slowlog-table').count();
  const slowErr = await page.locator('#slowlog-msg.error').count();
  check(slowTable === 1 || (slowErr === 1 && /ERR|error/i.test(slowMsg)), `slowlog view shows entries or the server's error (${slowMsg})`);
  await shot('slowlog');

  // ---- client list ----
  await go('clients');
  await page.waitForSelector('#clients-table tbody tr', { timeout: STEP_MS });
  const clientsTable = await text('#clients-table');
  check(/client\|list/.test(clientsTable), 'client list shows the CLIENT LIST caller');
  await shot('clients');

  // ---- auth, against the real server: a password is set (CONFIG SET requirepass), the
  // server's 401 opens the sign-in prompt, the credentials then go with every request and are
  // accepted; the password is removed again at the end ----
  const setPass = (value, authorization) => page.evaluate(async ([v, a]) => {
    const headers = { 'Content-Type': 'application/json' };
    if (a) headers.Authorization = a;
    const r = await fetch('/v1/command', { method: 'POST', headers, body: JSON.stringify(['CONFIG', 'SET', 'requirepass', v]) });
    return r.status;
  }, [value, authorization]);
  check(await setPass('console-token', '') === 200, 'CONFIG SET requirepass through the HTTP API');
  const refused = await page.evaluate(async () => (await fetch('/v1/command', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '["PING"]' })).status);
  check(refused === 401, `without credentials the server answers 401 (${refused})`);
  await go('keys'); // its SCAN gets the 401
  await page.waitForSelector('#login[open]', { timeout: STEP_MS });
  ok("the server's 401 opens the sign-in prompt");
  const seen = [];
  const statuses = [];
  let signedIn = false;
  page.on('request', (r) => { if (signedIn && r.url().includes('/v1/')) seen.push(r.headers().authorization || ''); });
  page.on('response', (r) => { if (signedIn && r.url().includes('/v1/')) statuses.push(r.status()); });
  await page.fill('#login-secret', 'console-token');
  await page.click('#login-ok');
  signedIn = true; // the submit handler ran: every request from now on carries the token
  await go('overview'); // polls /v1/info
  for (const end = Date.now() + STEP_MS; statuses.length < 2 && Date.now() < end;) await page.waitForTimeout(100);
  check(seen.length > 0 && seen.every((a) => a === 'Bearer console-token'), `requests carry Authorization: Bearer (${seen.slice(0, 3)})`);
  check(statuses.length > 0 && statuses.every((st) => st === 200), `the server accepts them (${statuses.slice(0, 5)})`);
  const stored = await page.evaluate(() => sessionStorage.getItem('kvd.console.authorization'));
  check(stored === 'Bearer console-token', 'credentials kept in sessionStorage');
  await go('console');
  check((await run('SET console:authed yes')) === 'OK', 'a command runs after signing in');
  check(await setPass('', 'Bearer console-token') === 200, 'password removed again');
  await page.click('#auth-button');
  await page.click('#login-clear');

  check(pageErrors.length === 0, `no script errors in the page (${pageErrors.join('; ')})`);
  console.log('all console checks passed');
  await browser.close();
  clearTimeout(watchdog);
  process.exit(0);
} catch (e) {
  console.error('FAIL ' + (e && e.stack ? e.stack : e));
  if (pageErrors.length) console.error('page errors: ' + pageErrors.join('; '));
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  clearTimeout(watchdog);
  process.exit(1);
}
