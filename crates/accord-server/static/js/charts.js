// Interactivity on the server-rendered SVG charts of accord-charts
// (crates/accord-charts/src/lib.rs documents the classes and data-*).
//
// - Every data mark becomes focusable (Tab / Shift+Tab, or arrow keys within
//   a chart); focusing or hovering it shows its tooltip (the mark's own
//   <title>, which the SVG already carries for mouse users without script)
//   in a box next to the chart, also read out through a polite live region.
// - The Pareto chart's pair selector (a GET form with selects `a` and `b`)
//   swaps the chart in place without a reload; without script the form
//   still submits and the server renders the new pair.

const MARKS = [
  'circle.frontier-point',
  'polygon.suggestion',
  'g.draft-point',
  'g.reservation',
  'circle.reservation-point',
  'g.phase',
  'g.gain',
  'g.provision',
  'rect.utility-bar',
].join(',');

// The few rules this module needs, so it works whatever the site's CSS says.
// Focus ring: 3 px dark outline (3:1 against the white chart background).
const STYLE = `
.chart-tooltip { position: absolute; z-index: 2; pointer-events: none; max-width: min(22rem, 90%);
  background: #1f2328; color: #fff; padding: .35rem .55rem; border-radius: .3rem; font-size: .875rem; line-height: 1.3; }
svg.accord-chart [tabindex]:focus { outline: none; }
svg.accord-chart [tabindex]:focus-visible, svg.accord-chart .is-focused { stroke: #0b3d91; stroke-width: 3px; }
`;

function installStyle() {
  if (document.getElementById('accord-chart-style')) return;
  const style = document.createElement('style');
  style.id = 'accord-chart-style';
  style.textContent = STYLE;
  document.head.append(style);
}

function tooltipText(mark) {
  const title = [...mark.children].find((c) => c.tagName.toLowerCase() === 'title');
  if (title && title.textContent.trim()) return title.textContent.trim();
  const d = mark.dataset;
  return [d.label || d.name || d.party || d.provision || d.kind, d.value, d.x && `x ${d.x}`, d.y && `y ${d.y}`]
    .filter(Boolean)
    .join(', ');
}

function ensureTooltip(host) {
  let tip = host.querySelector(':scope > .chart-tooltip');
  if (!tip) {
    tip = document.createElement('div');
    tip.className = 'chart-tooltip';
    tip.setAttribute('role', 'status');
    tip.setAttribute('aria-live', 'polite');
    tip.hidden = true;
    host.append(tip);
  }
  return tip;
}

function show(host, mark) {
  const tip = ensureTooltip(host);
  tip.textContent = tooltipText(mark);
  tip.hidden = tip.textContent === '';
  const box = mark.getBoundingClientRect();
  const hostBox = host.getBoundingClientRect();
  // Inside the host, above the mark, kept within the host's width.
  const left = Math.max(0, Math.min(box.left - hostBox.left + box.width / 2 - tip.offsetWidth / 2, hostBox.width - tip.offsetWidth));
  tip.style.left = `${left}px`;
  tip.style.top = `${Math.max(0, box.top - hostBox.top - tip.offsetHeight - 6)}px`;
  for (const other of host.querySelectorAll('.is-focused')) other.classList.remove('is-focused');
  mark.classList.add('is-focused');
}

function hide(host) {
  const tip = host.querySelector(':scope > .chart-tooltip');
  if (tip) tip.hidden = true;
  for (const other of host.querySelectorAll('.is-focused')) other.classList.remove('is-focused');
}

// Which input moved last: a mark scrolled under a resting pointer by keyboard
// navigation fires mouseenter too, and must not take the tooltip from the
// mark that has the keyboard focus.
let lastInput = 'pointer';
if (typeof document !== 'undefined') {
  document.addEventListener('keydown', () => (lastInput = 'keyboard'), true);
  document.addEventListener('pointerdown', () => (lastInput = 'pointer'), true);
  document.addEventListener(
    'pointermove',
    (event) => {
      if (event.movementX || event.movementY) lastInput = 'pointer';
    },
    true,
  );
}

export function enhance(svg) {
  if (svg.dataset.enhanced) return;
  svg.dataset.enhanced = 'true';
  const host = svg.closest('figure') || svg.parentElement;
  if (getComputedStyle(host).position === 'static') host.style.position = 'relative';
  const marks = [...svg.querySelectorAll(MARKS)];
  marks.forEach((mark, index) => {
    mark.setAttribute('tabindex', index === 0 ? '0' : '-1');
    mark.setAttribute('focusable', 'true');
    mark.addEventListener('focus', () => show(host, mark));
    mark.addEventListener('blur', () => hide(host));
    const keyboardHere = () => lastInput === 'keyboard' && svg.contains(document.activeElement) && document.activeElement !== svg;
    mark.addEventListener('mouseenter', () => {
      if (!keyboardHere()) show(host, mark);
    });
    mark.addEventListener('mouseleave', () => {
      // The keyboard's mark keeps whatever it shows (Escape may have hidden its tooltip).
      if (!keyboardHere() && document.activeElement !== mark) hide(host);
    });
    mark.addEventListener('keydown', (event) => {
      // A roving tab stop: one Tab into the chart, arrows between its marks, Escape hides the tooltip.
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (event.key === 'Escape') {
        hide(host);
        return;
      }
      if (event.key === 'Home' || event.key === 'End' || step) {
        event.preventDefault();
        const next = event.key === 'Home' ? 0 : event.key === 'End' ? marks.length - 1 : (index + step + marks.length) % marks.length;
        mark.setAttribute('tabindex', '-1');
        marks[next].setAttribute('tabindex', '0');
        marks[next].focus();
      }
    });
  });
}

/** The Pareto pair form: fetch the page for the new pair and swap the chart (and its table) in place. */
function enhancePairForm(form) {
  const selects = form.querySelectorAll('select[name="a"], select[name="b"]');
  if (selects.length !== 2) return;
  const figure = () => document.querySelector('figure[data-chart="pareto"]') || document.querySelector('[data-chart="pareto"]')?.closest('figure');
  const update = async () => {
    const url = new URL(form.action || location.href, location.href);
    url.search = new URLSearchParams(new FormData(form)).toString();
    const current = figure();
    if (!current) return form.submit();
    current.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!response.ok) throw new Error(String(response.status));
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      const replacement = fresh.querySelector('figure[data-chart="pareto"]') || fresh.querySelector('[data-chart="pareto"]')?.closest('figure');
      if (!replacement) throw new Error('no chart in the answer');
      const node = document.importNode(replacement, true);
      current.replaceWith(node);
      node.querySelectorAll('svg.accord-chart').forEach(enhance);
      history.replaceState(null, '', url);
    } catch {
      form.submit();
    } finally {
      current.removeAttribute('aria-busy');
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    update();
  });
  selects.forEach((select) => select.addEventListener('change', update));
}

function start() {
  installStyle();
  document.querySelectorAll('svg.accord-chart').forEach(enhance);
  const pareto = document.querySelector('[data-chart="pareto"]');
  if (pareto) {
    for (const form of document.querySelectorAll('form')) {
      if ((form.method || 'get').toLowerCase() === 'get' && form.querySelector('select[name="a"]')) enhancePairForm(form);
    }
  }
  // Charts arriving in a live-refreshed region get the same treatment.
  document.addEventListener('accord:refreshed', () => document.querySelectorAll('svg.accord-chart').forEach(enhance));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
