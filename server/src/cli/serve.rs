//! `marquee serve`: open the store, load the read model, bind, serve until
//! SIGTERM or Ctrl-C, then drain within `MARQUEE_DRAIN_SECS`: in-flight
//! requests finish, live streams are told to reconnect (see
//! [`crate::http_server`]), and the push worker finishes its sends in
//! flight and releases the rest.

use std::sync::Arc;
use std::time::Duration;

use app::domain::address::OutboundPolicy;
use app::state::AppState;
use leptos::prelude::LeptosOptions;

use super::{CliError, CliResult, open_store};
use crate::config::ServeArgs;
use crate::limits::Limits;

pub async fn run(url: &str, args: ServeArgs) -> CliResult {
    let addr = args.addr.unwrap_or_else(|| ([127, 0, 0, 1], 3000).into());
    let site_root = crate::assets::find_site_root(args.site_root.as_deref()).ok_or_else(|| {
        CliError::Failed(
            "cannot find the built assets (a `site/pkg` folder next to the binary, or target/site); \
             build with `make build` or set MARQUEE_SITE_ROOT"
                .into(),
        )
    })?;
    let mut store = open_store(url).await?;
    if let Some(min) = args.amend_window_minutes {
        store = store.with_amend_window(min);
    }
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{addr}"));
    let leptos_options = LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("marquee"))
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let mut state = AppState::new(leptos_options, store, &public_url);
    state.webhooks.policy = OutboundPolicy {
        allow_loopback: args.webhook.webhook_allow_loopback,
    };
    let mailer =
        crate::email::Mailer::from_args(&args.email, &public_url).map_err(CliError::Failed)?;
    state.email_enabled = mailer.is_some();
    state
        .refresh_all()
        .await
        .map_err(|e| CliError::Failed(format!("loading events: {e}")))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        CliError::Failed(match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "cannot listen on {addr}: the port is already in use (set --addr or MARQUEE_ADDR)"
            ),
            _ => format!("cannot listen on {addr}: {e}"),
        })
    })?;
    tracing::info!(%addr, site_root = %site_root.display(), events = state.read_model.all().len(), "marquee listening on http://{addr}");
    let every = Duration::from_millis(args.cluster.poll_interval_ms.max(10));
    tokio::spawn(poll(state.clone(), every));
    if state.store.backend() == app::store::Backend::Postgres {
        tokio::spawn(crate::notify::listen(state.clone(), url.to_owned()));
    }
    crate::push::vapid::ensure_key(&state.store)
        .await
        .map_err(|e| CliError::Failed(format!("VAPID key: {e}")))?;
    let worker = crate::push::worker::Worker::new(state.clone(), args.push.clone())
        .await
        .map_err(|e| CliError::Failed(format!("push worker: {e}")))?;
    let limits = Arc::new(Limits::new(args.guard.clone()));
    // Stops starting sends when the drain begins (see below).
    let worker = tokio::spawn(worker.run(limits.shutting_down()));
    let webhooks = crate::webhook::worker::Worker::new(state.clone(), args.webhook.clone())
        .map_err(|e| CliError::Failed(format!("webhook worker: {e}")))?;
    let webhooks = tokio::spawn(webhooks.run(limits.shutting_down()));
    if args.webhook.webhook_allow_loopback {
        tracing::warn!(
            "MARQUEE_WEBHOOK_ALLOW_LOOPBACK is on: webhook URLs on this machine's loopback are \
             accepted (for tests and benchmarks only)"
        );
    }
    if args.push.push_allow_insecure_localhost {
        tracing::warn!(
            "MARQUEE_PUSH_ALLOW_INSECURE_LOCALHOST is on: push endpoints on this machine's \
             loopback are accepted (for tests and benchmarks only)"
        );
    }
    let outbound = OutboundPolicy {
        allow_loopback: args.push.push_allow_insecure_localhost,
    };
    tokio::spawn(housekeeping(state.clone(), limits.clone()));
    let monitor_policy = start_monitors(&state, &args.monitor, &limits)?;
    // Mail, when an SMTP server is configured: its worker beside push's,
    // and the mailer for the subscribe routes (absent: they answer 404).
    let email = mailer.map(|mailer| {
        let worker = crate::email::worker::EmailWorker::new(
            state.clone(),
            mailer.clone(),
            args.email.clone(),
        );
        tokio::spawn(worker.run(limits.shutting_down()));
        crate::routes::email_api::EmailContext {
            mailer,
            confirm_hours: args.email.mail_confirm_hours,
        }
    });
    let store = state.store.clone();
    let (router, cache) =
        crate::routes::build_with_extras(state, limits.clone(), outbound, |stack| {
            let stack = stack.layer(axum::Extension(monitor_policy));
            match email {
                Some(ctx) => stack.layer(axum::Extension(ctx)),
                None => stack,
            }
        });
    let drain = Duration::from_secs(args.cluster.drain_secs.max(1));
    let signalled = Arc::new(std::sync::OnceLock::new());
    let signal = {
        let signalled = signalled.clone();
        async move {
            shutdown_signal().await;
            let _ = signalled.set(tokio::time::Instant::now());
        }
    };
    crate::http_server::serve(listener, router, Some(cache), limits, signal, drain).await;
    // The push worker stopped starting sends at the signal; what it has in
    // flight finishes within what is left of the drain, and it releases
    // its leases. Past that, the leases simply expire.
    let deadline = signalled
        .get()
        .copied()
        .unwrap_or_else(tokio::time::Instant::now)
        + drain;
    if tokio::time::timeout_at(deadline, webhooks).await.is_err() {
        tracing::warn!(
            "webhook sends still in flight at the end of the drain; their leases expire"
        );
    }
    if tokio::time::timeout_at(deadline, worker).await.is_err() {
        tracing::warn!("push sends still in flight at the end of the drain; their leases expire");
    }
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Starts the monitor loop (stopping when the drain begins); the policy
/// the monitor API judges targets by.
fn start_monitors(
    state: &AppState,
    args: &crate::config::MonitorArgs,
    limits: &Limits,
) -> Result<crate::routes::monitor_api::MonitorPolicy, CliError> {
    if args.monitor_allow_loopback {
        tracing::warn!(
            "MARQUEE_MONITOR_ALLOW_LOOPBACK is on: monitors may probe this machine's loopback \
             (for tests and benchmarks only)"
        );
    }
    let runner = crate::monitor::runner::MonitorRunner::new(state.clone(), args)
        .map_err(|e| CliError::Failed(format!("monitors: {e}")))?;
    tokio::spawn(runner.run(limits.shutting_down()));
    Ok(crate::routes::monitor_api::MonitorPolicy(OutboundPolicy {
        allow_loopback: args.monitor_allow_loopback,
    }))
}

/// Every ten minutes: delete expired and idle organiser sessions, and let
/// the rate limiters forget addresses not seen lately.
async fn housekeeping(state: AppState, limits: Arc<Limits>) {
    let idle = chrono::Duration::minutes(limits.settings.session_idle_minutes.max(1));
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        limits.forget_idle();
        // Once per period across instances (the first to claim it).
        let now = chrono::Utc::now();
        if !matches!(
            state
                .store
                .claim_job("purge_sessions", now, chrono::Duration::minutes(10))
                .await,
            Ok(true)
        ) {
            continue;
        }
        match state.store.purge_login_sessions(now, idle).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired sign-in sessions deleted"),
            Err(e) => tracing::debug!(error = %e, "sessions not purged"),
        }
    }
}

/// Every `every` (a second by default): start or finish due maintenance,
/// pick up writes made by other instances or the CLI (on PostgreSQL they
/// arrive at once by `crate::notify`; this is the safety net), and note
/// whether the database answers (the status page says so when it does
/// not). Public reads never wait on this.
async fn poll(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result: app::error::Result<()> = async {
            for slug in state.store.advance_maintenance(chrono::Utc::now()).await? {
                state.after_write(&slug).await?;
            }
            for event in state.store.list_events().await? {
                state.poll_event(&event.slug).await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = &result {
            tracing::debug!(error = %e, "poll failed");
        }
        state.set_db_available(result.is_ok());
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
