//! One-talk changes (move, swap, cancel, restore) as people write them —
//! API JSON, `marquee change` flags, the admin schedule's forms — turned
//! into one checked [`ChangeRequest`] with the field at fault named, so
//! every entry point refuses the same things the same way.

use serde::Deserialize;

use crate::domain::replan::{ChangeOp, ChangeRequest, MoveRequest, SwapRequest};
use crate::domain::schedule::Schedule;
use crate::domain::time::{local_date, parse_when, parse_zone};
use crate::error::{AppError, Result};

/// What to do to one talk (or two, for a swap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeVerb {
    Move,
    Swap,
    Cancel,
    Restore,
}

impl ChangeVerb {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "move" => Some(Self::Move),
            "swap" => Some(Self::Swap),
            "cancel" => Some(Self::Cancel),
            "restore" => Some(Self::Restore),
            _ => None,
        }
    }
}

/// A change as people write it. The planner's own JSON (`start` as RFC
/// 3339) is valid as it is; `start` may also be `HH:MM` on the talk's day
/// in the event's zone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    /// The schedule version the change was previewed on; required to
    /// apply (a change previewed on another version is refused, naming
    /// `version`). A preview without it uses the current version.
    pub version: Option<i64>,
    /// `move`, `swap`, `cancel` or `restore`.
    pub op: Option<ChangeVerb>,
    /// The talk to move, cancel or restore.
    pub guid: Option<String>,
    /// Move: the new start, `HH:MM` on the talk's day or RFC 3339.
    pub start: Option<String>,
    /// Move: the new track (room) slug.
    pub track: Option<String>,
    /// Move: the new length in minutes.
    pub duration_min: Option<i64>,
    /// Swap: the two talks.
    pub a: Option<String>,
    pub b: Option<String>,
    /// Accept an overlap with a pinned session (reported, not refused).
    #[serde(default)]
    pub allow_pinned_overlap: bool,
    /// Why, for the changelog; required unless `dry_run`.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
    /// Save it as a proposal: the speakers it moves are asked, attendees
    /// see nothing until it is published. Ignored with `dry_run`.
    #[serde(default)]
    pub propose: bool,
    /// With `propose`: add this change as a step to that open proposal
    /// (planned on the schedule it would make) instead of a new one.
    pub amends: Option<i64>,
}

/// A change ready for the planner and, to apply it, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeCommand {
    pub request: ChangeRequest,
    /// Trimmed; never empty unless `dry_run`.
    pub reason: String,
    pub dry_run: bool,
}

fn filled(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn required(s: Option<&str>, field: &str, what: &str) -> Result<String> {
    filled(s).ok_or_else(|| AppError::invalid(field, format!("required: {what}")))
}

/// Checks `input` against the event's schedule (its zone, the talk's day,
/// its current version), naming the field at fault.
pub fn parse(schedule: &Schedule, input: &ChangeInput) -> Result<ChangeCommand> {
    let reason = input.reason.trim();
    if !input.dry_run && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why (attendees see it in the changelog)",
        ));
    }
    let version = match input.version {
        Some(v) => v,
        None if input.dry_run => schedule.version,
        None => {
            return Err(AppError::invalid(
                "version",
                "required: the schedule version the change was previewed on",
            ));
        }
    };
    let op = input
        .op
        .ok_or_else(|| AppError::invalid("op", "required: move, swap, cancel or restore"))?;
    let guid = || required(input.guid.as_deref(), "guid", "the talk's id");
    let op = match op {
        ChangeVerb::Move => {
            let guid = guid()?;
            let tz = parse_zone(&schedule.event.time_zone)?;
            // `HH:MM` is on the talk's own day: moving a talk is mostly
            // "later today".
            let day = schedule
                .session(&guid)
                .map_or(schedule.event.start_date, |s| local_date(tz, s.start));
            let start = filled(input.start.as_deref())
                .map(|s| {
                    parse_when(&s, tz, day).map_err(|e| AppError::invalid("start", e.to_string()))
                })
                .transpose()?;
            let track = filled(input.track.as_deref());
            if start.is_none() && track.is_none() && input.duration_min.is_none() {
                return Err(AppError::invalid(
                    "start",
                    "required: a new start (HH:MM), track or duration_min",
                ));
            }
            ChangeOp::Move(MoveRequest {
                guid,
                start,
                track,
                duration_min: input.duration_min,
                allow_pinned_overlap: input.allow_pinned_overlap,
            })
        }
        ChangeVerb::Swap => ChangeOp::Swap(SwapRequest {
            a: required(input.a.as_deref(), "a", "the first talk's id")?,
            b: required(input.b.as_deref(), "b", "the second talk's id")?,
            allow_pinned_overlap: input.allow_pinned_overlap,
        }),
        ChangeVerb::Cancel => ChangeOp::Cancel { guid: guid()? },
        ChangeVerb::Restore => ChangeOp::Restore { guid: guid()? },
    };
    Ok(ChangeCommand {
        request: ChangeRequest { version, op },
        reason: reason.to_owned(),
        dry_run: input.dry_run,
    })
}

/// A form's `amends` (a proposal number), empty for none.
pub fn amends_of(raw: &str) -> Result<Option<i64>> {
    filled(Some(raw))
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::invalid("amends", "not a proposal number"))
        })
        .transpose()
}

/// The admin schedule's per-talk forms as the browser sends them (the GET
/// preview and the POST that applies alike): empty strings for empty
/// fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChangeForm {
    /// The session's CSRF token (the POST only); its handler checks it.
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub guid: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub track: String,
    #[serde(default)]
    pub a: String,
    #[serde(default)]
    pub b: String,
    #[serde(default)]
    pub reason: String,
    /// The button pressed: `propose` saves a proposal, anything else
    /// applies at once.
    #[serde(default)]
    pub intent: String,
    /// The open proposal this change is a step of (from its board).
    #[serde(default)]
    pub amends: String,
}

impl ChangeForm {
    /// Whether the organiser pressed "Propose to speakers".
    pub fn proposes(&self) -> bool {
        self.intent == "propose"
    }

    /// The form as input.
    pub fn input(&self, dry_run: bool) -> Result<ChangeInput> {
        let version = filled(Some(&self.version))
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| AppError::invalid("version", "not a version number"))
            })
            .transpose()?;
        let op = filled(Some(&self.op))
            .map(|o| {
                ChangeVerb::parse(&o).ok_or_else(|| {
                    AppError::invalid("op", "expected move, swap, cancel or restore")
                })
            })
            .transpose()?;
        Ok(ChangeInput {
            version,
            op,
            guid: filled(Some(&self.guid)),
            start: filled(Some(&self.start)),
            track: filled(Some(&self.track)),
            duration_min: None,
            a: filled(Some(&self.a)),
            b: filled(Some(&self.b)),
            allow_pinned_overlap: false,
            reason: self.reason.clone(),
            dry_run,
            propose: self.proposes(),
            amends: amends_of(&self.amends)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};

    use super::*;
    use crate::domain::schedule::{Event, Session, SessionKind, Track};

    fn schedule() -> Schedule {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        Schedule {
            event: Event {
                slug: "demo".into(),
                name: "Demo".into(),
                time_zone: "Europe/Moscow".into(),
                start_date: day,
                end_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            },
            tracks: vec![Track {
                slug: "track-1".into(),
                name: "Track 1".into(),
                color: "#000".into(),
                stream_url: None,
                position: 0,
            }],
            speakers: vec![],
            sessions: vec![Session {
                guid: "t2".into(),
                title: "Day two".into(),
                abstract_md: String::new(),
                kind: SessionKind::Talk,
                start: "2026-11-24T08:00:00Z".parse().unwrap(),
                duration_min: 30,
                track: "track-1".into(),
                language: None,
                pinned: false,
                speakers: vec![],
                cancelled: false,
            }],
            version: 4,
        }
    }

    fn field(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn json(s: &str) -> ChangeInput {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn hh_mm_is_on_the_talks_own_day_and_rfc3339_is_taken_as_is() {
        let cmd = parse(
            &schedule(),
            &json(r#"{"version": 4, "op": "move", "guid": "t2", "start": "18:30", "reason": "r"}"#),
        )
        .unwrap();
        let want: DateTime<Utc> = "2026-11-24T15:30:00Z".parse().unwrap();
        assert!(matches!(cmd.request.op, ChangeOp::Move(ref m) if m.start == Some(want)));
        let planner: ChangeRequest = serde_json::from_str(
            r#"{"version": 4, "op": "move", "guid": "t2", "start": "2026-11-24T15:30:00Z"}"#,
        )
        .unwrap();
        let people = parse(
            &schedule(),
            &json(r#"{"version": 4, "op": "move", "guid": "t2", "start": "2026-11-24T15:30:00Z", "reason": "r"}"#),
        )
        .unwrap();
        assert_eq!(people.request, planner, "the planner's JSON means the same");
    }

    #[test]
    fn each_missing_or_bad_part_is_named() {
        let s = schedule();
        let cases = [
            (
                r#"{"version": 4, "op": "move", "guid": "t2", "start": "18:30"}"#,
                "reason",
            ),
            (
                r#"{"op": "cancel", "guid": "t2", "reason": "r"}"#,
                "version",
            ),
            (r#"{"version": 4, "guid": "t2", "reason": "r"}"#, "op"),
            (r#"{"version": 4, "op": "cancel", "reason": "r"}"#, "guid"),
            (
                r#"{"version": 4, "op": "move", "guid": "t2", "reason": "r"}"#,
                "start",
            ),
            (
                r#"{"version": 4, "op": "move", "guid": "t2", "start": "25:99", "reason": "r"}"#,
                "start",
            ),
            (
                r#"{"version": 4, "op": "swap", "a": "t2", "reason": "r"}"#,
                "b",
            ),
        ];
        for (body, want) in cases {
            assert_eq!(field(parse(&s, &json(body))), want, "{body}");
        }
        assert!(serde_json::from_str::<ChangeInput>(r#"{"op": "explode"}"#).is_err());
        // A preview may leave the version out: it is previewed on today's.
        let dry = parse(
            &s,
            &json(r#"{"op": "cancel", "guid": "t2", "dry_run": true}"#),
        )
        .unwrap();
        assert_eq!(dry.request.version, 4);
    }

    #[test]
    fn the_form_names_a_bad_version_or_verb() {
        let f = |q: &str| serde_html_form::from_str::<ChangeForm>(q).unwrap();
        assert_eq!(field(f("op=move&version=x").input(true)), "version");
        assert_eq!(field(f("op=explode&version=3").input(true)), "op");
        let input = f("csrf=t&op=swap&version=4&a=t2&b=t3&reason=why")
            .input(false)
            .unwrap();
        assert_eq!(
            (input.a.as_deref(), input.b.as_deref()),
            (Some("t2"), Some("t3"))
        );
        assert_eq!(input.op, Some(ChangeVerb::Swap));
    }
}
