// Node's `web-push` sending one notification to every subscription of a
// subscriptions.json (mkkeys.py's format, what browsers POST), the way a
// typical Node server would: sendNotification() per subscriber, VAPID
// details passed per call (so web-push signs a fresh JWT each time, as it
// always does), a keep-alive https agent, at most --concurrency in flight.
//
//   node node_send.mjs --subs subscriptions.json [--concurrency 64]
//        [--ca ca.pem] [--ttl 60] [--json out.json]
//
// Prints one JSON line: sent, failed, seconds, msgs_per_s, cpu seconds.
import fs from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const webpush = require('web-push');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
const subs = JSON.parse(fs.readFileSync(args.subs, 'utf8'));
const concurrency = Number(args.concurrency ?? 64);
const ttl = Number(args.ttl ?? 60);
const agent = new https.Agent({
  keepAlive: true,
  maxSockets: concurrency,
  ...(args.ca ? { ca: fs.readFileSync(args.ca) } : {}),
});

// Its own key pair: the sink does not check VAPID.
const vapid = webpush.generateVAPIDKeys();
const options = {
  vapidDetails: { subject: 'mailto:bench@marquee.invalid', publicKey: vapid.publicKey, privateKey: vapid.privateKey },
  TTL: ttl,
  urgency: 'high',
  topic: 'shift-demo',
  agent,
  timeout: 30000,
};
// About what a delay notice carries.
const payload = JSON.stringify({
  kind: 'schedule',
  title: 'Schedule change: sessions from 17:00 start 30 min later',
  body: 'All tracks: sessions from 17:00 move by +30 min (bench).',
  url: '/e/demo/schedule',
  tag: 'shift-demo',
  event: 'demo',
});

let next = 0;
let sent = 0;
let failed = 0;
const failures = {};
const cpu0 = process.cpuUsage();
const t0 = performance.now();
async function worker() {
  while (next < subs.length) {
    const sub = subs[next++];
    try {
      await webpush.sendNotification(sub, payload, options);
      sent++;
    } catch (e) {
      failed++;
      const key = String(e.statusCode ?? e.code ?? e.message);
      failures[key] = (failures[key] ?? 0) + 1;
    }
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, subs.length) }, worker));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const result = {
  sender: `node ${process.version} web-push ${require('web-push/package.json').version}`,
  n: subs.length,
  sent,
  failed,
  failures,
  concurrency,
  seconds: Number(seconds.toFixed(3)),
  msgs_per_s: Math.round(sent / seconds),
  cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
};
if (args.json) fs.writeFileSync(args.json, JSON.stringify(result));
console.log(JSON.stringify(result));
agent.destroy();
process.exit(failed ? 1 : 0);
