//! `marquee catch-up`: the catch-up planner's alternatives for a delay,
//! printed with what each costs, and `--apply` to apply one — previewed
//! and applied on the same schedule version, like `marquee change`.

use app::catchup_input::{CatchUpInput, CatchUpRulesInput, parse};
use app::domain::replan::{CatchUpAlternative, CatchUpStrategy, InterruptedMode};
use app::domain::time::{format_hhmm, parse_zone};
use app::error::AppError;
use app::store::Store;
use chrono::Utc;
use chrono_tz::Tz;

use super::shift::parse_tracks;
use super::{CliError, CliResult};

/// The flags as clap parsed them.
pub struct Flags {
    pub tracks: String,
    pub from: String,
    pub delay: i64,
    pub date: Option<chrono::NaiveDate>,
    pub end_later: Option<i64>,
    pub interrupted: String,
    pub min_break: Option<i64>,
    pub qa_cut: Option<i64>,
    pub apply: Option<String>,
    pub reason: String,
}

const STRATEGIES: [CatchUpStrategy; 3] = [
    CatchUpStrategy::EverythingLater,
    CatchUpStrategy::ShortenBreaks,
    CatchUpStrategy::ShortenBreaksAndQa,
];

pub fn input(f: Flags) -> CliResult<CatchUpInput> {
    let strategy = f
        .apply
        .map(|a| {
            STRATEGIES
                .into_iter()
                .find(|s| s.as_str() == a.trim())
                .ok_or_else(|| {
                    CliError::Input(format!(
                        "--apply: expected everything_later, shorten_breaks or shorten_breaks_and_qa, got {a:?}"
                    ))
                })
        })
        .transpose()?;
    Ok(CatchUpInput {
        tracks: parse_tracks(&f.tracks),
        from: Some(f.from),
        delay_min: Some(f.delay),
        date: f.date,
        end_later_min: f.end_later,
        interrupted: Some(if f.interrupted == "resume" {
            InterruptedMode::Resume
        } else {
            InterruptedMode::Restart
        }),
        min_break_min: f.min_break,
        qa_cut_min: f.qa_cut,
        strategy,
        reason: f.reason,
        dry_run: strategy.is_none(),
        ..CatchUpInput::default()
    })
}

/// Maps a refusal to the flag the person typed.
fn flag_error(e: AppError) -> CliError {
    match e {
        AppError::Invalid { field, message } => {
            let flag = match field.as_str() {
                "tracks" => "--tracks",
                "from" => "--from",
                "delay_min" | "by_minutes" | "minutes" => "--delay",
                "date" => "--date",
                "end_later_min" | "goal" => "--end-later",
                "min_break_min" => "--min-break",
                "qa_cut_min" => "--qa-cut",
                "strategy" => "--apply",
                "reason" => "--reason",
                "version" => "the schedule (changed meanwhile; run again)",
                other => other,
            };
            CliError::Input(format!("{flag}: {message}"))
        }
        other => other.into(),
    }
}

/// One block per alternative: its name, whether it reaches the goal, and
/// per track the day's end and what it gives up.
pub fn table(alternatives: &[CatchUpAlternative], tz: Tz) -> String {
    let mut out = String::new();
    for a in alternatives {
        out.push_str(&format!(
            "{}{}\n",
            a.strategy.as_str(),
            if a.reaches_goal {
                String::new()
            } else {
                format!(" (still {} min past the goal)", a.shortfall_min)
            }
        ));
        for t in &a.cost.tracks {
            out.push_str(&format!(
                "  {:<10} ends {} (was {}), breaks -{} min, talks -{} min\n",
                t.track,
                format_hhmm(tz, t.new_end),
                format_hhmm(tz, t.old_end),
                t.break_min_lost,
                t.talk_min_cut
            ));
        }
        for s in &a.cost.shortened {
            out.push_str(&format!(
                "  shortened by {} min: {} ({})\n",
                s.minutes, s.title, s.track
            ));
        }
        out.push_str(&format!(
            "  talks moved: {}, speakers affected: {}\n",
            a.change.edits.len(),
            a.cost.speakers.len()
        ));
    }
    out
}

pub async fn run(store: &Store, event: &str, input: CatchUpInput) -> CliResult {
    let schedule = store
        .load_schedule(event)
        .await?
        .ok_or_else(|| CliError::Input(format!("--event: no event {event:?}")))?;
    let tz = parse_zone(&schedule.event.time_zone).map_err(|e| CliError::Failed(e.to_string()))?;
    let event_rules = store.catch_up_rules(event).await?;
    let cmd = parse(
        &schedule,
        &CatchUpInput {
            version: Some(schedule.version),
            ..input
        },
        event_rules,
        Utc::now(),
    )
    .map_err(flag_error)?;
    let (plan, _) = store
        .preview_catch_up(event, &cmd.request)
        .await
        .map_err(flag_error)?;
    print!("{}", table(&plan.alternatives, tz));
    let Some(strategy) = cmd.strategy else {
        println!("nothing changed; --apply STRATEGY --reason ... to apply one");
        return Ok(());
    };
    let change = cmd.change().map_err(flag_error)?;
    let applied = store
        .apply_change(event, &change, "marquee catch-up", &cmd.reason)
        .await
        .map_err(flag_error)?;
    println!(
        "applied {} as schedule version {} (undo: revert shift {})",
        strategy.as_str(),
        applied.version,
        applied.shift_id
    );
    Ok(())
}

/// `marquee catch-up-rules`: changes the rules given, then prints the
/// rules in force. Another instance's pages refresh on their own (the
/// store notifies them); a running SQLite server shows them at its next
/// refresh.
pub async fn rules(
    store: &Store,
    event: &str,
    min_break: Option<i64>,
    qa_cut: Option<i64>,
) -> CliResult {
    let current = store.catch_up_rules(event).await.map_err(|e| match e {
        AppError::NotFound { .. } => CliError::Input(format!("--event: no event {event:?}")),
        other => other.into(),
    })?;
    let input = CatchUpRulesInput {
        min_break_min: min_break,
        qa_cut_min: qa_cut,
    };
    let rules = input.apply_to(current).map_err(flag_error)?;
    if rules != current {
        store.set_catch_up_rules(event, rules).await?;
    }
    println!(
        "breaks down to {} min, Q&A cut up to {} min{}",
        rules.min_break_min,
        rules.qa_cut_min,
        if rules == current && (min_break.is_some() || qa_cut.is_some()) {
            " (unchanged)"
        } else {
            ""
        }
    );
    Ok(())
}
