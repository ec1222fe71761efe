// Command console: a redis-cli-like prompt. The line is split as redis-cli splits it
// (quotes, \xHH escapes), run through POST /v1/command, and the reply printed in
// redis-cli's format. Up/Down walk the history (kept in sessionStorage).

import * as api from './api.js';
import { h, replace, splitArgs, formatReply } from './format.js';

const HISTORY_KEY = 'kvd.console.history';
const HISTORY_MAX = 200;

function loadHistory() {
  try { return JSON.parse(sessionStorage.getItem(HISTORY_KEY) || '[]'); } catch { return []; }
}
function saveHistory(hist) {
  try { sessionStorage.setItem(HISTORY_KEY, JSON.stringify(hist.slice(-HISTORY_MAX))); } catch { /* none */ }
}

// The transcript survives view switches (not reloads).
const transcript = [];

export function mount(root) {
  const out = h('div', { class: 'transcript', id: 'cli-output', role: 'log', 'aria-live': 'polite' });
  const input = h('input', {
    id: 'cli-input', class: 'cli-input', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'e.g. SET greeting "hello world"   (Up/Down: history)',
  });
  const prompt = h('span', { class: 'prompt', id: 'cli-prompt' });
  const setPrompt = () => { prompt.textContent = `kvd${api.getDb() ? `[${api.getDb()}]` : ''}> `; };
  setPrompt();
  const hist = loadHistory();
  let pos = hist.length;
  let busy = false;

  function entry(cmdText, replyText, isError) {
    return h('div', { class: 'entry' },
      h('div', { class: 'cmd' }, h('span', { class: 'prompt' }, prompt.textContent), cmdText),
      h('pre', { class: 'reply' + (isError ? ' error' : '') }, replyText));
  }
  function show(e) {
    transcript.push(e);
    out.appendChild(e);
    out.scrollTop = out.scrollHeight;
  }

  async function submit(ev) {
    ev.preventDefault();
    if (busy) return;
    const line = input.value;
    if (!line.trim()) return;
    if (hist[hist.length - 1] !== line) hist.push(line);
    saveHistory(hist);
    pos = hist.length;
    input.value = '';
    const args = splitArgs(line);
    if (args === null) return show(entry(line, 'Invalid argument(s)', true));
    if (args.length === 0) return undefined;
    const name = typeof args[0] === 'string' ? args[0].toLowerCase() : '';
    if (name === 'clear') {
      transcript.length = 0;
      replace(out);
      return undefined;
    }
    busy = true;
    try {
      const reply = await api.command(args, { timeoutMs: 30000 });
      show(entry(line, formatReply(args, reply), false));
    } catch (e) {
      show(entry(line, `(error) ${e.message}`, true));
    } finally {
      busy = false;
      input.focus();
    }
    return undefined;
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowUp') {
      if (pos > 0) { pos--; input.value = hist[pos]; }
      e.preventDefault();
    } else if (e.key === 'ArrowDown') {
      if (pos < hist.length) pos++;
      input.value = pos < hist.length ? hist[pos] : '';
      e.preventDefault();
    }
  });

  replace(root,
    h('h1', null, 'Console'),
    h('p', { class: 'muted small' },
      'Runs commands through POST /v1/command. Arguments are split like redis-cli (use "quotes" and \\xHH). ',
      'Connection-state commands (MULTI, SUBSCRIBE, SELECT, ...) are not available over HTTP; ',
      'pick the database in the top bar. "clear" empties this transcript.'),
    out,
    h('form', { class: 'cli-form', id: 'cli-form', onsubmit: submit }, prompt, input,
      h('button', { type: 'submit', id: 'cli-run' }, 'Run')));
  for (const e of transcript) out.appendChild(e);
  out.scrollTop = out.scrollHeight;
  input.focus();
  return () => {};
}
