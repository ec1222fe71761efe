// Overview: server facts and live charts of ops/s, memory and clients, from GET /v1/info
// polled once a second while the view is shown. ops/s is the change of
// total_commands_processed between two polls (the poll's own INFO counts too).

import * as api from './api.js';
import { LineChart, plainLabel } from './chart.js';
import { h, replace, humanBytes, humanDuration } from './format.js';

const POLL_MS = 1000;

// Kept across view switches so the charts do not restart empty.
const history = { ops: [], mem: [], clients: [] };
let last = null; // {t, total}

function keyCount(keyspace) {
  let keys = 0;
  for (const v of Object.values(keyspace || {})) {
    const m = /(?:^|,)keys=(\d+)/.exec(String(v));
    if (m) keys += Number(m[1]);
  }
  return keys;
}

export function mount(root) {
  let timer = null;
  let stopped = false;

  const tile = (id, label) => h('div', { class: 'tile' },
    h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', id }, '-'));
  const charts = {
    ops: new LineChart(h('canvas', { class: 'chart', id: 'chart-ops' }), { format: (v) => (v >= 1000 ? plainLabel(v / 1000) + 'k' : plainLabel(v)) }),
    mem: new LineChart(h('canvas', { class: 'chart', id: 'chart-mem' }), { format: humanBytes, color: '#1e63b3', binary: true }),
    clients: new LineChart(h('canvas', { class: 'chart', id: 'chart-clients' }), { color: '#2e7d32' }),
  };
  const status = h('p', { class: 'muted small', id: 'overview-status' }, 'Waiting for /v1/info ...');
  replace(root,
    h('h1', null, 'Overview'),
    h('div', { class: 'tiles' },
      tile('stat-ops', 'ops/s'), tile('stat-mem', 'used memory'), tile('stat-clients', 'clients'),
      tile('stat-keys', 'keys'), tile('stat-uptime', 'uptime'), tile('stat-version', 'version')),
    h('div', { class: 'charts' },
      h('section', { class: 'card' }, h('h2', null, 'Operations per second'), charts.ops.canvas),
      h('section', { class: 'card' }, h('h2', null, 'Used memory'), charts.mem.canvas),
      h('section', { class: 'card' }, h('h2', null, 'Connected clients'), charts.clients.canvas)),
    status);
  for (const k of Object.keys(charts)) {
    charts[k].samples = history[k];
    charts[k].draw();
  }
  const set = (id, text) => { const e = root.querySelector('#' + id); if (e) e.textContent = text; };

  async function poll() {
    if (stopped) return;
    try {
      const info = await api.info('all');
      if (stopped) return;
      const server = info.server || {}, stats = info.stats || {}, memory = info.memory || {}, clients = info.clients || {};
      const now = performance.now();
      const total = Number(stats.total_commands_processed);
      let ops = Number(stats.instantaneous_ops_per_sec);
      if (last && Number.isFinite(total) && total >= last.total && now > last.t) {
        ops = ((total - last.total) * 1000) / (now - last.t);
      }
      last = { t: now, total };
      const mem = Number(memory.used_memory);
      const nclients = Number(clients.connected_clients);
      set('stat-ops', Number.isFinite(ops) ? String(Math.round(ops)) : '-');
      set('stat-mem', memory.used_memory_human || humanBytes(mem));
      set('stat-clients', Number.isFinite(nclients) ? String(nclients) : '-');
      set('stat-keys', String(keyCount(info.keyspace)));
      set('stat-uptime', humanDuration(Number(server.uptime_in_seconds) || 0));
      set('stat-version', (server.kvd_version || server.redis_version || '-'));
      charts.ops.push(ops);
      charts.mem.push(mem);
      charts.clients.push(nclients);
      status.textContent = `Updated ${new Date().toLocaleTimeString()} (every ${POLL_MS / 1000} s)`;
      status.classList.remove('error');
    } catch (e) {
      status.textContent = `/v1/info failed: ${e.message}`;
      status.classList.add('error');
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }
  const onResize = () => Object.values(charts).forEach((c) => c.draw());
  window.addEventListener('resize', onResize);
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('resize', onResize);
  };
}
