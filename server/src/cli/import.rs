//! `marquee import FILE --event SLUG`.

use std::path::Path;

use app::domain::slug::is_valid_slug;
use app::store::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{CliError, CliResult};
use crate::c3voc;

pub async fn run(store: &Store, file: &Path, event: &str, reason: &str) -> CliResult {
    if !is_valid_slug(event) {
        return Err(CliError::Input(format!(
            "--event: {event:?} is not a valid slug (lower-case letters, digits and dashes)"
        )));
    }
    let name = file.display().to_string();
    let bytes =
        std::fs::read(file).map_err(|e| CliError::Input(format!("{name}: cannot read: {e}")))?;
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} sessions")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("reading {name}"));
    let report = c3voc::parse(&bytes, event, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    bar.finish_and_clear();
    for s in &report.skipped {
        eprintln!("{name}: skipped {}: {}", s.path, s.reason);
    }
    let out = store
        .import_schedule(&report.schedule, "marquee import", reason)
        .await?;
    println!(
        "{name} → event {event:?}: {} sessions, {} skipped; version {} ({})",
        report.schedule.sessions.len(),
        report.skipped.len(),
        out.version,
        if out.diff.is_empty() {
            "unchanged".to_owned()
        } else {
            out.diff.summary()
        }
    );
    Ok(())
}
