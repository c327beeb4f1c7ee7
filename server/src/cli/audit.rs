//! Command-line writes in the audit log. Every subcommand is recorded
//! unless it only reads (`serve`, `… list`, `vapid show`, a dry run; see
//! `domain::audit::is_cli_write`), so a subcommand added later is covered
//! without being listed. Recorded: the subcommand path, `--event`, the
//! operating-system user and the exit code; never other arguments (a
//! reason is harmless, but a future flag might carry a secret).

use app::domain::audit::{Actor, ActorKind, is_cli_write};
use app::store::{NewAuditEntry, Store};
use clap::ArgMatches;

use super::CliResult;

/// What was typed, as far as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub subcommands: Vec<String>,
    pub event: Option<String>,
    pub dry_run: bool,
    /// The operating-system user at the terminal.
    pub user: String,
}

impl Invocation {
    pub fn from_matches(matches: &ArgMatches, user: String) -> Invocation {
        let mut subcommands = Vec::new();
        let (mut event, mut dry_run) = (None, false);
        let mut m = matches;
        while let Some((name, sub)) = m.subcommand() {
            subcommands.push(name.to_owned());
            if let Ok(Some(e)) = sub.try_get_one::<String>("event") {
                event = Some(e.clone());
            }
            if let Ok(Some(d)) = sub.try_get_one::<bool>("dry_run") {
                dry_run |= *d;
            }
            m = sub;
        }
        Invocation {
            subcommands,
            event,
            dry_run,
            user,
        }
    }

    fn is_write(&self) -> bool {
        let parts: Vec<&str> = self.subcommands.iter().map(String::as_str).collect();
        is_cli_write(&parts, self.dry_run)
    }
}

/// Records a command-line write and how it ended. A database that cannot
/// be opened is only reported: the command itself already said so.
pub async fn record(database_url: &str, inv: &Invocation, result: &CliResult) {
    if !inv.is_write() {
        return;
    }
    let Ok(store) = Store::connect(database_url).await else {
        return;
    };
    let code = result.as_ref().map_or_else(|e| e.exit_code(), |_| 0);
    let entry = NewAuditEntry {
        event_slug: inv.event.clone(),
        at: chrono::Utc::now(),
        actor: Actor {
            kind: ActorKind::Cli,
            name: inv.user.clone(),
        },
        method: "CLI".to_owned(),
        route: format!("marquee {}", inv.subcommands.join(" ")),
        target: None,
        status: u16::from(code),
        ok: code == 0,
        summary: String::new(),
        client_ip: None,
        user_agent: None,
    };
    if let Err(e) = store.record_audit(&entry).await {
        eprintln!("marquee: the audit log did not take this command: {e}");
    }
}
