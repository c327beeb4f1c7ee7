//! The live hub: one broadcast channel per event carrying the event's change
//! log in order, for the SSE stream at `/e/{event}/live`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::broadcast;

/// One change as sent to browsers: the SSE `id` is the change-log sequence
/// number, so a reconnecting client resumes with `Last-Event-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub seq: i64,
    pub kind: String,
    pub data: String,
}

/// Slow clients that fall this far behind are told to resync instead of
/// holding memory for them.
const CHANNEL_CAPACITY: usize = 256;

/// How many of the latest announced changes each event keeps in memory, so
/// a reconnecting client is replayed what it missed without a database
/// query (see [`LiveHub::recent_since`]).
const RECENT_CAPACITY: usize = 256;

#[derive(Debug)]
struct Channel {
    tx: broadcast::Sender<LiveEvent>,
    /// The highest sequence number announced (or marked known).
    last: i64,
    /// The latest announced changes, in order, without gaps: every change
    /// after `base` up to `last`.
    recent: VecDeque<LiveEvent>,
    base: i64,
}

impl Channel {
    fn new() -> Self {
        Self {
            tx: broadcast::channel(CHANNEL_CAPACITY).0,
            last: 0,
            recent: VecDeque::new(),
            base: 0,
        }
    }

    /// Everything up to `seq` is known but not held: what is held starts
    /// after it.
    fn skip_to(&mut self, seq: i64) {
        self.recent.clear();
        self.base = seq;
        self.last = seq;
    }
}

#[derive(Debug, Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<String, Channel>>,
}

impl LiveHub {
    pub fn subscribe(&self, slug: &str) -> broadcast::Receiver<LiveEvent> {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(slug.to_owned())
            .or_insert_with(Channel::new)
            .tx
            .subscribe()
    }

    /// The highest sequence number broadcast for an event (0: none yet).
    pub fn last_published(&self, slug: &str) -> i64 {
        let m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        m.get(slug).map(|c| c.last).unwrap_or(0)
    }

    /// Records that everything up to `seq` is known, without sending (used at
    /// start so old changes are not re-announced).
    pub fn mark_published(&self, slug: &str, seq: i64) {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let c = m.entry(slug.to_owned()).or_insert_with(Channel::new);
        if seq > c.last {
            c.skip_to(seq);
        }
    }

    pub fn publish(&self, slug: &str, seq: i64, kind: &str, data: &str) {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let c = m.entry(slug.to_owned()).or_insert_with(Channel::new);
        if seq <= c.last {
            return;
        }
        if seq != c.last + 1 {
            // A gap (never expected: changes are announced in order): what
            // is held must have none.
            c.skip_to(seq - 1);
        }
        c.last = seq;
        let event = LiveEvent {
            seq,
            kind: kind.to_owned(),
            data: data.to_owned(),
        };
        c.recent.push_back(event.clone());
        if c.recent.len() > RECENT_CAPACITY
            && let Some(old) = c.recent.pop_front()
        {
            c.base = old.seq;
        }
        // No receivers is fine: nobody is watching this event right now.
        let _ = c.tx.send(event);
    }

    /// The changes after `seq` announced here, oldest first, from memory:
    /// `None` when this instance does not hold all of them (before its
    /// start, or too long ago), and the change log must be read. A client
    /// ahead of this instance gets none: the rest reaches it live.
    pub fn recent_since(&self, slug: &str, seq: i64) -> Option<Vec<LiveEvent>> {
        let m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let c = m.get(slug)?;
        (seq >= c.base).then(|| c.recent.iter().filter(|e| e.seq > seq).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_delivered_once_in_sequence_order() {
        let hub = LiveHub::default();
        let mut rx = hub.subscribe("e");
        hub.publish("e", 1, "incident", "{}");
        hub.publish("e", 1, "incident", "{}");
        hub.publish("e", 3, "component", "{}");
        hub.publish("e", 2, "late", "{}");
        assert_eq!(rx.try_recv().unwrap().seq, 1);
        assert_eq!(rx.try_recv().unwrap().seq, 3);
        assert!(
            rx.try_recv().is_err(),
            "duplicates and stale seqs are dropped"
        );
        assert_eq!(hub.last_published("e"), 3);
    }

    #[test]
    fn recent_changes_are_replayed_from_memory_only_when_none_is_missing() {
        let hub = LiveHub::default();
        hub.mark_published("e", 10);
        assert_eq!(hub.recent_since("e", 9), None, "from before the start");
        assert_eq!(hub.recent_since("e", 10), Some(vec![]));
        for seq in 11..=13 {
            hub.publish("e", seq, "incident", "{}");
        }
        let seqs =
            |v: Option<Vec<LiveEvent>>| v.map(|v| v.iter().map(|e| e.seq).collect::<Vec<_>>());
        assert_eq!(seqs(hub.recent_since("e", 11)), Some(vec![12, 13]));
        assert_eq!(seqs(hub.recent_since("e", 15)), Some(vec![]), "ahead: live");
        assert_eq!(hub.recent_since("other", 0), None);
        // Only the latest RECENT_CAPACITY are held.
        for seq in 14..(14 + RECENT_CAPACITY as i64) {
            hub.publish("e", seq, "incident", "{}");
        }
        assert_eq!(hub.recent_since("e", 12), None);
        assert_eq!(
            seqs(hub.recent_since("e", 13)).unwrap().len(),
            RECENT_CAPACITY
        );
        // A gap empties what is held.
        hub.publish("e", 1000, "incident", "{}");
        assert_eq!(hub.recent_since("e", 998), None);
        assert_eq!(seqs(hub.recent_since("e", 999)), Some(vec![1000]));
    }

    #[test]
    fn mark_published_skips_history_at_start() {
        let hub = LiveHub::default();
        hub.mark_published("e", 10);
        let mut rx = hub.subscribe("e");
        hub.publish("e", 9, "old", "{}");
        hub.publish("e", 11, "new", "{}");
        assert_eq!(rx.try_recv().unwrap().kind, "new");
    }
}
