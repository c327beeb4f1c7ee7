//! SSE fan-out load generator: the same run as `bench/sse_fanout.py`, with
//! the same arguments and the same JSON, on one thread of compiled code.
//!
//! Why it exists: on the 2-core reference machine the Python clients spent
//! about as much CPU per update as the server's whole fan-out (~0.13 s per
//! 5,000 streams against ~0.14 s), so the latency measured was as much the
//! load generator's as the server's. Here each stream costs one `read`.
//!
//! Opens N streams to `/e/{event}/live`, waits until each has read its
//! `hello`, then posts `--updates` incident updates one at a time and, for
//! each, records per stream the time from just before the POST is written
//! to the moment the `event: incident` frame is read. Server RSS and CPU
//! come from /proc (`--pid`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};

const HELLO: &[u8] = b"event: hello";
const INCIDENT: &[u8] = b"event: incident";

struct Args {
    host: String,
    port: u16,
    event: String,
    token: String,
    incident: i64,
    clients: usize,
    updates: usize,
    pid: Option<u32>,
    concurrency: usize,
    timeout: Duration,
    gap: Duration,
    status: String,
    json: Option<String>,
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "sse-client: {msg}\nusage: sse-client --incident ID [--host H] [--port P] [--event E] [--token T | MARQUEE_TOKEN] \
         [-n N] [--updates U] [--pid PID] [--connect-concurrency C] [--timeout S] [--gap S] [--status S] [--json FILE]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        host: "127.0.0.1".into(),
        port: 3200,
        event: "demo".into(),
        token: std::env::var("MARQUEE_TOKEN").unwrap_or_default(),
        incident: 0,
        clients: 1000,
        updates: 5,
        pid: None,
        concurrency: 100,
        timeout: Duration::from_secs(30),
        gap: Duration::from_secs(1),
        status: "identified".into(),
        json: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        let secs = |v: String| {
            Duration::from_secs_f64(v.parse().unwrap_or_else(|_| usage("seconds expected")))
        };
        match flag.as_str() {
            "--host" => a.host = value(),
            "--port" => a.port = value().parse().unwrap_or_else(|_| usage("--port")),
            "--event" => a.event = value(),
            "--token" => a.token = value(),
            "--incident" => a.incident = value().parse().unwrap_or_else(|_| usage("--incident")),
            "-n" | "--clients" => a.clients = value().parse().unwrap_or_else(|_| usage("-n")),
            "--updates" => a.updates = value().parse().unwrap_or_else(|_| usage("--updates")),
            "--pid" => a.pid = Some(value().parse().unwrap_or_else(|_| usage("--pid"))),
            "--connect-concurrency" => {
                a.concurrency = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--connect-concurrency"))
            }
            "--timeout" => a.timeout = secs(value()),
            "--gap" => a.gap = secs(value()),
            "--status" => a.status = value(),
            "--json" => a.json = Some(value()),
            // Accepted for the Python script's command line: one process here.
            "--procs" => {
                value();
            }
            _ => usage(&format!("unknown argument {flag}")),
        }
    }
    if a.token.is_empty() {
        usage("--token or MARQUEE_TOKEN is required");
    }
    if a.incident == 0 {
        usage("--incident is required");
    }
    a
}

/// What the streams share with the coordinator (one thread: `Rc`/`Cell`).
#[derive(Default)]
struct Round {
    /// Per stream: when it read the armed update's frame.
    first: RefCell<Vec<Option<Instant>>>,
    extra: Cell<usize>,
    got: Cell<usize>,
    closed: Cell<usize>,
    /// Streams that had their hello and have since closed without the frame.
    lost: Cell<usize>,
    done: Notify,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One stream: connect, request, wait for `hello`, then note each incident
/// frame. Returns when the server closes it or `stop` fires.
#[allow(clippy::too_many_arguments)]
async fn stream(
    id: usize,
    addr: String,
    request: Rc<Vec<u8>>,
    round: Rc<Round>,
    ready: tokio::sync::oneshot::Sender<Result<(), String>>,
    permit: tokio::sync::OwnedSemaphorePermit,
    stop: Rc<Notify>,
    timeout: Duration,
) {
    let opened = async {
        let mut s = TcpStream::connect(&addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        s.set_nodelay(true).ok();
        s.write_all(&request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut head = Vec::with_capacity(1024);
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("closed before hello".to_owned());
            }
            head.extend_from_slice(&buf[..n]);
            if head.len() >= 12 && !head.starts_with(b"HTTP/1.1 200") {
                let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
                return Err(String::from_utf8_lossy(line).into_owned());
            }
            if let Some(i) = find(&head, HELLO) {
                return Ok((s, head.split_off(i + HELLO.len())));
            }
        }
    };
    let (mut s, mut tail) = match tokio::time::timeout(timeout, opened).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            let _ = ready.send(Err(e));
            return;
        }
        Err(_) => {
            let _ = ready.send(Err("timeout before hello".to_owned()));
            return;
        }
    };
    drop(permit);
    let _ = ready.send(Ok(()));
    let mut buf = vec![0u8; 4096];
    loop {
        let n = tokio::select! {
            r = s.read(&mut buf) => r.unwrap_or_default(),
            _ = stop.notified() => return,
        };
        if n == 0 {
            round.closed.set(round.closed.get() + 1);
            if round.first.borrow()[id].is_none() {
                round.lost.set(round.lost.get() + 1);
                round.done.notify_one();
            }
            return;
        }
        let now = Instant::now();
        // Keep a short tail so a marker split between two reads is found.
        tail.extend_from_slice(&buf[..n]);
        let mut start = 0;
        while let Some(i) = find(&tail[start..], INCIDENT) {
            let mut first = round.first.borrow_mut();
            if first[id].is_none() {
                first[id] = Some(now);
                round.got.set(round.got.get() + 1);
                round.done.notify_one();
            } else {
                round.extra.set(round.extra.get() + 1);
            }
            start += i + INCIDENT.len();
        }
        let keep = tail.len().saturating_sub(INCIDENT.len()).max(start);
        tail.drain(..keep);
    }
}

/// POST one update on a fresh connection; (instant just before the request
/// is written, HTTP status).
async fn post_update(a: &Args, body: &str) -> (Instant, u16, Instant) {
    let payload = format!(
        "{{\"status\":{},\"body\":{}}}",
        json_str(&a.status),
        json_str(body)
    );
    let req = format!(
        "POST /api/v1/events/{}/incidents/{}/updates HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        a.event,
        a.incident,
        a.host,
        a.port,
        a.token,
        payload.len(),
        payload
    );
    let mut s = TcpStream::connect((a.host.as_str(), a.port))
        .await
        .expect("connect for POST");
    s.set_nodelay(true).ok();
    let t0 = Instant::now();
    s.write_all(req.as_bytes()).await.expect("write POST");
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp).await;
    let t1 = Instant::now();
    let status = std::str::from_utf8(resp.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (t0, status, t1)
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn proc_status(pid: u32) -> (i64, i64, i64) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as i64)
        .unwrap_or(-1);
    (field("VmRSS:"), field("VmHWM:"), fds)
}

/// utime + stime of a process in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
}

const TICKS_PER_SEC: f64 = 100.0;

fn raise_nofile() {
    // The soft limit is raised by the caller (`ulimit -n` in bench/run.sh);
    // say so when it is too low rather than failing half-way.
    if let Ok(l) = std::fs::read_to_string("/proc/self/limits")
        && let Some(line) = l.lines().find(|l| l.starts_with("Max open files"))
    {
        eprintln!(
            "# {}",
            line.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
}

/// Nearest-rank percentile of an ascending list (as sse_fanout.py).
fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let k = ((p / 100.0 * v.len() as f64 + 0.5).round() as i64 - 1).clamp(0, v.len() as i64 - 1);
    v[k as usize]
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn main() {
    let a = parse_args();
    raise_nofile();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    let code = local.block_on(&rt, run(a));
    std::process::exit(code);
}

async fn run(a: Args) -> i32 {
    println!(
        "# sse-client (Rust, one thread): N={} updates={}",
        a.clients, a.updates
    );
    let mut json = String::from("{");
    json += &format!("\"clients\":{},\"procs\":1,\"client\":\"rust\"", a.clients);
    let sample = |label: &str, json: &mut String| {
        if let Some(pid) = a.pid {
            let (rss, hwm, fds) = proc_status(pid);
            *json += &format!(",\"rss_{label}_kib\":{rss},\"hwm_{label}_kib\":{hwm}");
            println!(
                "server RSS {label:>10}: {:8.1} MiB  (peak {:.1} MiB, open fds {fds})",
                rss as f64 / 1024.0,
                hwm as f64 / 1024.0
            );
        }
    };
    sample("before", &mut json);

    let request = Rc::new(
        format!(
            "GET /e/{}/live HTTP/1.1\r\nHost: {}:{}\r\nAccept: text/event-stream\r\n\
             Cache-Control: no-cache\r\nUser-Agent: sse-fanout-bench\r\n\r\n",
            a.event, a.host, a.port
        )
        .into_bytes(),
    );
    let addr = format!("{}:{}", a.host, a.port);
    let round = Rc::new(Round {
        first: RefCell::new(vec![None; a.clients]),
        ..Round::default()
    });
    let stop = Rc::new(Notify::new());
    let sem = std::sync::Arc::new(Semaphore::new(a.concurrency));
    let t_open = Instant::now();
    let mut readies = Vec::with_capacity(a.clients);
    for id in 0..a.clients {
        let permit = sem.clone().acquire_owned().await.expect("semaphore");
        let (tx, rx) = tokio::sync::oneshot::channel();
        readies.push(rx);
        tokio::task::spawn_local(stream(
            id,
            addr.clone(),
            request.clone(),
            round.clone(),
            tx,
            permit,
            stop.clone(),
            a.timeout,
        ));
    }
    let mut connected = 0usize;
    let mut errors: std::collections::BTreeMap<String, usize> = Default::default();
    for rx in readies {
        match rx.await {
            Ok(Ok(())) => connected += 1,
            Ok(Err(e)) => *errors.entry(e.chars().take(120).collect()).or_default() += 1,
            Err(_) => *errors.entry("task ended".into()).or_default() += 1,
        }
    }
    let took = t_open.elapsed().as_secs_f64();
    json += &format!(",\"connected\":{connected},\"connect_errors\":{{");
    json += &errors
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_str(k)))
        .collect::<Vec<_>>()
        .join(",");
    json += &format!("}},\"connect_seconds\":{:.3}", took);
    println!(
        "subscribed: {connected}/{} in {took:.2} s; connect errors: {}",
        a.clients,
        if errors.is_empty() {
            "none".to_owned()
        } else {
            format!("{errors:?}")
        }
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    sample("connected", &mut json);

    let mut all: Vec<f64> = Vec::new();
    let mut rows = Vec::new();
    let pid = a.pid.map(|p| p.to_string());
    for u in 0..a.updates {
        round.first.borrow_mut().iter_mut().for_each(|t| *t = None);
        round.got.set(0);
        round.extra.set(0);
        round.lost.set(0);
        let closed_before = round.closed.get();
        let alive = connected - closed_before;
        let srv0 = pid.as_deref().map(cpu_ticks).unwrap_or(0);
        let me0 = cpu_ticks("self");
        let (t0, status, t_resp) =
            post_update(&a, &format!("bench update {} of {}", u + 1, a.updates)).await;
        let post_ms = (t_resp - t0).as_secs_f64() * 1e3;
        if (200..300).contains(&status) {
            let deadline = Instant::now() + a.timeout;
            while round.got.get() + round.lost.get() < alive {
                if tokio::time::timeout_at(deadline.into(), round.done.notified())
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
        let srv = pid
            .as_deref()
            .map(|p| (cpu_ticks(p) - srv0) as f64 / TICKS_PER_SEC);
        let me = (cpu_ticks("self") - me0) as f64 / TICKS_PER_SEC;
        let mut lat: Vec<f64> = round
            .first
            .borrow()
            .iter()
            .flatten()
            .map(|t| t.saturating_duration_since(t0).as_secs_f64() * 1e3)
            .collect();
        lat.sort_by(f64::total_cmp);
        all.extend_from_slice(&lat);
        let closed = round.closed.get() - closed_before;
        let (p50, p99) = (r2(pct(&lat, 50.0)), r2(pct(&lat, 99.0)));
        let (min, max) = (
            lat.first().map_or(f64::NAN, |v| r2(*v)),
            lat.last().map_or(f64::NAN, |v| r2(*v)),
        );
        println!(
            "update {}: POST {status} in {post_ms:7.1} ms | received {}/{connected} (closed {closed}, extra {}) | \
             min {min} p50 {p50} p99 {p99} max {max} ms | client cpu [{me:.3}] s, server cpu {} s",
            u + 1,
            lat.len(),
            round.extra.get(),
            srv.map_or("?".to_owned(), |s| format!("{s:.3}")),
        );
        rows.push(format!(
            "{{\"update\":{},\"http_status\":{status},\"post_ms\":{:.2},\"received\":{},\"of\":{connected},\
             \"closed\":{closed},\"extra_frames\":{},\"p50_ms\":{p50},\"p99_ms\":{p99},\"max_ms\":{max},\
             \"min_ms\":{min},\"client_cpu_s\":[{me:.3}],\"server_cpu_s\":{}}}",
            u + 1,
            post_ms,
            lat.len(),
            round.extra.get(),
            srv.map_or("null".to_owned(), |s| format!("{s:.3}")),
        ));
        tokio::time::sleep(a.gap).await;
    }
    json += &format!(",\"updates\":[{}]", rows.join(","));
    all.sort_by(f64::total_cmp);
    let expected = connected * a.updates;
    let mean = if all.is_empty() {
        f64::NAN
    } else {
        all.iter().sum::<f64>() / all.len() as f64
    };
    let (p50, p99, max) = (
        r2(pct(&all, 50.0)),
        r2(pct(&all, 99.0)),
        all.last().map_or(f64::NAN, |v| r2(*v)),
    );
    json += &format!(
        ",\"aggregate\":{{\"received\":{},\"expected\":{expected},\"p50_ms\":{p50},\"p99_ms\":{p99},\"max_ms\":{max},\"mean_ms\":{:.2}}}",
        all.len(),
        mean
    );
    println!(
        "AGGREGATE N={}: received {}/{expected} | p50 {p50} ms p99 {p99} ms max {max} ms mean {mean:.2} ms",
        a.clients,
        all.len()
    );
    sample("updates", &mut json);
    stop.notify_waiters();
    tokio::time::sleep(Duration::from_secs(2)).await;
    sample("closed", &mut json);
    json.push('}');
    if let Some(path) = &a.json {
        std::fs::write(path, &json).expect("write --json");
    }
    if all.len() == expected && connected == a.clients {
        0
    } else {
        1
    }
}
