//! What a stranger may use of the server, in one place: sign-in throttling
//! and bounded password hashing, rate limits on anonymous writes, the cap
//! on live streams per client address, and the share of database
//! connections anonymous requests may hold. Rates are GCRA limiters from
//! `governor`, keyed by client address (see [`ClientIp::limit_key`]) or by
//! account; every refusal is a 429 or 503 with `Retry-After`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::error::{AppError, Result};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::client_ip::ClientIp;
use crate::config::GuardArgs;

/// How long an anonymous request waits for its share of the database
/// before it is turned away with 503.
const ANON_DB_WAIT: Duration = Duration::from_secs(2);

pub struct Limits {
    pub settings: GuardArgs,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    login_account: DefaultKeyedRateLimiter<[u8; 32]>,
    anon_writes: DefaultKeyedRateLimiter<IpAddr>,
    subscriptions: DefaultKeyedRateLimiter<IpAddr>,
    /// One "sign-in throttled" log line per address a minute: a flood of
    /// refused guesses would otherwise cost a log write each (thousands a
    /// second) and bury everything else in the log.
    throttle_log: DefaultKeyedRateLimiter<IpAddr>,
    throttled_unlogged: AtomicU64,
    sse: Mutex<HashMap<IpAddr, usize>>,
    anon_db: Arc<Semaphore>,
    hash_slots: Arc<Semaphore>,
    hash_queue: Arc<Semaphore>,
    shutdown: watch::Sender<bool>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// `per_hour` evenly spread, with a burst of at most `burst`.
fn hourly(per_hour: u32, burst: u32) -> Quota {
    let per_hour = per_hour.max(1);
    Quota::with_period(Duration::from_secs(3600) / per_hour)
        .unwrap_or(Quota::per_hour(nonzero(per_hour)))
        .allow_burst(nonzero(burst.min(per_hour)))
}

impl Limits {
    pub fn new(settings: GuardArgs) -> Limits {
        let s = &settings;
        Limits {
            login_ip: DefaultKeyedRateLimiter::keyed(Quota::per_minute(nonzero(
                s.login_per_ip_per_minute,
            ))),
            // A sixth of the hour's budget at once (at least 5), then
            // evenly: a typo or two never locks an organiser out.
            login_account: DefaultKeyedRateLimiter::keyed(hourly(
                s.login_per_account_per_hour,
                (s.login_per_account_per_hour / 6).max(5),
            )),
            anon_writes: DefaultKeyedRateLimiter::keyed(Quota::per_minute(nonzero(
                s.anon_writes_per_minute,
            ))),
            subscriptions: DefaultKeyedRateLimiter::keyed(hourly(
                s.subscriptions_per_ip_per_hour,
                s.subscriptions_per_ip_per_hour,
            )),
            throttle_log: DefaultKeyedRateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN)),
            throttled_unlogged: AtomicU64::new(0),
            sse: Mutex::default(),
            anon_db: Arc::new(Semaphore::new(s.anon_db_connections.max(1))),
            hash_slots: Arc::new(Semaphore::new(s.login_hash_slots.max(1))),
            hash_queue: Arc::new(Semaphore::new(s.login_queue.max(1))),
            shutdown: watch::channel(false).0,
            settings,
        }
    }

    fn check<K: Clone + std::hash::Hash + Eq>(
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<()> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// One sign-in attempt from `ip` for `email` (already normalised):
    /// refused while either has used up its budget.
    pub fn login_attempt(&self, ip: ClientIp, email: &str) -> Result<()> {
        Self::check(&self.login_ip, &ip.limit_key())?;
        Self::check(&self.login_account, &account_key(email))
    }

    /// Checks a password with argon2 on the blocking pool, at most
    /// `login_hash_slots` at once, so sign-ins never occupy the runtime's
    /// workers; with `login_queue` already waiting, 503 at once.
    pub async fn verify_password(&self, password: String, phc: String) -> Result<bool> {
        let _queued = self
            .hash_queue
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::Busy)?;
        let _slot = self
            .hash_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AppError::Busy)?;
        tokio::task::spawn_blocking(move || app::auth::verify_password(&password, &phc))
            .await
            .map_err(|e| AppError::Internal(format!("password check: {e}")))
    }

    /// Whether a throttled sign-in from `ip` should be logged, and if so
    /// how many throttled sign-ins (from any address) went unlogged since
    /// the last line: the first one from an address in a minute is, the
    /// rest are only counted.
    pub fn log_throttled(&self, ip: ClientIp) -> Option<u64> {
        if self.throttle_log.check_key(&ip.limit_key()).is_ok() {
            Some(self.throttled_unlogged.swap(0, Ordering::Relaxed))
        } else {
            self.throttled_unlogged.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    /// One new push subscription from `ip`.
    pub fn new_subscription(&self, ip: ClientIp) -> Result<()> {
        Self::check(&self.subscriptions, &ip.limit_key())
    }

    /// A database connection's worth of the anonymous share, held until
    /// the permit drops.
    pub async fn anon_db(&self) -> Result<OwnedSemaphorePermit> {
        tokio::time::timeout(ANON_DB_WAIT, self.anon_db.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy)?
            .map_err(|_| AppError::Busy)
    }

    /// A live stream for `ip`, counted until the ticket drops.
    pub fn open_stream(self: &Arc<Self>, ip: ClientIp) -> Result<StreamTicket> {
        let key = ip.limit_key();
        let mut open = self.sse.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= self.settings.sse_per_ip {
            return Err(AppError::TooManyRequests { retry_after: 30 });
        }
        *n += 1;
        Ok(StreamTicket {
            limits: self.clone(),
            key,
        })
    }

    /// Live streams open now from `ip`.
    pub fn open_streams(&self, ip: ClientIp) -> usize {
        let open = self.sse.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&ip.limit_key()).copied().unwrap_or(0)
    }

    /// Forgets limiter state nobody has used lately (call now and then, so
    /// the maps do not grow with every address ever seen).
    pub fn forget_idle(&self) {
        self.login_ip.retain_recent();
        self.login_account.retain_recent();
        self.anon_writes.retain_recent();
        self.subscriptions.retain_recent();
        self.throttle_log.retain_recent();
        let unlogged = self.throttled_unlogged.swap(0, Ordering::Relaxed);
        if unlogged > 0 {
            tracing::warn!(
                unlogged,
                "sign-ins throttled without a log line of their own"
            );
        }
        for l in [
            &self.login_ip,
            &self.anon_writes,
            &self.subscriptions,
            &self.throttle_log,
        ] {
            l.shrink_to_fit();
        }
        self.login_account.shrink_to_fit();
    }

    /// Tells long-lived responses (live streams) to end: the server is
    /// shutting down.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves once shutdown has begun.
    pub fn shutting_down(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|down| *down).await;
        }
    }
}

/// Counts one open live stream until dropped.
pub struct StreamTicket {
    limits: Arc<Limits>,
    key: IpAddr,
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut open = self.limits.sse.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Accounts are throttled by a hash of the normalised email, so the map
/// holds no addresses and a long "email" costs no memory.
fn account_key(email: &str) -> [u8; 32] {
    Sha256::digest(email.as_bytes()).into()
}

/// A short, stable stand-in for an account in logs: the start of its hash
/// (the raw input may be a password typed into the wrong field, or carry
/// line breaks that forge log lines).
pub fn account_label(email: &str) -> String {
    hex::encode(&account_key(email)[..6])
}

/// Middleware on the anonymous write routes (subscribe, unsubscribe,
/// speaker answers): `anon_writes_per_minute` per client address.
pub async fn anonymous_writes(
    State(limits): State<Arc<Limits>>,
    ip: ClientIp,
    req: Request,
    next: Next,
) -> Response {
    match Limits::check(&limits.anon_writes, &ip.limit_key()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> ClientIp {
        ClientIp(s.parse().unwrap())
    }

    #[test]
    fn sign_in_is_throttled_per_address_and_per_account() {
        let limits = Limits::new(GuardArgs {
            login_per_ip_per_minute: 3,
            login_per_account_per_hour: 30,
            ..GuardArgs::default()
        });
        for _ in 0..3 {
            limits.login_attempt(ip("198.51.100.1"), "a@x").unwrap();
        }
        match limits.login_attempt(ip("198.51.100.1"), "b@x") {
            Err(AppError::TooManyRequests { retry_after }) => {
                assert!((1..=60).contains(&retry_after), "{retry_after}")
            }
            other => panic!("{other:?}"),
        }
        // The account has 5 at once: two more from elsewhere, then no more
        // from anywhere, for about two minutes (30 an hour).
        limits.login_attempt(ip("198.51.100.2"), "a@x").unwrap();
        limits.login_attempt(ip("198.51.100.3"), "a@x").unwrap();
        match limits.login_attempt(ip("198.51.100.4"), "a@x") {
            Err(AppError::TooManyRequests { retry_after }) => {
                assert!((100..=120).contains(&retry_after), "{retry_after}")
            }
            other => panic!("{other:?}"),
        }
        limits.login_attempt(ip("198.51.100.4"), "c@x").unwrap();
    }

    #[test]
    fn live_streams_are_capped_per_address_and_counted_until_closed() {
        let limits = Arc::new(Limits::new(GuardArgs {
            sse_per_ip: 2,
            ..GuardArgs::default()
        }));
        let a = limits.open_stream(ip("198.51.100.1")).unwrap();
        let _b = limits.open_stream(ip("198.51.100.1")).unwrap();
        assert!(limits.open_stream(ip("198.51.100.1")).is_err());
        assert!(limits.open_stream(ip("198.51.100.2")).is_ok());
        drop(a);
        assert_eq!(limits.open_streams(ip("198.51.100.1")), 1);
        assert!(limits.open_stream(ip("198.51.100.1")).is_ok());
    }

    #[test]
    fn a_flood_of_throttled_sign_ins_is_logged_once_per_address_and_counted() {
        let limits = Limits::new(GuardArgs::default());
        assert_eq!(limits.log_throttled(ip("198.51.100.1")), Some(0));
        for _ in 0..500 {
            assert_eq!(limits.log_throttled(ip("198.51.100.1")), None);
        }
        // Another address gets its line, and with it the count of the
        // lines the first one did not get.
        assert_eq!(limits.log_throttled(ip("198.51.100.2")), Some(500));
        assert_eq!(limits.log_throttled(ip("198.51.100.2")), None);
        assert_eq!(limits.log_throttled(ip("198.51.100.3")), Some(1));
    }

    #[test]
    fn accounts_appear_in_logs_only_as_a_hash() {
        let label = account_label("a@b\n2026-01-01T00:00:00Z INFO forged");
        assert_eq!(label.len(), 12);
        assert!(label.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
