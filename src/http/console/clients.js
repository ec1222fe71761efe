// Client list view: CLIENT LIST through /v1/command, one row per connection (RESP and HTTP;
// this page's own requests are HTTP clients too), with CLIENT KILL ID per row.

import * as api from './api.js';
import { h, replace } from './format.js';

const COLUMNS = ['id', 'addr', 'laddr', 'name', 'age', 'idle', 'flags', 'db', 'sub', 'psub', 'multi',
  'qbuf', 'omem', 'tot-mem', 'cmd', 'user', 'resp'];

/** "id=1 addr=... cmd=client|list\n..." as [{field: value}] (Redis CLIENT LIST format). */
export function parseClientList(text) {
  return String(text).split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
    const row = {};
    for (const part of line.split(' ')) {
      const eq = part.indexOf('=');
      if (eq > 0) row[part.slice(0, eq)] = part.slice(eq + 1);
    }
    return row;
  });
}

export function mount(root) {
  const msg = h('p', { class: 'msg', id: 'clients-msg' });
  const body = h('div', { id: 'clients-body', class: 'scroll-x' });
  const allFields = h('input', { type: 'checkbox', id: 'clients-all', onchange: () => load() });
  let alive = true;

  async function load() {
    try {
      const r = await api.command(['CLIENT', 'LIST']);
      if (!alive) return;
      const text = typeof r === 'string' ? r : api.textOf(api.replyBytes(r)) || '';
      const rows = parseClientList(text);
      // The usual columns; "all fields" adds the rest (lib-name, rbs, events, ...).
      const extra = allFields.checked && rows.length ? Object.keys(rows[0]).filter((k) => !COLUMNS.includes(k)) : [];
      const cols = [...COLUMNS.filter((c) => rows.some((r2) => c in r2)), ...extra];
      msg.textContent = `${rows.length} client(s) at ${new Date().toLocaleTimeString()}`;
      msg.className = 'msg';
      replace(body, h('table', { class: 'grid nowrap', id: 'clients-table' },
        h('thead', null, h('tr', null, cols.map((c) => h('th', null, c)), h('th'))),
        h('tbody', null, rows.map((row) => h('tr', null,
          cols.map((c) => h('td', { class: /^\d+$/.test(row[c] || '') ? 'num' : '' }, row[c] ?? '')),
          h('td', null, h('button', {
            type: 'button', class: 'danger', title: 'CLIENT KILL ID ' + row.id,
            onclick: async () => {
              try {
                await api.command(['CLIENT', 'KILL', 'ID', String(row.id)]);
                load();
              } catch (e) {
                msg.textContent = e.message;
                msg.className = 'msg error';
              }
            },
          }, 'Kill')))))));
    } catch (e) {
      if (!alive) return;
      msg.textContent = e.message;
      msg.className = 'msg error';
    }
  }

  replace(root, h('h1', null, 'Clients'),
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'clients-refresh', onclick: load }, 'Refresh'),
      h('label', null, allFields, ' all fields')),
    msg, body);
  load();
  return () => { alive = false; };
}
