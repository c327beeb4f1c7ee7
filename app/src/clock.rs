//! The server's "now", injectable: every page, policy and refresh reads the
//! time from here, so tests can put the clock past a talk's start and see
//! what a visitor would see then.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

/// The system clock, or a fixed instant a test sets and moves.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Arc<RwLock<Option<DateTime<Utc>>>>,
}

impl Clock {
    /// Follows the system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Stands still at `at` until [`Clock::set`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        let c = Self::default();
        c.set(at);
        c
    }

    /// Moves a clock to `at` (a system clock becomes fixed).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.fixed.write().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(Utc::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stays_and_moves_only_when_set() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let c = Clock::fixed(t);
        assert_eq!(c.now(), t);
        let shared = c.clone();
        shared.set(t + chrono::Duration::minutes(5));
        assert_eq!(c.now(), t + chrono::Duration::minutes(5));
    }
}
