//! `marquee serve`: open the store, load the read model, bind, serve until
//! SIGTERM or Ctrl-C, then drain in-flight requests (see
//! [`crate::http_server`]).

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
    let state = AppState::new(leptos_options, store, &public_url);
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
    tokio::spawn(poll(state.clone()));
    crate::push::vapid::ensure_key(&state.store)
        .await
        .map_err(|e| CliError::Failed(format!("VAPID key: {e}")))?;
    let worker = crate::push::worker::Worker::new(state.clone(), args.push.clone())
        .await
        .map_err(|e| CliError::Failed(format!("push worker: {e}")))?;
    tokio::spawn(worker.run());
    let limits = Arc::new(Limits::new(args.guard.clone()));
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
    let router = crate::routes::build_with(state, limits.clone(), outbound);
    crate::http_server::serve(listener, router, limits, shutdown_signal()).await;
    tracing::info!("shut down cleanly");
    Ok(())
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
        match state
            .store
            .purge_login_sessions(chrono::Utc::now(), idle)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired sign-in sessions deleted"),
            Err(e) => tracing::debug!(error = %e, "sessions not purged"),
        }
    }
}

/// Once a second: start or finish due maintenance, pick up writes made by
/// other instances or the CLI, and note whether the database answers (the
/// status page says so when it does not). Public reads never wait on this.
async fn poll(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
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
