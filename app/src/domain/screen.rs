//! What a countdown screen (stream overlay, venue display) shows for one
//! track at one instant. Pure and wasm-safe: the server renders the state
//! at its own clock, then the island recomputes it every second in the
//! browser from the same data, so both always agree. All arithmetic is on
//! UTC instants; the event's zone only decides what "today" is and how a
//! time reads. The browser gets that zone as a small [`Offsets`] table
//! rather than chrono-tz: naming a zone at run time links the whole tz
//! database, which would add about 900 KB to every page's wasm.

use chrono::{
    DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::schedule::{Schedule, SessionKind};
use super::status::IncidentReach;
use super::time::{local_to_utc_lenient, transitions};

/// A time zone as far as screens need one: the UTC offset at an instant.
pub trait Zone {
    /// Seconds east of UTC in force at `t`.
    fn offset_secs(&self, t: DateTime<Utc>) -> i32;

    /// Wall-clock date and time at `t`.
    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.naive_utc() + Duration::seconds(i64::from(self.offset_secs(t)))
    }

    fn day(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).date()
    }

    /// `HH:MM`, without chrono's format machinery (smaller wasm).
    fn hhmm(&self, t: DateTime<Utc>) -> String {
        let l = self.local(t);
        format!("{:02}:{:02}", l.hour(), l.minute())
    }
}

impl Zone for Tz {
    fn offset_secs(&self, t: DateTime<Utc>) -> i32 {
        self.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc()
    }
}

/// A zone's offsets over a stretch of time: `(from epoch seconds, offset
/// seconds)`, ascending. Before the first entry its offset is assumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offsets(pub Vec<(i64, i32)>);

impl Offsets {
    /// `tz` from `from` to `to`, with its offset changes to the second
    /// (see [`transitions`]; a change of name alone is left out).
    pub fn of(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let mut v = vec![(from.timestamp(), tz.offset_secs(from))];
        for t in transitions(tz, from, to) {
            if v.last().is_some_and(|e| e.1 != t.after.offset_secs) {
                v.push((t.at.timestamp(), t.after.offset_secs));
            }
        }
        Self(v)
    }
}

impl Zone for Offsets {
    fn offset_secs(&self, t: DateTime<Utc>) -> i32 {
        let s = t.timestamp();
        let i = self.0.partition_point(|e| e.0 <= s);
        self.0.get(i.saturating_sub(1)).map_or(0, |e| e.1)
    }
}

/// One session as a screen needs it: speaker names resolved, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenSession {
    pub title: String,
    /// Speaker names in billing order, comma-separated.
    pub speakers: String,
    pub kind: SessionKind,
    /// Epoch milliseconds on the wire: compact, and exact in JavaScript.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub start: DateTime<Utc>,
    pub duration_min: i64,
}

impl ScreenSession {
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(self.duration_min)
    }
}

/// An open incident (or running maintenance) as screens announce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenIncident {
    pub name: String,
    /// The latest update, as plain text.
    pub message: String,
    /// The tracks it reaches: the same rule as push and the banner.
    pub reach: IncidentReach,
}

impl ScreenIncident {
    pub fn affects(&self, track: &str) -> bool {
        self.reach.covers(track)
    }

    /// Whether it names `track`'s own stream (not just the whole event):
    /// what makes a running talk "paused" rather than "live".
    pub fn stream_down(&self, track: &str) -> bool {
        matches!(&self.reach, IncidentReach::Tracks(t) if t.iter().any(|x| x == track))
    }
}

/// One track on a screen with the sessions the browser needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenTrack {
    pub slug: String,
    pub name: String,
    pub color: String,
    /// Start order; see [`day_window`].
    pub sessions: Vec<ScreenSession>,
}

/// Everything a countdown island needs, as props and as
/// `/e/{event}/screen.json`: one shape, so a refresh replaces it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenData {
    /// The event's name.
    pub event: String,
    /// IANA zone of the event.
    pub tz: String,
    /// Its offsets from the day before `day` to a day after the last
    /// session in `tracks` starts (at least to the end of the day after).
    pub offsets: Offsets,
    /// The local day the sessions were picked for, `YYYY-MM-DD`.
    #[serde(with = "iso_day")]
    pub day: NaiveDate,
    /// The server's clock when the data was built (epoch ms).
    pub server_now_ms: i64,
    pub tracks: Vec<ScreenTrack>,
    /// Newest first.
    pub incidents: Vec<ScreenIncident>,
}

/// `YYYY-MM-DD` read by hand: chrono's `FromStr` links its whole format
/// parser into the wasm (about 12 KB) for one date.
mod iso_day {
    use chrono::{Datelike, NaiveDate};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            d.month(),
            d.day()
        ))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        let mut it = s.splitn(3, '-').map(str::parse::<u32>);
        match (it.next(), it.next(), it.next()) {
            (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) => i32::try_from(y)
                .ok()
                .and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
            _ => None,
        }
        .ok_or_else(|| D::Error::custom(format!("expected YYYY-MM-DD, got {s:?}")))
    }
}

/// What one track's screen says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreenState {
    /// Nothing running; the next session today starts in `starts_in`.
    UpNext {
        session: ScreenSession,
        starts_in: Duration,
    },
    LiveNow {
        session: ScreenSession,
        elapsed: Duration,
    },
    /// A talk is on, but an open incident names this track's stream: the
    /// audience cannot see it, so the screen must not say "live".
    Paused {
        session: ScreenSession,
        elapsed: Duration,
        incident: ScreenIncident,
    },
    /// A break is on; what follows it today, if anything.
    Break {
        next: Option<(ScreenSession, Duration)>,
    },
    /// An incident affects the track: its message, and the next session
    /// today at its (possibly shifted) start with a countdown.
    Delayed {
        incident: ScreenIncident,
        next: Option<(ScreenSession, Duration)>,
    },
    /// Nothing more today, after sessions earlier today; the first session
    /// of a later day, if there is one.
    DoneForToday { next: Option<ScreenSession> },
    /// Nothing today at all (days before the event, or a day off): the
    /// first session of a later day, with the wait. What organisers see
    /// when they set up a stream overlay ahead of the event.
    Upcoming {
        session: ScreenSession,
        starts_in: Duration,
    },
}

/// The state of `track` at `now`: see [`state_at`].
pub fn screen_state(
    schedule: &Schedule,
    incidents: &[ScreenIncident],
    track: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> ScreenState {
    state_at(&track_sessions(schedule, track), incidents, track, now, &tz)
}

/// The state from a track's sessions (start order). A running talk is
/// live unless an incident names this track's stream (then it is paused);
/// an incident of the whole event or of other components leaves it live
/// (the view still shows the notice). Otherwise an incident turns the wait
/// into "delayed". Breaks never count as "up next".
pub fn state_at(
    sessions: &[ScreenSession],
    incidents: &[ScreenIncident],
    track: &str,
    now: DateTime<Utc>,
    zone: &impl Zone,
) -> ScreenState {
    let today = zone.day(now);
    let running = sessions
        .iter()
        .filter(|s| s.start <= now && now < s.end())
        .max_by_key(|s| s.start);
    if let Some(s) = running.filter(|s| s.kind != SessionKind::Break) {
        if let Some(incident) = incidents.iter().find(|i| i.stream_down(track)) {
            return ScreenState::Paused {
                session: s.clone(),
                elapsed: now - s.start,
                incident: incident.clone(),
            };
        }
        return ScreenState::LiveNow {
            session: s.clone(),
            elapsed: now - s.start,
        };
    }
    let next = sessions
        .iter()
        .find(|s| s.kind != SessionKind::Break && s.start > now && zone.day(s.start) == today)
        .map(|s| (s.clone(), s.start - now));
    if let Some(incident) = incidents.iter().find(|i| i.affects(track)) {
        return ScreenState::Delayed {
            incident: incident.clone(),
            next,
        };
    }
    match (running, next) {
        (Some(_), next) => ScreenState::Break { next },
        (None, Some((session, starts_in))) => ScreenState::UpNext { session, starts_in },
        (None, None) => {
            let talk = |s: &&ScreenSession| s.kind != SessionKind::Break;
            let later = sessions
                .iter()
                .filter(talk)
                .find(|s| s.start > now && zone.day(s.start) > today);
            let had_today = sessions
                .iter()
                .filter(talk)
                .any(|s| zone.day(s.start) == today);
            match later {
                Some(s) if !had_today => ScreenState::Upcoming {
                    session: s.clone(),
                    starts_in: s.start - now,
                },
                later => ScreenState::DoneForToday {
                    next: later.cloned(),
                },
            }
        }
    }
}

/// A track's sessions in start order, in screen form. Cancelled ones are
/// left out: a hall screen shows what will happen.
pub fn track_sessions(schedule: &Schedule, track: &str) -> Vec<ScreenSession> {
    schedule
        .track_sessions(track)
        .into_iter()
        .filter(|s| !s.cancelled)
        .map(|s| ScreenSession {
            title: s.title.clone(),
            speakers: s
                .speakers
                .iter()
                .filter_map(|k| schedule.speaker(k).map(|p| p.name.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            kind: s.kind,
            start: s.start,
            duration_min: s.duration_min,
        })
        .collect()
}

/// The sessions that matter on local `day`: those starting that day or the
/// next (for "tomorrow"), any still running when the day begins (a talk
/// across midnight), and the first one after that (what comes next when
/// the event is days away). Keeps the island's props small.
pub fn day_window(sessions: Vec<ScreenSession>, tz: Tz, day: NaiveDate) -> Vec<ScreenSession> {
    let at = |d: NaiveDate| local_to_utc_lenient(tz, d.and_time(NaiveTime::MIN));
    let start = at(day);
    let end = at(day + Duration::days(2));
    let first_after = sessions
        .iter()
        .position(|s| s.kind != SessionKind::Break && s.start >= end);
    sessions
        .into_iter()
        .enumerate()
        .filter(|(i, s)| (s.end() > start && s.start < end) || Some(*i) == first_after)
        .map(|(_, s)| s)
        .collect()
}

/// The data for one track (or every track when `track` is `None`) on
/// local `day`; `None` when the track does not exist.
pub fn screen_data(
    schedule: &Schedule,
    tz: Tz,
    incidents: Vec<ScreenIncident>,
    track: Option<&str>,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Option<ScreenData> {
    if track.is_some_and(|t| schedule.track(t).is_none()) {
        return None;
    }
    let at = |d: NaiveDate| local_to_utc_lenient(tz, d.and_time(NaiveTime::MIN));
    let tracks: Vec<ScreenTrack> = schedule
        .tracks
        .iter()
        .filter(|t| track.is_none_or(|x| x == t.slug))
        .map(|t| ScreenTrack {
            slug: t.slug.clone(),
            name: t.name.clone(),
            color: t.color.clone(),
            sessions: day_window(track_sessions(schedule, &t.slug), tz, day),
        })
        .collect();
    // Far enough for the latest session the screen may name, so its day
    // and time read right across a DST change in between.
    let last_start = tracks
        .iter()
        .flat_map(|t| t.sessions.iter().map(|s| s.start + Duration::days(1)))
        .max();
    let until = at(day + Duration::days(2)).max(last_start.unwrap_or(DateTime::<Utc>::MIN_UTC));
    let offsets = Offsets::of(tz, at(day - Duration::days(1)), until);
    Some(ScreenData {
        event: schedule.event.name.clone(),
        tz: schedule.event.time_zone.clone(),
        offsets,
        day,
        server_now_ms: now.timestamp_millis(),
        tracks,
        incidents,
    })
}

/// A countdown or elapsed time: `MM:SS`, or `H:MM:SS` from an hour on.
/// Negative durations read as zero.
pub fn format_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_zone;
    use chrono::NaiveDateTime;

    const MSK: &str = "Europe/Moscow";

    fn at(tz: &str, local: &str) -> DateTime<Utc> {
        let t = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").unwrap();
        crate::domain::time::local_to_utc(parse_zone(tz).unwrap(), t).unwrap()
    }

    fn talk(title: &str, start: DateTime<Utc>, min: i64, kind: SessionKind) -> ScreenSession {
        ScreenSession {
            title: title.into(),
            speakers: format!("{title} speaker"),
            kind,
            start,
            duration_min: min,
        }
    }

    /// The demo evening on track 2: 17:00, 17:50, 18:40, break 19:20, 19:50.
    fn evening(day: &str) -> Vec<ScreenSession> {
        let t = |hm: &str| at(MSK, &format!("{day} {hm}:00"));
        vec![
            talk("A", t("17:00"), 40, SessionKind::Talk),
            talk("B", t("17:50"), 40, SessionKind::Talk),
            talk("C", t("18:40"), 40, SessionKind::Talk),
            talk("Break", t("19:20"), 30, SessionKind::Break),
            talk("D", t("19:50"), 40, SessionKind::Talk),
        ]
    }

    fn state(sessions: &[ScreenSession], incidents: &[ScreenIncident], local: &str) -> ScreenState {
        state_at(
            sessions,
            incidents,
            "track-2",
            at(MSK, local),
            &parse_zone(MSK).unwrap(),
        )
    }

    /// An incident naming the streams of `tracks`, or (`None`) no component.
    fn incident(tracks: Option<&[&str]>) -> ScreenIncident {
        ScreenIncident {
            name: "Stream down".into(),
            message: "We are on it.".into(),
            reach: match tracks {
                Some(t) => IncidentReach::of(t.iter().map(|s| Some(*s))),
                None => IncidentReach::Event,
            },
        }
    }

    fn title_and_secs(s: &ScreenState) -> (String, i64) {
        match s {
            ScreenState::UpNext { session, starts_in } => {
                (session.title.clone(), starts_in.num_seconds())
            }
            ScreenState::LiveNow { session, elapsed } => {
                (session.title.clone(), elapsed.num_seconds())
            }
            ScreenState::Break { next: Some((n, d)) }
            | ScreenState::Delayed {
                next: Some((n, d)), ..
            } => (n.title.clone(), d.num_seconds()),
            other => panic!("no title in {other:?}"),
        }
    }

    #[test]
    fn counts_down_to_the_first_talk_then_shows_it_live() {
        let e = evening("2026-11-23");
        let up = state(&e, &[], "2026-11-23 16:50:00");
        assert!(matches!(up, ScreenState::UpNext { .. }));
        assert_eq!(title_and_secs(&up), ("A".into(), 600));
        assert_eq!(format_duration(Duration::seconds(600)), "10:00");
        let live = state(&e, &[], "2026-11-23 17:12:34");
        assert!(matches!(live, ScreenState::LiveNow { .. }));
        assert_eq!(title_and_secs(&live), ("A".into(), 754));
        // Between talks the next one is simply up next; the end is exclusive.
        assert_eq!(
            title_and_secs(&state(&e, &[], "2026-11-23 17:40:00")),
            ("B".into(), 600)
        );
    }

    #[test]
    fn a_break_names_what_follows_and_when() {
        let s = state(&evening("2026-11-23"), &[], "2026-11-23 19:30:00");
        assert!(matches!(s, ScreenState::Break { .. }));
        assert_eq!(title_and_secs(&s), ("D".into(), 20 * 60));
    }

    #[test]
    fn an_incident_without_a_shift_counts_down_to_the_unchanged_start() {
        let s = state(
            &evening("2026-11-23"),
            &[incident(Some(&["track-2"]))],
            "2026-11-23 16:55:00",
        );
        let ScreenState::Delayed { incident: i, .. } = &s else {
            panic!("{s:?}")
        };
        assert_eq!(i.message, "We are on it.");
        assert_eq!(title_and_secs(&s), ("A".into(), 300));
        // Other tracks' incidents do not count; one without tracks hits all.
        let other = state(
            &evening("2026-11-23"),
            &[incident(Some(&["track-1"]))],
            "2026-11-23 16:55:00",
        );
        assert!(matches!(other, ScreenState::UpNext { .. }));
        let all = state(
            &evening("2026-11-23"),
            &[incident(None)],
            "2026-11-23 16:55:00",
        );
        assert!(matches!(all, ScreenState::Delayed { .. }));
        // After the last talk the notice stays, with nothing to count down to.
        let late = state(
            &evening("2026-11-23"),
            &[incident(None)],
            "2026-11-23 21:00:00",
        );
        assert!(matches!(late, ScreenState::Delayed { next: None, .. }));
    }

    #[test]
    fn a_shift_while_a_talk_runs_leaves_it_live_and_moves_the_countdown() {
        let mut e = evening("2026-11-23");
        // 17:20, A is live; the organiser shifts everything after it by 15 min.
        for s in e.iter_mut().skip(1) {
            s.start += Duration::minutes(15);
        }
        let delay = [incident(Some(&["track-2"]))];
        assert_eq!(
            title_and_secs(&state(&e, &[], "2026-11-23 17:20:00")),
            ("A".into(), 1200),
            "a running talk stays live"
        );
        // With its stream down it is paused, not "live now"; an incident
        // of the whole event or of another track's stream leaves it live.
        assert!(matches!(
            state(&e, &delay, "2026-11-23 17:20:00"),
            ScreenState::Paused { ref session, .. } if session.title == "A"
        ));
        for other in [incident(None), incident(Some(&["track-1"]))] {
            assert!(matches!(
                state(&e, &[other], "2026-11-23 17:20:00"),
                ScreenState::LiveNow { .. }
            ));
        }
        let after = state(&e, &[], "2026-11-23 17:40:00");
        assert_eq!(
            title_and_secs(&after),
            ("B".into(), 25 * 60),
            "to the shifted 18:05"
        );
        let delayed = state(&e, &delay, "2026-11-23 17:40:00");
        assert!(matches!(delayed, ScreenState::Delayed { .. }));
        assert_eq!(title_and_secs(&delayed), ("B".into(), 25 * 60));
    }

    #[test]
    fn after_the_last_talk_it_is_done_and_names_tomorrows_first() {
        let mut two_days = evening("2026-11-23");
        two_days.extend(evening("2026-11-24"));
        let s = state(&two_days, &[], "2026-11-23 20:30:00");
        let ScreenState::DoneForToday { next: Some(t) } = &s else {
            panic!("{s:?}")
        };
        assert_eq!(t.start, at(MSK, "2026-11-24 17:00:00"));
        assert_eq!(
            state(&evening("2026-11-23"), &[], "2026-11-23 20:30:00"),
            ScreenState::DoneForToday { next: None },
            "the last day"
        );
    }

    #[test]
    fn days_before_the_event_it_names_the_first_session_and_its_wait() {
        let e = evening("2026-11-23");
        // Organisers set up the overlay on the 20th, three days ahead.
        let s = state(&e, &[], "2026-11-20 12:00:00");
        let ScreenState::Upcoming { session, starts_in } = &s else {
            panic!("{s:?}")
        };
        assert_eq!(session.title, "A");
        assert_eq!(starts_in.num_minutes(), 3 * 24 * 60 + 5 * 60);
        // The day before, too: nothing today, so not "no more today".
        assert!(matches!(
            state(&e, &[], "2026-11-22 23:00:00"),
            ScreenState::Upcoming { .. }
        ));
        // The island gets that first session in its window, however far.
        let tz = parse_zone(MSK).unwrap();
        let w = day_window(e, tz, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(
            w.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(),
            ["A"]
        );
    }

    #[test]
    fn a_first_session_beyond_a_dst_change_reads_in_its_own_offset() {
        // Set up on 20 March in Berlin (CET); the talk is on 2 April (CEST).
        let b = "Europe/Berlin";
        let tz = parse_zone(b).unwrap();
        let sched = crate::domain::schedule::Schedule {
            event: crate::domain::schedule::Event {
                slug: "e".into(),
                name: "E".into(),
                time_zone: b.into(),
                start_date: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
                end_date: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
            },
            tracks: vec![crate::domain::schedule::Track {
                slug: "t".into(),
                name: "T".into(),
                color: "#000".into(),
                stream_url: None,
                position: 0,
            }],
            speakers: vec![],
            sessions: vec![crate::domain::schedule::Session {
                guid: "g".into(),
                title: "Opening".into(),
                abstract_md: String::new(),
                kind: SessionKind::Talk,
                start: at(b, "2026-04-02 10:00:00"),
                duration_min: 30,
                track: "t".into(),
                speakers: vec![],
                language: None,
                pinned: false,
                cancelled: false,
            }],
            version: 1,
        };
        let now = at(b, "2026-03-20 12:00:00");
        let d = screen_data(&sched, tz, vec![], Some("t"), tz.day(now), now).unwrap();
        let first = &d.tracks[0].sessions[0];
        assert_eq!(d.offsets.hhmm(first.start), "10:00");
        assert_eq!(d.offsets.hhmm(now), "12:00");
        let ScreenState::Upcoming { session, .. } =
            state_at(&d.tracks[0].sessions, &[], "t", now, &d.offsets)
        else {
            panic!("not upcoming")
        };
        assert_eq!(d.offsets.day(session.start).to_string(), "2026-04-02");
    }

    #[test]
    fn midnight_turns_tomorrow_into_today() {
        let mut e = evening("2026-11-23");
        e.push(talk(
            "Late",
            at(MSK, "2026-11-23 23:30:00"),
            60,
            SessionKind::Other,
        ));
        e.push(talk(
            "Morning",
            at(MSK, "2026-11-24 10:00:00"),
            30,
            SessionKind::Talk,
        ));
        // A talk across midnight is live on both sides of it.
        assert_eq!(
            title_and_secs(&state(&e, &[], "2026-11-24 00:10:00")),
            ("Late".into(), 40 * 60)
        );
        let before = state(&e, &[], "2026-11-24 00:30:00");
        assert_eq!(title_and_secs(&before), ("Morning".into(), 9 * 3600 + 1800));
        e.retain(|s| s.title != "Late");
        let eve = state(&e, &[], "2026-11-23 23:59:59");
        assert!(matches!(eve, ScreenState::DoneForToday { next: Some(_) }));
        assert!(matches!(
            state(&e, &[], "2026-11-24 00:00:00"),
            ScreenState::UpNext { .. }
        ));
        // The island's window for the 24th keeps the late talk, drops the 23rd.
        let tz = parse_zone(MSK).unwrap();
        let mut all = evening("2026-11-23");
        all.push(talk(
            "Late",
            at(MSK, "2026-11-23 23:30:00"),
            60,
            SessionKind::Other,
        ));
        let w = day_window(all, tz, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(
            w.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(),
            ["Late"]
        );
    }

    #[test]
    fn on_the_berlin_dst_day_countdowns_are_real_time() {
        // 2026-10-25: 02:00-03:00 happens twice; a talk at 03:00 CET.
        let b = "Europe/Berlin";
        let tz = parse_zone(b).unwrap();
        let s = vec![
            talk("Early", at(b, "2026-10-25 01:30:00"), 30, SessionKind::Talk),
            talk("After", at(b, "2026-10-25 03:00:00"), 30, SessionKind::Talk),
        ];
        // The browser's table must agree with chrono-tz on both sides.
        let day = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let table = Offsets::of(
            tz,
            at(b, "2026-10-24 00:00:00"),
            at(b, "2026-10-27 00:00:00"),
        );
        let change = "2026-10-25T01:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            table.0,
            vec![
                (at(b, "2026-10-24 00:00:00").timestamp(), 7200),
                (change.timestamp(), 3600)
            ]
        );
        let zones: [&dyn Fn(DateTime<Utc>) -> ScreenState; 2] =
            [&|now| state_at(&s, &[], "t", now, &tz), &|now| {
                state_at(&s, &[], "t", now, &table)
            }];
        for state in zones {
            // 02:30 CEST (00:30 UTC): the wall clock says 30 min, it is 90.
            let first = state("2026-10-25T00:30:00Z".parse().unwrap());
            assert_eq!(title_and_secs(&first), ("After".into(), 90 * 60));
            // 02:30 CET, the second time round (01:30 UTC): 30 minutes.
            let second = state("2026-10-25T01:30:00Z".parse().unwrap());
            assert_eq!(title_and_secs(&second), ("After".into(), 30 * 60));
        }
        let fold = |z: &dyn Fn(DateTime<Utc>) -> String| {
            [
                change - Duration::minutes(30),
                change + Duration::minutes(30),
            ]
            .map(z)
        };
        assert_eq!(fold(&|t| tz.hhmm(t)), ["02:30", "02:30"]);
        assert_eq!(fold(&|t| table.hhmm(t)), ["02:30", "02:30"]);
        assert_eq!(table.day(change), day);
        assert_eq!(format_duration(Duration::minutes(90)), "1:30:00");
    }

    #[test]
    fn screen_data_picks_the_track_and_refuses_unknown_ones() {
        let sched = crate::domain::schedule::Schedule {
            event: crate::domain::schedule::Event {
                slug: "e".into(),
                name: "E".into(),
                time_zone: MSK.into(),
                start_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                end_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            },
            tracks: vec![crate::domain::schedule::Track {
                slug: "track-2".into(),
                name: "Track 2".into(),
                color: "#db2777".into(),
                stream_url: None,
                position: 0,
            }],
            speakers: vec![],
            sessions: vec![],
            version: 1,
        };
        let tz = parse_zone(MSK).unwrap();
        let now = at(MSK, "2026-11-23 16:50:00");
        let day = tz.day(now);
        assert!(screen_data(&sched, tz, vec![], Some("nope"), day, now).is_none());
        let d = screen_data(&sched, tz, vec![], Some("track-2"), day, now).unwrap();
        assert_eq!(
            (d.tracks.len(), d.server_now_ms),
            (1, now.timestamp_millis())
        );
        assert_eq!(d.offsets.0.len(), 1, "Moscow has no DST");
        assert_eq!(d.offsets.offset_secs(now), 3 * 3600);
        assert!(matches!(
            screen_state(&sched, &[], "track-2", now, tz),
            ScreenState::DoneForToday { next: None }
        ));
        let json = serde_json::to_string(&d).unwrap();
        assert!(json.contains(r#""day":"2026-11-23""#), "{json}");
        assert_eq!(serde_json::from_str::<ScreenData>(&json).unwrap(), d);
    }
}
