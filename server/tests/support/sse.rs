//! A Server-Sent Events client on a plain socket, reading in a thread:
//! each frame arrives on a channel with the instant it was read.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Frame {
    pub id: Option<i64>,
    pub event: String,
    pub data: String,
    pub at: Instant,
}

pub struct Sse {
    rx: Receiver<Frame>,
}

/// What the stream ending looks like on the channel.
pub const EOF: &str = "<eof>";

impl Sse {
    /// Opens `path` on `addr`, resuming after `last_id` when given; waits
    /// for the `hello` frame.
    pub fn open(addr: &str, path: &str, last_id: Option<i64>) -> Sse {
        let mut s = TcpStream::connect(addr).unwrap();
        let resume = last_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
        write!(
            s,
            "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        )
        .unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(s);
            let mut line = String::new();
            // Headers.
            loop {
                line.clear();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let (mut id, mut event, mut data) = (None, String::new(), String::new());
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(Frame {
                            id: None,
                            event: EOF.into(),
                            data: String::new(),
                            at: Instant::now(),
                        });
                        return;
                    }
                    Ok(_) => {}
                }
                let l = line.trim_end_matches(['\r', '\n']);
                // Chunked transfer: size lines are hex digits only.
                if !l.is_empty() && l.chars().all(|c| c.is_ascii_hexdigit()) && !l.contains(':') {
                    continue;
                }
                if let Some(v) = l.strip_prefix("id: ").or(l.strip_prefix("id:")) {
                    id = v.trim().parse().ok();
                } else if let Some(v) = l.strip_prefix("event: ").or(l.strip_prefix("event:")) {
                    event = v.trim().to_owned();
                } else if let Some(v) = l.strip_prefix("data: ").or(l.strip_prefix("data:")) {
                    data.push_str(v);
                } else if l.is_empty() && (!event.is_empty() || !data.is_empty()) {
                    let f = Frame {
                        id: id.take(),
                        event: std::mem::take(&mut event),
                        data: std::mem::take(&mut data),
                        at: Instant::now(),
                    };
                    if tx.send(f).is_err() {
                        return;
                    }
                }
            }
        });
        let sse = Sse { rx };
        let hello = sse.next_within(Duration::from_secs(10)).expect("hello");
        assert_eq!(hello.event, "hello", "{hello:?}");
        sse
    }

    /// The next frame (heartbeats excluded), or `None` after `wait`.
    pub fn next_within(&self, wait: Duration) -> Option<Frame> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(f) if f.event.is_empty() => continue,
                Ok(f) => return Some(f),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Frames until one named `event` (included), within `wait`.
    pub fn until(&self, event: &str, wait: Duration) -> Vec<Frame> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        while let Some(f) = self.next_within(deadline.saturating_duration_since(Instant::now())) {
            let done = f.event == event || f.event == EOF;
            seen.push(f);
            if done {
                break;
            }
        }
        seen
    }
}
