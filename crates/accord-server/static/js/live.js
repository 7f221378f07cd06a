// Live updates and ticking countdowns.
//
// The server's event stream (GET /api/negotiations/{id}/stream) says only
// that the log grew (`event: log`, data {"size": N}); it carries no content.
// So on growth the page refetches its own URL — through the same policy as
// any page load — and swaps each live region (`[data-live][id]`) for its
// fresh copy. A region the person is working in (focus inside, or a form
// with edited fields) is left alone and a banner offers a reload instead.

const REFRESH_DEBOUNCE_MS = 300;

function banner() {
  return document.getElementById('live-banner');
}

function announce(text, withReload) {
  const slot = banner();
  if (!slot) return;
  slot.replaceChildren(document.createTextNode(text));
  if (withReload) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload the page';
    button.addEventListener('click', () => location.reload());
    slot.append(' ', button);
  }
}

function isBusy(region) {
  if (region.contains(document.activeElement) && document.activeElement !== document.body) return true;
  for (const form of region.querySelectorAll('form')) {
    for (const field of form.elements) {
      if (field.type === 'hidden' || field.type === 'submit' || field.type === 'button') continue;
      if ((field.type === 'checkbox' || field.type === 'radio') && field.checked !== field.defaultChecked) return true;
      if ('defaultValue' in field && field.value !== field.defaultValue) return true;
      if (field.tagName === 'SELECT' && [...field.options].some((o) => o.selected !== o.defaultSelected)) return true;
    }
  }
  return false;
}

let refreshing = null;
let pending = false;

/**
 * Whether this page is the answer to a form POST (e.g. the invitation page at
 * /n/{id}/invitations): refetching its URL with GET would be wrong.
 */
function isPostResult() {
  return [...document.querySelectorAll('form[method="post" i]')].some((form) => new URL(form.action, location.href).pathname === location.pathname);
}

/** Refetches this page and swaps its live regions; returns how many were swapped and skipped. */
export async function refresh() {
  if (isPostResult()) {
    announce('This negotiation has changed since the page was loaded.', false);
    return { swapped: 0, skipped: 0 };
  }
  const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
  if (!response.ok) {
    announce('This negotiation changed, and the page could not be refreshed.', true);
    return { swapped: 0, skipped: 0 };
  }
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  let swapped = 0;
  let skipped = 0;
  for (const region of document.querySelectorAll('[data-live][id]')) {
    const replacement = fresh.getElementById(region.id);
    if (!replacement || replacement.outerHTML === region.outerHTML) continue;
    if (isBusy(region)) {
      skipped++;
      continue;
    }
    region.replaceWith(document.importNode(replacement, true));
    swapped++;
  }
  const freshSize = fresh.body && fresh.body.dataset.logSize;
  if (freshSize && skipped === 0) document.body.dataset.logSize = freshSize;
  // Forms outside live regions carry a `base` log size: after a change they
  // would be refused as stale, so say so rather than let a submit fail.
  const staleForms = document.querySelectorAll('form input[name="base"]').length > 0;
  if (skipped > 0 || (swapped === 0 && staleForms)) {
    announce('This negotiation has changed since the page was loaded.', true);
  } else if (swapped > 0) {
    announce(`Updated just now (${swapped} ${swapped === 1 ? 'section' : 'sections'}).`, staleForms);
  }
  document.dispatchEvent(new CustomEvent('accord:refreshed', { detail: { swapped, skipped } }));
  startCountdowns();
  return { swapped, skipped };
}

function scheduleRefresh() {
  if (refreshing) {
    pending = true;
    return;
  }
  refreshing = new Promise((resolve) => setTimeout(resolve, REFRESH_DEBOUNCE_MS))
    .then(refresh)
    .catch(() => announce('This negotiation changed; reload to see it.', true))
    .finally(() => {
      refreshing = null;
      if (pending) {
        pending = false;
        scheduleRefresh();
      }
    });
}

export function subscribe(negotiation) {
  if (typeof EventSource === 'undefined') return null;
  const source = new EventSource(`/api/negotiations/${encodeURIComponent(negotiation)}/stream`, { withCredentials: true });
  source.addEventListener('log', (event) => {
    let size;
    try {
      size = JSON.parse(event.data).size;
    } catch {
      return;
    }
    const known = Number(document.body.dataset.logSize || 0);
    if (Number.isFinite(size) && size > known) {
      document.body.dataset.liveSeen = String(size);
      scheduleRefresh();
    }
  });
  source.addEventListener('open', () => {
    document.body.dataset.live = 'connected';
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; a closed one (403/404) does not.
    if (source.readyState === EventSource.CLOSED) document.body.dataset.live = 'closed';
  });
  return source;
}

// ---- Countdowns: <time class="countdown" data-deadline="ISO">in 3 days 4 h</time>
// Only those elements: the timetable chart's phase groups carry data-deadline
// too, and writing their text would erase the drawing.

/** "in 3 days 4 h", "in 2 h 5 min", "in 45 s", or "passed 2 h ago": the server's wording, to the second near the end. */
export function describeRemaining(ms) {
  const past = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  const seconds = s - minutes * 60;
  let text;
  if (days > 0) text = `${days} ${days === 1 ? 'day' : 'days'} ${hours} h`;
  else if (hours > 0) text = `${hours} h ${minutes} min`;
  else if (minutes > 0) text = `${minutes} min ${seconds} s`;
  else text = `${seconds} s`;
  return past ? `passed ${text} ago` : `in ${text}`;
}

let ticker = null;

function tick() {
  const now = Date.now();
  for (const element of document.querySelectorAll('time.countdown[data-deadline]')) {
    const at = Date.parse(element.dataset.deadline);
    if (Number.isNaN(at)) continue;
    const text = describeRemaining(at - now);
    if (element.textContent !== text) element.textContent = text;
  }
}

export function startCountdowns() {
  if (!document.querySelector('time.countdown[data-deadline]')) return;
  tick();
  // The countdown element is not aria-live: a screen reader hears it when it
  // reads it, not every second.
  if (!ticker) ticker = setInterval(tick, 1000);
}

function start() {
  startCountdowns();
  const negotiation = document.body.dataset.negotiation;
  if (negotiation) subscribe(negotiation);
  // After this page's own write (e.g. an acknowledgement), refresh at once.
  document.addEventListener('accord:written', () => scheduleRefresh());
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
