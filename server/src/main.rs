//! The `marquee` binary: parses the command line, hands off, and records
//! a command that writes in the audit log.

use clap::{CommandFactory, FromArgMatches};

/// jemalloc rather than glibc's malloc: 5,000 live streams cost 9.3 KiB
/// each instead of 14.2, and a second crowd reuses what the first freed
/// where glibc grew by another 21 MiB (mimalloc was worse than both).
/// Its background threads (the crate's `background_threads` feature)
/// return a departed crowd's memory within seconds. Measured in
/// bench/README.md, "SSE memory: the allocator".
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let matches = server::config::Cli::command().get_matches();
    let cli = server::config::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    server::telemetry::init(cli.log_json);
    // Who is at the terminal, for the audit log (no login on a terminal).
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    let invocation = server::cli::audit::Invocation::from_matches(&matches, user);
    let database_url = cli.database_url.clone();
    let result = server::cli::run(cli).await;
    server::cli::audit::record(&database_url, &invocation, &result).await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("marquee: {e}");
            std::process::ExitCode::from(e.exit_code())
        }
    }
}
