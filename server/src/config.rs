//! Command line and `MARQUEE_*` environment, parsed once into typed values.
//! Handlers never read the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use app::domain::access::Role;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "marquee",
    version,
    about = "Live status, schedules and countdowns for events"
)]
pub struct Cli {
    /// `sqlite://FILE` (created on first start) or `postgres://…`.
    #[arg(
        long,
        env = "MARQUEE_DATABASE_URL",
        default_value = "sqlite://marquee.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,
    /// Log one JSON object per line.
    #[arg(long, env = "MARQUEE_LOG_JSON", global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
#[expect(
    clippy::large_enum_variant,
    reason = "parsed once at start; boxing would only move it to the heap"
)]
pub enum Command {
    /// Serve the web app (the default).
    Serve(ServeArgs),
    /// Import a C3VOC schedule.json or schedule.xml into an event.
    Import {
        file: PathBuf,
        #[arg(long)]
        event: String,
        #[arg(long, default_value = "import from the command line")]
        reason: String,
    },
    /// Manage organiser accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage bearer tokens for the write API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Shift sessions of one, several or all tracks; `--dry-run` only previews.
    Shift {
        #[arg(long)]
        event: String,
        /// `all` or comma-separated track slugs (`track-1,track-3`).
        #[arg(long, default_value = "all")]
        tracks: String,
        /// Sessions starting at or after this move (HH:MM, event time).
        #[arg(long)]
        from: String,
        /// New start of the first moved session (HH:MM).
        #[arg(long, conflicts_with = "by")]
        to: Option<String>,
        /// Minutes to move by (negative: earlier).
        #[arg(long, allow_hyphen_values = true)]
        by: Option<i64>,
        /// Sessions starting at or after this stay (default: end of day).
        #[arg(long)]
        until: Option<String>,
        /// The day HH:MM times are on (default: today if the event runs, else its first day).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        #[arg(long, default_value = "")]
        reason: String,
        /// Also move pinned sessions (the same as `--pinned move`).
        #[arg(long)]
        include_pinned: bool,
        /// Talks running at `--from`: restart them from the beginning, or
        /// resume them with the minutes they had left.
        #[arg(long, value_parser = ["restart", "resume"], default_value = "restart")]
        interrupted: String,
        /// Pinned sessions stay (the shift flows around them) or move.
        #[arg(long, value_parser = ["stay", "move"])]
        pinned: Option<String>,
        /// Show what would move, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Save it as a proposal: ask the speakers it moves first;
        /// attendees see nothing until `marquee proposal publish`.
        #[arg(long, conflicts_with = "dry_run")]
        propose: bool,
        /// Add it as a step to this open proposal (implies `--propose`).
        #[arg(long, value_name = "PROPOSAL", conflicts_with = "dry_run")]
        amends: Option<i64>,
    },
    /// Re-plan one talk: move it (time and/or track), swap two, cancel or
    /// restore one; `--dry-run` only previews.
    #[command(group(
        clap::ArgGroup::new("what")
            .required(true)
            .args(["move_guid", "swap", "cancel", "restore"])
    ))]
    Change {
        #[arg(long)]
        event: String,
        /// The talk (guid) to move; give `--to` and/or `--track`.
        #[arg(long = "move", value_name = "GUID")]
        move_guid: Option<String>,
        /// New start (HH:MM on the talk's day, event time, or RFC 3339).
        #[arg(long, requires = "move_guid")]
        to: Option<String>,
        /// New track slug.
        #[arg(long, requires = "move_guid")]
        track: Option<String>,
        /// Two talks (guids) that trade places.
        #[arg(long, num_args = 2, value_names = ["A", "B"])]
        swap: Option<Vec<String>>,
        /// The talk (guid) to cancel; it stays listed, marked cancelled.
        #[arg(long, value_name = "GUID")]
        cancel: Option<String>,
        /// The cancelled talk (guid) to bring back.
        #[arg(long, value_name = "GUID")]
        restore: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
        /// Show what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Save it as a proposal: ask the speakers it moves first;
        /// attendees see nothing until `marquee proposal publish`.
        #[arg(long, conflicts_with = "dry_run")]
        propose: bool,
        /// Add it as a step to this open proposal (implies `--propose`).
        #[arg(long, value_name = "PROPOSAL", conflicts_with = "dry_run")]
        amends: Option<i64>,
    },
    /// Proposals (`--propose`): list them with the speakers' answers,
    /// publish one (the answers carry over), discard one, or remind the
    /// speakers who have not answered.
    Proposal {
        #[command(subcommand)]
        command: ProposalCommand,
    },
    /// Catch up a delay: print the alternatives (everything later,
    /// shorter breaks, shorter breaks and Q&A) with their costs; `--apply`
    /// one of them.
    CatchUp {
        #[arg(long)]
        event: String,
        /// `all` or track slugs, comma-separated.
        #[arg(long)]
        tracks: String,
        /// When the delay began (HH:MM event time, or RFC 3339).
        #[arg(long)]
        from: String,
        /// Minutes lost.
        #[arg(long, value_name = "MINUTES")]
        delay: i64,
        /// The day HH:MM is on (YYYY-MM-DD).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// The day may end this many minutes later (default: on time).
        #[arg(long, value_name = "MINUTES")]
        end_later: Option<i64>,
        /// Talks running at --from: restart (default) or resume.
        #[arg(long, default_value = "restart", value_parser = ["restart", "resume"])]
        interrupted: String,
        /// The shortest a break may become (default: the event's rule,
        /// see `marquee catch-up-rules`).
        #[arg(long, value_name = "MINUTES")]
        min_break: Option<i64>,
        /// Q&A minutes at a talk's end that may be cut (default: the
        /// event's rule; 0: never).
        #[arg(long, value_name = "MINUTES")]
        qa_cut: Option<i64>,
        /// Apply this alternative: everything_later, shorten_breaks or
        /// shorten_breaks_and_qa.
        #[arg(long, value_name = "STRATEGY")]
        apply: Option<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The event's catch-up rules (what `catch-up` uses unless told
    /// otherwise): print them, or change the ones given.
    CatchUpRules {
        #[arg(long)]
        event: String,
        /// The shortest a break may become.
        #[arg(long, value_name = "MINUTES")]
        min_break: Option<i64>,
        /// Q&A minutes at a talk's end that may be cut (0: never).
        #[arg(long, value_name = "MINUTES")]
        qa_cut: Option<i64>,
    },
    /// Incidents from a script or a terminal, as the API opens them
    /// (a deploy pipeline announcing its own trouble).
    Incident {
        #[command(subcommand)]
        command: IncidentCommand,
        /// Sign what this posts on the public pages ("Ana, stream team";
        /// one line, at most 80 characters). Unsigned by default.
        #[arg(long, global = true)]
        signature: Option<String>,
    },
    /// Scheduled maintenance: schedule, post progress, extend, complete.
    /// Times are in the event's zone (`HH:MM` today, `YYYY-MM-DD HH:MM`)
    /// or RFC 3339.
    Maintenance {
        #[command(subcommand)]
        command: MaintenanceCommand,
        /// Sign what this posts on the public pages ("Ana, stream team";
        /// one line, at most 80 characters). Unsigned by default.
        #[arg(long, global = true)]
        signature: Option<String>,
    },
    /// Speakers' secret links (`/s/{token}`) and reminders.
    #[command(alias = "speakers")]
    Speaker {
        #[command(subcommand)]
        command: SpeakerCommand,
    },
    /// The VAPID key pair Web Push is signed with.
    Vapid {
        #[command(subcommand)]
        command: VapidCommand,
    },
    /// Load the demo conference (four tracks, one evening, Europe/Moscow).
    Demo {
        #[arg(long, default_value = "demo")]
        event: String,
        /// Day of the conference (default: today in Moscow).
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Outgoing webhooks of an event: add, list, remove, send a test.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Manage monitors (checks that change a component's status).
    Monitor {
        #[command(subcommand)]
        command: MonitorCommand,
    },
}

#[derive(Subcommand)]
pub enum MonitorCommand {
    /// Add a monitor to a component; a running server starts checking it
    /// within a second.
    Add {
        #[arg(long)]
        event: String,
        /// The component: its id, its name, or a track slug (its stream).
        #[arg(long)]
        component: String,
        #[arg(long)]
        name: String,
        /// `http`, `tcp` or `hls`.
        #[arg(long, value_parser = ["http", "tcp", "hls"])]
        kind: String,
        /// A URL (http, hls) or host:port (tcp).
        #[arg(long)]
        target: String,
        /// Seconds between checks (at least 10).
        #[arg(long, default_value_t = 30)]
        interval: i64,
        /// N: failures among the last `--window` checks that change it.
        #[arg(long, default_value_t = 3)]
        failures: i64,
        /// M: how many recent checks count.
        #[arg(long, default_value_t = 5)]
        window: i64,
        /// K: successes in a row that bring it back.
        #[arg(long, default_value_t = 2)]
        recoveries: i64,
        /// The status when down.
        #[arg(long, default_value = "major_outage")]
        down_status: String,
        /// Draft an incident (not published) when it trips.
        #[arg(long)]
        draft_incident: bool,
        /// Allow targets on this machine's loopback (tests, benchmarks).
        #[arg(long, env = "MARQUEE_MONITOR_ALLOW_LOOPBACK", value_parser = clap::builder::BoolishValueParser::new())]
        allow_loopback: bool,
    },
    /// List an event's monitors with their state and last result.
    List {
        #[arg(long)]
        event: String,
    },
    /// Remove a monitor (its component keeps its status).
    Remove {
        #[arg(long)]
        event: String,
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add an organiser; asks for the password, or reads it from stdin.
    /// The first account is an admin; later ones act only where granted a
    /// role, unless added with `--admin`.
    Add {
        email: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// May do everything on every event, and create events.
        #[arg(long)]
        admin: bool,
    },
    /// List organisers, whether each is an admin, and their roles.
    List,
    /// Remove an organiser; their sessions end at once.
    Remove { email: String },
    /// Give an organiser a role on an event (replacing the one they had).
    Grant {
        email: String,
        #[arg(long)]
        event: String,
        /// owner, communicator (incidents, maintenance, components),
        /// scheduler (shifts, speakers, imports) or viewer (reads only).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Take an organiser's role on an event away.
    Revoke {
        email: String,
        #[arg(long)]
        event: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("{s:?} is not a role; use owner, communicator, scheduler or viewer"))
}

#[derive(Subcommand)]
pub enum ProposalCommand {
    /// Every proposal of the event, newest first, with who answered what.
    List {
        #[arg(long)]
        event: String,
    },
    /// Publish a proposal: it becomes a change like one applied at once.
    Publish {
        #[arg(long)]
        event: String,
        /// The proposal's number.
        id: i64,
        /// The schedule version it was made on (default: the one `list`
        /// shows); refused when the schedule changed since.
        #[arg(long)]
        version: Option<i64>,
    },
    /// Drop a proposal; nothing changes.
    Discard {
        #[arg(long)]
        event: String,
        id: i64,
    },
    /// Remind the speakers who have not answered.
    Remind {
        #[arg(long)]
        event: String,
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Open an incident; prints its id.
    Open {
        #[arg(long)]
        event: String,
        /// Title (or give `--template`).
        #[arg(long)]
        name: Option<String>,
        /// First update's text, markdown (or give `--template`).
        #[arg(long)]
        body: Option<String>,
        /// none, minor, major (default) or critical.
        #[arg(long)]
        impact: Option<String>,
        /// investigating (default), identified or monitoring.
        #[arg(long)]
        status: Option<String>,
        /// An affected component: its name, a track slug, an id or
        /// `all-streams`; repeat for several.
        #[arg(long = "component")]
        components: Vec<String>,
        /// What the components become (degraded_performance,
        /// partial_outage, major_outage, …).
        #[arg(long)]
        component_status: Option<String>,
        /// stream_down, delayed or resolved: fills name and body.
        #[arg(long)]
        template: Option<String>,
        /// The template's language (en, ru, zh, fr).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Post an update (new status and/or text).
    Update {
        #[arg(long)]
        event: String,
        id: i64,
        /// investigating, identified, monitoring or resolved.
        #[arg(long)]
        status: String,
        #[arg(long)]
        body: Option<String>,
        #[arg(long)]
        component_status: Option<String>,
    },
    /// Resolve an incident (its components go back to operational).
    Resolve {
        #[arg(long)]
        event: String,
        id: i64,
        #[arg(long)]
        body: Option<String>,
    },
    /// The event's open incidents and maintenance, with their ids.
    List {
        #[arg(long)]
        event: String,
    },
}

#[derive(Subcommand)]
pub enum MaintenanceCommand {
    /// Schedule a maintenance window; prints its id. It starts and ends by
    /// itself; the components go under maintenance while it runs.
    Schedule {
        #[arg(long)]
        event: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        body: String,
        /// Start, in the event's zone (`HH:MM` today, `YYYY-MM-DD HH:MM`)
        /// or RFC 3339.
        #[arg(long)]
        from: String,
        /// End, as `--from`.
        #[arg(long)]
        until: String,
        /// An affected component (name, track slug, id or `all-streams`).
        #[arg(long = "component")]
        components: Vec<String>,
        /// Repeat weekly: this many windows in all, at the same event time
        /// (all made, or none).
        #[arg(long, default_value_t = 1)]
        weeks: usize,
    },
    /// Post progress, or move the window (`--from` only before it starts).
    Update {
        #[arg(long)]
        event: String,
        id: i64,
        #[arg(long)]
        body: String,
        /// scheduled, in_progress or verifying (default: unchanged).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        until: Option<String>,
    },
    /// It overruns: a new end, and everyone subscribed is told.
    Extend {
        #[arg(long)]
        event: String,
        id: i64,
        /// The new end, as in `schedule`.
        #[arg(long)]
        until: String,
        /// Default: "Extended until HH:MM (zone)."
        #[arg(long)]
        body: Option<String>,
    },
    /// Done (early or on time): completed now.
    Complete {
        #[arg(long)]
        event: String,
        id: i64,
        #[arg(long)]
        body: Option<String>,
    },
    /// Called off before it starts (a started one is completed instead):
    /// it leaves the upcoming lists and everyone subscribed is told. One
    /// window of a weekly series; the others stay.
    Cancel {
        #[arg(long)]
        event: String,
        /// The maintenance (or `--id N`).
        #[arg(required_unless_present = "id_flag", conflicts_with = "id_flag")]
        id: Option<i64>,
        #[arg(long = "id", value_name = "ID")]
        id_flag: Option<i64>,
        /// Default: "This scheduled maintenance has been cancelled."
        #[arg(long)]
        body: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum SpeakerCommand {
    /// Issue links (revoking older ones) and print them: name, then URL.
    Link {
        #[arg(long)]
        event: String,
        /// Only this speaker (by key); default: every speaker of the event.
        #[arg(long)]
        speaker: Option<String>,
        /// Base URL of the links.
        #[arg(
            long,
            env = "MARQUEE_PUBLIC_URL",
            default_value = "http://127.0.0.1:3000"
        )]
        public_url: String,
    },
    /// Remind the speakers who have not answered a proposal (the same as
    /// `marquee proposal remind`) or an applied change.
    #[command(group(
        clap::ArgGroup::new("about").required(true).args(["proposal", "shift"])
    ))]
    Remind {
        #[arg(long)]
        event: String,
        /// The proposal's number.
        #[arg(long)]
        proposal: Option<i64>,
        /// The applied change (shift) number.
        #[arg(long)]
        shift: Option<i64>,
    },
}

#[derive(Subcommand)]
pub enum VapidCommand {
    /// Print the public key browsers subscribe with (made on first use).
    Show,
    /// Make a new key pair. Browsers pick it up the next time a page with
    /// the notification control opens; until then subscriptions made with
    /// the old key are still signed with it.
    Rotate,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once; only its hash is stored. Without
    /// `--event` and `--role` it may do everything, like an admin.
    Create {
        #[arg(long)]
        name: String,
        /// Only this event (its owner, unless `--role` says less).
        #[arg(long)]
        event: Option<String>,
        /// Only what this role may: owner, communicator, scheduler, viewer.
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Stops working after this long: `30d`, `12h`, `2w`, `90m`.
        #[arg(long, value_parser = parse_lifetime)]
        expires: Option<chrono::TimeDelta>,
    },
    /// List tokens (never their secrets): scope, role, last use, expiry.
    List,
    /// Revoke a token by id or name; it stops working at once.
    Revoke { id_or_name: String },
}

/// `30d`, `12h`, `2w`, `90m`: a positive whole number and a unit.
pub fn parse_lifetime(s: &str) -> Result<chrono::TimeDelta, String> {
    let s = s.trim();
    let unit_at = s.len().saturating_sub(1);
    let (n, unit) = (
        s.get(..unit_at).unwrap_or(""),
        s.get(unit_at..).unwrap_or(""),
    );
    let n: i64 = n
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 100_000)
        .ok_or_else(|| format!("{s:?}: give a positive number and a unit, like 30d"))?;
    match unit {
        "m" => Ok(chrono::TimeDelta::minutes(n)),
        "h" => Ok(chrono::TimeDelta::hours(n)),
        "d" => Ok(chrono::TimeDelta::days(n)),
        "w" => Ok(chrono::TimeDelta::weeks(n)),
        _ => Err(format!("{s:?}: the unit is m, h, d or w (like 30d)")),
    }
}

#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    #[arg(long, env = "MARQUEE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: Option<SocketAddr>,
    /// Base URL people reach this server at (used in exports and links).
    #[arg(long, env = "MARQUEE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Folder with the built assets (`pkg/`); found next to the binary by default.
    #[arg(long, env = "MARQUEE_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Minutes after a change during which a change to the same talks
    /// amends it (attendees see one change, one notice); -1: never.
    /// Default 120.
    #[arg(long, env = "MARQUEE_AMEND_WINDOW_MINUTES", allow_hyphen_values = true)]
    pub amend_window_minutes: Option<i64>,
    #[command(flatten)]
    pub push: PushArgs,
    #[command(flatten)]
    pub guard: GuardArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub webhook: WebhookArgs,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    #[command(flatten)]
    pub email: EmailArgs,
}

/// Mail to subscribers and speakers; off (and offered nowhere) without
/// an SMTP server.
#[derive(Args, Clone, Default)]
pub struct EmailArgs {
    /// The SMTP server: `smtp://user:pass@host:587` (STARTTLS required),
    /// `smtps://…:465` (TLS from the start), `…?tls=opportunistic`, or
    /// `…?tls=none` (plain: a relay on this machine). Unset: no e-mail.
    #[arg(long, env = "MARQUEE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of every mail, like `Marquee <status@example.org>`.
    #[arg(
        long,
        env = "MARQUEE_MAIL_FROM",
        default_value = "Marquee <marquee@localhost.invalid>"
    )]
    pub mail_from: String,
    /// SMTP connections (and mails in flight) at once, per instance.
    #[arg(long, env = "MARQUEE_MAIL_CONNECTIONS", default_value_t = 16)]
    pub mail_connections: u32,
    /// Seconds a taken mail is reserved for this worker; after a crash it
    /// is sent again once this has passed.
    #[arg(long, env = "MARQUEE_MAIL_LEASE_SECS", default_value_t = 60)]
    pub mail_lease_secs: i64,
    /// Hours a confirmation link works.
    #[arg(long, env = "MARQUEE_MAIL_CONFIRM_HOURS", default_value_t = 48)]
    pub mail_confirm_hours: i64,
}

/// The SMTP URL carries a password: never printed.
impl std::fmt::Debug for EmailArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailArgs")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<hidden>"))
            .field("mail_from", &self.mail_from)
            .field("mail_connections", &self.mail_connections)
            .field("mail_lease_secs", &self.mail_lease_secs)
            .field("mail_confirm_hours", &self.mail_confirm_hours)
            .finish()
    }
}

/// Running as one of several instances (PostgreSQL), and stopping.
#[derive(Args, Clone, Debug)]
pub struct ClusterArgs {
    /// How often the poller looks for changes made elsewhere (another
    /// instance, the CLI), in milliseconds. On PostgreSQL changes arrive
    /// at once by LISTEN/NOTIFY and this is only the safety net.
    #[arg(long, env = "MARQUEE_POLL_INTERVAL_MS", default_value_t = 1000)]
    pub poll_interval_ms: u64,
    /// At SIGTERM: how long requests in flight may take to finish, in
    /// seconds, before the process exits anyway.
    #[arg(long, env = "MARQUEE_DRAIN_SECS", default_value_t = 10)]
    pub drain_secs: u64,
}

impl Default for ClusterArgs {
    fn default() -> Self {
        Self {
            poll_interval_ms: 1000,
            drain_secs: 10,
        }
    }
}

/// How the Web Push worker sends.
#[derive(Args, Clone, Debug)]
pub struct PushArgs {
    /// Contact push services may use about this sender (VAPID `sub`):
    /// a `mailto:` or `https:` URL.
    #[arg(
        long,
        env = "MARQUEE_PUSH_CONTACT",
        default_value = "mailto:organisers@marquee.invalid"
    )]
    pub push_contact: String,
    /// Messages in flight at once.
    #[arg(long, env = "MARQUEE_PUSH_CONCURRENCY", default_value_t = 64)]
    pub push_concurrency: usize,
    /// Seconds a taken message is reserved for this worker; after a crash
    /// it is sent again once this has passed.
    #[arg(long, env = "MARQUEE_PUSH_LEASE_SECS", default_value_t = 60)]
    pub push_lease_secs: i64,
    /// An extra root certificate (PEM) to trust for push services, for a
    /// push proxy with a private CA.
    #[arg(long, env = "MARQUEE_PUSH_CA_FILE")]
    pub push_ca_file: Option<PathBuf>,
    /// Minutes before a session that its subscribed speakers are reminded.
    #[arg(long, env = "MARQUEE_PUSH_REMINDER_MINUTES", default_value_t = 15)]
    pub push_reminder_minutes: i64,
    /// Also accept plain-http and loopback push endpoints (127.0.0.0/8,
    /// ::1, localhost). For tests and benchmarks with a local push service
    /// only: with it on, anyone may make this server POST to services on
    /// its own loopback.
    #[arg(long, env = "MARQUEE_PUSH_ALLOW_INSECURE_LOCALHOST", value_parser = clap::builder::BoolishValueParser::new())]
    pub push_allow_insecure_localhost: bool,
    /// Messages in flight at once to one push service (scheme, host and
    /// port), so one slow or hostile service cannot hold every slot.
    #[arg(long, env = "MARQUEE_PUSH_PER_ORIGIN", default_value_t = 32)]
    pub push_per_origin: usize,
}

impl Default for PushArgs {
    fn default() -> Self {
        Self {
            push_contact: "mailto:organisers@marquee.invalid".into(),
            push_concurrency: 64,
            push_lease_secs: 60,
            push_ca_file: None,
            push_reminder_minutes: 15,
            push_allow_insecure_localhost: false,
            push_per_origin: 32,
        }
    }
}

/// What strangers can do to the server: timeouts, connection and request
/// limits, rate limits, sign-in throttling, cookies, and which proxy may
/// tell the client's address.
#[derive(Args, Clone, Debug)]
pub struct GuardArgs {
    /// Seconds a client has to send a request's headers; an idle
    /// keep-alive connection is closed after the same time.
    #[arg(long, env = "MARQUEE_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    #[arg(long, env = "MARQUEE_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Seconds a request may take (every route but the live stream).
    #[arg(long, env = "MARQUEE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Open connections at most; more wait in the kernel's backlog.
    #[arg(long, env = "MARQUEE_MAX_CONNECTIONS", default_value_t = 20_000)]
    pub max_connections: usize,
    /// Requests handled at once (live streams count only while they
    /// start); beyond it, 503 with Retry-After.
    #[arg(long, env = "MARQUEE_MAX_IN_FLIGHT", default_value_t = 1024)]
    pub max_in_flight: usize,
    /// Live streams (`/e/{event}/live`) open at once from one client
    /// address (IPv6: one /64).
    #[arg(long, env = "MARQUEE_SSE_PER_IP", default_value_t = 100)]
    pub sse_per_ip: usize,
    /// Anonymous writes (subscribe, unsubscribe, speaker answers) per
    /// minute from one client address.
    #[arg(long, env = "MARQUEE_ANON_WRITES_PER_MINUTE", default_value_t = 30)]
    pub anon_writes_per_minute: u32,
    /// New push subscriptions per hour from one client address.
    #[arg(
        long,
        env = "MARQUEE_SUBSCRIPTIONS_PER_IP_PER_HOUR",
        default_value_t = 60
    )]
    pub subscriptions_per_ip_per_hour: u32,
    /// Database connections anonymous requests may hold at once; the rest
    /// of the pool is kept for organisers and the workers.
    #[arg(long, env = "MARQUEE_ANON_DB_CONNECTIONS", default_value_t = 2)]
    pub anon_db_connections: usize,
    /// Sign-in attempts per minute from one client address.
    #[arg(long, env = "MARQUEE_LOGIN_PER_IP_PER_MINUTE", default_value_t = 10)]
    pub login_per_ip_per_minute: u32,
    /// Sign-in attempts per hour for one account (a sixth of them, at
    /// least 5, at once; then evenly).
    #[arg(long, env = "MARQUEE_LOGIN_PER_ACCOUNT_PER_HOUR", default_value_t = 30)]
    pub login_per_account_per_hour: u32,
    /// Password checks (argon2, about 20 MiB and tens of ms each) run at
    /// once, off the async runtime; others queue. Default: half the CPU
    /// cores (at least one), so the other half keeps serving pages.
    #[arg(long, env = "MARQUEE_LOGIN_HASH_SLOTS", default_value_t = half_the_cores())]
    pub login_hash_slots: usize,
    /// Sign-ins waiting for a slot at most; beyond it, 503 with Retry-After.
    #[arg(long, env = "MARQUEE_LOGIN_QUEUE", default_value_t = 16)]
    pub login_queue: usize,
    /// Minutes without a request after which an organiser's session ends
    /// (sessions end after 12 hours in any case).
    #[arg(long, env = "MARQUEE_SESSION_IDLE_MINUTES", default_value_t = 120)]
    pub session_idle_minutes: i64,
    /// Send the session cookie as `__Host-marquee_session; Secure`. Default:
    /// on when MARQUEE_PUBLIC_URL is https. Set it when a TLS proxy serves
    /// this server and the public URL is not set.
    #[arg(long, env = "MARQUEE_SECURE_COOKIES", value_parser = clap::builder::BoolishValueParser::new())]
    pub secure_cookies: Option<bool>,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose
    /// X-Forwarded-For / X-Real-IP are believed. Without it the client's
    /// address is the socket peer's.
    #[arg(long, env = "MARQUEE_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

fn half_the_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// An address (`10.0.0.5`) or a range (`10.0.0.0/8`).
fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR range"))
}

impl Default for GuardArgs {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            request_timeout_secs: 30,
            max_connections: 20_000,
            max_in_flight: 1024,
            sse_per_ip: 100,
            anon_writes_per_minute: 30,
            subscriptions_per_ip_per_hour: 60,
            anon_db_connections: 2,
            login_per_ip_per_minute: 10,
            login_per_account_per_hour: 30,
            login_hash_slots: half_the_cores(),
            login_queue: 16,
            session_idle_minutes: 120,
            secure_cookies: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// How monitors run (see `crate::monitor`).
#[derive(Args, Clone, Debug)]
pub struct MonitorArgs {
    /// Also allow monitors of this machine's loopback (127.0.0.0/8, ::1,
    /// localhost, plain http there). For tests and benchmarks only: with
    /// it on, organisers can make this server probe its own loopback.
    #[arg(long, env = "MARQUEE_MONITOR_ALLOW_LOOPBACK", value_parser = clap::builder::BoolishValueParser::new())]
    pub monitor_allow_loopback: bool,
    /// Checks in flight at once.
    #[arg(long, env = "MARQUEE_MONITOR_CONCURRENCY", default_value_t = 64)]
    pub monitor_concurrency: usize,
    /// How often due monitors are looked for, in milliseconds.
    #[arg(long, env = "MARQUEE_MONITOR_TICK_MS", default_value_t = 1000)]
    pub monitor_tick_ms: u64,
    /// Seconds a taken check is reserved for this instance (longer than
    /// the longest timeout); after a crash another instance takes it then.
    #[arg(long, env = "MARQUEE_MONITOR_LEASE_SECS", default_value_t = 120)]
    pub monitor_lease_secs: i64,
}

impl Default for MonitorArgs {
    fn default() -> Self {
        Self {
            monitor_allow_loopback: false,
            monitor_concurrency: 64,
            monitor_tick_ms: 1000,
            monitor_lease_secs: 120,
        }
    }
}

/// The database URL with any password masked, for messages and logs: the
/// store's rule, so the CLI masks `?password=` as the store does.
pub use app::store::redact_url;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_take_a_number_and_a_unit() {
        assert_eq!(parse_lifetime("30d"), Ok(chrono::TimeDelta::days(30)));
        assert_eq!(parse_lifetime("12h"), Ok(chrono::TimeDelta::hours(12)));
        assert_eq!(parse_lifetime("2w"), Ok(chrono::TimeDelta::weeks(2)));
        assert_eq!(parse_lifetime("90m"), Ok(chrono::TimeDelta::minutes(90)));
        for bad in ["", "d", "30", "0d", "-1d", "30y", "1.5d", "é"] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_in_database_urls_are_masked() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://marquee.db"), "sqlite://marquee.db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret"),
            "postgres://h/db?user=u&password=***"
        );
    }

    #[test]
    fn guard_defaults_are_the_documented_ones() {
        let cli = Cli::try_parse_from(["marquee", "serve"]).unwrap();
        let Some(Command::Serve(a)) = cli.command else {
            panic!("serve expected")
        };
        let d = GuardArgs::default();
        assert_eq!(format!("{:?}", a.guard), format!("{d:?}"));
        assert_eq!(
            format!("{:?}", a.push),
            format!("{:?}", PushArgs::default())
        );
        assert_eq!(
            format!("{:?}", a.cluster),
            format!("{:?}", ClusterArgs::default())
        );
        let cli = Cli::try_parse_from([
            "marquee",
            "serve",
            "--trusted-proxies",
            "127.0.0.1,10.0.0.0/8",
        ])
        .unwrap();
        let Some(Command::Serve(a)) = cli.command else {
            panic!("serve expected")
        };
        assert_eq!(a.guard.trusted_proxies.len(), 2);
        assert!(Cli::try_parse_from(["marquee", "serve", "--trusted-proxies", "nginx"]).is_err());
    }

    #[test]
    fn defaults_need_no_configuration() {
        let cli = Cli::try_parse_from(["marquee", "serve"]).unwrap();
        assert_eq!(cli.database_url, "sqlite://marquee.db");
        match cli.command {
            Some(Command::Serve(a)) => assert_eq!(a.addr.unwrap().to_string(), "127.0.0.1:3000"),
            _ => panic!("serve expected"),
        }
    }
}

/// How outgoing webhooks are sent.
#[derive(Args, Clone, Debug)]
pub struct WebhookArgs {
    /// Also accept plain-http and loopback webhook URLs (127.0.0.0/8, ::1,
    /// localhost). For tests and benchmarks with a local receiver only:
    /// with it on, an organiser may make this server POST to services on
    /// its own loopback. Private and link-local addresses stay refused.
    #[arg(long, env = "MARQUEE_WEBHOOK_ALLOW_LOOPBACK", value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_loopback: bool,
    /// Webhook messages in flight at once.
    #[arg(long, env = "MARQUEE_WEBHOOK_CONCURRENCY", default_value_t = 64)]
    pub webhook_concurrency: usize,
    /// Seconds a receiver has to answer before the attempt counts as failed.
    #[arg(long, env = "MARQUEE_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
    /// Seconds before the first retry; each further one waits twice as
    /// long (at most an hour), six attempts in all.
    #[arg(long, env = "MARQUEE_WEBHOOK_RETRY_SECS", default_value_t = 10)]
    pub webhook_retry_secs: i64,
    /// Failed attempts in a row after which a webhook is disabled (the
    /// dashboard says so and offers to turn it back on).
    #[arg(long, env = "MARQUEE_WEBHOOK_DISABLE_AFTER", default_value_t = 10)]
    pub webhook_disable_after: i64,
    /// Seconds a taken message is reserved for this instance.
    #[arg(long, env = "MARQUEE_WEBHOOK_LEASE_SECS", default_value_t = 60)]
    pub webhook_lease_secs: i64,
    /// The Telegram Bot API's base URL. Only tests change it (to a local
    /// receiver, with MARQUEE_WEBHOOK_ALLOW_LOOPBACK).
    #[arg(
        long,
        env = "MARQUEE_WEBHOOK_TELEGRAM_API",
        default_value = "https://api.telegram.org",
        hide = true
    )]
    pub webhook_telegram_api: String,
}

impl Default for WebhookArgs {
    fn default() -> Self {
        Self {
            webhook_allow_loopback: false,
            webhook_concurrency: 64,
            webhook_timeout_secs: 10,
            webhook_retry_secs: 10,
            webhook_disable_after: 10,
            webhook_lease_secs: 60,
            webhook_telegram_api: "https://api.telegram.org".into(),
        }
    }
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Add a webhook; prints its id, and for `standard` its signing
    /// secret (shown this once).
    Add {
        #[arg(long)]
        event: String,
        /// standard, slack, discord, mattermost or telegram.
        #[arg(long)]
        preset: String,
        /// Where to POST (https); not for telegram.
        #[arg(long, default_value = "")]
        url: String,
        /// Comma-separated: incidents, maintenance, changes, speaker_answers.
        #[arg(long, default_value = "incidents,maintenance,changes")]
        kinds: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Language of the messages: en, ru, zh or fr.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Telegram: the chat id.
        #[arg(long, default_value = "")]
        chat_id: String,
        /// Telegram: read the bot token from standard input (never a flag:
        /// it would stay in the shell's history).
        #[arg(long)]
        bot_token_stdin: bool,
        /// Accept loopback URLs (tests and benchmarks only), as
        /// MARQUEE_WEBHOOK_ALLOW_LOOPBACK does for the server.
        #[arg(long, env = "MARQUEE_WEBHOOK_ALLOW_LOOPBACK", value_parser = clap::builder::BoolishValueParser::new())]
        allow_loopback: bool,
    },
    /// The event's webhooks and their state (never a secret).
    List {
        #[arg(long)]
        event: String,
    },
    /// Remove a webhook with its deliveries and log.
    Remove {
        #[arg(long)]
        event: String,
        id: i64,
    },
    /// Queue a test message; the running server sends it.
    Test {
        #[arg(long)]
        event: String,
        id: i64,
    },
}
