//! Web Push rules with no I/O: who a notice is for, what makes a browser
//! subscription acceptable, its Topic and Urgency, how long a notice stays
//! worth delivering, and what the worker does with each answer of a push
//! service.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::notice::Notice;
use super::status::{Impact, IncidentReach, IncidentStatus};

/// What one subscription asked to hear about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    /// Every incident and every delay of the event.
    pub all_tracks: bool,
    /// Track slugs (when not `all_tracks`).
    pub tracks: BTreeSet<String>,
    /// Starred session guids.
    pub sessions: BTreeSet<String>,
    /// The tracks those sessions are on (an incident there concerns them).
    pub session_tracks: BTreeSet<String>,
    /// Set for a speaker's own subscription (from `/s/{token}`).
    pub speaker: Option<String>,
}

/// Who a notice concerns; stored with the notice as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum NoticeScope {
    /// An incident: whoever follows a track it reaches.
    Incident(IncidentReach),
    /// A schedule shift: the tracks and sessions it moved.
    Schedule {
        tracks: Vec<String>,
        sessions: Vec<String>,
    },
    /// Speakers whose sessions moved or are about to start.
    Speakers { speakers: Vec<String> },
}

impl Audience {
    /// Whether a notice of `scope` goes to this subscription. Speakers'
    /// subscriptions hear only about their own sessions; attendees hear
    /// what their choice covers, and whole-event incidents always.
    pub fn wants(&self, scope: &NoticeScope) -> bool {
        match (&self.speaker, scope) {
            (Some(me), NoticeScope::Speakers { speakers }) => speakers.iter().any(|s| s == me),
            (Some(_), _) | (None, NoticeScope::Speakers { .. }) => false,
            (None, NoticeScope::Incident(reach)) => {
                self.all_tracks
                    || *reach == IncidentReach::Event
                    || self
                        .tracks
                        .iter()
                        .chain(&self.session_tracks)
                        .any(|t| reach.covers(t))
            }
            (None, NoticeScope::Schedule { tracks, sessions }) => {
                self.all_tracks
                    || tracks.iter().any(|t| self.tracks.contains(t))
                    || sessions.iter().any(|s| self.sessions.contains(s))
            }
        }
    }
}

/// Why a subscription was refused: the JSON field and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> SubscriptionError {
    SubscriptionError {
        field,
        message: message.into(),
    }
}

/// Decodes unpadded (or padded) base64url, as browsers write subscription
/// keys; `None` when it is not base64url.
pub fn b64url(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

/// Checks what `PushSubscription.toJSON()` gave: an endpoint of sane
/// length (where it may point is [`crate::domain::address`]'s call, made by
/// the server with its HTTP client's URL parser), a P-256 public key (65
/// bytes, uncompressed) and a 16-byte auth secret, per RFC 8291.
pub fn check_subscription(
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> Result<(), SubscriptionError> {
    if endpoint.len() > 2048 {
        return Err(refuse(
            "subscription.endpoint",
            "longer than 2048 characters",
        ));
    }
    match b64url(p256dh) {
        None => return Err(refuse("subscription.keys.p256dh", "is not base64url")),
        Some(k) if k.len() != 65 || k[0] != 4 => {
            return Err(refuse(
                "subscription.keys.p256dh",
                format!(
                    "must be an uncompressed P-256 key (65 bytes), got {} bytes",
                    k.len()
                ),
            ));
        }
        Some(_) => {}
    }
    match b64url(auth) {
        None => Err(refuse("subscription.keys.auth", "is not base64url")),
        Some(a) if a.len() != 16 => Err(refuse(
            "subscription.keys.auth",
            format!("must be 16 bytes, got {}", a.len()),
        )),
        Some(_) => Ok(()),
    }
}

/// How urgent a notice is (RFC 8030 `Urgency`): push services may hold
/// back `normal` ones on a phone that saves battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Normal,
    High,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Urgency> {
        [Urgency::Normal, Urgency::High]
            .into_iter()
            .find(|u| u.as_str() == s)
    }

    /// An incident update's: high while a major or critical incident is
    /// open, normal for the rest and for its resolution.
    pub fn of_incident(status: IncidentStatus, impact: Impact) -> Urgency {
        match (status, impact) {
            (IncidentStatus::Resolved | IncidentStatus::Completed, _) => Urgency::Normal,
            (_, Impact::Major | Impact::Critical) => Urgency::High,
            _ => Urgency::Normal,
        }
    }
}

/// A notice's Topic (RFC 8030 §5.4): a newer message with the same topic
/// replaces a stale one still waiting at the push service. At most 32
/// base64url characters; `event_id` keeps two events' delays apart.
pub fn topic(notice: &Notice, event_id: i64) -> String {
    match notice {
        Notice::Incident { incident_id, .. } => format!("incident-{incident_id}"),
        // Its own topic: it must not replace the incident's notice.
        Notice::TrackPaused { incident_id, .. } => format!("paused-{incident_id}"),
        Notice::Schedule { .. } => format!("schedule-{event_id}"),
        // A withdrawal shares the question's topic: one still waiting at
        // the push service is replaced, not delivered after it.
        Notice::SpeakerMove { .. }
        | Notice::SpeakerProposal { .. }
        | Notice::ProposalWithdrawn { .. } => {
            format!("speaker-{event_id}")
        }
        Notice::Reminder { guid, .. } => {
            let short: String = guid
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect();
            format!("remind-{short}")
        }
    }
}

/// Where one delivery of a notice to one subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting to be sent (again) at its `next_at`.
    Pending,
    Sent,
    /// Given up (a 4xx that will not change, or too many attempts).
    Failed,
    /// The subscription is gone (404/410); nothing more goes to it.
    Gone,
    /// Too late to be worth delivering, or nothing in it for this subscriber.
    Expired,
}

impl DeliveryState {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Sent,
        Self::Failed,
        Self::Gone,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Gone => "gone",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Whether the push service was asked (an expired message never was).
    pub fn was_tried(self) -> bool {
        self != Self::Expired
    }
}

/// The shortest TTL sent: push services drop a message with TTL 0 at once
/// when the phone is not connected.
pub const MIN_TTL_SECS: i64 = 60;
/// How long an incident notice stays worth delivering.
pub const INCIDENT_TTL_SECS: i64 = 2 * 3600;

/// Until when a delay notice is worth delivering: until the first moved
/// session starts (after that the attendee sees it on the page anyway),
/// at least [`MIN_TTL_SECS`], at most a day.
pub fn schedule_notice_expiry(now: DateTime<Utc>, first_new_start: DateTime<Utc>) -> DateTime<Utc> {
    let secs = (first_new_start - now)
        .num_seconds()
        .clamp(MIN_TTL_SECS, 24 * 3600);
    now + chrono::Duration::seconds(secs)
}

/// The TTL header for a notice that expires at `expires_at`, or `None`
/// when it is too late to send it at all.
pub fn ttl_secs(now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Option<u32> {
    let left = (expires_at - now).num_seconds();
    (left > 0).then(|| left.clamp(MIN_TTL_SECS.min(left), 28 * 24 * 3600) as u32)
}

/// What the worker does after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Delivered (2xx).
    Sent,
    /// 404/410: the subscription is gone; never send to it again.
    Gone,
    /// Try again after this many seconds.
    Retry(i64),
    /// Give up on this message (a 4xx that will not change, or too many
    /// attempts).
    Fail,
}

/// Attempts before a message is given up: with the backoff below, about
/// 35 minutes of a push service failing.
pub const MAX_ATTEMPTS: i64 = 10;

/// Classifies one answer. `status` is `None` when the push service could
/// not be reached; `retry_after` is its `Retry-After` in seconds. 429 and
/// 5xx are retried with exponential backoff (1 s, 3 s, 9 s … capped at
/// 10 min) or after `Retry-After` when that is longer (capped at an hour);
/// `attempts` counts this one.
pub fn after_attempt(status: Option<u16>, retry_after: Option<i64>, attempts: i64) -> Next {
    let backoff = || {
        let exp = 3i64.saturating_pow((attempts - 1).clamp(0, 10) as u32);
        exp.min(600).max(retry_after.unwrap_or(0).min(3600))
    };
    match status {
        Some(200..=299) => Next::Sent,
        Some(404 | 410) => Next::Gone,
        _ if attempts >= MAX_ATTEMPTS => Next::Fail,
        None | Some(429 | 500..=599) => Next::Retry(backoff()),
        Some(_) => Next::Fail,
    }
}

/// Parses `Retry-After` when given in seconds (push services do; the
/// HTTP-date form is read by the caller, which has a clock).
pub fn retry_after_secs(value: &str) -> Option<i64> {
    value.trim().parse::<i64>().ok().filter(|s| *s >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn set(xs: &[&str]) -> BTreeSet<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    const KEY: &str =
        "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8";
    const AUTH: &str = "xS03Fi5ErfTNH_l9WHE9Ig";

    #[test]
    fn attendees_hear_what_they_chose() {
        let all = Audience {
            all_tracks: true,
            ..Default::default()
        };
        let t2 = Audience {
            tracks: set(&["t2"]),
            ..Default::default()
        };
        let starred = Audience {
            sessions: set(&["g1"]),
            session_tracks: set(&["t1"]),
            ..Default::default()
        };
        let inc_t1 = NoticeScope::Incident(IncidentReach::of([Some("t1")]));
        let inc_all = NoticeScope::Incident(IncidentReach::Event);
        // The website and track 1's stream: track 1, not everyone.
        let inc_web_t1 = NoticeScope::Incident(IncidentReach::of([None, Some("t1")]));
        let inc_web = NoticeScope::Incident(IncidentReach::of([None]));
        let shift_t1 = NoticeScope::Schedule {
            tracks: vec!["t1".into()],
            sessions: vec!["g1".into()],
        };
        let shift_t2 = NoticeScope::Schedule {
            tracks: vec!["t2".into()],
            sessions: vec!["g9".into()],
        };
        assert!(all.wants(&inc_t1) && all.wants(&shift_t2));
        assert!(
            !t2.wants(&inc_t1) && t2.wants(&inc_all) && t2.wants(&shift_t2) && !t2.wants(&shift_t1)
        );
        assert!(starred.wants(&shift_t1) && !starred.wants(&shift_t2) && starred.wants(&inc_all));
        // An incident on the track of a starred talk concerns them; one on
        // another track does not.
        assert!(starred.wants(&inc_t1));
        assert!(!starred.wants(&NoticeScope::Incident(IncidentReach::of([Some("t2")]))));
        assert!(all.wants(&inc_web_t1) && starred.wants(&inc_web_t1) && !t2.wants(&inc_web_t1));
        // Only the website: no track's followers, only those of everything.
        assert!(all.wants(&inc_web) && !t2.wants(&inc_web) && !starred.wants(&inc_web));
        let to_speakers = NoticeScope::Speakers {
            speakers: vec!["ada".into()],
        };
        assert!(!all.wants(&to_speakers));
    }

    #[test]
    fn speakers_hear_only_about_themselves() {
        let ada = Audience {
            speaker: Some("ada".into()),
            ..Default::default()
        };
        assert!(ada.wants(&NoticeScope::Speakers {
            speakers: vec!["bob".into(), "ada".into()]
        }));
        assert!(!ada.wants(&NoticeScope::Speakers {
            speakers: vec!["bob".into()]
        }));
        assert!(!ada.wants(&NoticeScope::Incident(IncidentReach::Event)));
    }

    #[test]
    fn subscriptions_need_right_key_lengths() {
        assert!(check_subscription("https://push.example/x", KEY, AUTH).is_ok());
        let long = format!("https://push.example/{}", "x".repeat(2048));
        assert_eq!(
            check_subscription(&long, KEY, AUTH).unwrap_err().field,
            "subscription.endpoint"
        );
        let e = check_subscription("https://p.example/x", &KEY[..40], AUTH).unwrap_err();
        assert_eq!(e.field, "subscription.keys.p256dh");
        assert!(e.message.contains("65 bytes"), "{}", e.message);
        assert_eq!(
            check_subscription("https://p.example/x", KEY, "AAAA")
                .unwrap_err()
                .field,
            "subscription.keys.auth"
        );
        assert_eq!(
            check_subscription("https://p.example/x", KEY, "not base64!")
                .unwrap_err()
                .field,
            "subscription.keys.auth"
        );
        // Padded base64url is what some browsers send.
        assert!(check_subscription("https://p.example/x", KEY, &format!("{AUTH}==")).is_ok());
    }

    #[test]
    fn answers_decide_what_happens_next() {
        assert_eq!(after_attempt(Some(201), None, 1), Next::Sent);
        assert_eq!(after_attempt(Some(410), None, 1), Next::Gone);
        assert_eq!(after_attempt(Some(404), None, 3), Next::Gone);
        assert_eq!(after_attempt(Some(503), None, 1), Next::Retry(1));
        assert_eq!(after_attempt(Some(503), None, 3), Next::Retry(9));
        assert_eq!(after_attempt(Some(429), Some(120), 1), Next::Retry(120));
        assert_eq!(after_attempt(Some(429), Some(1), 2), Next::Retry(3));
        assert_eq!(after_attempt(Some(429), Some(99_999), 2), Next::Retry(3600));
        assert_eq!(after_attempt(None, None, 1), Next::Retry(1));
        assert_eq!(after_attempt(Some(503), None, 7), Next::Retry(600));
        assert_eq!(after_attempt(Some(500), None, MAX_ATTEMPTS), Next::Fail);
        assert_eq!(after_attempt(Some(400), None, 1), Next::Fail);
        assert_eq!(retry_after_secs(" 7 "), Some(7));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn urgency_and_delivery_states_round_trip_and_refuse_unknown_words() {
        for u in [Urgency::Normal, Urgency::High] {
            assert_eq!(Urgency::parse(u.as_str()), Some(u));
        }
        assert_eq!(Urgency::parse("urgent"), None);
        for d in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(d.as_str()), Some(d));
        }
        assert_eq!(DeliveryState::parse("lost"), None);
        use IncidentStatus::*;
        assert_eq!(
            Urgency::of_incident(Investigating, Impact::Critical),
            Urgency::High
        );
        assert_eq!(
            Urgency::of_incident(Resolved, Impact::Critical),
            Urgency::Normal
        );
        assert_eq!(
            Urgency::of_incident(Monitoring, Impact::Minor),
            Urgency::Normal
        );
    }

    #[test]
    fn topics_are_short_base64url_and_replace_per_subject() {
        let reminder = Notice::Reminder {
            event: "demo".into(),
            guid: "0f5c8b2e-7d1a-4c1e-9a55-1d2f3e4a5b6c-extra".into(),
            title: "T".into(),
            track_name: "Track 1".into(),
            start: Utc.with_ymd_and_hms(2026, 11, 23, 14, 0, 0).unwrap(),
        };
        let t = topic(&reminder, 7);
        assert!(t.len() <= 32, "{t}");
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let delay = Notice::Schedule {
            event: "demo".into(),
            shift_id: 3,
            revert: false,
            moves: vec![],
        };
        assert_eq!(topic(&delay, 7), "schedule-7");
    }

    #[test]
    fn delay_notices_expire_when_the_talk_starts() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 17, 50, 0).unwrap();
        let start = Utc.with_ymd_and_hms(2026, 11, 23, 18, 15, 0).unwrap();
        assert_eq!(schedule_notice_expiry(now, start), start);
        // Already started: still a minute, so it is not dropped unread.
        assert_eq!(
            schedule_notice_expiry(now, now - chrono::Duration::hours(1)),
            now + chrono::Duration::seconds(60)
        );
        assert_eq!(ttl_secs(now, start), Some(25 * 60));
        assert_eq!(ttl_secs(now, now), None);
        assert_eq!(ttl_secs(now, now + chrono::Duration::seconds(30)), Some(30));
    }
}
