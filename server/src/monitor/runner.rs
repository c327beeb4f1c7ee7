//! The monitor loop: every tick, claim the due monitors (leased, so each
//! runs once across instances), check them with bounded concurrency, and
//! record each result as it arrives; a component that changes refreshes
//! its event's read model and open pages at once, not at the round's end.

use std::sync::Arc;
use std::time::Duration;

use app::domain::address::OutboundPolicy;
use app::error::Result;
use app::state::AppState;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use super::check::Checker;
use crate::config::MonitorArgs;

/// Monitors taken per claim.
const BATCH: i64 = 500;
/// How often old results are pruned (by one instance).
const PRUNE_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundReport {
    pub checked: usize,
    pub failed: usize,
    /// Events whose pages changed, in the order they changed.
    pub changed: Vec<String>,
}

pub struct MonitorRunner {
    state: AppState,
    checker: Arc<Checker>,
    concurrency: usize,
    lease_secs: i64,
    tick: Duration,
    /// This runner's leases.
    token: String,
}

impl MonitorRunner {
    pub fn new(state: AppState, args: &MonitorArgs) -> Result<Self> {
        let policy = OutboundPolicy {
            allow_loopback: args.monitor_allow_loopback,
        };
        Ok(MonitorRunner {
            state,
            checker: Arc::new(Checker::new(policy)?),
            concurrency: args.monitor_concurrency.max(1),
            lease_secs: args.monitor_lease_secs.max(61),
            tick: Duration::from_millis(args.monitor_tick_ms.max(10)),
            token: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Checks every monitor due at `now` once and applies the results.
    /// Tests call this to drive rounds without waiting for intervals.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RoundReport> {
        let mut report = RoundReport::default();
        loop {
            let due = self
                .state
                .store
                .claim_monitors(BATCH, now, self.lease_secs, &self.token)
                .await?;
            if due.is_empty() {
                break;
            }
            let full = due.len() as i64 == BATCH;
            let mut results = futures_util::stream::iter(due)
                .map(|m| {
                    let checker = self.checker.clone();
                    let state = self.state.clone();
                    let token = self.token.clone();
                    async move {
                        let r = checker.check(&m, now).await;
                        let changed = state.store.record_check(m.id, &token, &r, now).await?;
                        if let Some(slug) = &changed {
                            state.after_write(slug).await?;
                        }
                        Ok::<_, app::error::AppError>((r.ok, changed))
                    }
                })
                .buffer_unordered(self.concurrency);
            while let Some(done) = results.next().await {
                match done {
                    Ok((ok, changed)) => {
                        report.checked += 1;
                        report.failed += usize::from(!ok);
                        report.changed.extend(changed);
                    }
                    // The lease runs out and another round retries it.
                    Err(e) => tracing::warn!(error = %e, "monitor result not recorded"),
                }
            }
            if !full {
                break;
            }
        }
        Ok(report)
    }

    /// Runs rounds every tick until `stop` resolves.
    pub async fn run(self, stop: impl Future<Output = ()> + Send + 'static) {
        let mut stop = std::pin::pin!(stop);
        let mut tick = tokio::time::interval(self.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {}
            }
            let now = Utc::now();
            if let Err(e) = self.run_once(now).await {
                tracing::debug!(error = %e, "monitor round failed");
            }
            let prune = self
                .state
                .store
                .claim_job("prune_monitor_results", now, PRUNE_EVERY)
                .await;
            if matches!(prune, Ok(true))
                && let Err(e) = self.state.store.prune_monitor_results(now).await
            {
                tracing::debug!(error = %e, "monitor results not pruned");
            }
        }
    }
}
