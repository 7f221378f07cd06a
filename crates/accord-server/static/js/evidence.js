// The bytes Accord's parties and server sign, rebuilt exactly as
// docs/bundle-format.md §1 and crates/accord-evidence/src/statement.rs define
// them, plus the checks a party makes before signing: a version's content
// hash (Version::canonical_bytes in accord-core), the server's checkpoint
// signature, and RFC 9162 consistency between two checkpoints.

import { utf8, concat, sha256, fromHex, toHex, equalBytes } from './util.js';

function checkField(name, value) {
  // Ids may not be empty, hold a control character or '=': such a statement
  // would be ambiguous, so the server refuses it and so do we.
  if (typeof value !== 'string' || value === '' || /[\u0000-\u001f\u007f=]/.test(value)) {
    throw new Error(`${name} ${JSON.stringify(value)} cannot appear in a signed statement`);
  }
  return value;
}

function checkNumber(name, value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${value}`);
  return String(value);
}

function lines(tag, fields) {
  return utf8(tag + '\n' + fields.map(([k, v]) => `${k}=${v}\n`).join(''));
}

export function acknowledgementStatement({ negotiation, party, version, contentHash, checkpointSize, checkpointRoot }) {
  fromHex(contentHash, 32, 'content hash');
  fromHex(checkpointRoot, 32, 'checkpoint root');
  return lines('accord/ack/v1', [
    ['negotiation', checkField('negotiation', negotiation)],
    ['party', checkField('party', party)],
    ['version', checkNumber('version', version)],
    ['content', contentHash],
    ['checkpoint', `${checkNumber('checkpoint size', checkpointSize)}:${checkpointRoot}`],
  ]);
}

export function finalSignatureStatement({ negotiation, party, version, contentHash }) {
  fromHex(contentHash, 32, 'content hash');
  return lines('accord/sign/v1', [
    ['negotiation', checkField('negotiation', negotiation)],
    ['party', checkField('party', party)],
    ['version', checkNumber('version', version)],
    ['content', contentHash],
  ]);
}

export function keyRotationStatement({ negotiation, party, oldKey, newKey }) {
  fromHex(oldKey, 32, 'old key');
  fromHex(newKey, 32, 'new key');
  return lines('accord/key-rotation/v1', [
    ['negotiation', checkField('negotiation', negotiation)],
    ['party', checkField('party', party)],
    ['old', oldKey],
    ['new', newKey],
  ]);
}

// A first key registration's proof of possession: the NEW key signs this, so
// the log shows the party holds the key rather than the server saying so.
export function keyRegistrationStatement({ negotiation, party, publicKey }) {
  fromHex(publicKey, 32, 'public key');
  return lines('accord/key-registration/v1', [
    ['negotiation', checkField('negotiation', negotiation)],
    ['party', checkField('party', party)],
    ['key', publicKey],
  ]);
}

export function checkpointStatement({ negotiation, size, root, at }) {
  fromHex(root, 32, 'checkpoint root');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(at)) throw new Error(`checkpoint time ${at} is not YYYY-MM-DDTHH:MM:SSZ`);
  return lines('accord/checkpoint/v1', [
    ['negotiation', checkField('negotiation', negotiation)],
    ['size', checkNumber('size', size)],
    ['root', root],
    ['at', at],
  ]);
}

function u64(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function lengthPrefixed(text) {
  const bytes = utf8(String(text).replace(/\r\n/g, '\n').replace(/\r/g, '\n'));
  return concat(u64(bytes.length), bytes);
}

/** Version::canonical_bytes: the tag, the title, the count, then each provision's id, number, heading, text. */
export function versionCanonicalBytes(version) {
  const parts = [utf8('accord/version/v1\n'), lengthPrefixed(version.title), u64(version.provisions.length)];
  for (const p of version.provisions) {
    parts.push(lengthPrefixed(p.id), lengthPrefixed(p.number), lengthPrefixed(p.heading), lengthPrefixed(p.text));
  }
  return concat(...parts);
}

export async function contentHash(version) {
  return toHex(await sha256(versionCanonicalBytes(version)));
}

export async function importPublicKey(hex) {
  return crypto.subtle.importKey('raw', fromHex(hex, 32, 'public key'), { name: 'Ed25519' }, true, ['verify']);
}

export async function verifyEd25519(publicKeyHex, signatureHex, message) {
  const key = await importPublicKey(publicKeyHex);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, fromHex(signatureHex, 64, 'signature'), message);
}

/** Checks the server's signature over a checkpoint from GET …/checkpoint/signed. */
export async function verifySignedCheckpoint(negotiation, signed) {
  const statement = checkpointStatement({ negotiation, size: signed.size, root: signed.root, at: signed.at });
  const ok = await verifyEd25519(signed.server_key, signed.signature, statement);
  if (!ok) throw new Error(`the server's signature over checkpoint ${signed.size} does not verify`);
}

async function nodeHash(left, right) {
  return sha256(concat(new Uint8Array([1]), left, right));
}

const EMPTY_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * RFC 9162 §2.1.4.2: does the tree of newSize leaves with newRoot extend the
 * tree of oldSize leaves with oldRoot? Throws with the reason if not.
 * Sizes are JS numbers; the halving below stays exact up to 2^53.
 */
export async function verifyConsistency(oldSize, newSize, oldRootHex, newRootHex, pathHex) {
  const oldRoot = fromHex(oldRootHex, 32, 'old root');
  const newRoot = fromHex(newRootHex, 32, 'new root');
  const path = pathHex.map((h) => fromHex(h, 32, 'proof hash'));
  if (oldSize > newSize) throw new Error(`the log shrank from ${oldSize} to ${newSize} events`);
  if (oldSize === newSize) {
    if (path.length !== 0 || !equalBytes(oldRoot, newRoot)) throw new Error(`two different roots for ${oldSize} events`);
    return;
  }
  if (oldSize === 0) {
    if (path.length !== 0 || oldRootHex !== EMPTY_ROOT_HEX) throw new Error('the empty log has the wrong root');
    return;
  }
  const isPowerOfTwo = (n) => n > 0 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
  let proof = path;
  if (isPowerOfTwo(oldSize)) proof = [oldRoot, ...path];
  if (proof.length === 0) throw new Error('the consistency proof is empty');
  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) throw new Error('the consistency proof is too long');
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new Error('the consistency proof is too short');
  if (!equalBytes(fr, oldRoot)) throw new Error(`the proof does not lead to the root you saw at ${oldSize} events`);
  if (!equalBytes(sr, newRoot)) throw new Error(`the proof does not lead to the server's root at ${newSize} events`);
}
