// Small helpers shared by the Accord page modules: hex, bytes, and the API
// calls a page makes with the signed-in session (cookie + CSRF header).

const encoder = new TextEncoder();

export function utf8(text) {
  return encoder.encode(text);
}

export function toHex(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Lowercase hex only, as everywhere in Accord's evidence formats. */
export function fromHex(hex, expectedLength, what = 'hex') {
  if (typeof hex !== 'string' || !/^([0-9a-f]{2})*$/.test(hex)) {
    throw new Error(`${what} is not lowercase hex`);
  }
  if (expectedLength !== undefined && hex.length !== expectedLength * 2) {
    throw new Error(`${what} has ${hex.length / 2} bytes, expected ${expectedLength}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** An error from the API, carrying its code and message for the page to show. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `the server answered ${status}`);
    this.status = status;
    this.code = code;
  }
}

let csrfPromise = null;

/**
 * The CSRF token of this session: from `<meta name="csrf-token">` when the
 * page carries it, else from GET /api/me (one request per page load).
 */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return Promise.resolve(meta.content);
  if (!csrfPromise) {
    csrfPromise = getJson('/api/me').then((me) => me.csrf_token);
  }
  return csrfPromise;
}

async function readError(response) {
  let code = '';
  let message = '';
  try {
    const body = await response.json();
    code = body.code || body.error || '';
    message = body.detail || body.message || JSON.stringify(body);
  } catch {
    message = `the server answered ${response.status} ${response.statusText}`;
  }
  return new ApiError(response.status, code, message);
}

export async function getJson(path) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!response.ok) throw await readError(response);
  return response.json();
}

/**
 * A write through the API: JSON body, the session's CSRF token, and
 * If-Match with the log position the change is based on.
 */
export async function sendJson(method, path, body, ifMatch) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  headers['x-csrf-token'] = await csrfToken();
  if (ifMatch !== undefined && ifMatch !== null) headers['if-match'] = `"${ifMatch}"`;
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await readError(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export function negotiationPath(id) {
  return `/api/negotiations/${encodeURIComponent(id)}`;
}

/** Shows a message in a status element (role=status / aria-live) if there is one. */
export function say(element, text, kind = 'info') {
  if (!element) return;
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = false;
}
