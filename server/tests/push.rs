//! Web Push end to end over real HTTP: a real `marquee serve` process, and a
//! loopback push service (`support/push/fakepush.py`) that checks each
//! message the way a push service would and independently of the Rust
//! sender: it verifies the VAPID JWT with Python's `cryptography` and
//! decrypts the payload with `http_ece`. Python comes from `tools/venv`
//! (made by `scripts/setup.sh test`), or `MARQUEE_TEST_PYTHON`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use chrono_tz::Europe::{Moscow, Paris};
use serde_json::{Value, json};

#[path = "support/process.rs"]
mod process;
use process::{Server, free_addr, http, http_with, run, serve, wait_for};

const DAY: &str = "2026-11-23";

fn python() -> PathBuf {
    let p = std::env::var_os("MARQUEE_TEST_PYTHON").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../tools/venv/bin/python"
            ))
        },
        PathBuf::from,
    );
    assert!(
        p.exists(),
        "{} is missing: run `scripts/setup.sh test` (it installs aiohttp, http_ece, cryptography)",
        p.display()
    );
    p
}

fn support(file: &str) -> String {
    format!("{}/tests/support/push/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The loopback push service and the browser-side subscriptions it holds
/// the private keys of.
struct FakePush {
    child: Child,
    addr: String,
    subs: Vec<Value>,
    _dir: tempfile::TempDir,
}

impl Drop for FakePush {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a leaf for 127.0.0.1 (`support/push/mkcert.py`), for a push
/// service on https.
struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    fn make() -> Certs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(python())
            .arg(support("mkcert.py"))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Certs { dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

impl FakePush {
    fn start(n: usize, special: &str, vapid_pub: &str) -> FakePush {
        FakePush::start_with(n, special, vapid_pub, None, None)
    }

    /// With `tls`, on https; with `redirect_to`, the `redirect` sid answers
    /// 307 to it.
    fn start_with(
        n: usize,
        special: &str,
        vapid_pub: &str,
        tls: Option<&Certs>,
        redirect_to: Option<&str>,
    ) -> FakePush {
        let dir = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let port = addr.rsplit_once(':').unwrap().1;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let out = Command::new(python())
            .args([&support("mkkeys.py"), &n.to_string(), port])
            .arg(dir.path())
            .args(["--special", special, "--scheme", scheme])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut cmd = Command::new(python());
        cmd.args([
            &support("fakepush.py"),
            "--port",
            port,
            "--vapid-pub",
            vapid_pub,
            "--keys",
        ])
        .arg(dir.path().join("subs.json"));
        if let Some(certs) = tls {
            cmd.args([
                "--cert",
                &certs.file("leaf.pem"),
                "--key",
                &certs.file("leaf.key"),
            ]);
        }
        if let Some(to) = redirect_to {
            cmd.args(["--redirect-to", to]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("listening"), "fakepush said {line:?}");
        let subs: Vec<Value> =
            serde_json::from_slice(&std::fs::read(dir.path().join("subscriptions.json")).unwrap())
                .unwrap();
        FakePush {
            child,
            addr,
            subs,
            _dir: dir,
        }
    }

    fn sub(&self, sid: &str) -> Value {
        self.subs
            .iter()
            .find(|s| {
                s["endpoint"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/push/{sid}"))
            })
            .unwrap_or_else(|| panic!("no subscription {sid}"))
            .clone()
    }

    fn get(&self, path: &str) -> Value {
        let (code, body) = http(&self.addr, "GET", path, None, "");
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    fn inbox(&self, sid: &str) -> Vec<Value> {
        self.get(&format!("/inbox/{sid}"))
            .as_array()
            .unwrap()
            .clone()
    }

    /// Waits until `sid` has at least `n` messages (15 s at most).
    fn wait_inbox(&self, sid: &str, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let got = self.inbox(sid);
            if got.len() >= n || start.elapsed() > Duration::from_secs(15) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn control(&self, sid: &str, statuses: &[u16], retry_after: &str) {
        let body = json!({ "statuses": statuses, "retry_after": retry_after }).to_string();
        let (code, out) = http(&self.addr, "POST", &format!("/control/{sid}"), None, &body);
        assert_eq!(code, 200, "{out}");
    }

    fn assert_no_errors(&self) {
        let stats = self.get("/stats");
        assert_eq!(
            stats["errors"],
            json!([]),
            "the push service refused something: {stats}"
        );
    }
}

/// A served demo conference on a fresh SQLite file.
struct Marquee {
    db: String,
    addr: String,
    token: String,
    site: PathBuf,
    server: Option<Server>,
    env: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

/// What the tests' server runs with: loopback push services allowed (the
/// switch that is off by default), and limits a test burst from one
/// address stays under.
const TEST_ENV: [(&str, &str); 3] = [
    ("MARQUEE_PUSH_ALLOW_INSECURE_LOCALHOST", "1"),
    ("MARQUEE_SUBSCRIPTIONS_PER_IP_PER_HOUR", "100000"),
    ("MARQUEE_ANON_WRITES_PER_MINUTE", "100000"),
];

impl Marquee {
    fn start() -> Marquee {
        Marquee::start_with(&TEST_ENV)
    }

    fn start_with(env: &[(&str, &str)]) -> Marquee {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/push.db", dir.path().display());
        run(&db, &["demo", "--date", DAY]);
        let token = run(&db, &["token", "create", "--name", "t"]);
        let mut m = Marquee {
            db,
            addr: free_addr(),
            token,
            site: dir.path().join("site"),
            server: None,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            _dir: dir,
        };
        m.serve();
        m
    }

    fn serve(&mut self) {
        let mut env = vec![
            ("MARQUEE_PUSH_LEASE_SECS", "2"),
            ("MARQUEE_PUSH_CONCURRENCY", "4"),
        ];
        env.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.server = Some(serve(&self.db, &self.addr, &self.site, &env));
        let health = wait_for(&self.addr, "/healthz", |b| b.contains(r#""database":"ok""#));
        assert!(health.contains(r#""database":"ok""#), "{health}");
    }

    fn key(&self) -> String {
        let (code, body) = http(&self.addr, "GET", "/api/v1/push/key", None, "");
        assert_eq!(code, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["public_key"].as_str().unwrap().to_owned()
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (code, out) = http(
            &self.addr,
            "POST",
            path,
            Some(&self.token),
            &body.to_string(),
        );
        (code, serde_json::from_str(&out).unwrap_or(Value::Null))
    }

    fn subscribe(&self, sub: &Value, extra: Value) -> (u16, Value) {
        let mut body = json!({
            "subscription": sub, "event": "demo", "tracks": ["all"], "sessions": [],
            "lang": "en", "time_zone": "Europe/Moscow",
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (code, out) = http(
            &self.addr,
            "POST",
            "/api/v1/push/subscriptions",
            None,
            &body.to_string(),
        );
        (code, serde_json::from_str(&out).unwrap_or(Value::Null))
    }

    fn shift(&self, tracks: &[&str], from: &str, by: i64) -> i64 {
        let (code, out) = self.post(
            "/api/v1/events/demo/shifts",
            json!({"tracks": tracks, "from": from, "by_minutes": by, "date": DAY, "reason": "player down"}),
        );
        assert_eq!(code, 201, "{out}");
        out["shift_id"]
            .as_i64()
            .or(out["id"].as_i64())
            .unwrap_or_else(|| panic!("no shift id in {out}"))
    }

    fn counts(&self) -> app::store::PushCounts {
        rt().block_on(async {
            let store = app::store::Store::connect(&self.db).await.unwrap();
            store.push_counts(Some("demo")).await.unwrap()
        })
    }

    fn attempts(&self, endpoint: &str) -> Vec<(i64, Option<i64>)> {
        rt().block_on(async {
            let store = app::store::Store::connect(&self.db).await.unwrap();
            store.attempts_for(endpoint).await.unwrap()
        })
    }
}

/// Issues a new secret link for `speaker` with the CLI; its token.
fn speaker_link(m: &Marquee, speaker: &str) -> String {
    let out = run(
        &m.db,
        &[
            "speaker",
            "link",
            "--event",
            "demo",
            "--speaker",
            speaker,
            "--public-url",
            "http://x",
        ],
    );
    out.rsplit("/s/").next().unwrap().trim().to_owned()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn demo() -> app::domain::schedule::Schedule {
    server::demo::conference("demo", NaiveDate::parse_from_str(DAY, "%Y-%m-%d").unwrap())
}

#[test]
fn subscriptions_are_checked_and_a_shift_reaches_who_follows_it() {
    let m = Marquee::start();
    let key = m.key();
    let push = FakePush::start(4, "gone,notfound", &key);

    // Refused, with the field named: (what is changed in s0's subscription
    // or in the request, the field the 400 names).
    let refused = [
        (
            "/endpoint",
            json!("http://push.example.org/push/s0"),
            json!({}),
            "subscription.endpoint",
        ),
        (
            "/keys/p256dh",
            json!("AAAA"),
            json!({}),
            "subscription.keys.p256dh",
        ),
        (
            "/keys/auth",
            json!("A".repeat(32)),
            json!({}),
            "subscription.keys.auth",
        ),
        ("", Value::Null, json!({"tracks": ["track-9"]}), "tracks[0]"),
        (
            "",
            Value::Null,
            json!({"time_zone": "Mars/Olympus"}),
            "time_zone",
        ),
    ];
    for (pointer, value, extra, field) in refused {
        let mut sub = push.sub("s0");
        if let Some(slot) = sub.pointer_mut(pointer).filter(|_| !pointer.is_empty()) {
            *slot = value;
        }
        let (code, out) = m.subscribe(&sub, extra);
        assert_eq!(
            (code, out["error"]["field"].as_str()),
            (400, Some(field)),
            "{out}"
        );
    }

    // s0 follows everything (Moscow, English); s1 only track 2 (Paris,
    // French); s2 a starred session on track 3; s3 subscribes, then leaves.
    let track3 = demo()
        .sessions
        .iter()
        .find(|s| s.track == "track-3")
        .unwrap()
        .guid
        .clone();
    assert_eq!(m.subscribe(&push.sub("s0"), json!({})).0, 201);
    let (code, out) = m.subscribe(
        &push.sub("s1"),
        json!({"tracks": ["track-2"], "lang": "fr", "time_zone": "Europe/Paris"}),
    );
    assert_eq!(code, 201, "{out}");
    assert_eq!(out["tracks"], json!(["track-2"]));
    assert_eq!(
        m.subscribe(&push.sub("s2"), json!({"tracks": [], "sessions": [track3]}))
            .0,
        201
    );
    assert_eq!(m.subscribe(&push.sub("s3"), json!({})).0, 201);
    assert_eq!(m.subscribe(&push.sub("gone"), json!({})).0, 201);
    assert_eq!(m.subscribe(&push.sub("notfound"), json!({})).0, 201);
    // Unsubscribing takes the subscription's auth secret, which only the
    // browser holds: the endpoint alone (or a wrong secret) changes nothing.
    let endpoint = push.sub("s3")["endpoint"].clone();
    let (code, out) = http(
        &m.addr,
        "DELETE",
        "/api/v1/push/subscriptions",
        None,
        &json!({ "endpoint": endpoint }).to_string(),
    );
    assert_eq!(code, 422, "{out}");
    assert!(out.contains(r#""field":"auth""#), "{out}");
    let wrong = json!({ "endpoint": endpoint, "auth": push.sub("s0")["keys"]["auth"] });
    assert_eq!(
        http(
            &m.addr,
            "DELETE",
            "/api/v1/push/subscriptions",
            None,
            &wrong.to_string()
        )
        .0,
        404
    );
    // Nor may anyone else overwrite it with keys of their own.
    let mut hijack = push.sub("s3");
    hijack["keys"] = push.sub("s0")["keys"].clone();
    let (code, out) = m.subscribe(&hijack, json!({}));
    assert_eq!(
        (code, out["error"]["field"].as_str()),
        (400, Some("subscription.keys.auth")),
        "{out}"
    );
    let body = json!({ "endpoint": endpoint, "auth": push.sub("s3")["keys"]["auth"] }).to_string();
    assert_eq!(
        http(&m.addr, "DELETE", "/api/v1/push/subscriptions", None, &body).0,
        204
    );
    assert_eq!(
        http(&m.addr, "DELETE", "/api/v1/push/subscriptions", None, &body).0,
        404
    );

    // Track 2 from 18:00 Moscow, 30 minutes later. The talk running at
    // 18:00 is interrupted and restarts at 18:30: it is the first move.
    let running = demo()
        .sessions
        .iter()
        .find(|s| {
            let at = |t: chrono::DateTime<chrono::Utc>| {
                t.with_timezone(&Moscow).format("%H:%M").to_string()
            };
            s.track == "track-2" && at(s.start).as_str() < "18:00" && at(s.end()).as_str() > "18:00"
        })
        .unwrap()
        .clone();
    let first = running.start;
    let hhmm = |tz: chrono_tz::Tz, t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&tz).format("%H:%M").to_string()
    };
    let later = first + chrono::Duration::minutes(40);
    assert_eq!(hhmm(Moscow, later), "18:30");
    m.shift(&["track-2"], "18:00", 30);
    let s1 = push.wait_inbox("s1", 1);
    assert_eq!(s1.len(), 1, "s1 got {s1:?}");
    let msg: Value = serde_json::from_str(s1[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(msg["kind"], "schedule");
    assert_eq!(msg["lang"], "fr");
    assert!(
        msg["title"].as_str().unwrap().contains("Track 2")
            || msg["title"].as_str().unwrap().contains("2"),
        "{msg}"
    );
    // In Paris time, two hours behind Moscow.
    let body = msg["body"].as_str().unwrap();
    assert!(
        body.contains(&hhmm(Paris, later)) && body.contains(&hhmm(Paris, first)),
        "{msg}"
    );
    assert_ne!(hhmm(Paris, later), hhmm(Moscow, later));
    assert_eq!(msg["url"], "/e/demo");
    assert_eq!(s1[0]["urgency"], "high");
    assert_eq!(s1[0]["topic"], "schedule-1");
    let ttl: i64 = s1[0]["ttl"]
        .as_str()
        .map_or_else(|| s1[0]["ttl"].as_i64().unwrap(), |t| t.parse().unwrap());
    // The moved talks (on DAY) are in the past by now: the notice is only
    // kept for the minimum minute, not the push services' default weeks.
    assert!((1..=60).contains(&ttl), "ttl {ttl}");
    // The JWT's audience is the push service's origin, port included.
    assert_eq!(s1[0]["aud"], format!("http://{}", push.addr));
    assert_eq!(s1[0]["sub"], "mailto:organisers@marquee.invalid");

    let s0 = push.wait_inbox("s0", 1);
    let msg: Value = serde_json::from_str(s0[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(msg["title"], "Track 2 delayed");
    let expected = format!("{} (was {})", hhmm(Moscow, later), hhmm(Moscow, first));
    assert!(msg["body"].as_str().unwrap().contains(&expected), "{msg}");

    // 404 and 410 drop the subscription.
    let start = Instant::now();
    while m.counts().gone < 2 && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let c = m.counts();
    assert_eq!(c.gone, 2, "{c:?}");
    assert_eq!(c.subscriptions, 3, "{c:?}");

    // An incident on every stream: s0, s1 and s2 hear of it; the gone
    // ones are not tried again, and s3 (unsubscribed) gets nothing.
    let (code, out) = m.post(
        "/api/v1/events/demo/incidents",
        json!({"name": "Streams unavailable", "body": "The player shows *nothing*.", "components": ["all-streams"], "impact": "major"}),
    );
    assert_eq!(code, 201, "{out}");
    let s2 = push.wait_inbox("s2", 1);
    assert_eq!(
        s2.len(),
        1,
        "the starred-only subscriber heard of the shift: {s2:?}"
    );
    let msg: Value = serde_json::from_str(s2[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(msg["kind"], "incident");
    assert_eq!(msg["title"], "Streams unavailable");
    assert!(
        msg["body"]
            .as_str()
            .unwrap()
            .contains("The player shows nothing."),
        "{msg}"
    );
    assert_eq!(push.wait_inbox("s0", 2).len(), 2);
    assert_eq!(push.wait_inbox("s1", 2).len(), 2);
    std::thread::sleep(Duration::from_millis(500));
    let stats = push.get("/stats");
    assert_eq!(stats["attempts"]["gone"], 1, "{stats}");
    assert_eq!(stats["attempts"]["notfound"], 1, "{stats}");
    assert!(push.inbox("s3").is_empty());
    push.assert_no_errors();
}

#[test]
fn failures_are_retried_honouring_retry_after() {
    let m = Marquee::start();
    let push = FakePush::start(2, "", &m.key());
    // s0: a 503, then a 429, both asking for 5 s, then accepted. s1: fine.
    push.control("s0", &[503, 429], "5");
    assert_eq!(m.subscribe(&push.sub("s0"), json!({})).0, 201);
    assert_eq!(m.subscribe(&push.sub("s1"), json!({})).0, 201);
    m.shift(&["all"], "18:00", 15);
    assert_eq!(push.wait_inbox("s1", 1).len(), 1);
    let got = push.wait_inbox("s0", 1);
    assert_eq!(got.len(), 1, "s0 was never delivered");
    let endpoint = push.sub("s0")["endpoint"].as_str().unwrap().to_owned();
    let attempts = m.attempts(&endpoint);
    let statuses: Vec<Option<i64>> = attempts.iter().map(|a| a.1).collect();
    assert_eq!(statuses, [Some(503), Some(429), Some(201)], "{attempts:?}");
    // Backoff alone would wait 1 s, then 3 s; Retry-After said 5 each time.
    assert!(attempts[1].0 - attempts[0].0 >= 4, "{attempts:?}");
    assert!(attempts[2].0 - attempts[1].0 >= 4, "{attempts:?}");
    push.assert_no_errors();
}

#[test]
fn a_server_killed_mid_burst_loses_nothing() {
    let mut m = Marquee::start();
    let n = 400;
    let push = FakePush::start(n, "", &m.key());
    for i in 0..n {
        assert_eq!(m.subscribe(&push.sub(&format!("s{i}")), json!({})).0, 201);
    }
    m.shift(&["all"], "18:00", 20);
    // Kill -9 once some, not all, have arrived.
    let start = Instant::now();
    loop {
        let ok = push.get("/stats")["ok"].as_i64().unwrap();
        if ok >= 20 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the burst did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut server = m.server.take().unwrap();
    // SIGKILL: no shutdown hook runs.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let at_kill = push.get("/stats")["ok"].as_i64().unwrap();
    assert!(
        at_kill < n as i64,
        "the burst was over before the kill ({at_kill})"
    );
    m.serve();
    let start = Instant::now();
    let missing = loop {
        let missing: Vec<usize> = (0..n)
            .filter(|i| push.inbox(&format!("s{i}")).is_empty())
            .collect();
        if missing.is_empty() || start.elapsed() > Duration::from_secs(40) {
            break missing;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(
        missing.is_empty(),
        "never delivered after the restart: {missing:?}"
    );
    let c = m.counts();
    assert_eq!((c.sent, c.pending), (n as i64, 0), "{c:?}");
    push.assert_no_errors();
}

#[test]
fn speakers_hear_of_their_moved_talk_and_answer_with_their_link() {
    let m = Marquee::start();
    let push = FakePush::start(1, "", &m.key());
    let schedule = demo();
    let talk = schedule
        .sessions
        .iter()
        .find(|s| {
            s.track == "track-2"
                && !s.speakers.is_empty()
                && s.start
                    .with_timezone(&Moscow)
                    .format("%H:%M")
                    .to_string()
                    .as_str()
                    >= "18:00"
        })
        .expect("a talk with a speaker on track 2 after 18:00 Moscow");
    let speaker = talk.speakers[0].clone();
    let token = speaker_link(&m, &speaker);
    assert!(token.len() > 20, "{token}");

    // Wrong link: refused, nothing stored.
    let (code, out) = m.subscribe(&push.sub("s0"), json!({"speaker": "not-a-token"}));
    assert_eq!(
        (code, out["error"]["field"].as_str()),
        (400, Some("speaker")),
        "{out}"
    );
    let (code, out) = m.subscribe(&push.sub("s0"), json!({"speaker": token, "tracks": []}));
    assert_eq!(code, 201, "{out}");
    assert_eq!(out["speaker"], true);

    let shift_id = m.shift(&["track-2"], "18:00", 30);
    let inbox = push.wait_inbox("s0", 1);
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let msg: Value = serde_json::from_str(inbox[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(msg["kind"], "speaker_move");
    assert_eq!(msg["shift_id"], shift_id);
    assert!(msg["body"].as_str().unwrap().contains(&talk.title), "{msg}");
    assert!(msg["body"].as_str().unwrap().contains("→"), "{msg}");
    assert_eq!(msg["actions"][0]["action"], "confirm");
    assert_eq!(msg["actions"][1]["action"], "decline");

    // The page asks, and the answers go through the link.
    let (code, page) = http(&m.addr, "GET", &format!("/s/{token}"), None, "");
    assert_eq!(code, 200);
    assert!(
        page.contains(&format!("action=\"/s/{token}/answer\"")),
        "no answer form"
    );
    let answer =
        |tok: &str, body: &str| http(&m.addr, "POST", &format!("/s/{tok}/answer"), None, body);
    let (code, out) = answer(
        "wrong-token",
        &json!({"shift_id": shift_id, "answer": "confirm"}).to_string(),
    );
    assert_eq!(code, 404, "{out}");
    let (code, out) = answer(
        &token,
        &json!({"shift_id": shift_id, "answer": "maybe"}).to_string(),
    );
    assert_eq!(code, 422, "{out}");
    assert!(out.contains(r#""field":"answer""#), "{out}");
    let (code, out) = answer(
        &token,
        &json!({"shift_id": shift_id, "answer": "decline"}).to_string(),
    );
    assert_eq!(code, 200, "{out}");
    // From the page's form (no JavaScript): a redirect back to the page.
    let (code, _) = http_with(
        &m.addr,
        "POST",
        &format!("/s/{token}/answer"),
        None,
        "application/x-www-form-urlencoded",
        &format!("shift_id={shift_id}&answer=confirm"),
    );
    assert_eq!(code, 303);
    let page = wait_for(&m.addr, &format!("/s/{token}"), |b| {
        b.contains("data-answer=\"confirmed\"")
    });
    assert!(
        page.contains("data-answer=\"confirmed\""),
        "the page does not show the answer"
    );

    // A re-issued link replaces the old one: the old token is refused.
    let fresh = speaker_link(&m, &speaker);
    assert_ne!(fresh, token);
    let (code, _) = answer(
        &token,
        &json!({"shift_id": shift_id, "answer": "decline"}).to_string(),
    );
    assert_eq!(code, 404);
    assert_eq!(
        http(&m.addr, "GET", &format!("/s/{token}"), None, "").0,
        404
    );
    // A shift that did not move their talk cannot be answered.
    let other = m.shift(&["track-4"], "21:00", 5);
    let (code, out) = answer(
        &fresh,
        &json!({"shift_id": other, "answer": "confirm"}).to_string(),
    );
    assert_eq!(code, 422, "{out}");
    assert!(out.contains(r#""field":"shift_id""#), "{out}");
    push.assert_no_errors();
}

#[test]
fn vapid_show_and_rotate() {
    let m = Marquee::start();
    let served = m.key();
    assert_eq!(run(&m.db, &["vapid", "show"]), served);
    let rotated = run(&m.db, &["vapid", "rotate"]);
    assert_ne!(rotated, served);
    assert_eq!(rotated.len(), 87, "base64url of 65 bytes: {rotated}");
    // The server serves the key from memory and looks again every few
    // seconds (another process rotated it).
    eventually("the rotated key to be served", || {
        (m.key() == rotated).then_some(())
    });
    // The private key is never printed by either command.
    let all = Command::new(process::BIN)
        .args(["vapid", "show"])
        .env("MARQUEE_DATABASE_URL", &m.db)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&all.stdout),
        String::from_utf8_lossy(&all.stderr)
    );
    let private = rt().block_on(async {
        let store = app::store::Store::connect(&m.db).await.unwrap();
        store
            .current_vapid_key()
            .await
            .unwrap()
            .unwrap()
            .private_key
    });
    assert!(!text.contains(&private));
}

#[test]
fn many_browsers_subscribing_at_once_all_get_in() {
    let m = Marquee::start();
    let n = 200;
    let push = FakePush::start(n, "", &m.key());
    // 32 at a time, as when a room full of attendees opens the page at once.
    let codes: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..32)
            .map(|t| {
                let (m, push) = (&m, &push);
                s.spawn(move || {
                    (t..n)
                        .step_by(32)
                        .map(|i| m.subscribe(&push.sub(&format!("s{i}")), json!({})).0)
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let refused: Vec<&u16> = codes.iter().filter(|c| **c != 201).collect();
    assert!(
        refused.is_empty(),
        "{} of {n} refused: {refused:?}",
        refused.len()
    );
    assert_eq!(m.counts().subscriptions, n as i64);
}

/// A loopback listener standing in for a service on the host's network
/// (loopback stands in for every private range: tests never aim at one).
/// It records the first bytes of every connection made to it.
struct Listener {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start() -> Listener {
        use std::io::Read;
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
                        let mut buf = [0u8; 200];
                        let n = s.read(&mut buf).unwrap_or(0);
                        seen2
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Listener {
            port,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Polls `f` until it returns `Some` (15 s at most).
fn eventually<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

const KEY: &str =
    "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8";
const AUTH: &str = "xS03Fi5ErfTNH_l9WHE9Ig";

#[test]
fn push_endpoints_on_this_machine_are_refused_at_subscribe_and_at_send() {
    let listener = Listener::start();
    let port = listener.port;
    // The default: no switch.
    let m = Marquee::start_with(&[]);
    for endpoint in [
        format!("http://127.0.0.1:{port}/internal/admin?x=1"),
        format!("http://localhost:{port}/x"),
        format!("https://127.0.0.2:{port}/x"),
        format!("https://localhost:{port}/x"),
        format!("https://[::1]:{port}/x"),
        format!("https://2130706433:{port}/x"),
    ] {
        let sub = json!({"endpoint": endpoint, "keys": {"p256dh": KEY, "auth": AUTH}});
        let (code, out) = m.subscribe(&sub, json!({}));
        assert_eq!(
            (code, out["error"]["field"].as_str()),
            (400, Some("subscription.endpoint")),
            "{endpoint}: {out}"
        );
    }
    // One already stored (made while the switch was on, or before this
    // rule) is refused when the worker would send, and dropped.
    let stored = format!("https://localhost:{port}/stored");
    rt().block_on(async {
        let store = app::store::Store::connect(&m.db).await.unwrap();
        let key = store.current_vapid_key().await.unwrap().unwrap();
        store
            .upsert_subscription(&app::store::NewSubscription {
                event_slug: "demo".into(),
                endpoint: stored.clone(),
                p256dh: KEY.into(),
                auth: AUTH.into(),
                vapid_key_id: key.id,
                audience: app::domain::push::Audience {
                    all_tracks: true,
                    ..Default::default()
                },
                lang: "en".into(),
                time_zone: "Europe/Moscow".into(),
            })
            .await
            .unwrap();
    });
    // A name that looks public but resolves to loopback (DNS rebinding
    // does that between subscribe and send) passes the subscribe check and
    // is refused by the resolver when the worker connects. Needs such a
    // name in /etc/hosts (sandboxes often have one).
    let rebound = loopback_alias();
    if let Some(name) = &rebound {
        let endpoint = format!("https://{name}:{port}/rebound");
        let sub = json!({"endpoint": endpoint, "keys": {"p256dh": KEY, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}});
        let (code, out) = m.subscribe(&sub, json!({}));
        assert_eq!(code, 201, "{out}");
    } else {
        eprintln!("no loopback alias in /etc/hosts: the resolver is tested by its unit test only");
    }
    let (code, out) = m.post(
        "/api/v1/events/demo/incidents",
        json!({"name": "Streams unavailable", "body": "x", "components": ["all-streams"]}),
    );
    assert_eq!(code, 201, "{out}");
    let dropped = 1 + usize::from(rebound.is_some());
    eventually("the refused endpoints to be dropped", || {
        (m.counts().gone >= dropped as i64).then_some(())
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(listener.seen(), Vec::<String>::new());
}

/// A host name other than localhost that /etc/hosts maps to 127.0.0.0/8.
fn loopback_alias() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|line| {
        let mut words = line.split('#').next()?.split_whitespace();
        let ip: std::net::Ipv4Addr = words.next()?.parse().ok()?;
        if !ip.is_loopback() {
            return None;
        }
        words
            .find(|w| !w.contains("localhost") && w.contains(|c: char| c.is_ascii_alphabetic()))
            .map(str::to_owned)
    })
}

#[test]
fn a_push_service_redirecting_elsewhere_is_not_followed() {
    let listener = Listener::start();
    let certs = Certs::make();
    let ca = certs.file("ca.pem");
    let mut env = TEST_ENV.to_vec();
    env.push(("MARQUEE_PUSH_CA_FILE", &ca));
    let m = Marquee::start_with(&env);
    let to = format!("http://127.0.0.1:{}/redirected", listener.port);
    let push = FakePush::start_with(1, "redirect", &m.key(), Some(&certs), Some(&to));
    for sid in ["s0", "redirect"] {
        let (code, out) = m.subscribe(&push.sub(sid), json!({}));
        assert_eq!(code, 201, "{sid}: {out}");
    }
    let (code, out) = m.post(
        "/api/v1/events/demo/incidents",
        json!({"name": "Streams unavailable", "body": "x", "components": ["all-streams"]}),
    );
    assert_eq!(code, 201, "{out}");
    // The loopback push service (https, switch on) gets its message; the
    // one answering 307 is asked once and its redirect is not followed.
    let endpoint = |sid: &str| push.sub(sid)["endpoint"].as_str().unwrap().to_owned();
    let ok = eventually("s0's delivery", || {
        let a = m.attempts(&endpoint("s0"));
        (!a.is_empty()).then_some(a)
    });
    assert_eq!(ok[0].1, Some(201), "{ok:?}");
    let redirected = eventually("the redirect's attempt", || {
        let a = m.attempts(&endpoint("redirect"));
        (!a.is_empty()).then_some(a)
    });
    assert_eq!(redirected[0].1, Some(307), "{redirected:?}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(listener.seen(), Vec::<String>::new());
}

#[test]
fn a_reissued_speaker_link_cuts_off_what_was_subscribed_with_the_old_one() {
    let m = Marquee::start();
    let push = FakePush::start(2, "", &m.key());
    let talk = demo()
        .sessions
        .into_iter()
        .find(|s| s.track == "track-2" && !s.speakers.is_empty())
        .expect("a talk with a speaker on track 2");
    let speaker = talk.speakers[0].clone();
    let leaked = speaker_link(&m, &speaker);
    // Whoever holds the (leaked) link subscribes with it; an attendee
    // follows track 2.
    let (code, out) = m.subscribe(&push.sub("s0"), json!({"speaker": leaked, "tracks": []}));
    assert_eq!(code, 201, "{out}");
    let (code, out) = m.subscribe(&push.sub("s1"), json!({"tracks": ["track-2"]}));
    assert_eq!(code, 201, "{out}");

    let fresh = speaker_link(&m, &speaker);
    assert_ne!(fresh, leaked);
    let (code, out) = m.subscribe(&push.sub("s0"), json!({"speaker": leaked, "tracks": []}));
    assert_eq!(code, 400, "the old link cannot subscribe again: {out}");

    let first = talk
        .start
        .with_timezone(&Moscow)
        .format("%H:%M")
        .to_string();
    m.shift(&["track-2"], &first, 30);
    assert_eq!(push.wait_inbox("s1", 1).len(), 1, "the attendee hears");
    // Once every notice is fanned out and sent, the old link's
    // subscription has had nothing, not even an attempt.
    let start = Instant::now();
    loop {
        let unfanned = rt().block_on(async {
            use sqlx::Row;
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&m.db).await.unwrap();
            sqlx::query("select count(*) as n from push_notice where fanned_out_at is null")
                .fetch_one(&pool)
                .await
                .unwrap()
                .get::<i64, _>("n")
        });
        if unfanned == 0 && m.counts().pending == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "fan-out does not finish"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        m.attempts(push.sub("s0")["endpoint"].as_str().unwrap())
            .is_empty()
    );
    assert!(push.inbox("s0").is_empty());
    push.assert_no_errors();
}
