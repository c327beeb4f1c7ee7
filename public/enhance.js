// What JavaScript adds to every page but the countdown screens, as
// progressive enhancement of what the server rendered (each page works
// without it). Plain ES module, no build step; `cargo xtask site --release`
// minifies it. Every word shown comes from data-* attributes the server
// translated; nothing here is UI text.
//
// Why not Leptos islands here: an islands bundle costs ~48 KB compressed
// (wasm and glue) before any island, and the public pages' whole first
// load must stay under 60 KB (issue 13, bench/README.md "Page weight").
// The countdown screens, a long-running state machine, stay an island.
//
// Each part finds its elements by data attribute, below `root` (the page,
// or a live region swapped in), and marks what it has bound.

const ZONE_KEY = 'marquee.zone'; // localStorage: "local" or "event"

/** Binds everything below `root` once. */
function enhance(root) {
  langSwitch(root);
  copyButtons(root);
  zones(root);
  startsIn(root);
}

function once(el, part) {
  const key = 'bound' + part;
  if (el.dataset[key]) return false;
  el.dataset[key] = '1';
  return true;
}

// --- The language switcher: a GET form that submits itself on change.
function langSwitch(root) {
  for (const form of root.querySelectorAll('form.lang-switch')) {
    if (!once(form, 'Lang')) continue;
    const apply = form.querySelector('.lang-apply');
    if (apply) apply.hidden = true;
    const select = form.querySelector('select');
    if (select) select.addEventListener('change', () => form.submit());
  }
}

// --- "Copy" beside a read-only field. The Clipboard API needs a secure
// context; organisers do run Marquee on plain http on a LAN, so the
// selection and execCommand('copy') are the fallback.
function copyButtons(root) {
  for (const button of root.querySelectorAll('button[data-copy-target]')) {
    if (!once(button, 'Copy')) continue;
    const label = button.textContent;
    button.hidden = false;
    let timer = 0;
    button.addEventListener('click', () => {
      const input = document.getElementById(button.dataset.copyTarget);
      if (!input) return;
      input.select();
      let copied = false;
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).catch(() => {});
        copied = true;
      } else {
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
      }
      if (!copied) return;
      button.textContent = button.dataset.done || label;
      clearTimeout(timer);
      timer = setTimeout(() => (button.textContent = label), 2000);
    });
  }
}

// --- Event time vs. the viewer's own. The server renders every time in
// the event's zone; the toggle (remembered) switches every
// `time[data-utc-ms]` on the page, including those a live update brings.
let showLocal = false;
try {
  showLocal = localStorage.getItem(ZONE_KEY) === 'local';
} catch {
  // Storage blocked: the choice lasts as long as the page.
}
const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';

function two(n) {
  return String(n).padStart(2, '0');
}

function zones(root) {
  for (const bar of document.querySelectorAll('[data-zone-bar]')) {
    const d = bar.dataset;
    const label = bar.querySelector('.zone-label');
    const button = bar.querySelector('.zone-toggle');
    if (!label || !button) continue;
    if (once(bar, 'Zone')) {
      button.hidden = false;
      button.addEventListener('click', () => {
        showLocal = !showLocal;
        try {
          localStorage.setItem(ZONE_KEY, showLocal ? 'local' : 'event');
        } catch {
          // See above.
        }
        zones(document);
      });
    }
    label.textContent = showLocal ? d.localLabel.replace('{zone}', viewerZone) : d.eventLabel;
    button.textContent = showLocal ? d.showEvent : d.showLocal;
    button.setAttribute('aria-pressed', String(showLocal));
  }
  for (const time of root.querySelectorAll('time[data-utc-ms]')) {
    if (!time.dataset.eventText) time.dataset.eventText = time.textContent;
    if (showLocal) {
      const d = new Date(Number(time.dataset.utcMs));
      time.textContent = `${two(d.getHours())}:${two(d.getMinutes())}`;
    } else {
      time.textContent = time.dataset.eventText;
    }
  }
}

// --- "You are on in 14:10": follows the server's clock (the offset
// between the time the server rendered and this browser's clock), and is
// recomputed from the clock every second so it never drifts.
function remaining(secs) {
  const s = Math.max(0, secs);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

function startsIn(root) {
  for (const el of root.querySelectorAll('[data-starts-in]')) {
    if (!once(el, 'Starts')) continue;
    const d = el.dataset;
    const target = Number(d.targetMs);
    const offset = Number(d.serverMs) - Date.now();
    const tick = () => {
      const r = Math.ceil((target - (Date.now() + offset)) / 1000);
      el.textContent = r > 0 ? d.template.replace('{t}', remaining(r)) : d.nowText;
    };
    tick();
    const timer = setInterval(() => (el.isConnected ? tick() : clearInterval(timer)), 1000);
  }
}

// --- The "now" line across the schedule grid, in thousandths of a slot
// from the day's start, moved every 30 seconds.
function nowLines() {
  for (const el of document.querySelectorAll('.now-line[data-day-start-ms]')) {
    const d = el.dataset;
    const now = Date.now();
    const start = Number(d.dayStartMs);
    if (now >= start && now < Number(d.dayEndMs)) {
      const p = Math.floor((now - start) / Math.max(1, Number(d.slotMinutes)) / 60);
      el.setAttribute('style', `--now:${Math.floor(p / 1000)}.${String(p % 1000).padStart(3, '0')}`);
    } else {
      el.setAttribute('style', 'display:none');
    }
  }
}

// --- Live pages: follow `/e/{event}/live` (SSE) and, on each change, fetch
// the page again and swap its `[data-live]` regions. The server stays the
// only renderer. EventSource reconnects by itself with Last-Event-ID; the
// mark says when the link is down.
function live() {
  const mark = document.querySelector('[data-live-event]');
  if (!mark || typeof EventSource === 'undefined') return;
  const d = mark.dataset;
  const setLink = (state) => {
    mark.dataset.state = state;
    mark.textContent = state === 'live' ? d.liveLabel : state === 'reconnecting' ? d.reconnectingLabel : '';
  };
  // The stream replays what came after the page's render, so a change
  // written while the page loaded is not missed.
  const es = new EventSource(`/e/${encodeURIComponent(d.liveEvent)}/live?after=${d.after}`);
  // "Live" only while the stream is open and the page shows what the last
  // change brought (a fetch that failed is being tried again).
  showLink = () => setLink(es.readyState === EventSource.OPEN && !behind ? 'live' : 'reconnecting');
  es.onopen = showLink;
  es.onerror = () => setLink('reconnecting');
  let hellos = 0;
  // Every reconnect after the first may have missed changes, and the
  // first too when the server could not replay from the page's position.
  es.addEventListener('hello', (e) => {
    showLink();
    hellos += 1;
    if (hellos > 1 || String(e.data).includes('"resync":true')) refresh();
  });
  // Every change-log kind the server writes, and the stream's "resync".
  for (const kind of d.kinds.split(' ')) es.addEventListener(kind, refresh);
  pollReach();
}

// One fetch at a time; changes that arrive meanwhile coalesce into one
// more fetch afterwards.
let busy = false;
let again = false;
let armed = false;
// Whether the last fetch failed, and the mark's update (set by live()).
let behind = false;
let showLink = () => {};

async function refresh() {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  let failed = false;
  let wait = 0;
  do {
    again = false;
    wait = 0;
    try {
      await swapRegions();
      failed = false;
    } catch (e) {
      failed = true;
      wait = (e && e.retryAfter) || 0;
    }
  } while (again);
  busy = false;
  behind = failed;
  showLink();
  if (failed) retryLater(wait);
  else {
    retryIn = 0;
    clearTimeout(retryTimer);
    pollReach();
  }
}

// A fetch that failed (the network, an instance restarting, a 503 under
// load) would leave the page showing what it knew before the change until
// the next one, which may never come: fetch again, 1 s later, then 2, 4…
// up to 30 s, until one succeeds. A change heard meanwhile fetches at once.
// Each wait is spread over half to one and a half times its length: every
// open page heard the change in the same instant, and a crowd refused at
// once must not come back at once. A server's Retry-After (seconds) is a
// floor.
let retryIn = 0;
let retryTimer = 0;

function retryLater(retryAfterSecs) {
  retryIn = Math.min(30000, retryIn ? retryIn * 2 : 1000);
  const floor = Math.min(300, retryAfterSecs) * 1000;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(refresh, Math.max(floor, retryIn * (0.5 + Math.random())));
}

// A notice's reach grows as deliveries finish, which writes no change-log
// entry: while a reach table says deliveries are under way, fetch again in
// two seconds.
function pollReach() {
  if (armed || !document.querySelector('[data-reach-pending]')) return;
  armed = true;
  setTimeout(() => {
    armed = false;
    refresh();
  }, 2000);
}

// What the server last sent for each region (the enhancements change the
// DOM, so it cannot be compared with what is shown).
const served = new Map();

async function swapRegions() {
  const res = await fetch(location.href, { cache: 'no-store' });
  if (!res.ok) {
    const err = new Error(`HTTP ${res.status}`);
    err.retryAfter = Number(res.headers.get('retry-after')) || 0;
    throw err;
  }
  const fresh = new DOMParser().parseFromString(await res.text(), 'text/html');
  for (const el of document.querySelectorAll('[data-live]')) {
    const next = el.id && fresh.getElementById(el.id);
    if (next && next.innerHTML !== served.get(el.id)) {
      served.set(el.id, next.innerHTML);
      el.innerHTML = next.innerHTML;
      enhance(el);
    }
  }
  nowLines();
}

for (const el of document.querySelectorAll('[data-live]')) served.set(el.id, el.innerHTML);
enhance(document);
nowLines();
setInterval(nowLines, 30000);
live();
// What tests (and styles) can wait for: the page's enhancements are bound.
document.documentElement.dataset.js = 'on';
