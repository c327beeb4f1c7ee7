//! Invitations to an event's team: how long a link lives and whether a
//! link may still be used. A link is single use and expires; the server
//! keeps only its hash, so a forged link is simply unknown.

use chrono::{DateTime, Duration, Utc};

/// Days a link lives when the inviter does not say.
pub const DEFAULT_DAYS: i64 = 7;
/// The longest life an inviter may give a link.
pub const MAX_DAYS: i64 = 30;
/// Longest note kept with an invitation.
pub const NOTE_MAX: usize = 200;

/// Why a link cannot be used (shown to whoever holds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvitationRefused {
    #[error("this invitation link is not valid")]
    Unknown,
    #[error("this invitation has already been used")]
    Used,
    #[error("this invitation has expired")]
    Expired,
}

/// When a link made at `now` to live `days` (blank: the default) expires;
/// an error names what is wrong with `days`.
pub fn expiry(now: DateTime<Utc>, days: Option<i64>) -> Result<DateTime<Utc>, String> {
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(format!("must be between 1 and {MAX_DAYS} days"));
    }
    Ok(now + Duration::days(days))
}

/// Whether a stored invitation (its expiry and when it was used, if it
/// was) may be used at `now`. A used link is refused even before it
/// expires, an unused one only until it does.
pub fn check_usable(
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), InvitationRefused> {
    if used_at.is_some() {
        return Err(InvitationRefused::Used);
    }
    if now >= expires_at {
        return Err(InvitationRefused::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_link_lives_a_week_by_default_and_at_most_thirty_days() {
        let now = at("2026-12-01T10:00:00Z");
        assert_eq!(expiry(now, None), Ok(at("2026-12-08T10:00:00Z")));
        assert_eq!(expiry(now, Some(30)), Ok(at("2026-12-31T10:00:00Z")));
        assert!(expiry(now, Some(0)).is_err());
        assert!(expiry(now, Some(31)).unwrap_err().contains("30"));
    }

    #[test]
    fn a_link_works_once_and_only_before_it_expires() {
        let exp = at("2026-12-08T10:00:00Z");
        assert_eq!(check_usable(exp, None, at("2026-12-08T09:59:59Z")), Ok(()));
        assert_eq!(
            check_usable(exp, None, exp),
            Err(InvitationRefused::Expired)
        );
        assert_eq!(
            check_usable(
                exp,
                Some(at("2026-12-02T00:00:00Z")),
                at("2026-12-03T00:00:00Z")
            ),
            Err(InvitationRefused::Used)
        );
    }
}
