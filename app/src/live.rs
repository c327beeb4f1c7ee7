//! The live hub: one broadcast channel per event carrying the event's change
//! log in order, for the SSE stream at `/e/{event}/live`.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;

/// One change as sent to browsers: the SSE `id` is the change-log sequence
/// number, so a reconnecting client resumes with `Last-Event-ID`.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub seq: i64,
    pub kind: String,
    pub data: String,
}

/// Slow clients that fall this far behind are told to resync instead of
/// holding memory for them.
const CHANNEL_CAPACITY: usize = 256;

#[derive(Debug, Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<String, (broadcast::Sender<LiveEvent>, i64)>>,
}

impl LiveHub {
    pub fn subscribe(&self, slug: &str) -> broadcast::Receiver<LiveEvent> {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(slug.to_owned())
            .or_insert_with(|| (broadcast::channel(CHANNEL_CAPACITY).0, 0))
            .0
            .subscribe()
    }

    /// The highest sequence number broadcast for an event (0: none yet).
    pub fn last_published(&self, slug: &str) -> i64 {
        let m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        m.get(slug).map(|(_, seq)| *seq).unwrap_or(0)
    }

    /// Records that everything up to `seq` is known, without sending (used at
    /// start so old changes are not re-announced).
    pub fn mark_published(&self, slug: &str, seq: i64) {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let entry = m
            .entry(slug.to_owned())
            .or_insert_with(|| (broadcast::channel(CHANNEL_CAPACITY).0, 0));
        entry.1 = entry.1.max(seq);
    }

    pub fn publish(&self, slug: &str, seq: i64, kind: &str, data: &str) {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        let entry = m
            .entry(slug.to_owned())
            .or_insert_with(|| (broadcast::channel(CHANNEL_CAPACITY).0, 0));
        if seq <= entry.1 {
            return;
        }
        entry.1 = seq;
        // No receivers is fine: nobody is watching this event right now.
        let _ = entry.0.send(LiveEvent {
            seq,
            kind: kind.to_owned(),
            data: data.to_owned(),
        });
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
    fn mark_published_skips_history_at_start() {
        let hub = LiveHub::default();
        hub.mark_published("e", 10);
        let mut rx = hub.subscribe("e");
        hub.publish("e", 9, "old", "{}");
        hub.publish("e", 11, "new", "{}");
        assert_eq!(rx.try_recv().unwrap().kind, "new");
    }
}
