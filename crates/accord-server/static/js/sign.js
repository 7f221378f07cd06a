// Acknowledge a released version and sign the final text, in the browser.
//
// The same flow as `accord ack` / `accord sign` (crates/accord-cli/src/evidence.rs):
// fetch the version and recompute its content hash here (and compare it with
// the hash the page showed), fetch the server-signed checkpoint and check the
// server's signature, check that the log extends the checkpoint this browser
// saw last (RFC 9162 consistency proof; a rollback or fork is a split view and
// nothing is signed), then sign the exact statement bytes with the party's key
// from IndexedDB and POST only the signature.

import { getJson, sendJson, negotiationPath, say, ApiError } from './util.js';
import { acknowledgementStatement, finalSignatureStatement, contentHash, verifySignedCheckpoint, verifyConsistency } from './evidence.js';
import { keyForSigning, signBytes, supportsEd25519, dbGet, dbPut } from './keys.js';

/** The released version `number`, its content hash recomputed from its text. */
export async function fetchVersion(negotiation, number, shownHash) {
  const view = await getJson(`${negotiationPath(negotiation)}/versions/${number}`);
  const computed = await contentHash(view.version);
  if (computed !== view.content_hash) {
    throw new Error(
      `The text of version ${number} hashes to ${computed} here, but the server says ${view.content_hash}: do not sign it.`,
    );
  }
  if (shownHash && shownHash !== computed) {
    throw new Error(`Version ${number} is not the text this page showed (hash ${shownHash}); reload the page.`);
  }
  return { number, position: view.position, contentHash: computed };
}

/**
 * The server's current signed checkpoint, verified: its signature, the
 * server key pinned on first use in this browser, and consistency with the
 * checkpoint this browser remembered for the negotiation.
 */
export async function verifiedCheckpoint(negotiation) {
  const signed = await getJson(`${negotiationPath(negotiation)}/checkpoint/signed`);
  if (signed.negotiation !== negotiation) throw new Error('the server sent a checkpoint of another negotiation');
  await verifySignedCheckpoint(negotiation, signed);
  const seen = await dbGet('checkpoints', negotiation);
  if (seen) {
    if (seen.serverKey !== signed.server_key) {
      throw new Error(
        `The server now signs with key ${signed.server_key.slice(0, 16)}…, not ${seen.serverKey.slice(0, 16)}… as before. ` +
          'Ask the mediator whether the server key was changed before signing anything.',
      );
    }
    if (seen.size > signed.size) {
      throw new Error(`Split view: the server now shows ${signed.size} events, but this browser saw ${seen.size}; the log was rolled back.`);
    }
    const proof = await getJson(`${negotiationPath(negotiation)}/proofs/consistency?from=${seen.size}&to=${signed.size}`);
    try {
      await verifyConsistency(seen.size, signed.size, seen.root, signed.root, proof.path);
    } catch (e) {
      throw new Error(`Split view: the log of ${signed.size} events does not extend the one of ${seen.size} events this browser saw (${e.message}).`);
    }
  }
  return signed;
}

async function remember(negotiation, signed) {
  await dbPut('checkpoints', { negotiation, serverKey: signed.server_key, size: signed.size, root: signed.root });
}

function context() {
  const body = document.body.dataset;
  if (!body.negotiation || !body.party) throw new Error('You hold no seat in this negotiation.');
  return { negotiation: body.negotiation, party: body.party };
}

const CONFLICT_RETRIES = 3;

/** Acknowledges version `number`; returns the API's write result. */
export async function acknowledge(number, shownHash) {
  const { negotiation, party } = context();
  const version = await fetchVersion(negotiation, number, shownHash);
  const record = await keyForSigning(negotiation, party);
  for (let attempt = 1; ; attempt++) {
    const signed = await verifiedCheckpoint(negotiation);
    if (signed.size <= version.position) throw new Error(`The server's checkpoint does not contain version ${number} yet; try again.`);
    const statement = acknowledgementStatement({
      negotiation,
      party,
      version: number,
      contentHash: version.contentHash,
      checkpointSize: signed.size,
      checkpointRoot: signed.root,
    });
    const signature = await signBytes(record, statement);
    try {
      const result = await sendJson(
        'POST',
        `${negotiationPath(negotiation)}/versions/${number}/acknowledgements`,
        { checkpoint_size: signed.size, checkpoint_root: signed.root, signature },
        signed.size,
      );
      await remember(negotiation, signed);
      return { ...result, contentHash: version.contentHash, checkpoint: signed.size };
    } catch (e) {
      // Someone else wrote between our checkpoint and our POST: sign the newer one.
      if (e instanceof ApiError && e.status === 409 && attempt < CONFLICT_RETRIES) {
        await remember(negotiation, signed);
        continue;
      }
      throw e;
    }
  }
}

/** Signs version `number` as the final text; returns the API's write result. */
export async function signFinal(number, shownHash) {
  const { negotiation, party } = context();
  const version = await fetchVersion(negotiation, number, shownHash);
  const record = await keyForSigning(negotiation, party);
  const statement = finalSignatureStatement({ negotiation, party, version: number, contentHash: version.contentHash });
  const signature = await signBytes(record, statement);
  for (let attempt = 1; ; attempt++) {
    const view = await getJson(negotiationPath(negotiation));
    try {
      const result = await sendJson('POST', `${negotiationPath(negotiation)}/versions/${number}/signatures`, { signature }, view.log_size);
      return { ...result, contentHash: version.contentHash };
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.code !== 'wrong_phase' && attempt < CONFLICT_RETRIES) continue;
      throw e;
    }
  }
}

function statusFor(kind, number) {
  return document.querySelector(`[data-status="${kind}-${number}"]`);
}

function explain(error) {
  return error instanceof Error ? error.message : String(error);
}

function keyLink(status) {
  const { negotiation } = document.body.dataset;
  if (!status || !negotiation || status.querySelector('a')) return;
  const link = document.createElement('a');
  link.href = `/n/${encodeURIComponent(negotiation)}/members#keys`;
  link.textContent = 'Manage your signing key';
  status.append(' ', link);
}

async function onClick(button) {
  const kind = button.dataset.action;
  const number = Number(button.dataset.version);
  const status = statusFor(kind, number);
  // The final signature is a confirmed step (the sign page's confirmation
  // form): its box must be ticked, as the form without script requires too.
  const confirmBox = button.dataset.confirm ? document.getElementById(button.dataset.confirm) : null;
  if (button.dataset.confirm && !(confirmBox && confirmBox.checked)) {
    say(status, 'Nothing was signed: tick the box to confirm that you sign this exact text.', 'error');
    if (confirmBox) confirmBox.focus();
    return;
  }
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  say(status, kind === 'sign' ? `Signing version ${number}…` : `Acknowledging version ${number}…`);
  try {
    const run = kind === 'sign' ? signFinal : acknowledge;
    const result = await run(number, button.dataset.contentHash);
    const verb = kind === 'sign' ? 'Signed' : 'Acknowledged';
    say(status, `${verb} version ${number} (content ${result.contentHash.slice(0, 16)}…); recorded as event ${result.position}.`, 'success');
    button.hidden = true;
    document.dispatchEvent(new CustomEvent('accord:written', { detail: { kind, number, result } }));
  } catch (e) {
    say(status, explain(e), 'error');
    if (/signing key|key file/.test(explain(e))) keyLink(status);
    button.disabled = false;
  } finally {
    button.removeAttribute('aria-busy');
  }
}

const BUTTONS = 'button[data-action="acknowledge"], button[data-action="sign"]';
let supported = null;

/** Shows the script-only buttons (they carry `hidden` for pages without script). */
async function reveal() {
  const buttons = [...document.querySelectorAll(BUTTONS)];
  if (buttons.length === 0) return;
  if (supported === null) supported = await supportsEd25519();
  for (const button of buttons) {
    if (button.dataset.revealed) continue;
    button.dataset.revealed = 'true';
    if (supported) {
      button.hidden = false;
    } else {
      say(statusFor(button.dataset.action, button.dataset.version), 'This browser cannot make Ed25519 signatures; use the command shown below.', 'error');
    }
  }
}

function init() {
  // Delegated, so buttons that arrive with a live refresh work too.
  document.addEventListener('click', (event) => {
    const button = event.target.closest(BUTTONS);
    if (button && supported && !button.disabled) onClick(button);
  });
  document.addEventListener('accord:refreshed', reveal);
  reveal();
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}
