//! What speakers answer when asked about a new slot, and what the board
//! makes of it. A decline can say why and when the speaker can instead
//! ("I can from 19:00", "not today"), so a later change that fits keeps
//! the answer instead of asking again, and the organiser re-plans with
//! the stated time filled in.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::change::Slot;
use crate::domain::time::{local_date, local_to_utc, parse_hhmm};

/// The longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Minutes between reminders to a speaker who has not answered.
pub const REMINDER_EVERY_MIN: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Confirm,
    Decline,
}

impl Reply {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Decline => "decline",
        }
    }
}

/// What else a speaker said about their time that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Nothing beyond the slot asked about.
    #[default]
    AsAsked,
    /// "I can from HH:MM" that local day.
    From(DateTime<Utc>),
    /// Not that local day at all.
    NotToday,
}

/// A session and the slot a speaker was asked about for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskedSlot {
    pub guid: String,
    pub slot: Slot,
}

/// One speaker's answer to one question (about all of their sessions a
/// change moved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakerAnswer {
    pub reply: Reply,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub availability: Availability,
    /// What the question was about.
    pub slots: Vec<AskedSlot>,
    pub answered_at: DateTime<Utc>,
}

/// Why an answer was refused; [`AnswerError::field`] names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("a reason is at most {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("a confirmation cannot say \"not today\"")]
    ConfirmNotToday,
    #[error("say either \"I can from HH:MM\" or \"not today\", not both")]
    FromAndNotToday,
    #[error("{0:?} is not a time (HH:MM)")]
    BadTime(String),
}

impl AnswerError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::ReasonTooLong => "reason",
            Self::ConfirmNotToday => "availability",
            Self::FromAndNotToday | Self::BadTime(_) => "available_from",
        }
    }
}

impl SpeakerAnswer {
    /// An answer as the speaker gave it: a blank reason is dropped, a
    /// reason is trimmed.
    pub fn new(
        reply: Reply,
        reason: Option<&str>,
        availability: Availability,
        slots: Vec<AskedSlot>,
        answered_at: DateTime<Utc>,
    ) -> Result<Self, AnswerError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(AnswerError::ReasonTooLong);
        }
        if reply == Reply::Confirm && availability == Availability::NotToday {
            return Err(AnswerError::ConfirmNotToday);
        }
        Ok(Self {
            reply,
            reason: reason.map(str::to_owned),
            availability,
            slots,
            answered_at,
        })
    }

    /// The start to offer when re-planning a declined talk: the time the
    /// speaker said they can from.
    pub fn available_from(&self) -> Option<DateTime<Utc>> {
        match self.availability {
            Availability::From(t) => Some(t),
            _ => None,
        }
    }
}

/// What a speaker said they can do, as the answer form gives it: "I can
/// from HH:MM" (`from`, on the local day of the first talk asked about,
/// `first`) or "not today"; neither is [`Availability::AsAsked`].
pub fn availability_of(
    from: Option<&str>,
    not_today: bool,
    first: DateTime<Utc>,
    tz: Tz,
) -> Result<Availability, AnswerError> {
    let from = from.map(str::trim).filter(|s| !s.is_empty());
    match (from, not_today) {
        (Some(_), true) => Err(AnswerError::FromAndNotToday),
        (None, true) => Ok(Availability::NotToday),
        (None, false) => Ok(Availability::AsAsked),
        (Some(hhmm), false) => {
            let bad = || AnswerError::BadTime(hhmm.to_owned());
            let t = parse_hhmm(hhmm).map_err(|_| bad())?;
            let day = local_date(tz, first);
            local_to_utc(tz, day.and_time(t))
                .map(Availability::From)
                .map_err(|_| bad())
        }
    }
}

/// Where a speaker stands on a new slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Their answer covers it as a yes: keep it, do not ask.
    Confirmed,
    /// Their answer already rules it out: keep it, do not ask; re-plan.
    Declined,
    /// Their answer says nothing about it: ask again.
    AskAgain,
}

/// Whether `answer` still holds for the speaker's sessions' new slots
/// (`new`): an unchanged slot keeps the reply; otherwise "can from T"
/// confirms a slot from T on that day and (for a decline) rules out one
/// before T; "not today" rules out that day; anything else, or another
/// day, is asked again. Cancelled slots are not asked about; `None` when
/// nothing is left to ask.
pub fn standing_for(answer: &SpeakerAnswer, new: &[AskedSlot], tz: Tz) -> Option<Standing> {
    let each = new.iter().filter(|n| !n.slot.cancelled).map(|n| {
        let asked = answer.slots.iter().find(|a| a.guid == n.guid);
        if asked.is_some_and(|a| a.slot == n.slot) {
            return match answer.reply {
                Reply::Confirm => Standing::Confirmed,
                Reply::Decline => Standing::Declined,
            };
        }
        let day = local_date(tz, n.slot.start);
        match answer.availability {
            Availability::From(t) if local_date(tz, t) == day => {
                if n.slot.start >= t {
                    Standing::Confirmed
                } else if answer.reply == Reply::Decline {
                    Standing::Declined
                } else {
                    Standing::AskAgain
                }
            }
            Availability::NotToday
                if answer
                    .slots
                    .iter()
                    .any(|a| local_date(tz, a.slot.start) == day) =>
            {
                Standing::Declined
            }
            _ => Standing::AskAgain,
        }
    });
    each.fold(None, |acc, s| {
        Some(match (acc, s) {
            (Some(Standing::AskAgain), _) | (_, Standing::AskAgain) => Standing::AskAgain,
            (Some(Standing::Declined), _) | (_, Standing::Declined) => Standing::Declined,
            _ => Standing::Confirmed,
        })
    })
}

/// Where one speaker's question stands on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskStatus {
    Waiting,
    Confirmed,
    Declined,
}

/// One speaker asked about a change: the board's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    pub speaker_key: String,
    pub asked_at: DateTime<Utc>,
    #[serde(default)]
    pub reminded_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub answer: Option<SpeakerAnswer>,
}

impl Ask {
    pub fn status(&self) -> AskStatus {
        match self.answer.as_ref().map(|a| a.reply) {
            None => AskStatus::Waiting,
            Some(Reply::Confirm) => AskStatus::Confirmed,
            Some(Reply::Decline) => AskStatus::Declined,
        }
    }

    /// Whole minutes since the speaker was asked ("waiting 7 min").
    pub fn minutes_since_asked(&self, now: DateTime<Utc>) -> i64 {
        (now - self.asked_at).num_minutes().max(0)
    }

    /// Whether to remind the speaker now: still waiting, their first
    /// talk in the change has not started, and `every_min` have passed
    /// since they were asked or last reminded.
    pub fn reminder_due(
        &self,
        now: DateTime<Utc>,
        first_start: DateTime<Utc>,
        every_min: i64,
    ) -> bool {
        let last = self.reminded_at.unwrap_or(self.asked_at).max(self.asked_at);
        self.answer.is_none() && now < first_start && now - last >= Duration::minutes(every_min)
    }
}

/// The board's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardTally {
    pub confirmed: usize,
    pub declined: usize,
    pub waiting: usize,
}

impl BoardTally {
    pub fn of<'a>(asks: impl IntoIterator<Item = &'a Ask>) -> Self {
        let mut t = Self::default();
        for a in asks {
            match a.status() {
                AskStatus::Waiting => t.waiting += 1,
                AskStatus::Confirmed => t.confirmed += 1,
                AskStatus::Declined => t.declined += 1,
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::replan::fixtures::{at, tz};

    fn slot(hhmm: &str) -> Slot {
        Slot {
            start: at(hhmm),
            duration_min: 40,
            track: "track-1".into(),
            cancelled: false,
        }
    }

    fn asked(guid: &str, hhmm: &str) -> AskedSlot {
        AskedSlot {
            guid: guid.into(),
            slot: slot(hhmm),
        }
    }

    fn answer(reply: Reply, availability: Availability) -> SpeakerAnswer {
        SpeakerAnswer::new(
            reply,
            None,
            availability,
            vec![asked("t1", "18:00")],
            at("17:40"),
        )
        .unwrap()
    }

    #[test]
    fn an_unchanged_slot_keeps_the_reply() {
        let yes = answer(Reply::Confirm, Availability::AsAsked);
        let no = answer(Reply::Decline, Availability::AsAsked);
        let same = [asked("t1", "18:00")];
        assert_eq!(standing_for(&yes, &same, tz()), Some(Standing::Confirmed));
        assert_eq!(standing_for(&no, &same, tz()), Some(Standing::Declined));
    }

    #[test]
    fn a_plain_answer_is_asked_again_when_the_slot_moves() {
        let yes = answer(Reply::Confirm, Availability::AsAsked);
        let moved = [asked("t1", "18:15")];
        assert_eq!(standing_for(&yes, &moved, tz()), Some(Standing::AskAgain));
        let mut longer = moved.clone();
        longer[0].slot.start = at("18:00");
        longer[0].slot.duration_min = 45;
        assert_eq!(standing_for(&yes, &longer, tz()), Some(Standing::AskAgain));
    }

    #[test]
    fn can_from_confirms_a_later_slot_and_rules_out_an_earlier_one() {
        let from_1900 = answer(Reply::Decline, Availability::From(at("19:00")));
        assert_eq!(
            standing_for(&from_1900, &[asked("t1", "19:00")], tz()),
            Some(Standing::Confirmed),
            "from is inclusive"
        );
        assert_eq!(
            standing_for(&from_1900, &[asked("t1", "18:15")], tz()),
            Some(Standing::Declined)
        );
        assert_eq!(from_1900.available_from(), Some(at("19:00")));
        // A yes that also says "any time from 17:30" covers 18:15 but not 17:00.
        let flexible = answer(Reply::Confirm, Availability::From(at("17:30")));
        assert_eq!(
            standing_for(&flexible, &[asked("t1", "18:15")], tz()),
            Some(Standing::Confirmed)
        );
        assert_eq!(
            standing_for(&flexible, &[asked("t1", "17:00")], tz()),
            Some(Standing::AskAgain)
        );
    }

    #[test]
    fn not_today_rules_out_the_day_and_another_day_is_asked() {
        let not_today = answer(Reply::Decline, Availability::NotToday);
        assert_eq!(
            standing_for(&not_today, &[asked("t1", "21:00")], tz()),
            Some(Standing::Declined)
        );
        let mut tomorrow = asked("t1", "10:00");
        tomorrow.slot.start += Duration::days(1);
        assert_eq!(
            standing_for(&not_today, &[tomorrow], tz()),
            Some(Standing::AskAgain)
        );
    }

    #[test]
    fn several_talks_need_every_one_to_hold_and_cancelled_ones_are_not_asked() {
        let mut yes = answer(Reply::Decline, Availability::From(at("18:00")));
        yes.slots.push(asked("t2", "19:00"));
        let fine = [asked("t1", "18:30"), asked("t2", "19:30")];
        assert_eq!(standing_for(&yes, &fine, tz()), Some(Standing::Confirmed));
        let one_early = [asked("t1", "17:30"), asked("t2", "19:30")];
        assert_eq!(
            standing_for(&yes, &one_early, tz()),
            Some(Standing::Declined)
        );
        let mut gone = asked("t1", "17:30");
        gone.slot.cancelled = true;
        assert_eq!(standing_for(&yes, &[gone.clone()], tz()), None);
        assert_eq!(
            standing_for(&yes, &[gone, asked("t2", "19:30")], tz()),
            Some(Standing::Confirmed)
        );
    }

    #[test]
    fn availability_is_on_the_talks_day_and_not_both() {
        let first = at("18:15");
        assert_eq!(
            availability_of(Some(" 19:30 "), false, first, tz()),
            Ok(Availability::From(at("19:30")))
        );
        assert_eq!(
            availability_of(None, true, first, tz()),
            Ok(Availability::NotToday)
        );
        assert_eq!(
            availability_of(Some(""), false, first, tz()),
            Ok(Availability::AsAsked)
        );
        let both = availability_of(Some("19:30"), true, first, tz()).unwrap_err();
        assert_eq!(both.field(), "available_from");
        let bad = availability_of(Some("25:00"), false, first, tz()).unwrap_err();
        assert_eq!(bad.field(), "available_from");
        assert!(bad.to_string().contains("25:00"), "{bad}");
    }

    #[test]
    fn answers_are_checked_and_trimmed_naming_the_field() {
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        let err = SpeakerAnswer::new(
            Reply::Decline,
            Some(&long),
            Availability::AsAsked,
            vec![],
            at("17:40"),
        )
        .unwrap_err();
        assert_eq!(err.field(), "reason");
        let err = SpeakerAnswer::new(
            Reply::Confirm,
            None,
            Availability::NotToday,
            vec![],
            at("17:40"),
        )
        .unwrap_err();
        assert_eq!(err.field(), "availability");
        let ok = SpeakerAnswer::new(
            Reply::Decline,
            Some("  flight  "),
            Availability::NotToday,
            vec![],
            at("17:40"),
        )
        .unwrap();
        assert_eq!(ok.reason.as_deref(), Some("flight"));
        let blank = SpeakerAnswer::new(
            Reply::Decline,
            Some("  "),
            Availability::AsAsked,
            vec![],
            at("17:40"),
        )
        .unwrap();
        assert_eq!(blank.reason, None);
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(json["availability"], "not_today");
        assert_eq!(json["reply"], "decline");
    }

    #[test]
    fn the_board_counts_and_reminds_only_the_waiting_before_their_talk() {
        let waiting = Ask {
            speaker_key: "anna".into(),
            asked_at: at("17:30"),
            reminded_at: None,
            answer: None,
        };
        let declined = Ask {
            speaker_key: "li".into(),
            answer: Some(answer(Reply::Decline, Availability::NotToday)),
            ..waiting.clone()
        };
        let confirmed = Ask {
            speaker_key: "dmitri".into(),
            answer: Some(answer(Reply::Confirm, Availability::AsAsked)),
            ..waiting.clone()
        };
        assert_eq!(
            BoardTally::of([&waiting, &declined, &confirmed]),
            BoardTally {
                confirmed: 1,
                declined: 1,
                waiting: 1
            }
        );
        assert_eq!(waiting.minutes_since_asked(at("17:47")), 17);
        let talk = at("18:15");
        assert!(!waiting.reminder_due(at("17:39"), talk, REMINDER_EVERY_MIN));
        assert!(waiting.reminder_due(at("17:40"), talk, REMINDER_EVERY_MIN));
        let reminded = Ask {
            reminded_at: Some(at("17:40")),
            ..waiting.clone()
        };
        assert!(!reminded.reminder_due(at("17:45"), talk, REMINDER_EVERY_MIN));
        assert!(reminded.reminder_due(at("17:50"), talk, REMINDER_EVERY_MIN));
        assert!(
            !waiting.reminder_due(at("18:15"), talk, REMINDER_EVERY_MIN),
            "too late"
        );
        assert!(!declined.reminder_due(at("18:00"), talk, REMINDER_EVERY_MIN));
    }
}
