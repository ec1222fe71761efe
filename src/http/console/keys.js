// Key browser: SCAN with a MATCH pattern and cursor paging, a type-aware view and editor for
// strings, lists, sets, hashes and sorted sets, TTL view/set/persist, delete, and a form
// that creates keys. Every command goes through POST /v1/command?encoding=base64, so keys,
// fields, members and values keep their exact bytes both ways (binary ones are shown
// escaped, redis-cli style, and are not editable as text).

import * as api from './api.js';
import { h, replace, bytesSpan, displayBytes, humanDuration } from './format.js';

const PAGE = 50;

// Survives view switches.
const state = {
  pattern: '*',
  cursor: '0',
  keys: [], // Uint8Array
  done: false,
  selected: null, // Uint8Array
  db: 0, // the database these keys came from
};

const bytesText = (b) => api.textOf(b);
const cursorOf = (v) => api.textOf(api.b64(v)) || '0';

function message(el, text, isError) {
  el.textContent = text;
  el.className = 'msg' + (isError ? ' error' : ' ok');
}

/** A confirm-in-place button: the first click arms it, the second (within 4 s) runs fn. */
function confirmButton(label, fn, props = {}) {
  let armed = null;
  const b = h('button', {
    type: 'button', class: 'danger', ...props,
    onclick: () => {
      if (armed) {
        clearTimeout(armed);
        armed = null;
        b.textContent = label;
        fn();
        return;
      }
      b.textContent = 'Confirm ' + label.toLowerCase();
      armed = setTimeout(() => { armed = null; b.textContent = label; }, 4000);
    },
  }, label);
  return b;
}

export function mount(root) {
  let alive = true;
  if (state.db !== api.getDb()) {
    Object.assign(state, { cursor: '0', keys: [], done: false, selected: null, db: api.getDb() });
  }
  const listEl = h('ul', { class: 'key-list', id: 'key-list' });
  const scanInfo = h('p', { class: 'muted small', id: 'scan-info' });
  const patternIn = h('input', { id: 'scan-pattern', value: state.pattern, placeholder: 'MATCH pattern, e.g. user:*', spellcheck: 'false' });
  const moreBtn = h('button', { type: 'button', id: 'scan-more', onclick: () => scan(false) }, 'More');
  const detail = h('section', { class: 'card detail', id: 'detail' }, h('p', { class: 'muted' }, 'Select a key.'));

  // ---- new key form ----
  const newKey = h('input', { id: 'new-key', placeholder: 'key name', spellcheck: 'false' });
  const newType = h('select', { id: 'new-type' },
    ['string', 'hash', 'list', 'set', 'zset'].map((t) => h('option', { value: t }, t)));
  const newField = h('input', { id: 'new-field', placeholder: 'field', spellcheck: 'false' });
  const newScore = h('input', { id: 'new-score', placeholder: 'score', value: '0', inputmode: 'decimal' });
  const newValue = h('input', { id: 'new-value', placeholder: 'value', spellcheck: 'false' });
  const newMsg = h('p', { class: 'msg', id: 'new-msg' });
  const syncNewForm = () => {
    const t = newType.value;
    newField.hidden = t !== 'hash';
    newScore.hidden = t !== 'zset';
    newValue.placeholder = t === 'set' || t === 'zset' ? 'member' : 'value';
  };
  newType.addEventListener('change', syncNewForm);
  syncNewForm();

  async function createKey(ev) {
    ev.preventDefault();
    const key = newKey.value;
    if (!key) return message(newMsg, 'Enter a key name.', true);
    const t = newType.value;
    const v = newValue.value;
    let cmd;
    if (t === 'string') cmd = ['SET', key, v, 'NX'];
    else if (t === 'hash') cmd = ['HSET', key, newField.value, v];
    else if (t === 'list') cmd = ['RPUSH', key, v];
    else if (t === 'set') cmd = ['SADD', key, v];
    else cmd = ['ZADD', key, newScore.value, v];
    try {
      if (t !== 'string' && (await api.command(['EXISTS', key])) === 1) {
        return message(newMsg, 'That key exists already: select it to edit it.', true);
      }
      const r = await api.command(cmd);
      if (t === 'string' && r === null) return message(newMsg, 'That key exists already: select it to edit it.', true);
      message(newMsg, `Created ${t} key.`, false);
      const kb = api.utf8(key);
      if (!state.keys.some((k) => api.sameBytes(k, kb))) {
        state.keys.unshift(kb);
        renderList();
      }
      select(kb);
    } catch (e) {
      message(newMsg, e.message, true);
    }
  }

  replace(root,
    h('h1', null, 'Keys'),
    h('div', { class: 'keys-layout' },
      h('div', { class: 'keys-side' },
        h('form', { class: 'card row', id: 'scan-form', onsubmit: (e) => { e.preventDefault(); scan(true); } },
          patternIn, h('button', { type: 'submit', id: 'scan-button' }, 'Scan')),
        scanInfo, listEl, moreBtn,
        h('form', { class: 'card new-key', id: 'new-form', onsubmit: createKey },
          h('h2', null, 'New key'), newKey, newType, newField, newScore, newValue,
          h('button', { type: 'submit', id: 'new-create' }, 'Create'), newMsg)),
      detail));

  function renderList() {
    replace(listEl, state.keys.map((k) => {
      const sel = state.selected && api.sameBytes(k, state.selected);
      return h('li', null, h('button', {
        type: 'button', class: 'key' + (sel ? ' selected' : ''), onclick: () => select(k),
      }, bytesSpan(k)));
    }));
    scanInfo.textContent = `${state.keys.length} key(s) for MATCH ${state.pattern}` +
      (state.done ? ' (scan complete)' : ` (cursor ${state.cursor}; More continues)`);
    moreBtn.disabled = state.done;
  }

  // One page: SCAN steps until PAGE keys arrived or the cursor is back at 0 (at most 50 steps).
  async function scan(reset) {
    if (reset) {
      state.pattern = patternIn.value || '*';
      state.cursor = '0';
      state.keys = [];
      state.done = false;
    }
    if (state.done) return;
    scanInfo.textContent = 'Scanning ...';
    try {
      let got = 0;
      for (let step = 0; step < 50 && got < PAGE; step++) {
        const r = await api.commandB64(['SCAN', state.cursor, 'MATCH', state.pattern, 'COUNT', String(PAGE)]);
        state.cursor = cursorOf(r[0]);
        for (const k of r[1]) state.keys.push(api.b64(k));
        got += r[1].length;
        if (state.cursor === '0') { state.done = true; break; }
      }
      if (alive) renderList();
    } catch (e) {
      scanInfo.textContent = 'SCAN failed: ' + e.message;
    }
  }

  // ---- detail ----

  async function select(key) {
    state.selected = key;
    renderList();
    await showDetail(key);
  }

  async function showDetail(key, note) {
    const msg = h('p', { class: 'msg', id: 'detail-msg' });
    const fail = (e) => message(msg, e.message, true);
    let type, pttl, enc;
    try {
      type = await api.command(['TYPE', key]);
      pttl = await api.command(['PTTL', key]);
      enc = type === 'none' ? null : api.textOf(api.b64(await api.commandB64(['OBJECT', 'ENCODING', key])));
    } catch (e) {
      replace(detail, h('p', { class: 'msg error' }, e.message));
      return;
    }
    if (!alive || state.selected !== key) return;
    if (type === 'none') {
      replace(detail, h('h2', null, bytesSpan(key)), h('p', { class: 'muted', id: 'detail-missing' },
        'This key does not exist (any more).'), msg);
      return;
    }
    const refresh = (text) => showDetail(key, text);
    const run = async (cmd, okText) => {
      try {
        await api.command(cmd);
        refresh(okText);
      } catch (e) {
        fail(e);
      }
    };

    const ttlIn = h('input', { id: 'ttl-seconds', placeholder: 'seconds', inputmode: 'numeric', size: 8 });
    const ttlText = pttl === -1 ? 'no expiry' : pttl < 0 ? 'gone' : `${humanDuration(pttl / 1000)} (${pttl} ms)`;
    const header = [
      h('h2', { class: 'detail-key', id: 'detail-key' }, bytesSpan(key)),
      h('p', { class: 'facts' },
        h('span', { class: 'badge', id: 'detail-type' }, type),
        enc ? h('span', { class: 'badge muted' }, enc) : null,
        h('span', { id: 'detail-ttl' }, 'TTL: ' + ttlText)),
      h('form', { class: 'row', onsubmit: (e) => {
        e.preventDefault();
        const n = ttlIn.value.trim();
        if (!/^\d+$/.test(n)) return message(msg, 'TTL must be a whole number of seconds.', true);
        run(['EXPIRE', key, n], `TTL set to ${n} s.`);
      } },
      ttlIn, h('button', { type: 'submit', id: 'ttl-set' }, 'Set TTL'),
      h('button', { type: 'button', id: 'ttl-persist', onclick: () => run(['PERSIST', key], 'Expiry removed.') }, 'Persist'),
      h('button', { type: 'button', id: 'detail-refresh', onclick: () => refresh() }, 'Refresh'),
      confirmButton('Delete', async () => {
        try {
          await api.command(['DEL', key]);
          state.keys = state.keys.filter((k) => !api.sameBytes(k, key));
          state.selected = null;
          renderList();
          replace(detail, h('p', { class: 'msg ok', id: 'detail-msg' }, 'Deleted.'));
        } catch (e) {
          fail(e);
        }
      }, { id: 'detail-delete' })),
      msg,
    ];
    const body = h('div', { class: 'value-view', id: 'value-view' });
    replace(detail, header, body);
    const views = { string: stringView, hash: hashView, list: listView, set: setView, zset: zsetView };
    const view = views[type];
    if (!view) {
      replace(body, h('p', { class: 'muted' }, `Values of type ${type} are not shown here; use the console.`));
      if (note) message(msg, note, false);
      return;
    }
    try {
      await view(body, key, { run, fail, refresh, msg });
      body.dataset.state = 'ready';
      // The note appears once the value is shown, so it also says "the view is current".
      if (note) message(msg, note, false);
    } catch (e) {
      fail(e);
    }
  }

  // An editable text cell for bytes: an input when they are UTF-8 text, else escaped and read-only.
  function valueCell(bytes, onSave, id) {
    const text = bytesText(bytes);
    if (text === null || displayBytes(bytes).binary) {
      return h('td', null, bytesSpan(bytes), h('span', { class: 'muted small' }, ' binary, read-only'));
    }
    const input = h('input', { value: text, class: 'cell-input', id, spellcheck: 'false' });
    return h('td', { class: 'row' }, input,
      h('button', { type: 'button', onclick: () => onSave(input.value) }, 'Save'));
  }

  async function stringView(body, key, { run }) {
    const v = api.b64(await api.commandB64(['GET', key]));
    const len = v ? v.length : 0;
    const text = v ? bytesText(v) : '';
    if (text === null || (v && displayBytes(v).binary)) {
      replace(body, h('p', { class: 'muted' }, `${len} bytes, not text: shown escaped, edit it with the console.`),
        h('pre', { class: 'value bin', id: 'string-value' }, displayBytes(v).text));
      return;
    }
    const ta = h('textarea', { id: 'string-value', rows: 8, spellcheck: 'false' });
    ta.value = text;
    replace(body, h('p', { class: 'muted small' }, `${len} bytes`), ta,
      h('div', { class: 'row' }, h('button', {
        type: 'button', id: 'string-save', onclick: () => run(['SET', key, ta.value, 'KEEPTTL'], 'Saved.'),
      }, 'Save')));
  }

  async function hashView(body, key, { run, fail }) {
    const len = await api.command(['HLEN', key]);
    const rows = h('tbody');
    let cursor = '0';
    const more = h('button', { type: 'button', id: 'hash-more' }, 'More');
    const load = async () => {
      const r = await api.commandB64(['HSCAN', key, cursor, 'COUNT', String(PAGE)]);
      cursor = cursorOf(r[0]);
      const flat = r[1];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const f = api.b64(flat[i]), v = api.b64(flat[i + 1]);
        rows.appendChild(h('tr', null, h('td', null, bytesSpan(f)),
          valueCell(v, (nv) => run(['HSET', key, f, nv], 'Field saved.')),
          h('td', null, confirmButton('Delete', () => run(['HDEL', key, f], 'Field deleted.')))));
      }
      more.disabled = cursor === '0';
    };
    more.addEventListener('click', () => load().catch(fail));
    const fIn = h('input', { id: 'hash-add-field', placeholder: 'field', spellcheck: 'false' });
    const vIn = h('input', { id: 'hash-add-value', placeholder: 'value', spellcheck: 'false' });
    replace(body, h('p', { class: 'muted small' }, `${len} field(s)`),
      h('table', { class: 'grid', id: 'hash-table' }, h('thead', null, h('tr', null, h('th', null, 'field'), h('th', null, 'value'), h('th'))), rows),
      more,
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); run(['HSET', key, fIn.value, vIn.value], 'Field saved.'); } },
        fIn, vIn, h('button', { type: 'submit', id: 'hash-add-button' }, 'Set field')));
    await load();
  }

  async function listView(body, key, { run, fail }) {
    const len = await api.command(['LLEN', key]);
    let start = 0;
    const rows = h('tbody');
    const pos = h('span', { class: 'muted small' });
    const prev = h('button', { type: 'button' }, 'Previous');
    const next = h('button', { type: 'button' }, 'Next');
    const load = async () => {
      const r = await api.commandB64(['LRANGE', key, String(start), String(start + PAGE - 1)]);
      replace(rows, r.map((e, i) => {
        const idx = start + i;
        const v = api.b64(e);
        return h('tr', null, h('td', { class: 'num' }, String(idx)),
          valueCell(v, (nv) => run(['LSET', key, String(idx), nv], `Element ${idx} saved.`)));
      }));
      pos.textContent = `elements ${start}..${start + r.length - 1} of ${len}`;
      prev.disabled = start === 0;
      next.disabled = start + PAGE >= len;
    };
    prev.addEventListener('click', () => { start = Math.max(0, start - PAGE); load().catch(fail); });
    next.addEventListener('click', () => { start += PAGE; load().catch(fail); });
    const vIn = h('input', { id: 'list-add-value', placeholder: 'value', spellcheck: 'false' });
    replace(body,
      h('table', { class: 'grid', id: 'list-table' }, h('thead', null, h('tr', null, h('th', null, 'index'), h('th', null, 'value'))), rows),
      h('div', { class: 'row' }, prev, next, pos),
      h('div', { class: 'row' }, vIn,
        h('button', { type: 'button', id: 'list-lpush', onclick: () => run(['LPUSH', key, vIn.value], 'Pushed at the head.') }, 'LPUSH'),
        h('button', { type: 'button', id: 'list-rpush', onclick: () => run(['RPUSH', key, vIn.value], 'Pushed at the tail.') }, 'RPUSH'),
        h('button', { type: 'button', onclick: () => run(['LPOP', key], 'Popped the head.') }, 'LPOP'),
        h('button', { type: 'button', onclick: () => run(['RPOP', key], 'Popped the tail.') }, 'RPOP')));
    await load();
  }

  async function setView(body, key, { run, fail }) {
    const len = await api.command(['SCARD', key]);
    const rows = h('tbody');
    let cursor = '0';
    const more = h('button', { type: 'button', id: 'set-more' }, 'More');
    const load = async () => {
      const r = await api.commandB64(['SSCAN', key, cursor, 'COUNT', String(PAGE)]);
      cursor = cursorOf(r[0]);
      for (const e of r[1]) {
        const m = api.b64(e);
        rows.appendChild(h('tr', null, h('td', null, bytesSpan(m)),
          h('td', null, confirmButton('Remove', () => run(['SREM', key, m], 'Member removed.')))));
      }
      more.disabled = cursor === '0';
    };
    more.addEventListener('click', () => load().catch(fail));
    const mIn = h('input', { id: 'set-add-member', placeholder: 'member', spellcheck: 'false' });
    replace(body, h('p', { class: 'muted small' }, `${len} member(s)`),
      h('table', { class: 'grid', id: 'set-table' }, h('thead', null, h('tr', null, h('th', null, 'member'), h('th'))), rows),
      more,
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); run(['SADD', key, mIn.value], 'Member added.'); } },
        mIn, h('button', { type: 'submit', id: 'set-add-button' }, 'SADD')));
    await load();
  }

  async function zsetView(body, key, { run, fail }) {
    const len = await api.command(['ZCARD', key]);
    let start = 0;
    const rows = h('tbody');
    const pos = h('span', { class: 'muted small' });
    const prev = h('button', { type: 'button' }, 'Previous');
    const next = h('button', { type: 'button' }, 'Next');
    const load = async () => {
      const r = await api.commandB64(['ZRANGE', key, String(start), String(start + PAGE - 1), 'WITHSCORES']);
      // RESP3 gives [member, score] pairs; a flat member, score, ... list is accepted too.
      const pairs = [];
      if (r.length && Array.isArray(r[0])) for (const p of r) pairs.push(p);
      else for (let i = 0; i + 1 < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
      replace(rows, pairs.map(([mv, sv], i) => {
        const m = api.b64(mv);
        // A score is a JSON number, "inf"/"-inf", or (RESP2 shape) base64 text.
        let score = typeof sv === 'number' || sv === 'inf' || sv === '-inf' ? String(sv) : api.textOf(api.b64(sv));
        if (score === 'inf') score = '+inf';
        const sIn = h('input', { value: score, class: 'score-input', size: 10 });
        return h('tr', null, h('td', { class: 'num' }, String(start + i)), h('td', null, bytesSpan(m)),
          h('td', { class: 'row' }, sIn, h('button', {
            type: 'button', onclick: () => run(['ZADD', key, 'XX', sIn.value, m], 'Score saved.'),
          }, 'Save')),
          h('td', null, confirmButton('Remove', () => run(['ZREM', key, m], 'Member removed.'))));
      }));
      pos.textContent = `ranks ${start}..${start + pairs.length - 1} of ${len}`;
      prev.disabled = start === 0;
      next.disabled = start + PAGE >= len;
    };
    prev.addEventListener('click', () => { start = Math.max(0, start - PAGE); load().catch(fail); });
    next.addEventListener('click', () => { start += PAGE; load().catch(fail); });
    const mIn = h('input', { id: 'zset-add-member', placeholder: 'member', spellcheck: 'false' });
    const sIn = h('input', { id: 'zset-add-score', placeholder: 'score', size: 10 });
    replace(body,
      h('table', { class: 'grid', id: 'zset-table' }, h('thead', null, h('tr', null, h('th', null, 'rank'), h('th', null, 'member'), h('th', null, 'score'), h('th'))), rows),
      h('div', { class: 'row' }, prev, next, pos),
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); run(['ZADD', key, sIn.value, mIn.value], 'Member added.'); } },
        sIn, mIn, h('button', { type: 'submit', id: 'zset-add-button' }, 'ZADD')));
    await load();
  }

  renderList();
  if (state.keys.length === 0 && !state.done) scan(true);
  if (state.selected) showDetail(state.selected);
  return () => { alive = false; };
}
