//! `marquee change`: the same one-talk change as the API, from a terminal,
//! with the preview printed. It is previewed and applied on the same
//! schedule version, so a change made by someone else in between is
//! refused rather than applied blind.

use app::change_input::{ChangeInput, ChangeVerb, parse};
use app::domain::replan::ChangePreview;
use app::domain::time::{format_hhmm, parse_zone};
use app::error::AppError;
use app::store::Store;
use chrono_tz::Tz;

use super::{CliError, CliResult};

/// The flags as clap parsed them (clap makes exactly one of move, swap,
/// cancel and restore present).
pub struct Flags {
    pub move_guid: Option<String>,
    pub to: Option<String>,
    pub track: Option<String>,
    pub swap: Option<Vec<String>>,
    pub cancel: Option<String>,
    pub restore: Option<String>,
    pub reason: String,
    pub dry_run: bool,
    pub propose: bool,
    pub amends: Option<i64>,
}

pub fn input(f: Flags) -> ChangeInput {
    let mut input = ChangeInput {
        reason: f.reason,
        dry_run: f.dry_run,
        propose: f.propose || f.amends.is_some(),
        amends: f.amends,
        ..ChangeInput::default()
    };
    if let Some(guid) = f.move_guid {
        input.op = Some(ChangeVerb::Move);
        input.guid = Some(guid);
        input.start = f.to;
        input.track = f.track;
    } else if let Some(pair) = f.swap {
        input.op = Some(ChangeVerb::Swap);
        let mut pair = pair.into_iter();
        input.a = pair.next();
        input.b = pair.next();
    } else if let Some(guid) = f.cancel {
        input.op = Some(ChangeVerb::Cancel);
        input.guid = Some(guid);
    } else if let Some(guid) = f.restore {
        input.op = Some(ChangeVerb::Restore);
        input.guid = Some(guid);
    }
    input
}

/// Maps a refusal to the flag the person typed.
fn flag_error(op: Option<ChangeVerb>, e: AppError) -> CliError {
    match e {
        AppError::Invalid { field, message } => {
            let flag = match (field.as_str(), op) {
                ("guid", Some(ChangeVerb::Cancel)) => "--cancel",
                ("guid", Some(ChangeVerb::Restore)) => "--restore",
                ("guid", _) => "--move",
                ("start", _) => "--to",
                ("track", _) => "--track",
                ("a" | "b", _) => "--swap",
                ("reason", _) => "--reason",
                ("version", _) => "the schedule (changed meanwhile; run again)",
                (other, _) => other,
            };
            CliError::Input(format!("{flag}: {message}"))
        }
        other => other.into(),
    }
}

/// One line per edited talk: where it was, where it goes.
pub fn table(c: &ChangePreview, tz: Tz) -> String {
    let mut out = String::new();
    for e in &c.edits {
        let slot = |s: &app::domain::replan::Slot| {
            if s.cancelled {
                "cancelled".to_owned()
            } else {
                format!("{} {}", s.track, format_hhmm(tz, s.start))
            }
        };
        out.push_str(&format!(
            "{:<10} {}  {} → {}\n",
            e.guid,
            e.title,
            slot(&e.before),
            slot(&e.after)
        ));
    }
    for c in &c.conflicts {
        let other = c
            .other
            .as_deref()
            .map(|o| format!(" with {o}"))
            .unwrap_or_default();
        out.push_str(&format!("warning: {} {}{other}\n", c.kind.as_str(), c.guid));
    }
    out
}

pub async fn run(store: &Store, event: &str, input: ChangeInput) -> CliResult {
    let schedule = store
        .load_schedule(event)
        .await?
        .ok_or_else(|| CliError::Input(format!("--event: no event {event:?}")))?;
    let tz = parse_zone(&schedule.event.time_zone).map_err(|e| CliError::Failed(e.to_string()))?;
    let op = input.op;
    let propose = input.propose;
    let amends = input.amends;
    let cmd = parse(
        &schedule,
        &ChangeInput {
            version: Some(schedule.version),
            ..input
        },
    )
    .map_err(|e| flag_error(op, e))?;
    let preview = store
        .preview_change(event, &cmd.request)
        .await
        .map_err(|e| flag_error(op, e))?;
    print!("{}", table(&preview, tz));
    println!("{}", preview.summary(&schedule));
    if cmd.dry_run {
        println!("dry run: nothing changed");
        return Ok(());
    }
    if propose {
        let p = store
            .propose_change(
                event,
                Some(cmd.request.version),
                &cmd.request.op,
                "marquee change",
                &cmd.reason,
                amends,
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| flag_error(op, e))?;
        super::proposal::print_proposed(&p);
        return Ok(());
    }
    let applied = store
        .apply_change(event, &cmd.request, "marquee change", &cmd.reason)
        .await
        .map_err(|e| flag_error(op, e))?;
    println!(
        "applied as schedule version {} (undo: revert shift {})",
        applied.version, applied.shift_id
    );
    Ok(())
}
