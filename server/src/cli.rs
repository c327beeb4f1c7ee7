//! Subcommands. Each one opens the store, does one thing, and reports in
//! plain words; input errors name the file, place and field.

pub mod audit;
mod catchup;
mod change;
mod import;
mod incident;
mod monitor;
mod proposal;
mod serve;
mod shift;
mod users;
mod vapid;
mod webhook;

use app::error::AppError;
use app::store::Store;

use crate::config::{
    Cli, Command, ProposalCommand, ServeArgs, SpeakerCommand, TokenCommand, UserCommand,
    VapidCommand, redact_url,
};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input from the person at the terminal (exit 2).
    #[error("{0}")]
    Input(String),
    /// Anything else (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Input(_) => 2,
            Self::Failed(_) => 1,
        }
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid { .. }
            | AppError::Conflict(_)
            | AppError::ConflictOn { .. }
            | AppError::NotFound { .. } => Self::Input(e.to_string()),
            AppError::Internal(d) | AppError::Unavailable(d) => Self::Failed(d),
            other => Self::Failed(other.to_string()),
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

async fn open_store(url: &str) -> CliResult<Store> {
    Store::connect(url).await.map_err(|e| {
        CliError::Failed(format!(
            "cannot open database {}: {}",
            redact_url(url),
            detail(&e)
        ))
    })
}

/// The useful part of an error for a terminal (internal details included:
/// the operator at the terminal is the one who must fix them).
fn detail(e: &AppError) -> String {
    match e {
        AppError::Internal(d) | AppError::Unavailable(d) => d.clone(),
        other => other.to_string(),
    }
}

pub async fn run(cli: Cli) -> CliResult {
    let url = cli.database_url.clone();
    // No subcommand is `serve`, read from the environment like one given.
    let command = match cli.command {
        Some(c) => c,
        None => <crate::config::Cli as clap::Parser>::try_parse_from(["marquee", "serve"])
            .ok()
            .and_then(|c| c.command)
            .unwrap_or(Command::Serve(ServeArgs::default())),
    };
    match command {
        Command::Serve(args) => serve::run(&url, args).await,
        Command::Import {
            file,
            event,
            reason,
        } => import::run(&open_store(&url).await?, &file, &event, &reason).await,
        Command::User { command } => {
            let store = open_store(&url).await?;
            match command {
                UserCommand::Add {
                    email,
                    password_stdin,
                    admin,
                } => users::add_user(&store, &email, password_stdin, admin).await,
                UserCommand::List => users::list_users(&store).await,
                UserCommand::Remove { email } => users::remove_user(&store, &email).await,
                UserCommand::Grant { email, event, role } => {
                    users::grant(&store, &email, &event, role).await
                }
                UserCommand::Revoke { email, event } => users::revoke(&store, &email, &event).await,
            }
        }
        Command::Token { command } => {
            let store = open_store(&url).await?;
            match command {
                TokenCommand::Create {
                    name,
                    event,
                    role,
                    expires,
                } => users::create_token(&store, &name, event, role, expires).await,
                TokenCommand::List => users::list_tokens(&store).await,
                TokenCommand::Revoke { id_or_name } => {
                    users::revoke_token(&store, &id_or_name).await
                }
            }
        }
        Command::Shift {
            event,
            tracks,
            from,
            to,
            by,
            until,
            date,
            reason,
            include_pinned,
            interrupted,
            pinned,
            dry_run,
            propose,
            amends,
        } => {
            use app::domain::replan::InterruptedMode;
            use app::shift_input::PinnedChoice;
            let input = app::shift_input::ShiftInput {
                interrupted: Some(if interrupted == "resume" {
                    InterruptedMode::Resume
                } else {
                    InterruptedMode::Restart
                }),
                pinned: pinned.map(|p| {
                    if p == "move" {
                        PinnedChoice::Move
                    } else {
                        PinnedChoice::Stay
                    }
                }),
                version: None,
                tracks: shift::parse_tracks(&tracks),
                from: Some(from),
                by_minutes: by,
                to,
                until,
                date,
                reason,
                dry_run,
                include_pinned,
                propose: propose || amends.is_some(),
                amends,
            };
            shift::run(&open_store(&url).await?, &event, &input).await
        }
        Command::CatchUp {
            event,
            tracks,
            from,
            delay,
            date,
            end_later,
            interrupted,
            min_break,
            qa_cut,
            apply,
            reason,
        } => {
            let input = catchup::input(catchup::Flags {
                tracks,
                from,
                delay,
                date,
                end_later,
                interrupted,
                min_break,
                qa_cut,
                apply,
                reason,
            })?;
            catchup::run(&open_store(&url).await?, &event, input).await
        }
        Command::CatchUpRules {
            event,
            min_break,
            qa_cut,
        } => catchup::rules(&open_store(&url).await?, &event, min_break, qa_cut).await,
        Command::Change {
            event,
            move_guid,
            to,
            track,
            swap,
            cancel,
            restore,
            reason,
            dry_run,
            propose,
            amends,
        } => {
            let input = change::input(change::Flags {
                move_guid,
                to,
                track,
                swap,
                cancel,
                restore,
                reason,
                dry_run,
                propose,
                amends,
            });
            change::run(&open_store(&url).await?, &event, input).await
        }
        Command::Incident { command, signature } => {
            incident::incident(open_store(&url).await?, command, signature).await
        }
        Command::Maintenance { command, signature } => {
            incident::maintenance(open_store(&url).await?, command, signature).await
        }
        Command::Proposal { command } => {
            let store = open_store(&url).await?;
            match command {
                ProposalCommand::List { event } => proposal::list(&store, &event).await,
                ProposalCommand::Publish { event, id, version } => {
                    proposal::publish(&store, &event, id, version).await
                }
                ProposalCommand::Discard { event, id } => {
                    proposal::discard(&store, &event, id).await
                }
                ProposalCommand::Remind { event, id } => proposal::remind(&store, &event, id).await,
            }
        }
        Command::Speaker {
            command:
                SpeakerCommand::Remind {
                    event,
                    proposal,
                    shift,
                },
        } => {
            let store = open_store(&url).await?;
            match (proposal, shift) {
                (Some(id), _) => proposal::remind(&store, &event, id).await,
                (None, Some(id)) => proposal::remind_change(&store, &event, id).await,
                (None, None) => Err(CliError::Input("--proposal or --shift".into())),
            }
        }
        Command::Speaker {
            command:
                SpeakerCommand::Link {
                    event,
                    speaker,
                    public_url,
                },
        } => {
            users::speaker_links(
                &open_store(&url).await?,
                &event,
                speaker.as_deref(),
                &public_url,
            )
            .await
        }
        Command::Vapid { command } => {
            let store = open_store(&url).await?;
            match command {
                VapidCommand::Show => vapid::show(&store).await,
                VapidCommand::Rotate => vapid::rotate(&store).await,
            }
        }
        Command::Webhook { command } => webhook::run(open_store(&url).await?, command).await,
        Command::Monitor { command } => monitor::run(&open_store(&url).await?, command).await,
        Command::Demo { event, date } => {
            let store = open_store(&url).await?;
            let date = date.unwrap_or_else(crate::demo::today_in_moscow);
            let schedule = crate::demo::conference(&event, date);
            let out = store
                .import_schedule(&schedule, "marquee demo", "demo conference")
                .await?;
            println!(
                "demo conference {:?} on {date} loaded into {}: version {} ({})",
                event,
                redact_url(&url),
                out.version,
                if out.diff.is_empty() {
                    "unchanged".to_owned()
                } else {
                    out.diff.summary()
                }
            );
            Ok(())
        }
    }
}
