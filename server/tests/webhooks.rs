//! Webhooks end to end over real HTTP: a real `marquee serve` process and a
//! loopback receiver (`support/webhook/receiver.py`) that records what
//! arrives. Standard Webhooks signatures are verified by the
//! `standardwebhooks` package from PyPI, not by Marquee's code; the chat
//! presets are checked against the shapes Slack, Discord, Mattermost and
//! the Telegram Bot API document. Python comes from `tools/venv` (made by
//! `scripts/setup.sh test`), or `MARQUEE_TEST_PYTHON`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

#[path = "support/process.rs"]
mod process;
use process::{Server, free_addr, http, run, serve, wait_for};

const DAY: &str = "2026-11-23";
const BOT_TOKEN: &str = "123456:TEST-bot_token";

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
        "{} is missing: run `scripts/setup.sh test` (it installs standardwebhooks)",
        p.display()
    );
    p
}

/// The loopback receiver.
struct Receiver {
    child: Child,
    addr: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start() -> Receiver {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/webhook/receiver.py"
        );
        let mut child = Command::new(python())
            .arg(script)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Receiver {
            child,
            addr: format!("127.0.0.1:{}", line.trim()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn log(&self) -> Vec<Value> {
        let (code, body) = http(&self.addr, "GET", "/_log", None, "");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    fn at(&self, path: &str) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|r| r["path"] == path)
            .collect()
    }

    fn wait_at(&self, path: &str, n: usize) -> Vec<Value> {
        eventually(&format!("{n} requests at {path}"), || {
            let got = self.at(path);
            (got.len() >= n).then_some(got)
        })
    }

    fn plan(&self, path: &str, statuses: &[u16]) {
        let body = json!({ "path": path, "statuses": statuses }).to_string();
        let (code, out) = http(&self.addr, "POST", "/_control", None, &body);
        assert_eq!(code, 200, "{out}");
    }
}

/// Polls `f` until it returns `Some` (20 s at most).
fn eventually<T>(what: &str, f: impl Fn() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Marquee {
    addr: String,
    token: String,
    db: String,
    _server: Server,
    _dir: tempfile::TempDir,
}

impl Marquee {
    fn start(receiver: &Receiver, env: &[(&str, &str)]) -> Marquee {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/hooks.db", dir.path().display());
        run(&db, &["demo", "--date", DAY]);
        let token = run(&db, &["token", "create", "--name", "t"]);
        let addr = free_addr();
        let telegram = format!("http://{}/telegram", receiver.addr);
        let mut all = vec![
            ("MARQUEE_WEBHOOK_ALLOW_LOOPBACK", "1"),
            ("MARQUEE_WEBHOOK_TELEGRAM_API", telegram.as_str()),
        ];
        all.extend_from_slice(env);
        let server = serve(&db, &addr, &dir.path().join("site"), &all);
        wait_for(&addr, "/healthz", |b| b.contains(r#""database":"ok""#));
        Marquee {
            addr,
            token,
            db,
            _server: server,
            _dir: dir,
        }
    }

    fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let (code, out) = http(
            &self.addr,
            method,
            path,
            Some(&self.token),
            &body.to_string(),
        );
        (code, serde_json::from_str(&out).unwrap_or(Value::Null))
    }

    fn add(&self, body: Value) -> Value {
        let (code, out) = self.call("POST", "/api/v1/events/demo/webhooks", body);
        assert_eq!(code, 201, "{out}");
        out
    }

    fn incident(&self, name: &str) {
        let (code, out) = self.call(
            "POST",
            "/api/v1/events/demo/incidents",
            json!({ "name": name, "body": "The player shows nothing.", "impact": "major" }),
        );
        assert_eq!(code, 201, "{out}");
    }

    fn webhook(&self, id: i64) -> Value {
        let (code, out) = self.call("GET", "/api/v1/events/demo/webhooks", Value::Null);
        assert_eq!(code, 200, "{out}");
        out["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no webhook {id} in {out}"))
    }

    fn log(&self, id: i64) -> Vec<Value> {
        let (code, out) = self.call(
            "GET",
            &format!("/api/v1/events/demo/webhooks/log?webhook={id}"),
            Value::Null,
        );
        assert_eq!(code, 200, "{out}");
        out["attempts"].as_array().unwrap().clone()
    }
}

/// Runs the `standardwebhooks` package's verifier on what arrived; true
/// when it accepts the signature.
fn standard_webhooks_accepts(secret: &str, request: &Value) -> bool {
    let script = "import json, sys\n\
        from standardwebhooks.webhooks import Webhook\n\
        d = json.load(sys.stdin)\n\
        Webhook(d['secret']).verify(d['body'].encode(), d['headers'])\n";
    let input = json!({ "secret": secret, "body": request["body"], "headers": request["headers"] });
    let mut child = Command::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

fn body(request: &Value) -> Value {
    serde_json::from_str(request["body"].as_str().unwrap()).unwrap()
}

#[test]
fn each_preset_speaks_its_documented_shape_and_standard_is_signed() {
    let receiver = Receiver::start();
    let m = Marquee::start(&receiver, &[]);
    let kinds = json!(["incidents", "maintenance", "changes"]);
    let std = m.add(
        json!({ "name": "std", "url": receiver.url("/std"), "preset": "standard", "kinds": kinds }),
    );
    let secret = std["secret"].as_str().unwrap().to_owned();
    for preset in ["slack", "discord", "mattermost"] {
        m.add(
            json!({ "url": receiver.url(&format!("/{preset}")), "preset": preset, "kinds": kinds }),
        );
    }
    m.add(json!({ "preset": "telegram", "kinds": kinds, "chat_id": "-100123", "bot_token": BOT_TOKEN, "lang": "ru" }));
    m.incident("Streams unavailable");

    let std_req = receiver.wait_at("/std", 1).remove(0);
    assert!(standard_webhooks_accepts(&secret, &std_req), "{std_req}");
    let mut tampered = std_req.clone();
    tampered["body"] = json!(
        std_req["body"]
            .as_str()
            .unwrap()
            .replace("Streams", "Screams")
    );
    assert!(
        !standard_webhooks_accepts(&secret, &tampered),
        "a tampered body must fail"
    );
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert!(
        !standard_webhooks_accepts(other, &std_req),
        "another key must fail"
    );
    let event = body(&std_req);
    assert_eq!(event["type"], "incident.updated");
    assert_eq!(event["data"]["title"], "Streams unavailable");
    assert!(
        event["data"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/e/demo/status")
    );
    assert!(
        std_req["headers"]["webhook-id"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );

    let slack = body(&receiver.wait_at("/slack", 1)[0]);
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .contains("Streams unavailable"),
        "{slack}"
    );
    assert_eq!(slack["blocks"][0]["type"], "section");
    assert_eq!(slack["blocks"][0]["text"]["type"], "mrkdwn");

    let discord = body(&receiver.wait_at("/discord", 1)[0]);
    assert!(discord["content"].as_str().unwrap().len() <= 2000);
    assert_eq!(discord["embeds"][0]["title"], "Streams unavailable");
    assert!(
        discord["embeds"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );
    assert_eq!(discord["allowed_mentions"]["parse"], json!([]));

    let mm = body(&receiver.wait_at("/mattermost", 1)[0]);
    assert_eq!(mm.as_object().unwrap().keys().collect::<Vec<_>>(), ["text"]);

    let tg_path = format!("/telegram/bot{BOT_TOKEN}/sendMessage");
    let tg_req = receiver.wait_at(&tg_path, 1).remove(0);
    let tg = body(&tg_req);
    assert_eq!(tg["chat_id"], "-100123");
    assert_eq!(tg["parse_mode"], "HTML");
    let text = tg["text"].as_str().unwrap();
    assert!(text.starts_with("<b>Streams unavailable</b>"), "{text}");
    assert!(
        text.chars().any(|c| ('а'..='я').contains(&c)),
        "the Russian webhook speaks Russian: {text}"
    );
    // Chat presets are not signed.
    assert!(
        receiver.at("/slack")[0]["headers"]
            .get("webhook-signature")
            .is_none()
    );

    // A shift: the text gives the times in the event's zone (Moscow).
    let (code, out) = m.call(
        "POST",
        "/api/v1/events/demo/shifts",
        json!({ "tracks": ["all"], "from": "17:25", "by_minutes": 50, "date": DAY, "reason": "player down" }),
    );
    assert_eq!(code, 201, "{out}");
    let changed = body(&receiver.wait_at("/std", 2)[1]);
    assert_eq!(changed["type"], "schedule.changed");
    let moves = changed["data"]["payload"]["notice"]["moves"]
        .as_array()
        .unwrap();
    let first = moves
        .iter()
        .min_by_key(|m| m["new_start"].as_str().unwrap().to_owned())
        .unwrap();
    let new: DateTime<Utc> = first["new_start"].as_str().unwrap().parse().unwrap();
    let local = new
        .with_timezone(&chrono_tz::Europe::Moscow)
        .format("%H:%M")
        .to_string();
    let mm = body(&receiver.wait_at("/mattermost", 2)[1]);
    let text = mm["text"].as_str().unwrap();
    assert!(text.contains(&local), "{local} (Moscow) in {text}");
    assert!(text.ends_with("/e/demo"), "{text}");

    // Every delivery is in the log, with its status and latency.
    let log = m.log(std["webhook"]["id"].as_i64().unwrap());
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log.iter()
            .all(|a| a["status"] == 200 && a["state"] == "sent")
    );
}

#[test]
fn failures_are_retried_with_backoff_then_the_webhook_is_disabled_until_re_enabled() {
    let receiver = Receiver::start();
    let m = Marquee::start(
        &receiver,
        &[
            ("MARQUEE_WEBHOOK_RETRY_SECS", "1"),
            ("MARQUEE_WEBHOOK_DISABLE_AFTER", "3"),
        ],
    );
    receiver.plan("/flaky", &[500]);
    receiver.plan("/dead", &[500, 503, 500, 500, 500, 500, 500, 500]);
    let kinds = json!(["incidents"]);
    let flaky =
        m.add(json!({ "url": receiver.url("/flaky"), "preset": "mattermost", "kinds": kinds }));
    let dead = m.add(json!({ "url": receiver.url("/dead"), "preset": "slack", "kinds": kinds }));
    let (flaky, dead) = (
        flaky["webhook"]["id"].as_i64().unwrap(),
        dead["webhook"]["id"].as_i64().unwrap(),
    );
    m.incident("Streams unavailable");

    // The flaky one: a 500, then the retry a second later gets through.
    let got = receiver.wait_at("/flaky", 2);
    let gap = got[1]["at"].as_f64().unwrap() - got[0]["at"].as_f64().unwrap();
    assert!(gap >= 0.9, "retried after {gap} s, before the backoff");
    let log = eventually("the flaky log", || {
        let log = m.log(flaky);
        (log.len() == 2 && log[0]["state"] == "sent").then_some(log)
    });
    assert_eq!(log[1]["status"], 500);
    assert_eq!(log[1]["attempt"], 1);
    assert!(
        log[1]["error"]
            .as_str()
            .unwrap()
            .contains("receiver says no"),
        "{log:?}"
    );
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["attempt"], 2);
    assert!(m.webhook(flaky)["enabled"].as_bool().unwrap());

    // The dead one: three failed attempts in a row turn it off.
    let hook = eventually("the dead webhook disabled", || {
        let h = m.webhook(dead);
        (h["enabled"] == false).then_some(h)
    });
    assert_eq!(hook["consecutive_failures"], 3, "{hook}");
    assert!(
        hook["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{hook}"
    );
    let attempts = receiver.at("/dead").len();
    assert_eq!(attempts, 3);
    // Disabled: a new incident is not sent to it, and nothing is retried.
    m.incident("Second incident");
    receiver.wait_at("/flaky", 3);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        receiver.at("/dead").len(),
        3,
        "a disabled webhook got a message"
    );
    let log = m.log(dead);
    assert_eq!(log[0]["state"], "dropped", "{log:?}");

    // Re-enabled, with a test message that now gets through.
    receiver.plan("/dead", &[]);
    let (code, out) = m.call(
        "POST",
        &format!("/api/v1/events/demo/webhooks/{dead}/enable"),
        json!({}),
    );
    assert_eq!(code, 200, "{out}");
    assert_eq!(out["webhook"]["enabled"], true);
    assert_eq!(out["webhook"]["consecutive_failures"], 0);
    let (code, out) = m.call(
        "POST",
        &format!("/api/v1/events/demo/webhooks/{dead}/test"),
        json!({}),
    );
    assert_eq!(code, 202, "{out}");
    let test = receiver.wait_at("/dead", 4).remove(3);
    assert!(
        body(&test)["text"].as_str().unwrap().contains("Marquee"),
        "{test}"
    );
    m.incident("Third incident");
    receiver.wait_at("/dead", 5);
}

#[test]
fn the_command_line_adds_lists_tests_and_removes_webhooks() {
    let receiver = Receiver::start();
    let m = Marquee::start(&receiver, &[]);
    let out = Command::new(process::BIN)
        .args([
            "webhook", "add", "--event", "demo", "--preset", "standard", "--url",
        ])
        .arg(receiver.url("/cli"))
        .args(["--kinds", "incidents", "--name", "from the shell"])
        .env("MARQUEE_DATABASE_URL", &m.db)
        .env("MARQUEE_WEBHOOK_ALLOW_LOOPBACK", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let mut lines = printed.lines();
    let id = lines.next().unwrap().to_owned();
    let secret = lines.next().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{printed}");
    let list = run(&m.db, &["webhook", "list", "--event", "demo"]);
    assert!(
        list.contains("/cli") && list.contains("from the shell"),
        "{list}"
    );
    assert!(!list.contains(&secret), "{list}");
    // Without the switch, loopback is refused (exit 2, naming the field).
    let refused = Command::new(process::BIN)
        .args([
            "webhook", "add", "--event", "demo", "--preset", "slack", "--url",
        ])
        .arg(receiver.url("/no"))
        .env("MARQUEE_DATABASE_URL", &m.db)
        .env_remove("MARQUEE_WEBHOOK_ALLOW_LOOPBACK")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("url"));
    // `test` queues; the running server sends it, signed.
    run(&m.db, &["webhook", "test", "--event", "demo", &id]);
    let got = receiver.wait_at("/cli", 1).remove(0);
    assert_eq!(body(&got)["type"], "webhook.test");
    assert!(standard_webhooks_accepts(&secret, &got));
    run(&m.db, &["webhook", "remove", "--event", "demo", &id]);
    assert_eq!(run(&m.db, &["webhook", "list", "--event", "demo"]), "");
}

#[test]
fn a_speakers_answer_to_a_proposal_reaches_the_webhooks_that_want_answers() {
    let receiver = Receiver::start();
    let m = Marquee::start(&receiver, &[]);
    let std = m.add(
        json!({ "url": receiver.url("/answers"), "preset": "standard",
        "kinds": ["speaker_answers"] }),
    );
    let secret = std["secret"].as_str().unwrap().to_owned();
    m.add(
        json!({ "url": receiver.url("/slack"), "preset": "slack", "kinds": ["speaker_answers"] }),
    );
    m.add(json!({ "url": receiver.url("/changes"), "preset": "mattermost", "kinds": ["changes"] }));

    let day = chrono::NaiveDate::parse_from_str(DAY, "%Y-%m-%d").unwrap();
    let talk = server::demo::conference("demo", day)
        .sessions
        .into_iter()
        .find(|s| s.title == "Postmortems without blame")
        .unwrap();
    let key = talk.speakers[0].clone();
    let (code, out) = m.call(
        "POST",
        "/api/v1/events/demo/changes",
        json!({ "version": 1, "op": "move", "guid": talk.guid, "start": "21:00",
            "reason": "speaker late", "propose": true }),
    );
    assert_eq!(code, 201, "{out}");
    let id = out["proposal"]["proposal_id"].as_i64().unwrap();
    let link = run(
        &m.db,
        &["speaker", "link", "--event", "demo", "--speaker", &key],
    );
    let token = link.trim().rsplit("/s/").next().unwrap().to_owned();
    let (code, out) = http(
        &m.addr,
        "POST",
        &format!("/s/{token}/answer"),
        None,
        &json!({ "proposal_id": id, "answer": "confirm" }).to_string(),
    );
    assert_eq!(code, 200, "{out}");

    let got = receiver.wait_at("/answers", 1).remove(0);
    assert!(standard_webhooks_accepts(&secret, &got), "{got}");
    let event = body(&got);
    assert_eq!(event["type"], "speaker.answered", "{event}");
    let answer = &event["data"]["payload"];
    assert_eq!(answer["answer"], "confirmed", "{event}");
    assert_eq!(answer["proposal"], id, "{event}");
    assert_eq!(answer["title"], "Postmortems without blame", "{event}");
    let slack = body(&receiver.wait_at("/slack", 1)[0]);
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/admin/e/demo/proposals/{id}")),
        "the chat links to the proposal: {slack}"
    );
    // A proposal is not public: a webhook for changes hears nothing of it.
    assert!(receiver.at("/changes").is_empty(), "{:?}", receiver.log());
    assert_eq!(receiver.at("/answers").len(), 1);
}
