//! `marquee serve`: open the store, load the read model, bind, serve until
//! SIGTERM or Ctrl-C, then drain in-flight requests.

use std::sync::Arc;

use app::read_model::ReadModel;
use app::state::AppState;
use leptos::prelude::LeptosOptions;

use super::{CliError, CliResult, open_store};
use crate::config::ServeArgs;

pub async fn run(url: &str, args: ServeArgs) -> CliResult {
    let addr = args.addr.unwrap_or_else(|| ([127, 0, 0, 1], 3000).into());
    let site_root = crate::assets::find_site_root(args.site_root.as_deref()).ok_or_else(|| {
        CliError::Failed(
            "cannot find the built assets (a `site/pkg` folder next to the binary, or target/site); \
             build with `make build` or set MARQUEE_SITE_ROOT"
                .into(),
        )
    })?;
    let store = open_store(url).await?;
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{addr}"));
    let leptos_options = LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("marquee"))
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let state = AppState {
        leptos_options,
        store,
        read_model: Arc::new(ReadModel::default()),
        secure_cookies: public_url.starts_with("https://"),
        public_url: public_url.trim_end_matches('/').into(),
    };
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
    let router = crate::routes::build(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| CliError::Failed(format!("server error: {e}")))?;
    tracing::info!("shut down cleanly");
    Ok(())
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
    tracing::info!("signal received, draining connections");
}
