//! `marquee shift`: the same shift as the API, from a terminal, with the
//! preview printed as a table. A running server picks the change up within
//! a second (it follows the change log) and updates open pages.

use app::domain::replan::{ChangeOp, ChangePreview, ChangeRequest, plan_change};
use app::domain::shift::{ShiftPreview, TrackSelection};
use app::domain::time::{format_hhmm, parse_zone};
use app::error::AppError;
use app::shift_input::{ShiftInput, parse, tracks_from_list};
use app::store::Store;
use chrono::Utc;

use super::{CliError, CliResult};

/// `--tracks all` or `--tracks a,b`; nothing named is a missing field.
pub fn parse_tracks(s: &str) -> Option<TrackSelection> {
    tracks_from_list(
        s.split(',')
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// Maps a refusal to the flag the person typed.
fn flag_error(e: AppError) -> CliError {
    match e {
        AppError::Invalid { field, message } => {
            let flag = match field.as_str() {
                "by_minutes" => "--by",
                "tracks" => "--tracks",
                "from" => "--from",
                "to" => "--to",
                "until" => "--until",
                "reason" => "--reason",
                "date" => "--date",
                "interrupted" => "--interrupted",
                "pinned" => "--pinned",
                "version" => "the schedule (changed meanwhile; run again)",
                other => other,
            };
            CliError::Input(format!("{flag}: {message}"))
        }
        other => other.into(),
    }
}

pub fn table(p: &ShiftPreview, tz: chrono_tz::Tz) -> String {
    let mut out = String::new();
    let w = p
        .moved
        .iter()
        .map(|m| m.title.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 48);
    out.push_str(&format!(
        "{:<10} {:<w$}  {:>5} → {:<5}  {:>6}\n",
        "TRACK", "TITLE", "WAS", "NOW", "DELTA"
    ));
    for m in &p.moved {
        let title: String = m.title.chars().take(w).collect();
        out.push_str(&format!(
            "{:<10} {:<w$}  {:>5} → {:<5}  {:>+6}\n",
            m.track,
            title,
            format_hhmm(tz, m.old_start),
            format_hhmm(tz, m.new_start),
            m.delta_min
        ));
    }
    out
}

/// The interrupted talks and every warning (room overlaps included).
fn notes(c: &ChangePreview, tz: chrono_tz::Tz) -> String {
    let mut out = String::new();
    for e in c.interrupted() {
        let ran = e.interrupted.as_ref().map_or(0, |i| i.ran_min);
        out.push_str(&format!(
            "interrupted after {ran} min: {} → {} ({} min)\n",
            e.title,
            format_hhmm(tz, e.after.start),
            e.after.duration_min
        ));
    }
    for w in &c.conflicts {
        out.push_str(&format!("warning: {}\n", w.message()));
    }
    out
}

pub async fn run(store: &Store, event: &str, input: &ShiftInput) -> CliResult {
    let schedule = store
        .load_schedule(event)
        .await?
        .ok_or_else(|| CliError::Input(format!("--event: no event {event:?}")))?;
    let tz = parse_zone(&schedule.event.time_zone).map_err(|e| CliError::Failed(e.to_string()))?;
    let cmd = parse(&schedule, input, Utc::now()).map_err(flag_error)?;
    // Previewed and applied on the same version: a change made by someone
    // else in between is refused rather than applied blind.
    let req = ChangeRequest {
        version: schedule.version,
        op: ChangeOp::Shift(cmd.plan.clone()),
    };
    let change = plan_change(&schedule, tz, &req).map_err(|e| flag_error(e.into()))?;
    print!("{}", table(&ShiftPreview::from_change(&change), tz));
    print!("{}", notes(&change, tz));
    println!("{}", change.summary(&schedule));
    if cmd.dry_run {
        println!("dry run: nothing changed");
        return Ok(());
    }
    if input.propose {
        let p = store
            .propose_change(
                event,
                Some(schedule.version),
                &ChangeOp::Shift(cmd.plan.clone()),
                "marquee shift",
                &cmd.reason,
                input.amends,
                Utc::now(),
            )
            .await
            .map_err(flag_error)?;
        super::proposal::print_proposed(&p);
        return Ok(());
    }
    let applied = store
        .apply_shift_plan(
            event,
            &cmd.plan,
            Some(schedule.version),
            "marquee shift",
            &cmd.reason,
        )
        .await
        .map_err(flag_error)?;
    println!(
        "applied as schedule version {} (shift {})",
        applied.version, applied.shift_id
    );
    Ok(())
}
