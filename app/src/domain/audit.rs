//! The audit log's rules: which requests are organiser writes, who made
//! them, and what of a request may be kept. The server records every
//! organiser write in one layer (`server::audit`) using these rules, so a
//! route added later is covered without being listed anywhere.

use std::fmt;

/// Longest user agent kept (the rest says nothing an auditor needs).
pub const USER_AGENT_MAX: usize = 160;
/// Longest summary kept.
pub const SUMMARY_MAX: usize = 200;

/// What kind of principal acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// An organiser signed in to the dashboard (named by e-mail).
    User,
    /// An API token (named by its name, never its value).
    Token,
    /// The `marquee` command line (named by the operating-system user).
    Cli,
}

impl ActorKind {
    pub const ALL: [ActorKind; 3] = [ActorKind::User, ActorKind::Token, ActorKind::Cli];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::Cli => "cli",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        ActorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub name: String,
}

/// Whether a request is an organiser write that the log must hold: any
/// method but a read, on the dashboard's forms (`/admin/...`), the event
/// write API (`/api/v1/events/...`) or an invitation being taken up
/// (`/invite/...`: someone joins a team). Sign-in, push subscriptions and
/// speakers' answers are not organiser writes.
pub fn is_organiser_write(method: &str, path: &str) -> bool {
    let read = matches!(method, "GET" | "HEAD" | "OPTIONS");
    !read
        && (path.starts_with("/admin/")
            || path.starts_with("/api/v1/events/")
            || path.starts_with("/invite/"))
}

/// The kind of a write, from its route pattern: the fixed segments after
/// the event, joined by dots (`/api/v1/events/{event}/shifts/{id}/revert`
/// → `shifts.revert`); a command line's subcommand path as it is.
pub fn kind_of(route: &str) -> String {
    let route = route.strip_prefix("marquee ").unwrap_or(route);
    let rest = route
        .split_once("{event}")
        .map_or(route, |(_, after)| after);
    let kind: Vec<&str> = rest
        .split(['/', ' '])
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .collect();
    if kind.is_empty() {
        "event".to_owned()
    } else {
        kind.join(".")
    }
}

/// The status of an entry written before its write ran and never given an
/// answer: the server stopped, or the client left and the handler was
/// dropped, between the two. The change may or may not have happened; the
/// entry says who tried what, from where.
pub const ATTEMPTED: u16 = 0;

/// Whether a write succeeded: a 2xx, or a dashboard redirect that does not
/// carry the form's error marker (a refused form answers 303 too).
pub fn succeeded(status: u16, location: Option<&str>) -> bool {
    match status {
        200..=299 => true,
        300..=399 => !location.is_some_and(|l| l.contains("error=1")),
        _ => false,
    }
}

/// The target of a write from its route parameters: every parameter but
/// the event, as `name=value`, in route order (`id=3`, `speaker=ada`).
/// Parameters named like a credential are never kept (a link's token).
pub fn target_of<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let parts: Vec<String> = params
        .into_iter()
        .filter(|(k, _)| *k != "event" && !is_secret_name(k))
        .map(|(k, v)| format!("{k}={}", clip(v, 80)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Names that carry credentials; their values never reach the log.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["token", "password", "secret", "csrf", "key"]
        .iter()
        .any(|s| n.contains(s))
}

/// A user agent as kept: printable, on one line, at most [`USER_AGENT_MAX`]
/// characters.
pub fn clip_user_agent(ua: &str) -> String {
    clip(ua, USER_AGENT_MAX)
}

/// A summary as kept: one line, at most [`SUMMARY_MAX`] characters.
pub fn clip_summary(s: &str) -> String {
    clip(s, SUMMARY_MAX)
}

fn clip(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &trimmed[..end]),
        None => trimmed.to_owned(),
    }
}

/// A command line as kept: the subcommand path and the `--event`; the
/// commands that only read are not writes and are not kept.
pub fn is_cli_write(subcommands: &[&str], dry_run: bool) -> bool {
    let read_only = matches!(
        subcommands,
        [] | ["serve"] | [_, "list"] | ["vapid", "show"]
    );
    !read_only && !dry_run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writes_under_admin_and_the_event_api_are_organiser_writes() {
        assert!(is_organiser_write("POST", "/admin/e/conf/incidents"));
        assert!(is_organiser_write(
            "PATCH",
            "/api/v1/events/conf/components/3"
        ));
        assert!(is_organiser_write(
            "DELETE",
            "/api/v1/events/conf/webhooks/1"
        ));
        assert!(!is_organiser_write("GET", "/admin/e/conf/audit.json"));
        assert!(is_organiser_write("POST", "/invite/inv_abc"));
        assert!(!is_organiser_write("POST", "/login"));
        assert!(!is_organiser_write("POST", "/api/v1/push/subscriptions"));
        assert!(!is_organiser_write("POST", "/s/abc/answer"));
    }

    #[test]
    fn kinds_are_the_fixed_segments_after_the_event() {
        assert_eq!(
            kind_of("/api/v1/events/{event}/shifts/{id}/revert"),
            "shifts.revert"
        );
        assert_eq!(kind_of("/admin/e/{event}/incidents"), "incidents");
        assert_eq!(
            kind_of("/admin/e/{event}/team/members/{id}"),
            "team.members"
        );
        assert_eq!(kind_of("/api/v1/events/{event}/import"), "import");
        assert_eq!(kind_of("marquee incident open"), "incident.open");
        assert_eq!(kind_of("/admin/e/{event}"), "event");
        assert_eq!(kind_of("/invite/{token}"), "invite");
    }

    #[test]
    fn a_form_redirect_with_the_error_marker_is_a_failure() {
        assert!(succeeded(201, None));
        assert!(succeeded(303, Some("/admin/e/conf")));
        assert!(!succeeded(303, Some("/admin/e/conf?error=1")));
        assert!(!succeeded(403, None));
        assert!(!succeeded(422, None));
    }

    #[test]
    fn targets_keep_ids_and_drop_the_event_and_credentials() {
        assert_eq!(
            target_of([("event", "conf"), ("id", "3")]),
            Some("id=3".into())
        );
        assert_eq!(target_of([("event", "conf")]), None);
        assert_eq!(
            target_of([
                ("event", "conf"),
                ("token", "mq_secret"),
                ("speaker", "ada")
            ]),
            Some("speaker=ada".into())
        );
    }

    #[test]
    fn user_agents_and_summaries_are_clipped_to_one_short_line() {
        let long = "x".repeat(500);
        let ua = clip_user_agent(&long);
        assert_eq!(ua.chars().count(), USER_AGENT_MAX + 1);
        assert!(ua.ends_with('…'));
        assert_eq!(clip_summary("a\nb\tc "), "a b c");
        assert_eq!(clip_summary("Привет"), "Привет");
    }

    #[test]
    fn listing_and_dry_runs_are_not_cli_writes() {
        assert!(is_cli_write(&["incident", "open"], false));
        assert!(is_cli_write(&["user", "grant"], false));
        assert!(!is_cli_write(&["user", "list"], false));
        assert!(!is_cli_write(&["serve"], false));
        assert!(!is_cli_write(&["shift"], true));
        assert!(!is_cli_write(&["vapid", "show"], false));
    }

    #[test]
    fn actor_kinds_round_trip() {
        for k in ActorKind::ALL {
            assert_eq!(ActorKind::parse(k.as_str()), Some(k));
        }
    }
}
