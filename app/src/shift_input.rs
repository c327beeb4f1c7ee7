//! Shift requests as people write them — API JSON, CLI flags, the
//! organiser's form (its GET preview and its POST) — turned into one
//! checked command with the field at fault named. One parser, so every
//! entry point refuses the same things the same way: no tracks is a
//! missing field, a reason is required to apply, a bad number is an error.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::domain::replan::{InterruptedMode, PinnedPolicy, ShiftBy, ShiftPlan};
use crate::domain::schedule::Schedule;
use crate::domain::shift::{ShiftChange, ShiftRequest, TrackSelection};
use crate::domain::time::{local_date, parse_when, parse_zone};
use crate::error::{AppError, Result};

/// A shift as people write it: times as `HH:MM` on the event's day (or
/// RFC 3339), tracks as `"all"` or slugs, exactly one of `by_minutes`/`to`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    /// `"all"` or a list of track slugs.
    #[schema(value_type = Option<Object>, example = json!(["track-2"]))]
    pub tracks: Option<TrackSelection>,
    pub from: Option<String>,
    pub by_minutes: Option<i64>,
    pub to: Option<String>,
    pub until: Option<String>,
    /// The day `HH:MM` times are on (default: today if the event runs today,
    /// else its first day).
    pub date: Option<NaiveDate>,
    /// Why, for the changelog; required unless `dry_run`.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub dry_run: bool,
    /// Pinned sessions move too (the same as `pinned: "move"`).
    #[serde(default)]
    pub include_pinned: bool,
    /// Talks running at `from`: `restart` from the beginning (default) or
    /// `resume` with the minutes they had left.
    #[schema(value_type = Option<String>, example = "restart")]
    pub interrupted: Option<InterruptedMode>,
    /// Pinned sessions: `stay` (default; the shift flows around them) or
    /// `move` with the others.
    pub pinned: Option<PinnedChoice>,
    /// The schedule version the shift was previewed on; when given, a
    /// shift on another version is refused (naming `version`).
    pub version: Option<i64>,
    /// Save it as a proposal: the speakers it moves are asked, attendees
    /// see nothing until it is published. Ignored with `dry_run`.
    #[serde(default)]
    pub propose: bool,
    /// With `propose`: add this shift as a step to that open proposal
    /// (planned on the schedule it would make) instead of a new one.
    pub amends: Option<i64>,
}

/// What a shift does with pinned sessions, as people choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PinnedChoice {
    /// They keep their time; the shift flows around them.
    Stay,
    /// They move with the others.
    Move,
}

/// The organiser's shift form as the browser sends it, the same for the
/// GET preview and the POST that applies: repeated `tracks` checkboxes,
/// `by` from a quick button, empty strings for empty fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ShiftForm {
    /// The session's CSRF token (the POST only); its handler checks it.
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub tracks: Vec<String>,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub include_pinned: String,
    /// `restart` or `resume`; empty is the default (restart).
    #[serde(default)]
    pub interrupted: String,
    #[serde(default)]
    pub reason: String,
    /// The button pressed: `propose` saves a proposal, anything else
    /// applies at once.
    #[serde(default)]
    pub intent: String,
    /// The open proposal this shift is a step of (from its board).
    #[serde(default)]
    pub amends: String,
}

fn filled(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Tracks as a list names them (form checkboxes, `--tracks a,b`): `all`
/// anywhere means every track; an empty list means none was chosen, which
/// is a missing field, never "all".
pub fn tracks_from_list(list: Vec<String>) -> Option<TrackSelection> {
    if list.iter().any(|t| t == "all") {
        Some(TrackSelection::All)
    } else if list.is_empty() {
        None
    } else {
        Some(TrackSelection::Some(list))
    }
}

impl ShiftForm {
    /// Whether the organiser asked for anything yet (a time and a change),
    /// as opposed to opening the empty form.
    pub fn asked(&self) -> bool {
        filled(&self.from).is_some() && (filled(&self.by).is_some() || filled(&self.to).is_some())
    }

    /// The form as input; a quick button (`by`) wins over a filled-in
    /// "restart at".
    pub fn input(&self, dry_run: bool) -> Result<ShiftInput> {
        let by_minutes = filled(&self.by)
            .map(|b| {
                b.parse::<i64>()
                    .map_err(|_| AppError::invalid("by_minutes", "not a whole number of minutes"))
            })
            .transpose()?;
        let date = filled(&self.date)
            .map(|d| {
                d.parse::<NaiveDate>()
                    .map_err(|_| AppError::invalid("date", "expected YYYY-MM-DD"))
            })
            .transpose()?;
        let interrupted = filled(&self.interrupted)
            .map(|m| match m.as_str() {
                "restart" => Ok(InterruptedMode::Restart),
                "resume" => Ok(InterruptedMode::Resume),
                _ => Err(AppError::invalid(
                    "interrupted",
                    "expected restart or resume",
                )),
            })
            .transpose()?;
        Ok(ShiftInput {
            tracks: tracks_from_list(self.tracks.iter().filter_map(|t| filled(t)).collect()),
            from: filled(&self.from),
            by_minutes,
            to: if by_minutes.is_some() {
                None
            } else {
                filled(&self.to)
            },
            until: filled(&self.until),
            date,
            reason: self.reason.clone(),
            dry_run,
            include_pinned: filled(&self.include_pinned).is_some(),
            interrupted,
            pinned: None,
            version: None,
            propose: self.intent == "propose",
            amends: crate::change_input::amends_of(&self.amends)?,
        })
    }
}

/// A shift ready for the domain: what to move and, to apply it, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftCommand {
    /// For the older shift core (kept for its store path and benches).
    pub request: ShiftRequest,
    /// For the re-planning core, which takes interrupted talks along:
    /// what the API, the form and the CLI apply.
    pub plan: ShiftPlan,
    pub version: Option<i64>,
    /// Trimmed; never empty unless `dry_run`.
    pub reason: String,
    pub dry_run: bool,
}

/// Checks input against the event's schedule (its zone and days) at `now`,
/// naming the field at fault.
pub fn parse(schedule: &Schedule, input: &ShiftInput, now: DateTime<Utc>) -> Result<ShiftCommand> {
    let reason = input.reason.trim();
    if !input.dry_run && reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "say why (attendees see it in the changelog)",
        ));
    }
    let tz = parse_zone(&schedule.event.time_zone)?;
    let today = local_date(tz, now);
    let ev = &schedule.event;
    let day = input
        .date
        .unwrap_or(if ev.start_date <= today && today <= ev.end_date {
            today
        } else {
            ev.start_date
        });
    let when = |field: &str, s: &str| {
        parse_when(s, tz, day).map_err(|e| AppError::invalid(field, e.to_string()))
    };
    let tracks = input
        .tracks
        .clone()
        .ok_or_else(|| AppError::invalid("tracks", "required: \"all\" or a list of track slugs"))?;
    let from = when(
        "from",
        input
            .from
            .as_deref()
            .ok_or_else(|| AppError::invalid("from", "required (HH:MM)"))?,
    )?;
    let change = match (input.by_minutes, input.to.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "to",
                "give either by_minutes or to, not both",
            ));
        }
        (None, None) => {
            return Err(AppError::invalid(
                "by_minutes",
                "required: by_minutes (±minutes) or to (new start, HH:MM)",
            ));
        }
        (Some(m), None) => ShiftChange::ByMinutes(m),
        (None, Some(t)) => ShiftChange::StartAt(when("to", t)?),
    };
    let until = input
        .until
        .as_deref()
        .map(|u| when("until", u))
        .transpose()?;
    let pinned = match (input.pinned, input.include_pinned) {
        (Some(PinnedChoice::Stay), true) => {
            return Err(AppError::invalid(
                "pinned",
                "\"stay\" contradicts include_pinned; give one of them",
            ));
        }
        (Some(PinnedChoice::Move), _) | (None, true) => PinnedPolicy::Move,
        (Some(PinnedChoice::Stay), false) | (None, false) => PinnedPolicy::FlowAround,
    };
    let plan = ShiftPlan {
        tracks: tracks.clone(),
        from,
        by: match change {
            ShiftChange::ByMinutes(m) => ShiftBy::ByMinutes(m),
            ShiftChange::StartAt(t) => ShiftBy::RestartAt(t),
        },
        until,
        interrupted: input.interrupted.unwrap_or_default(),
        pinned,
    };
    Ok(ShiftCommand {
        plan,
        version: input.version,
        request: ShiftRequest {
            tracks,
            from,
            change,
            until,
            include_pinned: input.include_pinned,
        },
        reason: reason.to_owned(),
        dry_run: input.dry_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::schedule::{Event, Track};

    fn schedule() -> Schedule {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        Schedule {
            event: Event {
                slug: "demo".into(),
                name: "Demo".into(),
                time_zone: "Europe/Moscow".into(),
                start_date: day,
                end_date: day,
            },
            tracks: ["track-1", "track-2"]
                .map(|slug| Track {
                    slug: slug.into(),
                    name: slug.into(),
                    color: "#000".into(),
                    stream_url: None,
                    position: 0,
                })
                .into(),
            speakers: vec![],
            sessions: vec![],
            version: 1,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-23T12:00:00Z".parse().unwrap()
    }

    fn field(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    fn form(query: &str) -> ShiftForm {
        serde_html_form::from_str(query).unwrap()
    }

    #[test]
    fn no_tracks_is_missing_in_the_preview_and_in_the_post_alike() {
        let f = form("from=17:25&by=30&reason=late");
        for dry_run in [true, false] {
            let input = f.input(dry_run).unwrap();
            assert_eq!(input.tracks, None);
            assert_eq!(field(parse(&schedule(), &input, now())), "tracks");
        }
        let all = form("tracks=all&tracks=track-1&from=17:25&by=30&reason=late");
        let cmd = parse(&schedule(), &all.input(false).unwrap(), now()).unwrap();
        assert_eq!(cmd.request.tracks, TrackSelection::All);
        assert_eq!(cmd.reason, "late");
    }

    #[test]
    fn a_reason_is_required_to_apply_whatever_the_entry_point() {
        let json: ShiftInput = serde_json::from_str(
            r#"{"tracks": "all", "from": "17:25", "by_minutes": 30, "reason": "  "}"#,
        )
        .unwrap();
        let form_post = form("tracks=all&from=17:25&by=30").input(false).unwrap();
        let cli = ShiftInput {
            tracks: tracks_from_list(vec!["track-1".into()]),
            from: Some("17:25".into()),
            by_minutes: Some(30),
            ..ShiftInput::default()
        };
        for input in [json, form_post, cli] {
            assert_eq!(field(parse(&schedule(), &input, now())), "reason");
            let preview = ShiftInput {
                dry_run: true,
                ..input
            };
            assert!(parse(&schedule(), &preview, now()).is_ok());
        }
    }

    #[test]
    fn the_form_refuses_a_bad_number_and_prefers_a_quick_button() {
        assert_eq!(
            field(form("tracks=all&from=17:25&by=soon").input(true)),
            "by_minutes"
        );
        assert_eq!(
            field(form("tracks=all&from=17:25&by=30&date=someday").input(true)),
            "date"
        );
        let both = form("tracks=track-2&from=17:25&by=15&to=18:15&include_pinned=on")
            .input(true)
            .unwrap();
        assert_eq!((both.by_minutes, both.to.as_deref()), (Some(15), None));
        assert!(both.include_pinned);
        let cmd = parse(&schedule(), &both, now()).unwrap();
        assert_eq!(cmd.request.change, ShiftChange::ByMinutes(15));
        assert_eq!(
            cmd.request.from,
            "2026-11-23T14:25:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(!form("tracks=all&from=17:25").asked());
        assert!(form("from=17:25&to=18:15").asked());
    }

    #[test]
    fn interrupted_and_pinned_choices_reach_the_plan() {
        let json: ShiftInput = serde_json::from_str(
            r#"{"tracks": "all", "from": "17:25", "to": "18:15", "interrupted": "resume", "pinned": "move", "dry_run": true}"#,
        )
        .unwrap();
        let cmd = parse(&schedule(), &json, now()).unwrap();
        assert_eq!(cmd.plan.interrupted, InterruptedMode::Resume);
        assert_eq!(cmd.plan.pinned, PinnedPolicy::Move);
        assert!(matches!(cmd.plan.by, ShiftBy::RestartAt(_)));
        // The old shape means: restart interrupted talks, pinned stay.
        let old = parse(
            &schedule(),
            &form("tracks=all&from=17:25&by=15").input(true).unwrap(),
            now(),
        )
        .unwrap();
        assert_eq!(
            (old.plan.interrupted, old.plan.pinned),
            (InterruptedMode::Restart, PinnedPolicy::FlowAround)
        );
        assert_eq!(
            field(form("tracks=all&from=17:25&by=15&interrupted=later").input(true)),
            "interrupted"
        );
        let both: ShiftInput = serde_json::from_str(
            r#"{"tracks": "all", "from": "17:25", "by_minutes": 5, "pinned": "stay", "include_pinned": true, "dry_run": true}"#,
        )
        .unwrap();
        assert_eq!(field(parse(&schedule(), &both, now())), "pinned");
        assert!(serde_json::from_str::<ShiftInput>(r#"{"interrupted": "pause"}"#).is_err());
    }

    #[test]
    fn a_list_names_tracks_all_or_nothing() {
        assert_eq!(tracks_from_list(vec![]), None);
        assert_eq!(
            tracks_from_list(vec!["track-1".into(), "all".into()]),
            Some(TrackSelection::All)
        );
        assert_eq!(
            tracks_from_list(vec!["track-1".into()]),
            Some(TrackSelection::Some(vec!["track-1".into()]))
        );
    }
}
