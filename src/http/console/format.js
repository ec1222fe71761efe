// DOM building without HTML strings, byte rendering, and redis-cli's reply format.
// Nothing here assigns innerHTML: every key, value or server text reaches the page as a
// text node or an attribute value, so arbitrary bytes cannot inject markup.

import { replyBytes, textOf } from './api.js';

/**
 * Creates an element. props: {class, text, title, value, type, ..., onclick: fn, dataset: {}};
 * children: nodes, strings (become text nodes), arrays, null/false (skipped).
 */
export function h(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (k === 'value') e.value = v;
      else if (k === 'checked' || k === 'disabled') e[k] = !!v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else if (c instanceof Node) e.appendChild(c);
    else e.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `e`. */
export function replace(e, ...children) {
  e.replaceChildren();
  append(e, children);
  return e;
}

/** redis-cli's quoting (sdscatrepr): "..." with \n \r \t \a \b \\ \" and \xHH for other bytes. */
export function repr(bytes) {
  let out = '"';
  for (const c of bytes) {
    switch (c) {
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      default:
        out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return out + '"';
}

/** True when text has control characters other than tab and newline. */
function hasControls(s) {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b-\u001f\u007f]/.test(s);
}

/**
 * Bytes for display: {text, binary}. UTF-8 without control characters shows as itself;
 * anything else as redis-cli's quoted form, with binary=true.
 */
export function displayBytes(bytes) {
  const t = textOf(bytes);
  if (t !== null && !hasControls(t)) return { text: t, binary: false };
  return { text: repr(bytes), binary: true };
}

/** A <span> showing bytes (class "bin" when shown escaped), with the byte count as title. */
export function bytesSpan(bytes, cls) {
  const d = displayBytes(bytes);
  return h('span', { class: (cls || '') + (d.binary ? ' bin' : ''), title: `${bytes.length} bytes` }, d.text);
}

/**
 * Splits a command line like redis-cli (sdssplitargs): "double quotes" with \n \r \t \b \a
 * \xHH escapes, 'single quotes', whitespace between arguments. Returns null when quotes are
 * unbalanced. Each argument is a string when its bytes are valid UTF-8, else a Uint8Array.
 */
export function splitArgs(line) {
  const enc = new TextEncoder();
  const out = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\v' || c === '\f';
  const hex = (c) => c !== undefined && /[0-9a-fA-F]/.test(c);
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    const cur = [];
    const text = (str) => { for (const b of enc.encode(str)) cur.push(b); };
    let inq = false; // inside "double quotes"
    let insq = false; // inside 'single quotes'
    let done = false;
    while (!done) {
      const c = line[i];
      if (inq) {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === 'x' && hex(line[i + 2]) && hex(line[i + 3])) {
          cur.push(parseInt(line.substr(i + 2, 2), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const m = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' }[line[i]];
          text(m !== undefined ? m : line[i]);
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          text(c);
        }
      } else if (insq) {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          text("'");
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          text(c);
        }
      } else if (i >= n || isSpace(c)) {
        done = true;
      } else if (c === '"') {
        inq = true;
      } else if (c === "'") {
        insq = true;
      } else {
        // A surrogate pair is two UTF-16 units: take both.
        const cp = line.codePointAt(i);
        const ch = String.fromCodePoint(cp);
        text(ch);
        i += ch.length - 1;
      }
      if (i < n) i++;
    }
    const bytes = Uint8Array.from(cur);
    const t = textOf(bytes);
    out.push(t !== null ? t : bytes);
  }
}

// Commands whose replies redis-cli prints raw (redis-cli.c cliSendCommand, output_raw).
function rawOutput(args) {
  const a = args.map((x) => (typeof x === 'string' ? x.toLowerCase() : ''));
  const [c, s] = a;
  return c === 'info' || c === 'lolwut' ||
    (c === 'debug' && (s === 'htstats' || s === 'htstats-key')) ||
    (c === 'memory' && (s === 'malloc-stats' || s === 'doctor')) ||
    (c === 'cluster' && a.length === 2 && (s === 'nodes' || s === 'info')) ||
    (c === 'client' && (s === 'list' || s === 'info')) ||
    (c === 'latency' && ((a.length === 3 && s === 'graph') || (a.length === 2 && s === 'doctor')));
}

// Status (simple string) replies are printed unquoted by redis-cli. JSON does not keep the
// simple/bulk distinction, so this guesses from the command and the text.
function isStatus(args, v) {
  const c = typeof args[0] === 'string' ? args[0].toLowerCase() : '';
  if (v === 'OK' || v === 'QUEUED') return true;
  if (c === 'ping' && args.length === 1) return true;
  return ['type', 'save', 'bgsave', 'bgrewriteaof', 'shutdown'].includes(c);
}

function isBytesObject(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.base64 === 'string';
}

function isErrorObject(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.error === 'string';
}

// cliFormatReplyTTY for one reply (JSON from /v1/command): maps print as RESP2 flat arrays,
// as redis-cli does by default; whole doubles arrive as integers and print "(integer) n".
function formatTTY(v, prefix, top, args) {
  if (v === null || v === undefined) return '(nil)\n';
  if (typeof v === 'boolean') return v ? '(true)\n' : '(false)\n';
  if (typeof v === 'number') return Number.isInteger(v) ? `(integer) ${v}\n` : `${repr(new TextEncoder().encode(String(v)))}\n`;
  if (typeof v === 'string') {
    if (top && isStatus(args, v)) return v + '\n';
    return repr(new TextEncoder().encode(v)) + '\n';
  }
  if (isBytesObject(v)) return repr(replyBytes(v)) + '\n';
  if (isErrorObject(v)) return `(error) ${v.error}\n`;
  let items = v;
  if (!Array.isArray(v)) items = Object.entries(v).flat();
  if (items.length === 0) return Array.isArray(v) ? '(empty array)\n' : '(empty array)\n';
  const idxlen = String(items.length).length;
  const childPrefix = prefix + ' '.repeat(idxlen + 2);
  let out = '';
  items.forEach((e, i) => {
    out += (i === 0 ? '' : prefix) + String(i + 1).padStart(idxlen, ' ') + ') ';
    out += formatTTY(e, childPrefix, false, args);
  });
  return out;
}

function formatRaw(v) {
  if (v === null || v === undefined) return '\n';
  if (typeof v === 'string') return v.endsWith('\n') ? v : v + '\n';
  if (isBytesObject(v)) {
    const t = textOf(replyBytes(v));
    return (t !== null ? t : repr(replyBytes(v))) + '\n';
  }
  if (typeof v !== 'object') return String(v) + '\n';
  const items = Array.isArray(v) ? v : Object.entries(v).flat();
  return items.map((e) => formatRaw(e)).join('');
}

/** A /v1/command reply printed as redis-cli prints it for `args` (the command line). */
export function formatReply(args, v) {
  const text = rawOutput(args) ? formatRaw(v) : formatTTY(v, '', true, args);
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Bytes as "1.2 MB" style text (base 1024, as Redis's used_memory_human). */
export function humanBytes(n) {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(Math.round(n)) : String(Number(n.toFixed(2)))) + units[i];
}

/** Seconds as "3d 4h", "5m 2s" or "12s". */
export function humanDuration(sec) {
  sec = Math.max(0, Math.floor(sec));
  const d = Math.floor(sec / 86400), hh = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}
