// The screen's two pages and the wall's rotation between them, like a
// Grafana playlist: page 1 the sales (the original screen), page 2
// efficiency and regions. A second page rather than a reflow because page 1
// is full at 1920×1080 — every panel on it is read across a room, and
// shrinking them all to fit five more would make each one worse (README,
// "The screen"; docs/api.md, Health, metrics, the screen).
//
// Query: `?rotate=N` seconds per page (default 30; 0 stops), `?page=1|2`
// starts on that page and, unless `rotate` is given too, stays there (a
// wall per page). Keys: ←/→ (or PageUp/PageDown) the other page, 1/2 that
// page — any of them stops the rotation; r starts it again.

export const PAGES = ['sales', 'efficiency'];
const DEFAULT_ROTATE_S = 30;

/**
 * Shows the page in `?page=` (else the first), starts the rotation, and
 * wires the keys and the page indicator. Returns `show(index)`.
 * @param {URLSearchParams} params  @param {(key:string) => string} word
 */
export function setupPages(params, word) {
  const asked = Number(params.get('page'));
  const pinned = Number.isInteger(asked) && asked >= 1 && asked <= PAGES.length;
  const given = params.get('rotate');
  const seconds = given === null ? (pinned ? 0 : DEFAULT_ROTATE_S) : Math.max(0, Number(given) || 0);
  let current = pinned ? asked - 1 : 0;
  let timer = 0;

  const dots = document.getElementById('pages');
  dots.replaceChildren(...PAGES.map((name, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.page = String(i + 1);
    b.textContent = `${i + 1} ${word('page_' + name)}`;
    b.addEventListener('click', () => { stop(); show(i); });
    return b;
  }));

  function show(i) {
    current = (i + PAGES.length) % PAGES.length;
    PAGES.forEach((name, j) => { document.getElementById('page-' + name).hidden = j !== current; });
    for (const b of dots.children) b.classList.toggle('on', Number(b.dataset.page) === current + 1);
    document.body.dataset.page = PAGES[current];
    // Canvases on a page just shown are sized by the next draw.
    window.dispatchEvent(new Event('resize'));
  }
  function start(every = seconds) {
    stop();
    // The page is not turned under someone typing a note.
    const turn = () => { if (!document.activeElement?.closest?.('form')) show(current + 1); };
    if (every > 0) timer = setInterval(turn, every * 1000);
    document.body.dataset.rotate = String(timer ? every : 0);
  }
  function stop() {
    clearInterval(timer);
    timer = 0;
    document.body.dataset.rotate = '0';
  }

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    // Typed into the note box: text, not a page turn.
    if (e.target instanceof Element && e.target.closest('input, textarea, select')) return;
    const moves = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 };
    if (e.key in moves) { stop(); show(current + moves[e.key]); }
    else if (/^[1-9]$/.test(e.key) && Number(e.key) <= PAGES.length) { stop(); show(Number(e.key) - 1); }
    else if (e.key === 'r' || e.key === 'R') start(seconds || DEFAULT_ROTATE_S);
  });

  show(current);
  start();
  return show;
}
