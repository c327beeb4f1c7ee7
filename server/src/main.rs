//! The `marquee` binary: parses the command line and hands off.

use clap::Parser;

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
