//! A speaker's answer to a shift that moved their talk.

/// Whether a speaker can make their talk's new slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Confirmed,
    Declined,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Confirmed => "confirmed",
            Answer::Declined => "declined",
        }
    }

    /// Accepts what is stored and what forms and the service worker send.
    pub fn parse(s: &str) -> Option<Answer> {
        match s {
            "confirm" | "confirmed" => Some(Answer::Confirmed),
            "decline" | "declined" => Some(Answer::Declined),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_both_the_verb_and_the_stored_word() {
        for a in [Answer::Confirmed, Answer::Declined] {
            assert_eq!(Answer::parse(a.as_str()), Some(a));
        }
        assert_eq!(Answer::parse("confirm"), Some(Answer::Confirmed));
        assert_eq!(Answer::parse("decline"), Some(Answer::Declined));
        assert_eq!(Answer::parse("maybe"), None);
    }
}
