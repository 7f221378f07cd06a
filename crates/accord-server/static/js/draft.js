// The drafting workspace's conveniences; every form works without them.
// - Under each body being edited, a live preview with its {issue} slots
//   marked, and slots naming no issue flagged before the form is sent.
// - Ctrl+Enter (⌘+Enter) in a workspace field submits its form.

const known = new Set((document.getElementById('provisions')?.dataset.issues || '').split(' ').filter(Boolean));

/** Splits a body into text and slots as the server reads it: `{{` and `}}` are literal braces. */
function segments(body) {
  const out = [];
  let text = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if ((c === '{' || c === '}') && body[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = body.indexOf('}', i + 1);
      if (end < 0) {
        text += body.slice(i);
        break;
      }
      if (text) out.push({ text });
      out.push({ slot: body.slice(i + 1, end) });
      text = '';
      i = end;
    } else {
      text += c;
    }
  }
  if (text) out.push({ text });
  return out;
}

function renderPreview(textarea, preview) {
  preview.replaceChildren();
  let unknown = 0;
  for (const part of segments(textarea.value)) {
    if (part.text !== undefined) {
      preview.append(part.text);
      continue;
    }
    const mark = document.createElement('mark');
    mark.textContent = `{${part.slot}}`;
    if (!known.has(part.slot)) {
      mark.className = 'unknown-slot';
      mark.title = 'no issue has this id';
      unknown++;
    }
    preview.append(mark);
  }
  textarea.setAttribute('aria-invalid', unknown > 0 ? 'true' : 'false');
}

for (const textarea of document.querySelectorAll('textarea.draft-body')) {
  const preview = document.createElement('p');
  preview.className = 'provision-text draft-preview';
  preview.setAttribute('aria-live', 'polite');
  preview.id = `${textarea.id}-preview`;
  textarea.after(preview);
  const render = () => renderPreview(textarea, preview);
  textarea.addEventListener('input', render);
  render();
}

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
  const form = event.target instanceof Element ? event.target.closest('#main form') : null;
  if (form && form.getAttribute('action')?.endsWith('/draft')) {
    event.preventDefault();
    form.requestSubmit();
  }
});
