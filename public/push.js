// Web Push for Marquee's public pages, as progressive enhancement: the
// server renders the `#push` card hidden, and only a browser that can
// receive pushes gets to see it. Plain ES module, no build step. Every word
// shown comes from the card's data-* attributes (the server translates
// them); the English here is only a fallback for a missing attribute.

const PREFS_KEY = 'marquee-push'; // localStorage: the last body POSTed
const PUSH_CACHE = 'marquee-push'; // Cache Storage, read by /sw.js
const API = '/api/v1/push';

// What the service worker forwards, kept for tests and shown in the card.
window.marqueePushes = window.marqueePushes || [];

const root = document.getElementById('push');
const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
const event = root ? root.dataset.event || '' : '';
const speaker = root ? root.dataset.speaker || '' : '';
const STARS_KEY = 'marquee-stars:' + event;

if (supported) {
  // Listen before registering so no early message is missed; with
  // addEventListener, messages are queued until startMessages().
  navigator.serviceWorker.addEventListener('message', (ev) => {
    const p = ev.data && ev.data.push;
    if (!p) return;
    window.marqueePushes.push(p);
    if (root) say([p.title, p.body].filter(Boolean).join(' — '));
  });
  navigator.serviceWorker.startMessages();
}

if (root) {
  if (supported) {
    init().catch((e) => say(text('msgError', 'Could not subscribe: ') + e.message));
  } else {
    // Say why there is no button rather than show a card that cannot work.
    root.hidden = false;
    const form = root.querySelector('#push-form');
    for (const el of form ? form.querySelectorAll('fieldset, button') : []) el.hidden = true;
    say(text('msgUnsupported', 'This browser cannot receive notifications.'));
  }
}

function text(name, fallback) {
  return (root && root.dataset[name]) || fallback;
}

function say(message) {
  const status = root && root.querySelector('#push-status');
  if (status) status.textContent = message;
}

function $(sel) {
  return root.querySelector(sel);
}

async function init() {
  root.hidden = false;
  const form = $('#push-form');
  const subscribeBtn = $('#push-subscribe');
  const unsubscribeBtn = $('#push-unsubscribe');
  const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });

  const showSubscribed = (on) => {
    unsubscribeBtn.hidden = !on;
    root.dataset.subscribed = on ? 'true' : 'false';
  };
  const busy = (on) => {
    subscribeBtn.disabled = on;
    unsubscribeBtn.disabled = on;
  };

  // Checking a track means "only these tracks".
  for (const box of form.querySelectorAll('input[name="track"]')) {
    box.addEventListener('change', () => {
      const radio = form.querySelector('input[name="scope"][value="tracks"]');
      if (box.checked && radio) radio.checked = true;
    });
  }

  const saved = loadPrefs();
  const existing = await reg.pushManager.getSubscription();
  // One browser has one subscription (for one event, as attendee or as
  // speaker): the card shows "subscribed" only where it was made.
  if (existing && saved && saved.event === event && (saved.speaker || '') === speaker) {
    showSubscribed(true);
    restoreChoices(form, saved);
    say(text('msgOn', 'You will be notified.'));
    if (speaker) tellWorker(speaker);
    // A `marquee vapid rotate` reaches browsers here: re-subscribe quietly
    // with the new key when permission is still granted.
    if (Notification.permission === 'granted') {
      refreshIfKeyChanged(reg, existing, saved).catch(() => {});
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    busy(true);
    try {
      const choice = readChoices(form);
      if (choice.error) {
        say(choice.error);
        return;
      }
      // Before any fetch, while the click still counts as a user gesture.
      const permission = await Notification.requestPermission();
      if (permission !== 'granted') {
        say(text('msgDenied', 'Notifications are blocked in this browser.'));
        return;
      }
      const key = await fetchKey();
      await navigator.serviceWorker.ready;
      const sub = await subscribeWith(reg, key);
      const body = { subscription: sub.toJSON(), event, ...choice, lang: root.dataset.lang || document.documentElement.lang || 'en', time_zone: timeZone() };
      if (speaker) body.speaker = speaker;
      await postSubscription(body);
      if (speaker) tellWorker(speaker);
      showSubscribed(true);
      say(text('msgOn', 'You will be notified.'));
    } catch (err) {
      say(text('msgError', 'Could not subscribe: ') + err.message);
    } finally {
      busy(false);
    }
  });

  unsubscribeBtn.addEventListener('click', async () => {
    busy(true);
    try {
      const sub = await reg.pushManager.getSubscription();
      if (sub) {
        await api('DELETE', unsubscribeBody(sub));
        await sub.unsubscribe();
      }
      await forgetPrefs();
      showSubscribed(false);
      say(text('msgOff', 'Notifications are off.'));
    } catch (err) {
      say(text('msgError', 'Could not subscribe: ') + err.message);
    } finally {
      busy(false);
    }
  });

  if (!speaker && form.querySelector('input[name="scope"][value="sessions"]')) {
    addStars(reg);
  }
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

// The form's choice as the API wants it: tracks ["all"], a list of track
// slugs, or starred sessions. A speaker's card has no choice to make.
function readChoices(form) {
  const scope = (form.querySelector('input[name="scope"]:checked') || {}).value;
  if (!scope) return { tracks: [], sessions: [] };
  if (scope === 'all') return { tracks: ['all'], sessions: [] };
  if (scope === 'tracks') {
    const tracks = [...form.querySelectorAll('input[name="track"]:checked')].map((b) => b.value);
    if (!tracks.length) return { error: text('msgNoTracks', 'Pick at least one track.') };
    return { tracks, sessions: [] };
  }
  const sessions = loadStars();
  if (!sessions.length) return { error: text('msgNoStars', 'Star some sessions first.') };
  return { tracks: [], sessions };
}

function scopeOf(body) {
  if (body.tracks && body.tracks.includes('all')) return 'all';
  if (body.tracks && body.tracks.length) return 'tracks';
  return body.speaker ? null : 'sessions';
}

function restoreChoices(form, saved) {
  const scope = scopeOf(saved);
  const radio = scope && form.querySelector(`input[name="scope"][value="${scope}"]`);
  if (radio) radio.checked = true;
  for (const box of form.querySelectorAll('input[name="track"]')) {
    box.checked = scope === 'tracks' && saved.tracks.includes(box.value);
  }
}

function b64urlToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function sameBytes(a, b) {
  if (!a || !b) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

async function fetchKey() {
  const res = await fetch(API + '/key', { cache: 'no-store' });
  if (!res.ok) throw new Error(await errorText(res));
  return b64urlToBytes((await res.json()).public_key);
}

// A subscription is bound to the server key it was made with; after a key
// rotation the old one must go before the browser accepts the new key.
async function subscribeWith(reg, key) {
  const current = await reg.pushManager.getSubscription();
  if (current && sameBytes(current.options.applicationServerKey, key)) return current;
  if (current) await current.unsubscribe();
  const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  if (current && current.endpoint !== sub.endpoint) {
    api('DELETE', unsubscribeBody(current)).catch(() => {});
  }
  return sub;
}

// The server forgets a subscription only for the browser that holds its
// auth secret, not for whoever learns the endpoint.
function unsubscribeBody(sub) {
  const json = sub.toJSON();
  return { endpoint: json.endpoint, auth: (json.keys && json.keys.auth) || '' };
}

async function refreshIfKeyChanged(reg, existing, saved) {
  const key = await fetchKey();
  if (sameBytes(existing.options.applicationServerKey, key)) return;
  const sub = await subscribeWith(reg, key);
  await postSubscription({ ...saved, subscription: sub.toJSON() });
}

async function api(method, body) {
  const res = await fetch(API + '/subscriptions', {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // A 404 on DELETE: the server already forgot it (e.g. the push service
  // said it was gone), which is what unsubscribing wants anyway.
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(await errorText(res));
  return res;
}

// The server's errors are {"error": {"code", "message", "field"}}.
async function errorText(res) {
  try {
    const j = await res.json();
    if (j && j.error && j.error.message) return j.error.message;
  } catch {
    /* not JSON */
  }
  return 'HTTP ' + res.status;
}

async function postSubscription(body) {
  await api('POST', body);
  await savePrefs(body);
}

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY) || 'null');
  } catch {
    return null;
  }
}

// Saved twice: localStorage for this script, Cache Storage for the service
// worker (which cannot read localStorage) to re-subscribe on its own.
async function savePrefs(body) {
  const json = JSON.stringify(body);
  try {
    localStorage.setItem(PREFS_KEY, json);
  } catch {
    /* private mode: the card just forgets */
  }
  if ('caches' in window) {
    await (await caches.open(PUSH_CACHE)).put('/__prefs', new Response(json, { headers: { 'content-type': 'application/json' } }));
  }
}

async function forgetPrefs() {
  try {
    localStorage.removeItem(PREFS_KEY);
  } catch {
    /* nothing saved */
  }
  if ('caches' in window) await (await caches.open(PUSH_CACHE)).delete('/__prefs');
}

// The worker keeps the speaker's token so the Confirm/Decline buttons of a
// notification can answer after this page is closed.
async function tellWorker(token) {
  const reg = await navigator.serviceWorker.ready;
  if (reg.active) reg.active.postMessage({ speakerToken: token });
}

// ---- Stars: "sessions I starred" ----------------------------------------

function loadStars() {
  try {
    const v = JSON.parse(localStorage.getItem(STARS_KEY) || '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function saveStars(stars) {
  try {
    localStorage.setItem(STARS_KEY, JSON.stringify(stars));
  } catch {
    /* stars just do not stick */
  }
}

function paintStar(btn, on) {
  btn.setAttribute('aria-pressed', on ? 'true' : 'false');
  const label = on ? text('unstar', 'Unstar') : text('star', 'Star');
  btn.setAttribute('aria-label', label);
  btn.title = label;
  btn.textContent = on ? '★' : '☆';
}

function addStars(reg) {
  const place = () => {
    const stars = new Set(loadStars());
    for (const row of document.querySelectorAll('[data-guid]')) {
      if (row.closest('#push') || row.querySelector(':scope > button.star')) continue;
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'star';
      paintStar(btn, stars.has(row.dataset.guid));
      // Last child, outside the row's link: a button inside <a> is invalid.
      row.append(btn);
    }
  };
  place();
  // Live updates swap the schedule's HTML: put the stars back each time.
  const live = document.querySelectorAll('[data-live]');
  const observer = new MutationObserver(place);
  for (const region of live) observer.observe(region, { childList: true, subtree: true });

  let timer = null;
  document.addEventListener('click', (e) => {
    const btn = e.target.closest && e.target.closest('button.star');
    if (!btn) return;
    const row = btn.closest('[data-guid]');
    if (!row) return;
    e.preventDefault();
    const stars = new Set(loadStars());
    const guid = row.dataset.guid;
    if (stars.has(guid)) stars.delete(guid);
    else stars.add(guid);
    saveStars([...stars]);
    for (const b of document.querySelectorAll('[data-guid] > button.star')) {
      if (b.parentElement.dataset.guid === guid) paintStar(b, stars.has(guid));
    }
    // Subscribed to starred sessions: tell the server, once the clicking stops.
    clearTimeout(timer);
    timer = setTimeout(() => resendStars(reg), 600);
  });
}

async function resendStars(reg) {
  const saved = loadPrefs();
  if (!saved || saved.event !== event || saved.speaker || scopeOf(saved) !== 'sessions') return;
  const sub = await reg.pushManager.getSubscription();
  if (!sub) return;
  try {
    await postSubscription({ ...saved, subscription: sub.toJSON(), sessions: loadStars() });
  } catch (err) {
    say(text('msgError', 'Could not subscribe: ') + err.message);
  }
}
