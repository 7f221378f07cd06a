// Weight sliders that show each issue's normalised share as you move them.
//
// Hooks (web contract): inside an element with `data-weights`, each
// `<input type="range" name="weight.{issue}">` has an
// `<output data-share-for="weight.{issue}">` the server filled in; this
// keeps them in step with the sliders without a round trip.

/** Each weight's share of the total, in percent, rounded so they add up to 100; all zero: null (no shares, as the server shows "—"). */
export function shares(weights) {
  const values = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const total = values.reduce((a, b) => a + b, 0);
  if (values.length === 0) return [];
  if (total === 0) return values.map(() => null);
  const exact = values.map((w) => (100 * w) / total);
  // Largest remainder: floors, then hand the missing points to the largest fractions.
  const floors = exact.map(Math.floor);
  let missing = 100 - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (missing <= 0) break;
    floors[i] += 1;
    missing -= 1;
  }
  return floors;
}

function update(container) {
  const sliders = [...container.querySelectorAll('input[type="range"][name^="weight."]')];
  const percents = shares(sliders.map((s) => Number(s.value)));
  sliders.forEach((slider, i) => {
    const output = container.querySelector(`output[data-share-for="${CSS.escape(slider.name)}"]`);
    const share = percents[i] === null ? '—' : `${percents[i]} %`;
    if (output) output.value = share;
    slider.setAttribute('aria-valuetext', percents[i] === null ? slider.value : `${slider.value} (${share} of the total weight)`);
  });
}

function start() {
  for (const container of document.querySelectorAll('[data-weights]')) {
    container.addEventListener('input', (event) => {
      if (event.target.matches('input[type="range"][name^="weight."]')) update(container);
    });
    container.addEventListener('reset', () => setTimeout(() => update(container), 0));
    update(container);
  }
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
