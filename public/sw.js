// Marquee's service worker: Web Push only (no offline cache; pages stay
// server-rendered and live). Plain JS, no build step. Served at /sw.js so
// its scope is the whole site.

const PUSH_CACHE = 'marquee-push';       // "/__prefs": the last body push.js POSTed
const SPEAKER_CACHE = 'marquee-speaker'; // "/__speaker-token": the speaker link's secret

// A new version takes over at once: there is no cached state to migrate.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Cache Storage is the one store both a page and the worker can reach
// without IndexedDB boilerplate; small JSON values live under fake URLs.
async function readValue(cacheName, key) {
  const hit = await (await caches.open(cacheName)).match(key);
  return hit ? hit.text() : null;
}

async function writeValue(cacheName, key, text) {
  await (await caches.open(cacheName)).put(key, new Response(text));
}

self.addEventListener('push', (event) => {
  let payload;
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { title: event.data.text() };
  }
  const title = payload.title || 'Marquee';
  // Tell open pages first and independently: headless Firefox (the e2e
  // test) refuses showNotification, and a refusal must not lose the message.
  const tellPages = self.clients
    .matchAll({ type: 'window', includeUncontrolled: true })
    .then((cs) => cs.forEach((c) => c.postMessage({ push: payload })));
  // Wrapped so even a synchronous throw becomes a settled promise.
  const notify = Promise.resolve().then(() => self.registration.showNotification(title, {
    body: payload.body || '',
    tag: payload.tag,
    // Same tag replaces the old notice (e.g. a delay updated); renotify so
    // the replacement still alerts. renotify without a tag throws.
    renotify: Boolean(payload.tag),
    data: payload,
    actions: Array.isArray(payload.actions) ? payload.actions : [],
    lang: payload.lang || '',
  }));
  event.waitUntil(Promise.allSettled([tellPages, notify]));
});

self.addEventListener('notificationclick', (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  const question = data.shift_id != null ? { shift_id: data.shift_id }
    : data.proposal_id != null ? { proposal_id: data.proposal_id } : null;
  if ((event.action === 'confirm' || event.action === 'decline') && question) {
    event.waitUntil(answerQuestion(question, event.action));
  } else {
    event.waitUntil(openPage(data.url || '/'));
  }
});

// A speaker confirms or declines a moved (or proposed) slot straight from
// the notification; the secret link's token is the only credential they
// have. `question` is `{shift_id}` or `{proposal_id}`.
async function answerQuestion(question, answer) {
  const token = await readValue(SPEAKER_CACHE, '/__speaker-token');
  if (!token) return openPage('/');
  const res = await fetch('/s/' + encodeURIComponent(token) + '/answer', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...question, answer }),
  });
  // Without a visible result the speaker would not know it failed: show the page.
  if (!res.ok) return openPage('/s/' + encodeURIComponent(token));
}

async function openPage(url) {
  const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = wins.find((w) => w.url.endsWith(url));
  return open ? open.focus() : self.clients.openWindow(url);
}

// The browser replaced the subscription (expiry, key change on the push
// service side): subscribe again and tell the server, or pushes stop silently.
self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(resubscribe(event));
});

async function resubscribe(event) {
  const old = event.oldSubscription;
  let key = old && old.options && old.options.applicationServerKey;
  if (!key) {
    const res = await fetch('/api/v1/push/key');
    key = urlB64ToBytes((await res.json()).public_key);
  }
  const sub = event.newSubscription ||
    await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  const saved = await readValue(PUSH_CACHE, '/__prefs');
  // Unsubscribing needs the old subscription's auth secret (the server's
  // proof that the request comes from the browser that subscribed).
  const oldAuth = authOf(old) || authOf(saved && JSON.parse(saved).subscription);
  if (saved) {
    const body = { ...JSON.parse(saved), subscription: sub.toJSON() };
    const res = await fetch('/api/v1/push/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.ok) await writeValue(PUSH_CACHE, '/__prefs', JSON.stringify(body));
  }
  if (old && old.endpoint !== sub.endpoint) {
    await fetch('/api/v1/push/subscriptions', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: old.endpoint, auth: oldAuth }),
    });
  }
}

function authOf(sub) {
  try {
    const json = sub && (typeof sub.toJSON === 'function' ? sub.toJSON() : sub);
    return (json && json.keys && json.keys.auth) || '';
  } catch {
    return '';
  }
}

function urlB64ToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// The speaker page hands over its token so notification buttons can answer
// even after the page is closed.
self.addEventListener('message', (event) => {
  const token = event.data && event.data.speakerToken;
  if (typeof token === 'string' && token) {
    event.waitUntil(writeValue(SPEAKER_CACHE, '/__speaker-token', token));
  }
});
