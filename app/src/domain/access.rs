//! Who may do what: the one authorisation rule of Marquee. Every write
//! route (API and admin forms) and every admin page asks [`Principal::check`]
//! before acting, so the rule lives here and nowhere else.
//!
//! A principal is an organiser (an admin, or a member of some events with a
//! role each) or an API token (optionally scoped to one event, optionally
//! limited to one role). An admin with no limits may do everything on every
//! event, which is what every account and token was before roles existed.

use std::collections::BTreeMap;
use std::fmt;

/// What a member of an event may do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Everything on the event, including who else may.
    Owner,
    /// Incidents, maintenance, component status, outgoing webhooks: what
    /// attendees and the team's channels are told.
    Communicator,
    /// Shifts, speakers and imports: the schedule.
    Scheduler,
    /// Reads the admin pages, writes nothing.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Owner,
        Role::Communicator,
        Role::Scheduler,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Communicator => "communicator",
            Role::Scheduler => "scheduler",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role allows `action` (on an event it holds the role in).
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => action != CreateEvent,
            Role::Communicator => matches!(action, View | Incidents | Components | Webhooks),
            Role::Scheduler => matches!(action, View | Schedule | Speakers | Import),
            Role::Viewer => action == View,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a principal asks to do on one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read the admin pages and the API's lists; shift previews (no write).
    View,
    /// Open and update incidents and scheduled maintenance.
    Incidents,
    /// Create components and set their status.
    Components,
    /// Apply and revert shifts.
    Schedule,
    /// Issue speaker links.
    Speakers,
    /// Replace an existing event's schedule from a C3VOC file.
    Import,
    /// Create a new event (an import naming an unknown slug).
    CreateEvent,
    /// Grant and revoke roles on the event.
    Members,
    /// Add, test, re-enable and remove outgoing webhooks (they speak for
    /// the event in chats, like incident updates).
    Webhooks,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Incidents => "incidents",
            Action::Components => "components",
            Action::Schedule => "schedule",
            Action::Speakers => "speakers",
            Action::Import => "import",
            Action::CreateEvent => "create-event",
            Action::Members => "members",
            Action::Webhooks => "webhooks",
        }
    }
}

/// Who is asking, with every right they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// Everything on every event, including creating events.
    pub admin: bool,
    /// A role on every event (a token limited to a role but to no event).
    pub every_event: Option<Role>,
    /// A role on named events (by slug).
    pub events: BTreeMap<String, Role>,
}

/// Why an action was refused; shown to the caller (it names no secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("no access to event {event:?}")]
    NoAccess { event: String },
    #[error("the role {role} may not do {action} on event {event:?}", action = .action.as_str())]
    Role {
        role: Role,
        action: Action,
        event: String,
    },
    #[error("only an administrator may create events")]
    AdminOnly,
}

impl Principal {
    /// Everything everywhere: accounts and tokens from before roles, and
    /// admins.
    pub fn admin() -> Principal {
        Principal {
            admin: true,
            ..Principal::default()
        }
    }

    /// An organiser account: an admin may do everything, anyone else what
    /// their memberships allow.
    pub fn user(admin: bool, memberships: impl IntoIterator<Item = (String, Role)>) -> Principal {
        Principal {
            admin,
            every_event: None,
            events: memberships.into_iter().collect(),
        }
    }

    /// An API token: with neither scope nor role it is an admin's (as every
    /// token was before scopes); an event scope without a role makes it
    /// that event's owner.
    pub fn token(event: Option<String>, role: Option<Role>) -> Principal {
        match (event, role) {
            (None, None) => Principal::admin(),
            (None, Some(role)) => Principal {
                every_event: Some(role),
                ..Principal::default()
            },
            (Some(event), role) => Principal {
                events: BTreeMap::from([(event, role.unwrap_or(Role::Owner))]),
                ..Principal::default()
            },
        }
    }

    /// The role this principal holds on `event`, if any (`Owner` for
    /// admins).
    pub fn role_on(&self, event: &str) -> Option<Role> {
        if self.admin {
            return Some(Role::Owner);
        }
        self.events.get(event).copied().or(self.every_event)
    }

    /// The rule: may this principal do `action` on `event`?
    pub fn check(&self, action: Action, event: &str) -> Result<(), Denied> {
        if self.admin {
            return Ok(());
        }
        if action == Action::CreateEvent {
            return Err(Denied::AdminOnly);
        }
        let role = self.role_on(event).ok_or_else(|| Denied::NoAccess {
            event: event.to_owned(),
        })?;
        if role.allows(action) {
            Ok(())
        } else {
            Err(Denied::Role {
                role,
                action,
                event: event.to_owned(),
            })
        }
    }

    /// Shorthand for pages: whether `action` is allowed (hide what is not).
    pub fn may(&self, action: Action, event: &str) -> bool {
        self.check(action, event).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const WRITES: [Action; 7] = [
        Incidents, Components, Schedule, Speakers, Import, Members, Webhooks,
    ];

    #[test]
    fn an_admin_and_an_unscoped_token_may_do_everything_everywhere() {
        for p in [
            Principal::admin(),
            Principal::token(None, None),
            Principal::user(true, []),
        ] {
            for a in WRITES.into_iter().chain([View, CreateEvent]) {
                assert_eq!(p.check(a, "any"), Ok(()), "{a:?}");
            }
        }
    }

    #[test]
    fn each_role_may_do_exactly_its_part() {
        let table: [(Role, &[Action]); 4] = [
            (
                Role::Owner,
                &[
                    View, Incidents, Components, Schedule, Speakers, Import, Members, Webhooks,
                ],
            ),
            (Role::Communicator, &[View, Incidents, Components, Webhooks]),
            (Role::Scheduler, &[View, Schedule, Speakers, Import]),
            (Role::Viewer, &[View]),
        ];
        for (role, allowed) in table {
            let p = Principal::user(false, [("conf".to_owned(), role)]);
            for a in WRITES.into_iter().chain([View, CreateEvent]) {
                let ok = p.check(a, "conf").is_ok();
                assert_eq!(ok, allowed.contains(&a), "{role} {a:?}");
            }
        }
    }

    #[test]
    fn a_member_of_one_event_has_no_access_to_another() {
        let p = Principal::user(false, [("conf".to_owned(), Role::Owner)]);
        assert_eq!(
            p.check(View, "other"),
            Err(Denied::NoAccess {
                event: "other".into()
            })
        );
        let p = Principal::token(Some("conf".into()), None);
        assert_eq!(p.role_on("conf"), Some(Role::Owner));
        assert!(p.check(Incidents, "other").is_err());
        assert_eq!(p.check(CreateEvent, "new"), Err(Denied::AdminOnly));
    }

    #[test]
    fn a_user_without_admin_flag_or_membership_may_do_nothing() {
        let p = Principal::user(false, []);
        for a in WRITES.into_iter().chain([View, CreateEvent]) {
            assert!(p.check(a, "conf").is_err(), "{a:?}");
        }
    }

    #[test]
    fn a_role_token_without_event_holds_that_role_everywhere() {
        let p = Principal::token(None, Some(Role::Communicator));
        assert!(p.may(Incidents, "a") && p.may(Incidents, "b"));
        assert_eq!(
            p.check(Schedule, "a"),
            Err(Denied::Role {
                role: Role::Communicator,
                action: Schedule,
                event: "a".into()
            })
        );
        assert_eq!(
            p.check(Schedule, "a").unwrap_err().to_string(),
            "the role communicator may not do schedule on event \"a\""
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
