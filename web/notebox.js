// The "add note / 添加备注" box (docs/api.md, Health, metrics, the screen →
// The war-room log): shown only to a page whose `?token=` the server calls
// an admin's. The page asks `GET /api/v1/whoami` with the token as a bearer
// header — a flag in the URL proves nothing — and asks again every 5 s
// while the server cannot be reached.
//
// A note is posted to the node the screen is connected to and is not drawn
// from the reply: it arrives, like everyone else's, through the frames, so
// it is never shown twice. A refused note shows the server's own reason.
// The author is remembered in this browser (localStorage).

const AUTHOR_KEY = 'warroom.note.author';
const RETRY_MS = 5000;

/**
 * @param {{token:?string, store:?string, channel:?string}} view
 * @param {() => string} server  the base URL of the node the screen is on
 * @param {{word:(k:string) => string}} fmt
 */
export function setupNoteBox(view, server, fmt) {
  const form = document.getElementById('note-form');
  const textEl = /** @type {HTMLInputElement} */ (document.getElementById('note-text'));
  const authorEl = /** @type {HTMLInputElement} */ (document.getElementById('note-author'));
  const errorEl = document.getElementById('note-error');
  const button = form.querySelector('button');
  form.hidden = true;
  form.dataset.role = '';
  if (!view.token) return;

  textEl.placeholder = fmt.word('note_placeholder');
  authorEl.placeholder = fmt.word('note_author');
  button.textContent = fmt.word('note_add');
  authorEl.value = readAuthor();

  const auth = { Authorization: `Bearer ${view.token}` };
  async function ask() {
    try {
      const r = await fetch('/api/v1/whoami', { headers: auth, cache: 'no-store' });
      if (r.status === 401 || r.status === 403) {
        form.dataset.role = 'none';
        return;
      }
      if (!r.ok) throw new Error(String(r.status));
      const me = await r.json();
      form.dataset.role = me.role;
      form.hidden = me.role !== 'admin';
    } catch {
      setTimeout(ask, RETRY_MS);
    }
  }
  ask();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = textEl.value.trim();
    if (!text) return;
    const author = authorEl.value.trim();
    writeAuthor(author);
    const body = { text };
    if (author) body.author = author;
    // A filtered view's note is about what that view shows.
    const scope = single(view.store, 'store') ?? single(view.channel, 'channel');
    if (scope) body.scope = scope;
    button.disabled = true;
    showError('');
    try {
      const r = await fetch(`${server()}/api/v1/notes`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.ok) {
        textEl.value = '';
      } else {
        const reply = await r.json().catch(() => null);
        showError(reply?.error ?? `${fmt.word('note_failed')} (${r.status})`);
      }
    } catch (err) {
      showError(`${fmt.word('note_failed')}: ${err}`);
    } finally {
      button.disabled = false;
    }
  });

  function showError(message) {
    errorEl.textContent = message;
    errorEl.hidden = !message;
  }
}

/** `kind:ID` when the view names exactly one of that kind. */
function single(list, kind) {
  const ids = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return ids.length === 1 ? `${kind}:${ids[0]}` : null;
}

function readAuthor() {
  try {
    return localStorage.getItem(AUTHOR_KEY) ?? '';
  } catch {
    return ''; // storage refused (a locked-down kiosk): no memory, still works
  }
}

function writeAuthor(author) {
  try {
    if (author) localStorage.setItem(AUTHOR_KEY, author);
    else localStorage.removeItem(AUTHOR_KEY);
  } catch {
    // As above.
  }
}
