//! The database store: every SQL statement of Marquee lives under this
//! module. One code path serves SQLite and PostgreSQL through sqlx's `Any`
//! driver, so the SQL is kept portable: `$N` placeholders, `RETURNING`,
//! `ON CONFLICT`, instants as unix seconds and dates as `YYYY-MM-DD` text.

mod afterwards;
mod audit;
mod changes;
mod email;
mod event_data;
mod event_rules;
mod events;
mod import;
mod jobs;
mod lease;
mod monitor_runs;
mod monitors;
mod proposals;
mod push;
mod replan;
mod shift;
mod speakers;
mod status;
mod status_components;
mod status_incidents;
mod status_load;
mod status_timeline;
mod team;
mod tokens;
mod users;
mod validate;
mod webhook;

use std::sync::Once;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Row, Transaction};

use crate::error::{AppError, Result};

pub use afterwards::{IncidentTemplate, ReportTimes, TEMPLATE_TITLE_MAX};
pub use audit::{AuditEntry, NewAuditEntry};
pub use changes::{CHANGE_CHANNEL, ChangeRecord, parse_change_payload};
pub use email::{
    AnswerLinkTarget, DueEmail, EmailBoard, EmailChoice, EmailCounts, EmailLogEntry, EmailOutcome,
    EmailRecipient, EmailSubscription, KEEP_ENDED_LINK_DAYS, KEEP_LINK_DAYS, NewEmailLink,
    NewEmailSubscriber, SpeakerLangs, SubscribeOutcome, SubscriberCounts,
};
pub use event_data::EventData;
pub use events::ScheduleVersion;
pub use import::ImportOutcome;
pub use monitor_runs::{CheckResult, DueMonitor, MonitorDraft, RESULT_KEEP_DAYS};
pub use monitors::{MonitorRecord, MonitorResultRecord, NewMonitor};
pub use proposals::{AnswerIn, ProposalRecord};
pub use push::{
    AttemptOutcome, DueDelivery, EventReach, NewSubscription, NoticeOf, NoticeReach, PruneCounts,
    PushCounts, VapidKeyRecord,
};
pub use replan::AppliedChange;
pub use shift::{AppliedShift, ShiftRecord};
pub use speakers::{SpeakerLink, SpeakerLinkInfo};
pub use status::{
    AffectedComponent, ComponentPatch, ComponentRecord, IncidentRecord, IncidentUpdateRecord,
    NewComponent, NewIncident, NewIncidentUpdate, Reschedule, StatusSnapshot,
};
pub use team::{Invitation, Joiner, Member, NewInvitation, refusal as invitation_refusal};
pub use tokens::{ApiToken, NewApiToken};
pub use users::{LoginSession, UserInfo, UserRecord};
pub use webhook::{DueWebhook, WebhookBoard, WebhookLogEntry, WebhookOutcome, WebhookRecord};

/// Kept here for callers that know it as the store's: it is the domain's.
pub use crate::domain::speaker::Answer;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone (it wraps a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Minutes after a change during which a change to the same talks
    /// amends it (one change to attendees); negative: never.
    amend_window_min: i64,
}

static DRIVERS: Once = Once::new();

/// How long connecting may take before `connect` gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Connects to `sqlite://path` (the file is created if missing, its
    /// parent directory must exist) or `postgres://…`, and runs the embedded
    /// migrations. Failures name the URL (password masked) and the cause.
    pub async fn connect(url: &str) -> Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (backend, url) = prepare_url(url)?;
        let shown = redact_url(&url);
        let fail = |cause: String| {
            AppError::invalid(
                "database_url",
                format!("cannot use database {shown}: {cause}"),
            )
        };
        if backend == Backend::Sqlite {
            restrict_sqlite_file(&url).map_err(|e| fail(e.to_string()))?;
        }
        // The pool retries a refused connection until its timeout and then
        // reports only "pool timed out"; one direct attempt first gives the
        // real cause (refused, unknown host, bad password, unopenable file).
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(&url))
            .await
            .map_err(|_| fail(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| fail(e.to_string()))?;
        let _ = probe.close().await;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&url)
            .await
            .map_err(|e| fail(e.to_string()))?;
        if backend == Backend::Sqlite {
            // WAL lets readers go on while an import writes; the setting is
            // stored in the file, so once per connect is enough.
            sqlx::query("pragma journal_mode = wal")
                .execute(&pool)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        let migrated = match backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&pool).await,
            Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&pool).await,
        };
        migrated.map_err(|e| fail(format!("migration failed: {e}")))?;
        Ok(Store {
            pool,
            backend,
            amend_window_min: crate::domain::replan::AMEND_WINDOW_MIN,
        })
    }

    /// This store with another amend window (minutes; negative: never
    /// amend, every change stands alone).
    pub fn with_amend_window(mut self, minutes: i64) -> Self {
        self.amend_window_min = minutes;
        self
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A cheap round trip, for health checks.
    /// Closes the pool: every later query fails as `Unavailable`. Used at
    /// shutdown, and by tests to take the database away.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A transaction whose reads all see one snapshot, so a schedule is never
    /// loaded half before and half after a concurrent import. (SQLite gives
    /// that to any transaction; PostgreSQL's default is per statement.)
    async fn begin_read(&self) -> Result<Transaction<'static, Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("set transaction isolation level repeatable read")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}

/// Picks the backend and makes a SQLite URL create its file when missing.
fn prepare_url(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("sqlite:") {
        let has_mode = url
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|p| p.starts_with("mode=")));
        let url = match (has_mode, url.contains('?')) {
            (true, _) => url.to_owned(),
            (false, true) => format!("{url}&mode=rwc"),
            (false, false) => format!("{url}?mode=rwc"),
        };
        Ok((Backend::Sqlite, url))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((Backend::Postgres, url.to_owned()))
    } else {
        Err(AppError::invalid(
            "database_url",
            format!(
                "unsupported database URL {}: expected sqlite://… or postgres://…",
                redact_url(url)
            ),
        ))
    }
}

/// Makes the SQLite file readable by its owner only (it holds password
/// hashes and the VAPID private key): created so when missing, tightened
/// when not. SQLite gives the `-wal` and `-shm` files the same mode.
fn restrict_sqlite_file(url: &str) -> std::io::Result<()> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let path = std::path::Path::new(path);
        if url.contains("mode=rwc") && !path.exists() {
            // A missing folder is SQLite's to report, in its own words.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path);
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            if let Ok(meta) = std::fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
            {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

/// The URL with any password replaced by `***`, safe for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    // `?password=` is also accepted by the PostgreSQL driver.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => p.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Unix seconds of an instant: how every instant is stored.
pub(crate) fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// JSON text for a column, or an internal error (serialising our own types
/// cannot fail in practice).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))
}

/// The instant stored as unix seconds in column `col`.
pub(crate) fn instant(row: &AnyRow, col: &str) -> Result<DateTime<Utc>> {
    let secs: i64 = row.try_get(col)?;
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| AppError::Internal(format!("{col}: timestamp {secs} out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://marquee:s3cret@db:5432/marquee?sslmode=disable"),
            "postgres://marquee:***@db:5432/marquee?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://db/m?user=u&password=s3cret"),
            "postgres://db/m?user=u&password=***"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/m.db"),
            "sqlite:///var/lib/m.db"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_sqlite_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.db");
        let old = dir.path().join("old.db");
        std::fs::write(&old, b"").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        for file in [&fresh, &old] {
            let store = Store::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap();
            store.ping().await.unwrap();
            for suffix in ["", "-wal"] {
                let mut f = file.as_os_str().to_owned();
                f.push(suffix);
                let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{f:?}");
            }
            store.close().await;
        }
    }

    #[test]
    fn sqlite_urls_create_the_file_unless_a_mode_is_given() {
        assert_eq!(
            prepare_url("sqlite://m.db").unwrap().1,
            "sqlite://m.db?mode=rwc"
        );
        assert_eq!(
            prepare_url("sqlite://m.db?cache=shared").unwrap().1,
            "sqlite://m.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            prepare_url("sqlite://m.db?mode=ro").unwrap().1,
            "sqlite://m.db?mode=ro"
        );
        assert_eq!(prepare_url("postgres://h/d").unwrap().0, Backend::Postgres);
        assert!(prepare_url("mysql://h/d").is_err());
    }
}
