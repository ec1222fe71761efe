// Talking to kvd: every request goes through request() so that it carries the Authorization
// header the user entered (kept in sessionStorage) and the selected ?db=N, and so that a 401
// opens the sign-in prompt. Commands run through POST /v1/command (a JSON array of
// arguments, binary ones as {"base64": ...}); replies come back as JSON.

const AUTH_KEY = 'kvd.console.authorization';

/** Raised for a non-2xx answer; .status is the HTTP status, .message the server's error text. */
export class ApiError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || '';
  }
}

let currentDb = 0;
let unauthorizedHandler = null;

/** The database number added as ?db=N to every request. */
export function setDb(n) { currentDb = Number.isInteger(n) && n >= 0 ? n : 0; }
export function getDb() { return currentDb; }

/** The Authorization field value in use, or ''. */
export function authorization() {
  try { return sessionStorage.getItem(AUTH_KEY) || ''; } catch { return ''; }
}

/** Stores credentials: Basic user:secret when a user is given, else Bearer secret; '' clears. */
export function setCredentials(user, secret) {
  let value = '';
  if (secret) value = user ? 'Basic ' + bytesToBase64(utf8(user + ':' + secret)) : 'Bearer ' + secret;
  try {
    if (value) sessionStorage.setItem(AUTH_KEY, value);
    else sessionStorage.removeItem(AUTH_KEY);
  } catch { /* storage disabled: nothing kept */ }
}

/** fn(message) is called when the server answers 401. */
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

function withDb(path) {
  if (!currentDb) return path;
  return path + (path.includes('?') ? '&' : '?') + 'db=' + currentDb;
}

/** fetch() with auth, db and a timeout; returns the parsed JSON body or throws ApiError. */
export async function request(method, path, body, { timeoutMs = 10000 } = {}) {
  const headers = { Accept: 'application/json' };
  const auth = authorization();
  if (auth) headers.Authorization = auth;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res;
  try {
    res = await fetch(withDb(path), { method, headers, body: payload, signal: ctl.signal, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, e.name === 'AbortError' ? `no answer within ${timeoutMs / 1000} s` : 'network error: ' + e.message);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.status === 401) {
    const msg = (data && data.error) || 'authentication required';
    if (unauthorizedHandler) unauthorizedHandler(msg);
    throw new ApiError(401, msg, (data && data.code) || 'UNAUTHORIZED');
  }
  if (!res.ok) {
    const msg = data && typeof data.error === 'string' ? data.error : `HTTP ${res.status}`;
    throw new ApiError(res.status, msg, data && data.code);
  }
  return data;
}

/** INFO as {section: {field: value}}. */
export function info(section) {
  return request('GET', '/v1/info' + (section ? '?section=' + encodeURIComponent(section) : ''));
}

function encodeArg(a) {
  if (a instanceof Uint8Array) return { base64: bytesToBase64(a) };
  return String(a);
}

/** Runs one command; args are strings or Uint8Array (binary). Returns the JSON reply. */
export async function command(args, opts) {
  const data = await request('POST', '/v1/command', args.map(encodeArg), opts);
  return data ? data.result : null;
}

/**
 * Runs one command with ?encoding=base64: every bulk string of the reply (and every map
 * key that is a bulk string) comes back as base64 text, so exact bytes survive.
 * Simple strings, numbers and nulls are unchanged.
 */
export async function commandB64(args, opts) {
  const data = await request('POST', '/v1/command?encoding=base64', args.map(encodeArg), opts);
  return data ? data.result : null;
}

// ---- bytes ----

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a JS string. */
export function utf8(s) { return encoder.encode(s); }

/** The text of UTF-8 bytes, or null when they are not valid UTF-8. */
export function textOf(bytes) {
  try { return strictDecoder.decode(bytes); } catch { return null; }
}

export function bytesToBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A reply element of a ?encoding=base64 call (base64 text) as bytes; null stays null. */
export function b64(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && typeof v.base64 === 'string') return base64ToBytes(v.base64);
  return base64ToBytes(String(v));
}

/** A reply element of a plain call: a string, or {"base64": ...} for non-UTF-8 bytes. */
export function replyBytes(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && typeof v.base64 === 'string') return base64ToBytes(v.base64);
  return utf8(String(v));
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
