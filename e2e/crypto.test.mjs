// The browser's evidence code against the Rust side, in the real Chromium:
// statement bytes and a known-answer signature pinned as in
// crates/accord-evidence/src/statement.rs, content hashes against the
// reference script of docs/bundle-format.md, RFC 9162 consistency proofs
// from the server, and key files both ways: made in the browser and opened
// by the `accord` CLI, made by `accord keygen` and imported in the browser.
// Each signature is checked by the server, which refuses a bad one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { BASE, PASSWORD, launch, person, api, accord, tempDir, unique } from './lib/harness.mjs';

let browser;
let mediator;
const email = `${unique('crypto')}@e2e.accord.invalid`;

async function createNegotiation(p) {
  const example = readFileSync(new URL('../examples/peace-framework.toml', import.meta.url), 'utf8');
  const created = await api(p, 'POST', '/api/negotiations', { scenario_toml: example, timetable_from: new Date().toISOString() });
  assert.equal(created.status, 201, created.text);
  const id = created.json.id;
  const view = await api(p, 'GET', `/api/negotiations/${id}`);
  const published = await api(p, 'POST', `/api/negotiations/${id}/versions`, {}, view.json.log_size);
  assert.ok(published.status < 300, published.text);
  return id;
}

/** Points the page at a negotiation as the negotiation pages do (body data attributes). */
async function seat(p, negotiation, party) {
  await p.page.evaluate(([n, party]) => {
    document.body.dataset.negotiation = n;
    document.body.dataset.party = party;
  }, [negotiation, party]);
}

before(async () => {
  browser = await launch();
  mediator = await person(browser, 'mediator');
  const signup = await mediator.context.request.post(`${BASE}/api/accounts`, {
    data: { email, password: PASSWORD, display_name: 'Crypto Mediator' },
  });
  assert.ok(signup.status() < 300, await signup.text());
  const session = await mediator.context.request.post(`${BASE}/api/sessions`, { data: { email, password: PASSWORD } });
  assert.equal(session.status(), 200, await session.text());
  // Any page of the site gives the modules their origin; the dashboard also carries the CSRF meta tag.
  await mediator.page.goto('/');
});

after(async () => {
  await browser?.close();
});

test('statement bytes and a known-answer signature match accord-evidence', async () => {
  const result = await mediator.page.evaluate(async () => {
    const ev = await import('/static/js/evidence.js');
    const util = await import('/static/js/util.js');
    const text = (bytes) => new TextDecoder().decode(bytes);
    const h11 = '11'.repeat(32);
    const hab = 'ab'.repeat(32);
    const ack = ev.acknowledgementStatement({ negotiation: 'ceasefire', party: 'ua', version: 7, contentHash: h11, checkpointSize: 830, checkpointRoot: hab });
    const sign = ev.finalSignatureStatement({ negotiation: 'ceasefire', party: 'ua', version: 7, contentHash: h11 });
    const rotation = ev.keyRotationStatement({ negotiation: 'ceasefire', party: 'ua', oldKey: '01'.repeat(32), newKey: '02'.repeat(32) });
    const checkpoint = ev.checkpointStatement({ negotiation: 'ceasefire', size: 830, root: hab, at: '2026-03-01T12:30:05Z' });
    const registration = ev.keyRegistrationStatement({ negotiation: 'ceasefire', party: 'ua', publicKey: '03'.repeat(32) });
    // RFC 8032 §7.1 test 1's seed, as in statement.rs's known_answer_signature.
    const seed = util.fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pkcs8 = util.concat(util.fromHex('302e020100300506032b657004220420'), seed);
    const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    const signature = util.toHex(await crypto.subtle.sign({ name: 'Ed25519' }, key, ack));
    const refused = [];
    for (const party of ['', 'u=a', 'u\na']) {
      try {
        ev.finalSignatureStatement({ negotiation: 'ceasefire', party, version: 7, contentHash: h11 });
      } catch (e) {
        refused.push(party);
      }
    }
    return { ack: text(ack), sign: text(sign), rotation: text(rotation), checkpoint: text(checkpoint), registration: text(registration), signature, refused };
  });
  const h11 = '11'.repeat(32);
  const hab = 'ab'.repeat(32);
  assert.equal(result.ack, `accord/ack/v1\nnegotiation=ceasefire\nparty=ua\nversion=7\ncontent=${h11}\ncheckpoint=830:${hab}\n`);
  assert.equal(result.sign, `accord/sign/v1\nnegotiation=ceasefire\nparty=ua\nversion=7\ncontent=${h11}\n`);
  assert.equal(result.rotation, `accord/key-rotation/v1\nnegotiation=ceasefire\nparty=ua\nold=${'01'.repeat(32)}\nnew=${'02'.repeat(32)}\n`);
  assert.equal(result.checkpoint, `accord/checkpoint/v1\nnegotiation=ceasefire\nsize=830\nroot=${hab}\nat=2026-03-01T12:30:05Z\n`);
  assert.equal(result.registration, `accord/key-registration/v1\nnegotiation=ceasefire\nparty=ua\nkey=${'03'.repeat(32)}\n`);
  assert.equal(
    result.signature,
    '154258d1c7e407e4df1f92ffffbc9927bc83e0ca69fd5c381178a5ab9016c254a679682c4113d85c5375d3b281733686e88e0974e770da86783735352ccbc504',
  );
  assert.deepEqual(result.refused, ['', 'u=a', 'u\na']);
});

test('content hashes match the reference script and the server', async () => {
  const version = {
    title: 'Cessez-le-feu — «texte» 🕊',
    provisions: [
      { id: 'art-1', number: '1', heading: 'Lines\r\nand CR\rendings', text: 'Ünïcödé text\r\nwith two lines' },
      { id: 'art-2', number: '2a', heading: '', text: '' },
    ],
  };
  const browserHash = await mediator.page.evaluate(async (v) => (await import('/static/js/evidence.js')).contentHash(v), version);
  // docs/bundle-format.md §5's content-hash script, an independent implementation.
  const python = `
import hashlib, json, sys
def field(text):
    data = text.replace("\\r\\n", "\\n").replace("\\r", "\\n").encode("utf-8")
    return len(data).to_bytes(8, "big") + data
text = json.load(sys.stdin)
data = b"accord/version/v1\\n" + field(text["title"]) + len(text["provisions"]).to_bytes(8, "big")
for p in text["provisions"]:
    data += field(p["id"]) + field(p["number"]) + field(p["heading"]) + field(p["text"])
print(hashlib.sha256(data).hexdigest())
`;
  const reference = execFileSync('python3', ['-c', python], { input: JSON.stringify(version) }).toString().trim();
  assert.equal(browserHash, reference);

  const id = await createNegotiation(mediator);
  const served = await api(mediator, 'GET', `/api/negotiations/${id}/versions/1`);
  const fromServer = await mediator.page.evaluate(async (v) => (await import('/static/js/evidence.js')).contentHash(v), served.json.version);
  assert.equal(fromServer, served.json.content_hash);
});

test('consistency proofs from the server verify, and altered ones do not', async () => {
  const id = await createNegotiation(mediator);
  // A few more events, so there are many (old, new) size pairs, powers of two and not.
  for (const party of ['ua', 'ru', 'eu']) {
    const view = await api(mediator, 'GET', `/api/negotiations/${id}`);
    const invited = await api(mediator, 'POST', `/api/negotiations/${id}/invitations`, { party }, view.json.log_size);
    assert.ok(invited.status < 300, invited.text);
  }
  const size = (await api(mediator, 'GET', `/api/negotiations/${id}`)).json.log_size;
  assert.ok(size >= 5, `only ${size} events`);
  const roots = {};
  for (let n = 1; n <= size; n++) roots[n] = (await api(mediator, 'GET', `/api/negotiations/${id}/checkpoint?size=${n}`)).json.root;
  const cases = [];
  for (let from = 1; from <= size; from++) {
    for (let to = from; to <= size; to++) {
      const proof = (await api(mediator, 'GET', `/api/negotiations/${id}/proofs/consistency?from=${from}&to=${to}`)).json;
      cases.push({ from, to, oldRoot: roots[from], newRoot: roots[to], path: proof.path });
    }
  }
  const outcome = await mediator.page.evaluate(async (cases) => {
    const { verifyConsistency } = await import('/static/js/evidence.js');
    const flip = (hex) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    const wrong = [];
    for (const c of cases) {
      try {
        await verifyConsistency(c.from, c.to, c.oldRoot, c.newRoot, c.path);
      } catch (e) {
        wrong.push(`${c.from}->${c.to} refused: ${e.message}`);
      }
      const tampered = [
        [c.from, c.to, flip(c.oldRoot), c.newRoot, c.path],
        [c.from, c.to, c.oldRoot, flip(c.newRoot), c.path],
        ...c.path.map((_, i) => [c.from, c.to, c.oldRoot, c.newRoot, c.path.map((h, j) => (i === j ? flip(h) : h))]),
        [c.from, c.to, c.oldRoot, c.newRoot, [...c.path, c.oldRoot]],
      ];
      if (c.from === c.to) tampered.splice(1, 1); // flipping either root is the same case
      for (const args of tampered) {
        try {
          await verifyConsistency(...args);
          wrong.push(`${c.from}->${c.to} accepted a tampered proof`);
        } catch {
          // refused, as it must be
        }
      }
    }
    return wrong;
  }, cases);
  assert.deepEqual(outcome, []);
  assert.ok(cases.length >= 15);
});

test('a key made in the browser signs, exports, and opens with the accord CLI', async () => {
  const id = await createNegotiation(mediator);
  await seat(mediator, id, 'us');
  const passphrase = 'browser passphrase 42';
  const made = await mediator.page.evaluate(async ([id, passphrase]) => {
    const keys = await import('/static/js/keys.js');
    const sign = await import('/static/js/sign.js');
    const record = await keys.createKey({ negotiation: id, party: 'us', passphrase, label: 'us' });
    // The stored private key cannot be read back by page script.
    const stored = await keys.storedKey(id, 'us');
    let exported = true;
    try {
      await crypto.subtle.exportKey('pkcs8', stored.privateKey);
    } catch {
      exported = false;
    }
    let wrongPassphrase = '';
    try {
      await keys.openKeyFile(record.keyFile, 'not the passphrase');
    } catch (e) {
      wrongPassphrase = e.message;
    }
    const reopened = await keys.openKeyFile(record.keyFile, passphrase);
    const acked = await sign.acknowledge(1);
    return { publicKey: record.publicKey, keyFile: record.keyFile, exported, wrongPassphrase, reopened: reopened.publicKey, acked };
  }, [id, passphrase]);
  assert.equal(made.exported, false, 'the stored private key must not be extractable');
  assert.match(made.wrongPassphrase, /passphrase is wrong/);
  assert.equal(made.reopened, made.publicKey);
  const file = JSON.parse(made.keyFile);
  assert.deepEqual(Object.keys(file), ['format', 'label', 'public_key', 'kdf', 'cipher', 'ciphertext']);
  assert.deepEqual(file.kdf.m_cost, 19456);
  // The server accepted the browser's acknowledgement: the key is registered and the signature verified.
  const keys = await api(mediator, 'GET', `/api/negotiations/${id}/keys`);
  assert.equal(keys.json.find((k) => k.party === 'us' && k.current).public_key, made.publicKey);
  assert.ok(made.acked.position > 0, JSON.stringify(made.acked));

  // The CLI opens the browser's file: it acknowledges version 2 with it, and the server verifies the signature.
  const dir = tempDir();
  const keyPath = join(dir, 'browser.key');
  writeFileSync(keyPath, made.keyFile);
  const config = join(dir, 'client.toml');
  await accord(['login', '--server', BASE, '--email', email, '--password-stdin'], { env: { ACCORD_CONFIG: config }, input: `${PASSWORD}\n` });
  const view = await api(mediator, 'GET', `/api/negotiations/${id}`);
  const published = await api(mediator, 'POST', `/api/negotiations/${id}/versions`, {}, view.json.log_size);
  assert.ok(published.status < 300, published.text);
  const { stdout } = await accord(['ack', id, '--key', keyPath], { env: { ACCORD_CONFIG: config, ACCORD_PASSPHRASE: passphrase } });
  assert.match(stdout, /acknowledged version 2/);
  // …and refuses it under a wrong passphrase.
  await assert.rejects(accord(['ack', id, '--key', keyPath], { env: { ACCORD_CONFIG: config, ACCORD_PASSPHRASE: 'wrong wrong wrong' } }), /passphrase is wrong/);
});

test('an accord keygen key file imports in the browser and signs there', async () => {
  const id = await createNegotiation(mediator);
  await seat(mediator, id, 'us');
  const dir = tempDir();
  const keyPath = join(dir, 'cli.key');
  const passphrase = 'cli passphrase 42';
  const { stdout } = await accord(['keygen', '-o', keyPath, '--label', 'us'], { env: { ACCORD_PASSPHRASE: passphrase } });
  const publicKey = stdout.match(/public key ([0-9a-f]{64})/)[1];
  const text = readFileSync(keyPath, 'utf8');
  const result = await mediator.page.evaluate(async ([id, text, passphrase]) => {
    const keys = await import('/static/js/keys.js');
    const sign = await import('/static/js/sign.js');
    let tampered = '';
    try {
      const file = JSON.parse(text);
      file.kdf.t_cost += 1; // a weakened or edited KDF field must fail the AEAD tag
      await keys.openKeyFile(JSON.stringify(file), passphrase);
    } catch (e) {
      tampered = e.message;
    }
    const record = await keys.importKey({ negotiation: id, party: 'us', text, passphrase });
    const acked = await sign.acknowledge(1);
    return { publicKey: record.publicKey, tampered, acked };
  }, [id, text, passphrase]);
  assert.equal(result.publicKey, publicKey);
  assert.match(result.tampered, /passphrase is wrong/);
  const keys = await api(mediator, 'GET', `/api/negotiations/${id}/keys`);
  assert.equal(keys.json.find((k) => k.party === 'us' && k.current).public_key, publicKey);
  assert.ok(result.acked.position > 0, JSON.stringify(result.acked));
  mediator.assertClean();
});
