//! `marquee proposal list|publish|discard|remind` and `marquee speaker
//! remind`: the organiser's proposal board from a terminal. The CLI writes
//! through the store like the server; a running server picks the change up
//! from the change log and its push worker sends what was queued.

use app::domain::replan::AskStatus;
use app::error::AppError;
use app::store::{ProposalRecord, Store};
use chrono::Utc;

use super::{CliError, CliResult};

/// Maps a refusal to what the person typed.
fn flag_error(e: AppError) -> CliError {
    match e {
        AppError::ConflictOn { field, message } | AppError::Invalid { field, message } => {
            let flag = match field.as_str() {
                "version" => "--version",
                "proposal_id" => "the proposal",
                other => other,
            };
            CliError::Input(format!("{flag}: {message}"))
        }
        other => other.into(),
    }
}

/// What `--propose` prints: the proposal's number, who was asked, and how
/// to publish it.
pub fn print_proposed(p: &ProposalRecord) {
    let asked: Vec<&str> = p.asks.iter().map(|a| a.speaker_key.as_str()).collect();
    println!(
        "proposal {} saved on schedule version {}; nothing public changed",
        p.proposal_id, p.version
    );
    if asked.is_empty() {
        println!("no speaker to ask");
    } else {
        println!("asked: {}", asked.join(", "));
    }
    println!(
        "publish: marquee proposal publish --event <event> {}",
        p.proposal_id
    );
}

fn line(p: &ProposalRecord) -> String {
    let mut out = format!(
        "#{} {} on version {}: {} — {}\n",
        p.proposal_id,
        p.state.as_str(),
        p.version,
        p.summary,
        p.reason
    );
    let now = Utc::now();
    for a in &p.asks {
        let said = match (a.status(), &a.answer) {
            (AskStatus::Waiting, _) => format!("waiting {} min", a.minutes_since_asked(now)),
            (_, Some(ans)) => {
                let mut s = ans.reply.as_str().to_owned();
                if let Some(r) = &ans.reason {
                    s.push_str(&format!(" ({r})"));
                }
                s
            }
            _ => String::new(),
        };
        out.push_str(&format!("  {:<16} {said}\n", a.speaker_key));
    }
    out
}

pub async fn list(store: &Store, event: &str) -> CliResult {
    let all = store.list_proposals(event).await?;
    if all.is_empty() {
        println!("no proposals");
    }
    for p in &all {
        print!("{}", line(p));
    }
    Ok(())
}

pub async fn publish(store: &Store, event: &str, id: i64, version: Option<i64>) -> CliResult {
    let version = match version {
        Some(v) => v,
        None => store
            .list_proposals(event)
            .await?
            .into_iter()
            .find(|p| p.proposal_id == id)
            .map(|p| p.version)
            .ok_or_else(|| CliError::Input(format!("no proposal {id} in event {event:?}")))?,
    };
    let applied = store
        .publish_proposal(event, id, version, "marquee proposal", Utc::now())
        .await
        .map_err(flag_error)?;
    println!(
        "published as schedule version {} (undo: revert shift {})",
        applied.version, applied.shift_id
    );
    Ok(())
}

pub async fn discard(store: &Store, event: &str, id: i64) -> CliResult {
    store
        .discard_proposal(event, id, "marquee proposal", Utc::now())
        .await
        .map_err(flag_error)?;
    println!("proposal {id} discarded; nothing changed");
    Ok(())
}

pub async fn remind(store: &Store, event: &str, id: i64) -> CliResult {
    let keys = store
        .remind_proposal(event, id, Utc::now())
        .await
        .map_err(flag_error)?;
    if keys.is_empty() {
        println!("everyone has answered");
    } else {
        println!("reminded: {}", keys.join(", "));
    }
    Ok(())
}

pub async fn remind_change(store: &Store, event: &str, shift_id: i64) -> CliResult {
    let keys = store
        .remind_change(event, shift_id, Utc::now())
        .await
        .map_err(flag_error)?;
    if keys.is_empty() {
        println!("everyone has answered");
    } else {
        println!("reminded: {}", keys.join(", "));
    }
    Ok(())
}
