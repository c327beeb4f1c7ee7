//! `marquee monitor add|list|remove`: monitors from a terminal. Writes go
//! through the store as the API's do (same checks); a running server's
//! monitor loop picks a new monitor up at its next tick.

use app::domain::address::OutboundPolicy;
use app::store::{MonitorRecord, Store};
use chrono::Utc;

use super::{CliError, CliResult};
use crate::config::MonitorCommand;
use crate::services::monitor::{MonitorInput, merge};

pub async fn run(store: &Store, command: MonitorCommand) -> CliResult {
    match command {
        MonitorCommand::Add {
            event,
            component,
            name,
            kind,
            target,
            interval,
            failures,
            window,
            recoveries,
            down_status,
            draft_incident,
            allow_loopback,
        } => {
            let component_id = resolve_component(store, &event, &component).await?;
            let input = MonitorInput {
                component_id: Some(component_id),
                name: Some(name),
                kind: Some(kind),
                target: Some(target),
                interval_secs: Some(interval),
                failures: Some(failures),
                window: Some(window),
                recoveries: Some(recoveries),
                down_status: Some(down_status),
                draft_incident: Some(draft_incident),
                ..MonitorInput::default()
            };
            let policy = OutboundPolicy { allow_loopback };
            let m = merge(input, None, policy).map_err(flag_error)?;
            let rec = store
                .create_monitor(&event, m, Utc::now())
                .await
                .map_err(flag_error)?;
            println!("monitor {} added: {}", rec.id, line(&rec));
            Ok(())
        }
        MonitorCommand::List { event } => {
            let all = store.list_monitors(&event).await?;
            if all.is_empty() {
                println!("no monitors on {event}");
            }
            for m in &all {
                println!("#{} {}", m.id, line(m));
            }
            Ok(())
        }
        MonitorCommand::Remove { event, id } => {
            store.delete_monitor(&event, id).await?;
            println!("monitor {id} removed");
            Ok(())
        }
    }
}

/// A refusal as the flag the person typed.
fn flag_error(e: app::error::AppError) -> CliError {
    match e {
        app::error::AppError::Invalid { field, message } => {
            let flag = match field.as_str() {
                "interval_secs" => "--interval".to_owned(),
                "component_id" => "--component".to_owned(),
                other => format!("--{}", other.replace('_', "-")),
            };
            CliError::Input(format!("{flag}: {message}"))
        }
        other => other.into(),
    }
}

/// A component by id, name or track slug.
async fn resolve_component(store: &Store, event: &str, given: &str) -> CliResult<i64> {
    let status = store.load_status(event, Utc::now()).await?;
    status
        .components
        .iter()
        .find(|c| {
            given.parse::<i64>().ok() == Some(c.id)
                || c.name == given
                || c.track.as_deref() == Some(given)
        })
        .map(|c| c.id)
        .ok_or_else(|| CliError::Input(format!("--component: no component {given:?} in {event}")))
}

fn line(m: &MonitorRecord) -> String {
    let state = if m.paused {
        "paused"
    } else if m.down {
        "DOWN"
    } else {
        "up"
    };
    let last = match (m.last_ok, m.last_latency_ms) {
        (Some(true), Some(ms)) => format!("last ok in {ms} ms"),
        (Some(false), _) => format!("last failed: {}", m.last_detail),
        _ => "not checked yet".to_owned(),
    };
    format!(
        "{} [{}] {} {} — {} of {} fail → {}; {state}; {last}",
        m.name,
        m.kind.as_str(),
        m.target,
        format_args!("every {} s", m.interval_secs),
        m.failures,
        m.window,
        m.down_status.as_str(),
    )
}
