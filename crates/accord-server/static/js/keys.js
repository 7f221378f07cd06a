// A party's Ed25519 signing key in the browser.
//
// The private key lives in IndexedDB as a NON-extractable CryptoKey: page
// script can sign with it but never read it. Backup is the `accord keygen`
// key file (docs/bundle-format.md §2), sealed once when the key is made, from
// the seed, which exists in memory only for that moment. So "export" hands
// out the encrypted file kept next to the key, and "import" opens a file
// (from `accord keygen` or another browser) and keeps it the same way.
//
// Argon2id is not in WebCrypto; it comes from the npm package hash-wasm,
// which scripts/web-deps installs and the server serves under /static/vendor/.
// Only sealing and opening key files need it: a browser without it can still
// make a key, register it and sign, but cannot back that key up.

import { toHex, fromHex, concat, utf8, equalBytes, getJson, sendJson, negotiationPath } from './util.js';
import { keyRegistrationStatement } from './evidence.js';

export const ARGON2_MODULE = '/static/vendor/hash-wasm/index.esm.min.js';
const KEY_FILE_FORMAT = 'accord-key/v1';
// OWASP's Argon2id recommendation, as `accord keygen` uses.
export const DEFAULT_KDF = { m_cost: 19 * 1024, t_cost: 2, p_cost: 1 };
// Like the CLI: refuse key files that ask for unbounded work.
const MAX_M_COST = 4 * 1024 * 1024;
const MAX_T_COST = 64;
const MAX_P_COST = 16;
// An Ed25519 PKCS#8 PrivateKeyInfo is this fixed prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420');

const DB_NAME = 'accord';
const DB_VERSION = 1;

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('keys')) db.createObjectStore('keys', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('checkpoints')) db.createObjectStore('checkpoints', { keyPath: 'negotiation' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(name, mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const request = action(tx.objectStore(name));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('the browser storage transaction was aborted'));
    });
  } finally {
    db.close();
  }
}

export function dbGet(store, id) {
  return withStore(store, 'readonly', (s) => s.get(id));
}

export function dbPut(store, record) {
  return withStore(store, 'readwrite', (s) => s.put(record));
}

export function dbDelete(store, id) {
  return withStore(store, 'readwrite', (s) => s.delete(id));
}

function recordId(negotiation, party) {
  return `${negotiation}/${party}`;
}

/** Whether this browser's WebCrypto has Ed25519 (Chromium 137+, Firefox 129+, Safari 17+). */
export async function supportsEd25519() {
  try {
    await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return true;
  } catch {
    return false;
  }
}

let argon2Promise = null;

/** hash-wasm's argon2id, or an Error saying how to install it. */
export function loadArgon2() {
  if (!argon2Promise) {
    argon2Promise = import(ARGON2_MODULE).then(
      (module) => module.argon2id,
      () => {
        argon2Promise = null;
        throw new Error(
          'Key files need Argon2id, which this server does not serve: run scripts/web-deps on the server ' +
            '(it installs the npm package hash-wasm under static/vendor/), then reload.',
        );
      },
    );
  }
  return argon2Promise;
}

export async function argon2Available() {
  try {
    await loadArgon2();
    return true;
  } catch {
    return false;
  }
}

function associatedData(publicKeyHex, kdf, saltHex) {
  return utf8(
    `${KEY_FILE_FORMAT}\npublic_key=${publicKeyHex}\nkdf=argon2id\nm_cost=${kdf.m_cost}\nt_cost=${kdf.t_cost}\n` +
      `p_cost=${kdf.p_cost}\nsalt=${saltHex}\ncipher=aes-256-gcm\n`,
  );
}

async function deriveAesKey(passphrase, kdf, salt) {
  const argon2id = await loadArgon2();
  const raw = await argon2id({
    password: utf8(passphrase),
    salt,
    parallelism: kdf.p_cost,
    iterations: kdf.t_cost,
    memorySize: kdf.m_cost,
    hashLength: 32,
    outputType: 'binary',
  });
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

async function importSeed(seed, extractable) {
  return crypto.subtle.importKey('pkcs8', concat(PKCS8_PREFIX, seed), { name: 'Ed25519' }, extractable, ['sign']);
}

async function rawPublicKey(publicKey) {
  return new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
}

/** Seals a 32-byte seed into the text of an `accord keygen`-compatible key file. */
export async function sealKeyFile(seed, publicKeyHex, passphrase, label = '', kdf = DEFAULT_KDF) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const saltHex = toHex(salt);
  const aesKey = await deriveAesKey(passphrase, kdf, salt);
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: associatedData(publicKeyHex, kdf, saltHex), tagLength: 128 },
    aesKey,
    seed,
  );
  const file = {
    format: KEY_FILE_FORMAT,
    label,
    public_key: publicKeyHex,
    kdf: { algorithm: 'argon2id', m_cost: kdf.m_cost, t_cost: kdf.t_cost, p_cost: kdf.p_cost, salt: saltHex },
    cipher: { algorithm: 'aes-256-gcm', nonce: toHex(nonce) },
    ciphertext: toHex(ciphertext),
  };
  // Two-space pretty JSON ending in a newline, the same shape `accord keygen` writes.
  return JSON.stringify(file, null, 2) + '\n';
}

function field(object, name, type) {
  const value = object ? object[name] : undefined;
  if (typeof value !== type) throw new Error(`the key file is malformed: ${name} is missing or not a ${type}`);
  return value;
}

/**
 * Opens a key file: returns { privateKey (non-extractable), publicKey (hex), label }.
 * A wrong passphrase and an edited public key or KDF field both fail the AES-GCM tag.
 */
export async function openKeyFile(text, passphrase) {
  let file;
  try {
    file = JSON.parse(text);
  } catch {
    throw new Error('this is not a key file (not JSON)');
  }
  if (file.format !== KEY_FILE_FORMAT) {
    throw new Error(`the key file's format is ${JSON.stringify(file.format)}; this page reads ${KEY_FILE_FORMAT}`);
  }
  const kdf = file.kdf || {};
  const cipher = file.cipher || {};
  if (kdf.algorithm !== 'argon2id') throw new Error(`the key file uses kdf ${JSON.stringify(kdf.algorithm)}; supported is argon2id`);
  if (cipher.algorithm !== 'aes-256-gcm') {
    throw new Error(`the key file uses cipher ${JSON.stringify(cipher.algorithm)}; supported is aes-256-gcm`);
  }
  const params = { m_cost: field(kdf, 'm_cost', 'number'), t_cost: field(kdf, 't_cost', 'number'), p_cost: field(kdf, 'p_cost', 'number') };
  if (params.m_cost > MAX_M_COST || params.t_cost > MAX_T_COST || params.p_cost > MAX_P_COST) {
    throw new Error('the key file asks for more Argon2id memory, passes or lanes than allowed');
  }
  const publicKeyHex = field(file, 'public_key', 'string');
  fromHex(publicKeyHex, 32, 'public_key');
  const saltHex = field(kdf, 'salt', 'string');
  const salt = fromHex(saltHex, 16, 'kdf.salt');
  const nonce = fromHex(field(cipher, 'nonce', 'string'), 12, 'cipher.nonce');
  const ciphertext = fromHex(field(file, 'ciphertext', 'string'), 48, 'ciphertext');
  const aesKey = await deriveAesKey(passphrase, params, salt);
  let seed;
  try {
    seed = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: associatedData(publicKeyHex, params, saltHex), tagLength: 128 },
        aesKey,
        ciphertext,
      ),
    );
  } catch {
    throw new Error("the passphrase is wrong (or the key file's public key or KDF parameters were altered)");
  }
  try {
    const privateKey = await importSeed(seed, false);
    // A non-extractable key cannot tell its public half; a signature that the
    // file's public key verifies proves the two belong together.
    const probe = utf8('accord key file check\n');
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, privateKey, probe);
    const publicKey = await crypto.subtle.importKey('raw', fromHex(publicKeyHex, 32), { name: 'Ed25519' }, true, ['verify']);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, signature, probe))) {
      throw new Error("the key file's public key is not the one of its secret key");
    }
    return { privateKey, publicKey: publicKeyHex, label: typeof file.label === 'string' ? file.label : '' };
  } finally {
    seed.fill(0);
  }
}

/**
 * Makes a new key for (negotiation, party) and keeps it in IndexedDB. With a
 * passphrase it is also sealed into a key file for backup (needs Argon2id);
 * without one the key can never leave this browser.
 */
export async function createKey({ negotiation, party, passphrase, label }) {
  if (passphrase !== undefined && passphrase !== null && [...passphrase].length < 8) {
    throw new Error('the passphrase must have at least 8 characters');
  }
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const publicKey = toHex(await rawPublicKey(pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  if (pkcs8.length !== 48 || !equalBytes(pkcs8.slice(0, 16), PKCS8_PREFIX)) {
    throw new Error('this browser exported the Ed25519 key in an unexpected form');
  }
  const seed = pkcs8.slice(16);
  try {
    const keyFile = passphrase ? await sealKeyFile(seed, publicKey, passphrase, label || party) : null;
    // Keep only a non-extractable copy: the extractable one is dropped with `pair`.
    const privateKey = await importSeed(seed, false);
    const record = { id: recordId(negotiation, party), negotiation, party, publicKey, privateKey, keyFile, created: new Date().toISOString() };
    await dbPut('keys', record);
    return record;
  } finally {
    seed.fill(0);
    pkcs8.fill(0);
  }
}

/** Opens a key file and keeps its key (and the file, for export) for (negotiation, party). */
export async function importKey({ negotiation, party, text, passphrase }) {
  const opened = await openKeyFile(text, passphrase);
  const record = {
    id: recordId(negotiation, party),
    negotiation,
    party,
    publicKey: opened.publicKey,
    privateKey: opened.privateKey,
    keyFile: text,
    created: new Date().toISOString(),
  };
  await dbPut('keys', record);
  return record;
}

export function storedKey(negotiation, party) {
  return dbGet('keys', recordId(negotiation, party));
}

export function forgetKey(negotiation, party) {
  return dbDelete('keys', recordId(negotiation, party));
}

export async function signBytes(record, bytes) {
  return toHex(await crypto.subtle.sign({ name: 'Ed25519' }, record.privateKey, bytes));
}

/** The party's keys as the server knows them; `current` is the one signatures must use. */
export async function serverKeys(negotiation) {
  return getJson(`${negotiationPath(negotiation)}/keys`);
}

/**
 * Registers this browser's key (a stored record) as the party's key (first
 * registration only; later changes are rotations). The key signs its own
 * registration statement, the proof of possession the server requires.
 */
export async function registerKey(negotiation, party, record) {
  const statement = keyRegistrationStatement({ negotiation, party, publicKey: record.publicKey });
  const signature = await signBytes(record, statement);
  const view = await getJson(negotiationPath(negotiation));
  return sendJson(
    'PUT',
    `${negotiationPath(negotiation)}/keys/${encodeURIComponent(party)}`,
    { public_key: record.publicKey, signature },
    view.log_size,
  );
}

/**
 * The key to sign with for (negotiation, party): the stored one, registered
 * first if the party has none yet. Refuses when the server holds another key.
 */
export async function keyForSigning(negotiation, party) {
  const record = await storedKey(negotiation, party);
  if (!record) throw new Error('This browser holds no signing key for you here: create one or import your key file.');
  const keys = await serverKeys(negotiation);
  const current = keys.find((k) => k.party === party && k.current);
  if (!current) {
    await registerKey(negotiation, party, record);
  } else if (current.public_key !== record.publicKey) {
    throw new Error(
      `Your registered key is ${current.public_key.slice(0, 16)}…, but this browser holds ${record.publicKey.slice(0, 16)}…: ` +
        'import the key file of your registered key.',
    );
  }
  return record;
}

export function downloadText(filename, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---- The key panel inside `<section id="keys" data-party="P">` (members and sign pages).

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, '');
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  node.append(...children);
  return node;
}

function labelled(id, text, input) {
  input.id = id;
  return element('p', { class: 'field' }, element('label', { for: id }, text), ' ', input);
}

function showIf(node, condition) {
  node.hidden = !condition;
  node.style.display = condition ? '' : 'none';
}

async function describe(negotiation, party, status) {
  const record = await storedKey(negotiation, party);
  let registered = null;
  try {
    registered = (await serverKeys(negotiation)).find((k) => k.party === party && k.current) || null;
  } catch {
    // Listing keys may be refused to some roles; the panel still works locally.
  }
  let text;
  if (!record) {
    text = registered
      ? `Your registered key is ${registered.public_key.slice(0, 16)}…; this browser does not hold it. Import its key file to sign here.`
      : 'This browser holds no signing key for you in this negotiation.';
  } else if (!registered) {
    text = `This browser holds key ${record.publicKey.slice(0, 16)}…; it is not registered yet (it will be on your first acknowledgement).`;
  } else if (registered.public_key === record.publicKey) {
    text = `This browser holds your registered key ${record.publicKey.slice(0, 16)}….`;
  } else {
    text = `This browser holds key ${record.publicKey.slice(0, 16)}…, but your registered key is ${registered.public_key.slice(0, 16)}…: import that key's file to sign here.`;
  }
  status.textContent = text;
  return { record, registered };
}

async function renderPanel(section) {
  const negotiation = document.body.dataset.negotiation;
  const party = section.dataset.party || document.body.dataset.party;
  if (!negotiation || !party) return;
  let status = section.querySelector('#key-status');
  if (!status) {
    status = element('div', { id: 'key-status', 'aria-live': 'polite' });
    section.append(status);
  }
  const panel = element('div', { class: 'key-panel', 'data-key-panel': '' });
  section.append(panel);
  if (document.body.dataset.role === 'observer') {
    status.textContent = 'Observers neither acknowledge nor sign, so they need no key.';
    return;
  }
  if (!(await supportsEd25519())) {
    status.textContent = 'This browser cannot make Ed25519 keys; use `accord keygen` and the command-line client.';
    return;
  }
  const hasArgon2 = await argon2Available();
  const message = element('p', { role: 'status', 'aria-live': 'polite', id: 'key-message' });

  const refresh = async () => {
    const { record, registered } = await describe(negotiation, party, status);
    // Both the attribute and the style: a site rule like `button { display: inline-block }` beats `hidden`.
    showIf(download, record && record.keyFile);
    showIf(register, record && !registered);
    // Once this browser holds the registered key there is nothing to do here: the forms fold away.
    const ready = Boolean(record && registered && registered.public_key === record.publicKey);
    forms.open = !ready;
    formsSummary.textContent = ready ? 'Replace this key: create or import another' : 'Create or import a signing key';
  };
  const run = (action) => async (event) => {
    event.preventDefault();
    message.textContent = 'Working…';
    try {
      message.textContent = await action();
    } catch (e) {
      message.textContent = e instanceof Error ? e.message : String(e);
      message.dataset.kind = 'error';
      return;
    }
    message.dataset.kind = 'success';
    await refresh();
  };

  // Create.
  const createForm = element('form', { id: 'key-create', 'aria-labelledby': 'key-create-heading' });
  createForm.append(element('h3', { id: 'key-create-heading' }, 'Create a signing key'));
  const passphrase = element('input', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  const repeat = element('input', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  if (hasArgon2) {
    createForm.append(
      element('p', {}, 'The passphrase protects the key file you can download as a backup (the same format as accord keygen).'),
      labelled('key-passphrase', 'Passphrase (at least 8 characters)', passphrase),
      labelled('key-passphrase-repeat', 'Repeat the passphrase', repeat),
    );
  } else {
    createForm.append(
      element('p', { class: 'notice' }, 'Key files are unavailable: the server does not serve Argon2id (run scripts/web-deps and rebuild). A key made now stays in this browser and cannot be backed up.'),
    );
  }
  createForm.append(element('button', { type: 'submit' }, 'Create and register a key'));
  createForm.addEventListener(
    'submit',
    run(async () => {
      if (hasArgon2 && passphrase.value !== repeat.value) throw new Error('The two passphrases differ; nothing was made.');
      if (hasArgon2 && [...passphrase.value].length < 8) throw new Error('The passphrase must have at least 8 characters.');
      const existing = await storedKey(negotiation, party);
      if (existing && !confirm('Replace the key this browser holds for you here?')) return 'Kept the existing key.';
      const record = await createKey({ negotiation, party, passphrase: hasArgon2 ? passphrase.value : null, label: party });
      passphrase.value = '';
      repeat.value = '';
      const keys = await serverKeys(negotiation).catch(() => []);
      if (!keys.some((k) => k.party === party && k.current)) {
        await registerKey(negotiation, party, record);
        return `Created and registered key ${record.publicKey.slice(0, 16)}….`;
      }
      return `Created key ${record.publicKey.slice(0, 16)}…; your party already has a registered key, so rotate it with accord key rotate to use this one.`;
    }),
  );

  // Import.
  const importForm = element('form', { id: 'key-import', 'aria-labelledby': 'key-import-heading' });
  const file = element('input', { type: 'file', accept: '.key,.json,application/json' });
  const importPassphrase = element('input', { type: 'password', autocomplete: 'current-password' });
  importForm.append(
    element('h3', { id: 'key-import-heading' }, 'Import a key file'),
    labelled('key-file', 'Key file (from accord keygen or a download here)', file),
    labelled('key-import-passphrase', 'Its passphrase', importPassphrase),
    element('button', { type: 'submit', disabled: !hasArgon2 }, 'Import the key'),
  );
  importForm.addEventListener(
    'submit',
    run(async () => {
      const chosen = file.files && file.files[0];
      if (!chosen) throw new Error('Choose a key file first.');
      const record = await importKey({ negotiation, party, text: await chosen.text(), passphrase: importPassphrase.value });
      importPassphrase.value = '';
      const keys = await serverKeys(negotiation).catch(() => []);
      if (!keys.some((k) => k.party === party && k.current)) {
        await registerKey(negotiation, party, record);
        return `Imported and registered key ${record.publicKey.slice(0, 16)}….`;
      }
      return `Imported key ${record.publicKey.slice(0, 16)}….`;
    }),
  );

  const download = element('button', { type: 'button', id: 'key-download', hidden: true }, 'Download the key file');
  download.addEventListener('click', async () => {
    const record = await storedKey(negotiation, party);
    if (record && record.keyFile) downloadText(`${negotiation}-${party}.key`, record.keyFile);
  });
  const register = element('button', { type: 'button', id: 'key-register', hidden: true }, 'Register this key');
  register.addEventListener(
    'click',
    run(async () => {
      const record = await storedKey(negotiation, party);
      if (!record) throw new Error('This browser holds no key to register.');
      await registerKey(negotiation, party, record);
      return `Registered key ${record.publicKey.slice(0, 16)}….`;
    }),
  );

  const formsSummary = element('summary', {}, 'Create or import a signing key');
  const forms = element('details', { class: 'key-forms', open: true }, formsSummary, createForm, importForm);
  panel.append(element('p', { class: 'key-actions' }, download, ' ', register), forms, message);
  await refresh();
}

if (typeof document !== 'undefined') {
  const start = () => {
    const section = document.getElementById('keys');
    if (section && !section.querySelector('[data-key-panel]')) renderPanel(section);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
