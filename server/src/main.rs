//! The `marquee` binary: parses the command line and hands off.

use clap::Parser;

/// jemalloc rather than glibc's malloc: 5,000 live streams cost 9.3 KiB
/// each instead of 14.2, and a second crowd reuses what the first freed
/// where glibc grew by another 21 MiB (mimalloc was worse than both).
/// Measured in bench/README.md, "SSE memory: the allocator".
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = server::config::Cli::parse();
    server::telemetry::init(cli.log_json);
    match server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("marquee: {e}");
            std::process::ExitCode::from(e.exit_code())
        }
    }
}
