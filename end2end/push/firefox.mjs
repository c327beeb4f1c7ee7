// Web Push end to end with a REAL browser and no network: Firefox ESR
// (Debian's, driven by puppeteer-core over WebDriver BiDi) subscribes on the
// status page through a loopback Mozilla push service (push/fakemoz.py,
// which checks the server's VAPID signature); an organiser's shift through
// the API must then arrive in the page via the service worker. Headless
// Firefox refuses to *show* notifications, so /sw.js also posts each push
// to the open pages, and push.js collects them in `window.marqueePushes`.
// Chromium cannot be used: it needs Google's push service.
//
// Run from end2end/ after `make dev`:  node push/firefox.mjs
// Env: MARQUEE_PYTHON (default ../tools/venv/bin/python, then python3),
//      FIREFOX (default /usr/bin/firefox-esr), MARQUEE_E2E_DATE (as serve.sh).

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.resolve(here, '..');
const root = path.resolve(e2e, '..');
const venvPython = path.join(root, 'tools/venv/bin/python');
const python = process.env.MARQUEE_PYTHON || (existsSync(venvPython) ? venvPython : 'python3');
const firefox = process.env.FIREFOX || '/usr/bin/firefox-esr';
const date = process.env.MARQUEE_E2E_DATE || '2026-11-23';

const children = [];
const output = new Map(); // name -> last lines of its stdout+stderr
let browser = null;

function step(msg) {
  console.log(`push e2e: ${msg}`);
}

class Failure extends Error {}
function fail(msg) {
  throw new Failure(msg);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Each child leads its own process group, so killing the group also ends
// what serve.sh started before it exec'd the server.
function start(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { cwd: e2e, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const lines = [];
  output.set(name, lines);
  const keep = (buf) => {
    lines.push(...buf.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', (code, signal) => {
    child.exited = { code, signal };
  });
  children.push(child);
  return child;
}

const alive = (c) => c.exitCode === null && c.signalCode === null;

function signalAll(sig) {
  for (const c of children.filter(alive)) {
    try {
      process.kill(-c.pid, sig);
    } catch {
      /* already gone */
    }
  }
}

// TERM first (the server and fakemoz shut down cleanly), KILL what is left.
async function killAll() {
  signalAll('SIGTERM');
  for (let i = 0; i < 30 && children.some(alive); i++) await sleep(100);
  signalAll('SIGKILL');
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    signalAll('SIGKILL');
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, timeoutMs, probe) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      if (e instanceof Failure) throw e;
      last = e;
    }
    await sleep(200);
  }
  fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

async function waitHealthy(name, url, child, timeoutMs) {
  await waitFor(`${name} at ${url}`, timeoutMs, async () => {
    if (child.exited) fail(`${name} exited early (${JSON.stringify(child.exited)})`);
    const r = await fetch(url);
    return r.ok;
  });
}

async function main() {
  if (!existsSync(firefox)) fail(`${firefox} not found (apt-get install firefox-esr; scripts/setup.sh test does)`);
  const mozPort = await freePort();
  const appPort = await freePort();
  const base = `http://127.0.0.1:${appPort}`;
  const moz = `http://127.0.0.1:${mozPort}`;

  step(`push service (fakemoz.py) on ${mozPort}, marquee on ${appPort}`);
  const fake = start('fakemoz', python, [path.join(here, 'fakemoz.py'), String(mozPort)]);
  // fakemoz is a plain-http push service on loopback: only accepted with
  // the switch that is off by default.
  const app = start('marquee', 'bash', ['serve.sh', String(appPort)], {
    env: { ...process.env, MARQUEE_PUSH_ALLOW_INSECURE_LOCALHOST: '1' },
  });
  await waitHealthy('fakemoz', `${moz}/healthz`, fake, 15_000);
  await waitHealthy('marquee', `${base}/healthz`, app, 60_000);
  const token = readFileSync(path.join(e2e, '.tmp/token'), 'utf8').trim();
  const api = async (method, url, body) => {
    const r = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, text, json: () => JSON.parse(text) };
  };
  const mozLog = async () => (await fetch(`${moz}/log`)).json();
  const posts = (log) => log.filter(([dir]) => dir === 'push').map(([, e]) => e);

  const key = await fetch(`${base}/api/v1/push/key`);
  if (!key.ok) fail(`GET /api/v1/push/key answered ${key.status}: ${await key.text()}`);
  step(`server key: ${JSON.stringify(await key.json())}`);

  browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefox,
    headless: true,
    // The event's zone, so the times in the push read as on the schedule.
    env: { ...process.env, TZ: 'Europe/Moscow' },
    extraPrefsFirefox: {
      'dom.push.serverURL': `ws://127.0.0.1:${mozPort}/`,
      'dom.push.testing.allowInsecureServerURL': true,
      'dom.push.connection.enabled': true,
      'permissions.default.desktop-notification': 1,
      'dom.serviceWorkers.enabled': true,
    },
  });
  const page = await browser.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  output.set('page console', consoleLines);

  step('opening the status page');
  await page.goto(`${base}/e/demo/status`, { waitUntil: 'load' });
  await page.waitForSelector('#push', { visible: true, timeout: 10_000 }).catch(() => {
    fail('#push never became visible (is push.js served at /push.js and loaded as a module?)');
  });
  const status = () => page.$eval('#push-status', (el) => el.textContent.trim());

  step('subscribing to every incident and delay');
  await page.click('input[name="scope"][value="all"]');
  await page.click('#push-subscribe');
  await waitFor('#push-unsubscribe to show (subscribed)', 20_000, async () => {
    const shown = await page.$eval('#push-unsubscribe', (el) => !el.hidden);
    if (!shown) {
      const s = await status();
      const on = await page.$eval('#push', (el) => el.dataset.msgOn);
      if (s && s !== on && (await page.$eval('#push-subscribe', (b) => !b.disabled))) {
        fail(`subscribing failed, the card says: ${JSON.stringify(s)}`);
      }
    }
    return shown;
  });
  const sub = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    const s = await reg.pushManager.getSubscription();
    return s && s.toJSON();
  });
  if (!sub || !sub.endpoint.startsWith(moz)) fail(`no subscription at the fake push service: ${JSON.stringify(sub)}`);
  step(`subscribed: ${sub.endpoint} · card says ${JSON.stringify(await status())}`);

  step(`shifting all tracks from 17:00 on ${date} by 30 minutes through the API`);
  const shifted = await api('POST', '/api/v1/events/demo/shifts', {
    tracks: 'all', from: '17:00', date, by_minutes: 30, reason: 'player down',
  });
  if (shifted.status !== 201) fail(`shift answered ${shifted.status}: ${shifted.text}`);
  const moved = shifted.json().preview.moved;
  if (!moved.length) fail('the shift moved no session');
  const first = moved.reduce((a, b) => (a.new_start <= b.new_start ? a : b));
  // The server words the message in the subscriber's zone, which push.js
  // took from Intl: format the expected time the same way.
  const [newTime, oldTime, zone] = await page.evaluate((n, o) => {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: tz });
    return [f.format(new Date(n)), f.format(new Date(o)), tz];
  }, first.new_start, first.old_start);
  step(`${moved.length} sessions moved; first "${first.title}" ${oldTime} → ${newTime} (${zone})`);

  const push = await waitFor('the delay to arrive through the service worker', 20_000, () =>
    page.evaluate(() => (window.marqueePushes || []).find((p) => p.kind === 'schedule' || p.kind === 'shift')),
  );
  step(`page received: ${JSON.stringify(push)}`);
  const words = `${push.title} ${push.body}`;
  if (!words.includes(newTime) && !words.includes('30')) {
    fail(`the push does not mention the delay (${newTime} or 30 minutes): ${JSON.stringify(push)}`);
  }
  if (!push.url || !push.tag) fail(`the push lacks url/tag: ${JSON.stringify(push)}`);
  const cardText = await status();
  if (!cardText.includes(push.title)) fail(`the card does not show the push: ${JSON.stringify(cardText)}`);

  const log = await mozLog();
  const verified = posts(log).filter((e) => e.vapid && e.status === 201 && e.delivered);
  if (!verified.length) fail(`fakemoz saw no VAPID-verified delivery: ${JSON.stringify(posts(log))}`);
  const v = verified[0];
  step(`fakemoz: ${verified.length} VAPID-verified POST(s); aud ${v.aud} (port ${v.aud_has_port ? 'kept' : 'dropped'}), sub ${v.sub}, exp in ${v.exp_in} s, TTL ${v.ttl}, urgency ${v.urgency}, topic ${v.topic}, ${v.len} bytes`);

  step('unsubscribing with the button');
  await page.click('#push-unsubscribe');
  await waitFor('#push-unsubscribe to hide', 10_000, () => page.$eval('#push-unsubscribe', (el) => el.hidden));
  const after = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    return (await reg.pushManager.getSubscription()) === null;
  });
  if (!after) fail('the browser still has a subscription after "Stop notifications"');
  step(`card says ${JSON.stringify(await status())}`);

  const seenPosts = posts(await mozLog()).length;
  const seenPushes = await page.evaluate(() => window.marqueePushes.length);
  const again = await api('POST', '/api/v1/events/demo/shifts', {
    tracks: 'all', from: '17:00', date, by_minutes: 15, reason: 'second delay',
  });
  if (again.status !== 201) fail(`second shift answered ${again.status}: ${again.text}`);
  await sleep(5_000);
  const late = posts(await mozLog()).slice(seenPosts);
  const latePushes = await page.evaluate((n) => window.marqueePushes.slice(n), seenPushes);
  if (latePushes.length) fail(`a push arrived after unsubscribing: ${JSON.stringify(latePushes)}`);
  if (late.length) {
    fail(`the server still POSTed to the push service after DELETE /api/v1/push/subscriptions: ${JSON.stringify(late)}`);
  }
  step('no push and no POST to the push service within 5 s of the second shift');
  console.log('push: 1 passed, 0 failed');
}

let code = 0;
try {
  await main();
} catch (e) {
  code = 1;
  console.error(`push e2e FAILED: ${e instanceof Failure ? e.message : e.stack || e}`);
  for (const [name, lines] of output) {
    if (lines.length) console.error(`--- last lines of ${name} ---\n${lines.slice(-40).join('\n')}`);
  }
  console.error('push: 0 passed, 1 failed');
} finally {
  if (browser) await browser.close().catch(() => {});
  await killAll();
}
process.exit(code);
