//! What a push notification says. A notice is stored once (in the outbox,
//! language-neutral); each subscriber's message is rendered from it at
//! send time in their language and time zone, narrowed to what they follow.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_i18n::t;
use serde::{Deserialize, Serialize};

use super::push::Audience;
use super::schedule::{Schedule, Session};
use super::time::format_hhmm;

/// A talk a paused track holds up (its stream is down): the one running
/// now, or the next one; its speakers are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PausedTalk {
    pub guid: String,
    pub title: String,
    pub track_name: String,
    pub speakers: Vec<String>,
    pub running: bool,
}

/// The talks on `tracks` that a stream outage at `now` holds up: per track
/// the one running (not cancelled) and the next one to start, those with
/// speakers only, in track order.
pub fn paused_talks(schedule: &Schedule, tracks: &[String], now: DateTime<Utc>) -> Vec<PausedTalk> {
    let mut out = Vec::new();
    for t in &schedule.tracks {
        if !tracks.contains(&t.slug) {
            continue;
        }
        let mut on: Vec<&Session> = schedule
            .sessions
            .iter()
            .filter(|s| s.track == t.slug && !s.cancelled && s.end() > now)
            .collect();
        on.sort_by_key(|s| s.start);
        let running = on.first().filter(|s| s.start <= now).copied();
        let next = on.iter().find(|s| s.start > now).copied();
        for (s, is_running) in [(running, true), (next, false)] {
            if let Some(s) = s.filter(|s| !s.speakers.is_empty()) {
                out.push(PausedTalk {
                    guid: s.guid.clone(),
                    title: s.title.clone(),
                    track_name: t.name.clone(),
                    speakers: s.speakers.clone(),
                    running: is_running,
                });
            }
        }
    }
    out
}

/// One session a shift moved, with what a message needs to name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub guid: String,
    pub title: String,
    pub track: String,
    pub track_name: String,
    pub speakers: Vec<String>,
    pub old_start: DateTime<Utc>,
    pub new_start: DateTime<Utc>,
    /// Called off rather than moved (`new_start` is then `old_start`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

/// The language-neutral content of a notice (the outbox's payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Incident {
        event: String,
        incident_id: i64,
        name: String,
        /// An `IncidentStatus` string.
        status: String,
        /// The update's text, plain and short.
        body: String,
    },
    Schedule {
        event: String,
        shift_id: i64,
        revert: bool,
        moves: Vec<Move>,
    },
    SpeakerMove {
        event: String,
        shift_id: i64,
        moves: Vec<Move>,
    },
    /// A new slot proposed to the speakers before attendees see it, or a
    /// reminder of the question when they have not answered.
    SpeakerProposal {
        event: String,
        proposal_id: i64,
        moves: Vec<Move>,
        #[serde(default)]
        reminder: bool,
    },
    /// A proposal was discarded: the speakers it asked keep their slots
    /// (the old start of each move), and their pending question is gone.
    ProposalWithdrawn {
        event: String,
        proposal_id: i64,
        moves: Vec<Move>,
    },
    Reminder {
        event: String,
        guid: String,
        title: String,
        track_name: String,
        start: DateTime<Utc>,
    },
    /// A stream incident pauses the track of these talks: their speakers
    /// hear it from the organisers, not from the audience.
    TrackPaused {
        event: String,
        incident_id: i64,
        incident: String,
        talks: Vec<PausedTalk>,
    },
}

/// An action button on a speaker's notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub action: &'static str,
    pub title: String,
}

/// What the service worker receives (JSON, encrypted on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    /// Replaces an older notification with the same tag on the device.
    pub tag: String,
    /// Opened when the notification is clicked.
    pub url: String,
    pub lang: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift_id: Option<i64>,
    /// The proposal a speaker's confirm/decline buttons answer (instead of
    /// a shift).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

/// Longest update text carried in a notification.
pub const MAX_BODY_CHARS: usize = 180;

/// Plain text cut to a notification body's length, on one line. (The
/// store turns an update's markdown into plain text first, with
/// `crate::markdown::to_plain`: the domain has no markdown parser.)
pub fn excerpt(plain: &str) -> String {
    let text = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_BODY_CHARS {
        text
    } else {
        let cut: String = text.chars().take(MAX_BODY_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

impl Notice {
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::Incident { .. } => "incident",
            Notice::Schedule { .. } => "schedule",
            Notice::SpeakerMove { .. } => "speaker_move",
            Notice::SpeakerProposal { .. } => "speaker_proposal",
            Notice::ProposalWithdrawn { .. } => "proposal_withdrawn",
            Notice::Reminder { .. } => "reminder",
            Notice::TrackPaused { .. } => "track_paused",
        }
    }

    /// The message for one subscriber, or `None` when nothing in the notice
    /// concerns them (a shift of tracks they do not follow).
    pub fn render(&self, who: &Audience, lang: &str, tz: Tz) -> Option<Message> {
        let hhmm = |t: DateTime<Utc>| format_hhmm(tz, t);
        let base = |kind, title: String, body: String, tag: String, url: String| Message {
            kind,
            title,
            body,
            tag,
            url,
            lang: lang.to_owned(),
            shift_id: None,
            proposal_id: None,
            actions: Vec::new(),
        };
        let answer_actions = || {
            vec![
                Action {
                    action: "confirm",
                    title: t!("speaker.confirm", locale = lang).to_string(),
                },
                Action {
                    action: "decline",
                    title: t!("speaker.decline", locale = lang).to_string(),
                },
            ]
        };
        match self {
            Notice::Incident {
                event,
                incident_id,
                name,
                status,
                body,
            } => {
                let label = t!(format!("incident.{status}"), locale = lang).to_string();
                let body = if body.is_empty() {
                    label
                } else {
                    format!("{label}: {body}")
                };
                Some(base(
                    "incident",
                    name.clone(),
                    body,
                    format!("incident-{incident_id}"),
                    format!("/e/{event}/status"),
                ))
            }
            Notice::Schedule {
                event,
                revert,
                moves,
                ..
            } => {
                let mine: Vec<&Move> = moves
                    .iter()
                    .filter(|m| {
                        who.all_tracks
                            || who.tracks.contains(&m.track)
                            || who.sessions.contains(&m.guid)
                    })
                    .collect();
                let first = mine.iter().min_by_key(|m| m.new_start)?;
                let mut tracks: Vec<&str> = Vec::new();
                for m in &mine {
                    if !tracks.contains(&m.track_name.as_str()) {
                        tracks.push(&m.track_name);
                    }
                }
                let names = if tracks.len() > 3 {
                    t!("push.n_tracks", locale = lang, n = tracks.len()).to_string()
                } else {
                    tracks.join(", ")
                };
                let later = first.new_start > first.old_start;
                let title = match (revert, later) {
                    (true, _) => t!("push.schedule_restored", locale = lang, tracks = names),
                    (false, true) => t!("push.delayed", locale = lang, tracks = names),
                    (false, false) => t!("push.moved", locale = lang, tracks = names),
                }
                .to_string();
                // Someone following only starred talks wants to hear which.
                let body = if first.cancelled {
                    t!("push.talk_cancelled", locale = lang, title = first.title)
                } else if !who.all_tracks && who.tracks.is_empty() {
                    t!(
                        "push.talk_now_at",
                        locale = lang,
                        title = first.title,
                        new = hhmm(first.new_start),
                        old = hhmm(first.old_start)
                    )
                } else {
                    t!(
                        "push.talks_now_at",
                        locale = lang,
                        new = hhmm(first.new_start),
                        old = hhmm(first.old_start)
                    )
                }
                .to_string();
                Some(base(
                    "schedule",
                    title,
                    body,
                    format!("schedule-{event}"),
                    format!("/e/{event}"),
                ))
            }
            Notice::SpeakerMove {
                event,
                shift_id,
                moves,
            } => {
                let me = who.speaker.as_ref()?;
                let mine: Vec<&Move> = moves.iter().filter(|m| m.speakers.contains(me)).collect();
                // A cancelled talk has no new time to confirm: told, not asked.
                if let Some(c) = mine.iter().find(|m| m.cancelled)
                    && mine.iter().all(|m| m.cancelled)
                {
                    return Some(base(
                        "speaker_move",
                        t!("push.your_talk_cancelled_title", locale = lang).to_string(),
                        t!("push.talk_cancelled", locale = lang, title = c.title).to_string(),
                        format!("speaker-{event}"),
                        format!("/e/{event}/talk/{}", c.guid),
                    ));
                }
                let mine: Vec<&Move> = mine.into_iter().filter(|m| !m.cancelled).collect();
                let first = mine.iter().min_by_key(|m| m.new_start)?;
                let body = t!(
                    "push.your_talk_moved",
                    locale = lang,
                    title = first.title,
                    old = hhmm(first.old_start),
                    new = hhmm(first.new_start)
                )
                .to_string();
                let body = if mine.len() > 1 {
                    format!(
                        "{body} {}",
                        t!("push.and_more", locale = lang, n = mine.len() - 1)
                    )
                } else {
                    body
                };
                let mut m = base(
                    "speaker_move",
                    t!("push.your_talk_title", locale = lang).to_string(),
                    body,
                    format!("speaker-{event}"),
                    format!("/e/{event}/talk/{}", first.guid),
                );
                m.shift_id = Some(*shift_id);
                m.actions = answer_actions();
                Some(m)
            }
            Notice::SpeakerProposal {
                event,
                proposal_id,
                moves,
                reminder,
            } => {
                let me = who.speaker.as_ref()?;
                let first = moves
                    .iter()
                    .filter(|m| m.speakers.contains(me) && !m.cancelled)
                    .min_by_key(|m| m.new_start)?;
                let title = if *reminder {
                    t!("push.proposal_reminder_title", locale = lang)
                } else {
                    t!("push.proposal_title", locale = lang)
                };
                let mut m = base(
                    "speaker_proposal",
                    title.to_string(),
                    t!(
                        "push.proposal_body",
                        locale = lang,
                        title = first.title,
                        old = hhmm(first.old_start),
                        new = hhmm(first.new_start)
                    )
                    .to_string(),
                    format!("speaker-{event}"),
                    format!("/e/{event}/talk/{}", first.guid),
                );
                // Answerable from the notification, like a published move.
                m.proposal_id = Some(*proposal_id);
                m.actions = answer_actions();
                Some(m)
            }
            Notice::ProposalWithdrawn { event, moves, .. } => {
                let me = who.speaker.as_ref()?;
                let first = moves
                    .iter()
                    .filter(|m| m.speakers.contains(me))
                    .min_by_key(|m| m.old_start)?;
                // Same tag as the question, so it replaces it on the device.
                Some(base(
                    "proposal_withdrawn",
                    t!("push.proposal_withdrawn_title", locale = lang).to_string(),
                    t!(
                        "push.proposal_withdrawn_body",
                        locale = lang,
                        title = first.title,
                        old = hhmm(first.old_start)
                    )
                    .to_string(),
                    format!("speaker-{event}"),
                    format!("/e/{event}/talk/{}", first.guid),
                ))
            }
            Notice::Reminder {
                event,
                guid,
                title,
                track_name,
                start,
            } => Some(base(
                "reminder",
                t!("push.reminder_title", locale = lang, time = hhmm(*start)).to_string(),
                format!("{title} · {track_name}"),
                format!("reminder-{guid}"),
                format!("/e/{event}/talk/{guid}"),
            )),
            Notice::TrackPaused {
                event,
                incident_id,
                incident,
                talks,
            } => {
                let me = who.speaker.as_ref()?;
                // Running first: that is the talk stopped mid-sentence.
                let talk = talks
                    .iter()
                    .filter(|t| t.speakers.contains(me))
                    .max_by_key(|t| t.running)?;
                let body = if talk.running {
                    t!(
                        "push.track_paused_running",
                        locale = lang,
                        title = talk.title,
                        incident = incident
                    )
                } else {
                    t!(
                        "push.track_paused_next",
                        locale = lang,
                        title = talk.title,
                        incident = incident
                    )
                };
                Some(base(
                    "track_paused",
                    t!(
                        "push.track_paused_title",
                        locale = lang,
                        track = talk.track_name
                    )
                    .to_string(),
                    body.to_string(),
                    format!("paused-{incident_id}"),
                    format!("/e/{event}/talk/{}", talk.guid),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {

    mod paused {
        use super::super::*;
        use crate::domain::push::Audience;
        use crate::domain::replan::fixtures::evening;

        #[test]
        fn the_running_and_next_talk_of_a_paused_track_are_named_and_told() {
            let mut s = evening();
            let track = s.sessions[0].track.clone();
            let mine: Vec<&Session> = s.sessions.iter().filter(|x| x.track == track).collect();
            let (first, second) = (mine[0].clone(), mine[1].clone());
            let during = first.start + chrono::Duration::minutes(1);
            let talks = paused_talks(&s, std::slice::from_ref(&track), during);
            let named: Vec<(&str, bool)> =
                talks.iter().map(|t| (t.guid.as_str(), t.running)).collect();
            assert_eq!(
                named,
                [(first.guid.as_str(), true), (second.guid.as_str(), false)]
            );
            // Another track is left alone; a cancelled next talk is skipped.
            assert!(paused_talks(&s, &["no-such-track".into()], during).is_empty());
            s.sessions
                .iter_mut()
                .find(|x| x.guid == second.guid)
                .unwrap()
                .cancelled = true;
            let talks = paused_talks(&s, std::slice::from_ref(&track), during);
            assert!(talks.iter().all(|t| t.guid != second.guid));

            let notice = Notice::TrackPaused {
                event: "demo".into(),
                incident_id: 7,
                incident: "Player down".into(),
                talks: paused_talks(&evening(), std::slice::from_ref(&track), during),
            };
            let speaker = |k: &str| Audience {
                speaker: Some(k.into()),
                ..Audience::default()
            };
            let m = notice
                .render(&speaker(&first.speakers[0]), "fr", chrono_tz::UTC)
                .expect("the running talk's speaker is told");
            assert!(
                m.body.contains(&first.title) && m.body.contains("Player down"),
                "{}",
                m.body
            );
            assert_eq!(m.url, format!("/e/demo/talk/{}", first.guid));
            let en = notice
                .render(&speaker(&first.speakers[0]), "en", chrono_tz::UTC)
                .unwrap();
            assert_ne!(en.body, m.body, "translated");
            assert!(
                notice
                    .render(&Audience::default(), "en", chrono_tz::UTC)
                    .is_none(),
                "attendees hear the incident itself"
            );
            assert!(
                notice
                    .render(&speaker("someone-else"), "en", chrono_tz::UTC)
                    .is_none()
            );
        }
    }
    use super::*;
    use chrono::TimeZone;

    fn moves() -> Vec<Move> {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap();
        vec![
            Move {
                guid: "g1".into(),
                title: "Rust at scale".into(),
                track: "t1".into(),
                track_name: "Track 1".into(),
                speakers: vec!["ada".into()],
                old_start: at(14, 25),
                new_start: at(15, 15),
                cancelled: false,
            },
            Move {
                guid: "g2".into(),
                title: "Streams".into(),
                track: "t2".into(),
                track_name: "Track 2".into(),
                speakers: vec!["bob".into()],
                old_start: at(14, 30),
                new_start: at(15, 20),
                cancelled: false,
            },
        ]
    }

    #[test]
    fn a_delay_is_told_in_the_subscribers_language_and_zone() {
        let n = Notice::Schedule {
            event: "demo".into(),
            shift_id: 3,
            revert: false,
            moves: moves(),
        };
        let t2 = Audience {
            tracks: ["t2".to_string()].into(),
            ..Default::default()
        };
        let m = n.render(&t2, "en", chrono_tz::Europe::Moscow).unwrap();
        assert_eq!(m.title, "Track 2 delayed");
        assert!(
            m.body.contains("17:30") && m.body.contains("18:20"),
            "{}",
            m.body
        );
        assert_eq!(m.tag, "schedule-demo");
        let m = n.render(&t2, "fr", chrono_tz::Europe::Paris).unwrap();
        assert!(m.body.contains("16:20"), "{}", m.body);
        assert_ne!(m.title, "Track 2 delayed");
        let nobody = Audience {
            tracks: ["t9".to_string()].into(),
            ..Default::default()
        };
        assert!(n.render(&nobody, "en", chrono_tz::UTC).is_none());
        let starred = Audience {
            sessions: ["g1".to_string()].into(),
            ..Default::default()
        };
        assert!(
            n.render(&starred, "en", chrono_tz::UTC)
                .unwrap()
                .body
                .contains("Rust at scale")
        );
    }

    #[test]
    fn speakers_get_their_own_talk_with_actions() {
        let n = Notice::SpeakerMove {
            event: "demo".into(),
            shift_id: 3,
            moves: moves(),
        };
        let bob = Audience {
            speaker: Some("bob".into()),
            ..Default::default()
        };
        let m = n.render(&bob, "en", chrono_tz::UTC).unwrap();
        assert!(
            m.body.contains("Streams") && m.body.contains("14:30 → 15:20"),
            "{}",
            m.body
        );
        assert_eq!(m.shift_id, Some(3));
        assert_eq!(
            m.actions.iter().map(|a| a.action).collect::<Vec<_>>(),
            ["confirm", "decline"]
        );
        let eve = Audience {
            speaker: Some("eve".into()),
            ..Default::default()
        };
        assert!(n.render(&eve, "en", chrono_tz::UTC).is_none());
    }

    #[test]
    fn a_proposed_slot_is_answered_from_the_notification_and_its_withdrawal_replaces_it() {
        let ask = Notice::SpeakerProposal {
            event: "demo".into(),
            proposal_id: 9,
            moves: moves(),
            reminder: false,
        };
        let bob = Audience {
            speaker: Some("bob".into()),
            ..Default::default()
        };
        let m = ask.render(&bob, "en", chrono_tz::UTC).unwrap();
        assert_eq!((m.proposal_id, m.shift_id), (Some(9), None));
        assert_eq!(
            m.actions.iter().map(|a| a.action).collect::<Vec<_>>(),
            ["confirm", "decline"]
        );
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["proposal_id"], 9);
        assert!(json.get("shift_id").is_none());

        let gone = Notice::ProposalWithdrawn {
            event: "demo".into(),
            proposal_id: 9,
            moves: moves(),
        };
        let w = gone.render(&bob, "ru", chrono_tz::UTC).unwrap();
        assert_eq!(w.tag, m.tag, "replaces the question on the device");
        assert!(w.actions.is_empty() && w.proposal_id.is_none());
        assert!(
            w.body.contains("Streams") && w.body.contains("14:30"),
            "{}",
            w.body
        );
        assert!(
            !w.body.contains("15:20"),
            "the proposed time is not repeated"
        );
        assert_ne!(
            w.title,
            gone.render(&bob, "en", chrono_tz::UTC).unwrap().title,
            "translated"
        );
        assert_eq!(
            crate::domain::push::topic(&gone, 1),
            crate::domain::push::topic(&ask, 1),
            "replaces the question still waiting at the push service"
        );
        let eve = Audience {
            speaker: Some("eve".into()),
            ..Default::default()
        };
        assert!(gone.render(&eve, "en", chrono_tz::UTC).is_none());
    }

    #[test]
    fn a_speaker_is_told_of_a_cancelled_talk_and_not_asked_to_confirm_it() {
        let mut m = moves();
        m[0].cancelled = true;
        m[0].new_start = m[0].old_start;
        let n = Notice::SpeakerMove {
            event: "demo".into(),
            shift_id: 4,
            moves: m,
        };
        let ada = Audience {
            speaker: Some("ada".into()),
            ..Default::default()
        };
        let msg = n.render(&ada, "en", chrono_tz::Europe::Moscow).unwrap();
        assert_eq!(msg.title, "Your talk is cancelled");
        assert!(msg.body.contains("Rust at scale"), "{}", msg.body);
        assert!(msg.actions.is_empty() && msg.shift_id.is_none());
        // Bob's talk only moved: he is asked as before.
        let bob = Audience {
            speaker: Some("bob".into()),
            ..Default::default()
        };
        let msg = n.render(&bob, "en", chrono_tz::Europe::Moscow).unwrap();
        assert_eq!(msg.actions.len(), 2);
    }

    #[test]
    fn a_delay_across_the_autumn_dst_change_reads_in_wall_clock_time() {
        // 2026-10-25 in Paris: 03:00 CEST becomes 02:00 CET. A talk at
        // 02:45 CEST delayed by 30 minutes starts at 02:15 CET.
        let n = Notice::Schedule {
            event: "demo".into(),
            shift_id: 1,
            revert: false,
            moves: vec![Move {
                guid: "g".into(),
                title: "Night talk".into(),
                track: "t1".into(),
                track_name: "Track 1".into(),
                speakers: vec![],
                old_start: Utc.with_ymd_and_hms(2026, 10, 25, 0, 45, 0).unwrap(),
                new_start: Utc.with_ymd_and_hms(2026, 10, 25, 1, 15, 0).unwrap(),
                cancelled: false,
            }],
        };
        let all = Audience {
            all_tracks: true,
            ..Default::default()
        };
        let m = n.render(&all, "en", chrono_tz::Europe::Paris).unwrap();
        assert_eq!(
            m.title, "Track 1 delayed",
            "a delay, though the clock reads earlier"
        );
        assert_eq!(m.body, "Talks now start at 02:15 (was 02:45).");
        let m = n.render(&all, "en", chrono_tz::Europe::Moscow).unwrap();
        assert_eq!(m.body, "Talks now start at 04:15 (was 03:45).");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("Streams are\n\n  down"), "Streams are down");
        let long = "word ".repeat(100);
        let e = excerpt(&long);
        assert!(e.chars().count() <= MAX_BODY_CHARS && e.ends_with('…'));
    }
}
