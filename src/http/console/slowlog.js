// Slowlog view: SLOWLOG GET through /v1/command (entries: id, unix time, duration in
// microseconds, arguments, client address, client name). When the server answers an
// error (for instance while SLOWLOG is not implemented) the error text is shown as is.

import * as api from './api.js';
import { h, replace, bytesSpan } from './format.js';

export function mount(root) {
  const countIn = h('input', { id: 'slowlog-count', value: '128', size: 5, inputmode: 'numeric' });
  const msg = h('p', { class: 'msg', id: 'slowlog-msg' });
  const body = h('div', { id: 'slowlog-body' });
  let alive = true;

  async function load() {
    msg.textContent = 'Loading ...';
    msg.className = 'msg';
    try {
      const n = /^\d+$/.test(countIn.value.trim()) ? countIn.value.trim() : '128';
      const [entries, len] = [await api.commandB64(['SLOWLOG', 'GET', n]), await api.command(['SLOWLOG', 'LEN'])];
      if (!alive) return;
      msg.textContent = `${entries.length} of ${len} entries (newest first). Threshold: CONFIG slowlog-log-slower-than.`;
      const text = (v) => (v === null || v === undefined ? '' : api.textOf(api.b64(v)) ?? '');
      replace(body, h('table', { class: 'grid', id: 'slowlog-table' },
        h('thead', null, h('tr', null, ['id', 'time', 'duration (µs)', 'command', 'client', 'name'].map((c) => h('th', null, c)))),
        h('tbody', null, entries.map((e) => {
          const [id, ts, us, args, addr, name] = e;
          const argList = Array.isArray(args) ? args.map((a) => api.b64(a)) : [];
          return h('tr', null,
            h('td', { class: 'num' }, String(id)),
            h('td', null, new Date(Number(ts) * 1000).toLocaleString()),
            h('td', { class: 'num' }, String(us)),
            h('td', { class: 'args' }, argList.map((a, i) => [i ? ' ' : '', bytesSpan(a, 'arg')])),
            h('td', null, text(addr)),
            h('td', null, text(name)));
        }))));
    } catch (e) {
      if (!alive) return;
      msg.textContent = e.message;
      msg.className = 'msg error';
      replace(body);
    }
  }

  async function reset() {
    try {
      await api.command(['SLOWLOG', 'RESET']);
      load();
    } catch (e) {
      msg.textContent = e.message;
      msg.className = 'msg error';
    }
  }

  replace(root, h('h1', null, 'Slowlog'),
    h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); load(); } },
      h('label', null, 'entries ', countIn),
      h('button', { type: 'submit', id: 'slowlog-refresh' }, 'Refresh'),
      h('button', { type: 'button', id: 'slowlog-reset', class: 'danger', onclick: reset }, 'Reset')),
    msg, body);
  load();
  return () => { alive = false; };
}
