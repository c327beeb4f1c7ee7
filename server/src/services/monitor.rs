//! Monitors for the JSON API and the dashboard forms alike: fill in
//! defaults (on adding) or the stored values (on editing), judge the
//! target by the outbound rule, let the store check the numbers and
//! persist; publishing a draft refreshes the event's pages.

use app::domain::address::OutboundPolicy;
use app::domain::monitor::{MonitorKind, MonitorSpec, StatusRange};
use app::domain::status::ComponentStatus;
use app::error::{AppError, Result};
use app::state::AppState;
use app::store::{IncidentRecord, MonitorRecord, NewMonitor};
use serde::Deserialize;

use crate::monitor::target::check_target;

/// A monitor's settings as sent; on adding, `component_id`, `name`,
/// `kind` and `target` are required and the rest has defaults; on editing
/// what is absent stays as it is.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorInput {
    pub component_id: Option<i64>,
    pub name: Option<String>,
    /// `http`, `tcp` or `hls`.
    pub kind: Option<String>,
    /// A URL (http, hls) or `host:port` (tcp).
    pub target: Option<String>,
    /// Seconds between checks (at least 10; default 30).
    pub interval_secs: Option<i64>,
    /// Milliseconds a check may take (default 5000, at most the interval).
    pub timeout_ms: Option<i64>,
    /// N: failures among the last `window` checks that change the
    /// component (default 3).
    pub failures: Option<i64>,
    /// M (default 5).
    pub window: Option<i64>,
    /// K: successes in a row that bring it back (default 2).
    pub recoveries: Option<i64>,
    /// `degraded_performance`, `partial_outage` or `major_outage` (default).
    pub down_status: Option<String>,
    /// HTTP: `200` or `200-299` (default `200-399`).
    pub expect_status: Option<String>,
    /// HTTP: text the body must contain; empty clears it.
    pub keyword: Option<String>,
    /// HTTP: slower answers fail; 0 clears it.
    pub max_latency_ms: Option<i64>,
    /// HLS: seconds without progress before the stream is down (default:
    /// twice the interval, at least 60).
    pub stale_secs: Option<i64>,
    /// Draft an incident (not published) when the monitor trips.
    pub draft_incident: Option<bool>,
    pub paused: Option<bool>,
}

fn required<T>(v: Option<T>, field: &str) -> Result<T> {
    v.ok_or_else(|| AppError::invalid(field, "required"))
}

fn kind_of(s: &str) -> Result<MonitorKind> {
    MonitorKind::parse(s).ok_or_else(|| {
        AppError::invalid("kind", format!("unknown kind {s:?}; use http, tcp or hls"))
    })
}

fn down_status_of(s: &str) -> Result<ComponentStatus> {
    ComponentStatus::parse(s).ok_or_else(|| {
        AppError::invalid(
            "down_status",
            format!(
                "unknown status {s:?}; use degraded_performance, partial_outage or major_outage"
            ),
        )
    })
}

fn status_range_of(s: &str) -> Result<StatusRange> {
    StatusRange::parse(s).ok_or_else(|| {
        AppError::invalid(
            "expect_status",
            "must be a status code or a range like 200-299",
        )
    })
}

/// `input` over `base` (the stored monitor, or the defaults), with the
/// target judged; the store checks the rest.
pub fn merge(
    input: MonitorInput,
    base: Option<&MonitorRecord>,
    policy: OutboundPolicy,
) -> Result<NewMonitor> {
    let kind = match (&input.kind, base) {
        (Some(k), _) => kind_of(k)?,
        (None, Some(b)) => b.kind,
        (None, None) => return Err(AppError::invalid("kind", "required: http, tcp or hls")),
    };
    let target = match (input.target, base) {
        (Some(t), _) => t,
        (None, Some(b)) => b.target.clone(),
        (None, None) => required(None, "target")?,
    };
    check_target(kind, &target, policy).map_err(|r| AppError::invalid("target", r.0))?;
    let interval_secs = input
        .interval_secs
        .or(base.map(|b| b.interval_secs))
        .unwrap_or(30);
    let old = base.map(MonitorRecord::spec);
    let stale_default = (interval_secs * 2).max(60);
    let spec = MonitorSpec {
        kind,
        interval_secs,
        timeout_ms: input
            .timeout_ms
            .or(old.as_ref().map(|o| o.timeout_ms))
            .unwrap_or_else(|| (interval_secs * 1000).min(5_000)),
        failures: input
            .failures
            .or(old.as_ref().map(|o| o.failures))
            .unwrap_or(3),
        window: input.window.or(old.as_ref().map(|o| o.window)).unwrap_or(5),
        recoveries: input
            .recoveries
            .or(old.as_ref().map(|o| o.recoveries))
            .unwrap_or(2),
        down_status: match input.down_status.as_deref() {
            Some(s) => down_status_of(s)?,
            None => old
                .as_ref()
                .map_or(ComponentStatus::MajorOutage, |o| o.down_status),
        },
        expect_status: match input.expect_status.as_deref() {
            Some(s) => status_range_of(s)?,
            None => old
                .as_ref()
                .map_or(StatusRange::DEFAULT, |o| o.expect_status),
        },
        keyword: match input.keyword {
            Some(k) if k.is_empty() => None,
            Some(k) => Some(k),
            None => old.as_ref().and_then(|o| o.keyword.clone()),
        },
        max_latency_ms: match input.max_latency_ms {
            Some(0) => None,
            Some(l) => Some(l),
            None => old.as_ref().and_then(|o| o.max_latency_ms),
        },
        stale_secs: input
            .stale_secs
            .or(old.as_ref().map(|o| o.stale_secs))
            .unwrap_or(stale_default),
    };
    Ok(NewMonitor {
        component_id: match (input.component_id, base) {
            (Some(c), _) => c,
            (None, Some(b)) => b.component_id,
            (None, None) => required(None, "component_id")?,
        },
        name: match (input.name, base) {
            (Some(n), _) => n,
            (None, Some(b)) => b.name.clone(),
            (None, None) => required(None, "name")?,
        },
        target,
        spec,
        draft_incident: input
            .draft_incident
            .or(base.map(|b| b.draft_incident))
            .unwrap_or(false),
        paused: input.paused.or(base.map(|b| b.paused)).unwrap_or(false),
    })
}

pub async fn add_monitor(
    state: &AppState,
    slug: &str,
    input: MonitorInput,
    policy: OutboundPolicy,
) -> Result<MonitorRecord> {
    super::event_view(state, slug)?;
    let m = merge(input, None, policy)?;
    state.store.create_monitor(slug, m, state.clock.now()).await
}

pub async fn edit_monitor(
    state: &AppState,
    slug: &str,
    id: i64,
    input: MonitorInput,
    policy: OutboundPolicy,
) -> Result<MonitorRecord> {
    let old = state.store.get_monitor(slug, id).await?;
    let m = merge(input, Some(&old), policy)?;
    state
        .store
        .update_monitor(slug, id, m, state.clock.now())
        .await
}

pub async fn publish_draft(state: &AppState, slug: &str, id: i64) -> Result<IncidentRecord> {
    let rec = state
        .store
        .publish_monitor_draft(slug, id, state.clock.now())
        .await?;
    state.after_write(slug).await?;
    Ok(rec)
}
