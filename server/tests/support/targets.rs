//! Real targets for monitor tests, on 127.0.0.1: an HTTP server whose
//! behaviour the test changes between rounds (answers, fails every other
//! request, slows down, stops), serving an HLS playlist whose media
//! sequence advances only when told; and a TCP port that can be closed.
//! Each answer closes its connection, so a stopped server is refused at
//! once rather than reached through a pooled connection.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Every other request (the first, third, ...) answers 500.
    pub fail_half: bool,
    /// Every request answers 500.
    pub fail_all: bool,
    /// Waits this long before answering.
    pub delay_ms: u64,
    /// The playlist's `#EXT-X-MEDIA-SEQUENCE`.
    pub sequence: u64,
    /// Requests seen.
    pub requests: u64,
}

pub struct HttpTarget {
    pub addr: SocketAddr,
    pub behaviour: Arc<Mutex<Behaviour>>,
    task: JoinHandle<()>,
}

impl HttpTarget {
    pub async fn start() -> HttpTarget {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let behaviour = Arc::new(Mutex::new(Behaviour::default()));
        let b = behaviour.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let b = b.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]).to_string();
                    let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let (delay, fail, sequence) = {
                        let mut b = b.lock().unwrap();
                        b.requests += 1;
                        let fail = b.fail_all || (b.fail_half && b.requests % 2 == 1);
                        (b.delay_ms, fail, b.sequence)
                    };
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                    let (status, body) = if fail {
                        ("500 Internal Server Error", "broken".to_owned())
                    } else if path.ends_with(".m3u8") {
                        ("200 OK", playlist(sequence))
                    } else {
                        ("200 OK", "all good: healthy".to_owned())
                    };
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(answer.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        HttpTarget {
            addr,
            behaviour,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.behaviour.lock().unwrap());
    }

    /// Stops accepting: later connections are refused.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// A live media playlist: three two-second segments from `sequence` on.
fn playlist(sequence: u64) -> String {
    let mut p = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{sequence}\n"
    );
    for n in sequence..sequence + 3 {
        p.push_str(&format!("#EXTINF:2.0,\nseg{n}.ts\n"));
    }
    p
}

/// A port that accepts connections until closed.
pub struct TcpTarget {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl TcpTarget {
    pub async fn start() -> TcpTarget {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                drop(sock);
            }
        });
        TcpTarget { addr, task }
    }

    pub async fn close(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
