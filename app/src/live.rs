//! The live hub: one broadcast channel per event carrying the event's change
//! log in order, for the SSE stream at `/e/{event}/live`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;
use tokio::sync::broadcast;

use crate::domain::change::ChangeKind;

/// One change as sent to browsers: the SSE `id` is the change-log sequence
/// number, so a reconnecting client resumes with `Last-Event-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub seq: i64,
    pub kind: String,
    /// The SSE frame every open stream is sent, encoded once when the
    /// change is announced and shared (a reference count per stream, not
    /// a copy: 10,000 streams get the same bytes).
    pub frame: Bytes,
}

impl LiveEvent {
    pub fn new(seq: i64, kind: &str, data: &str) -> Self {
        Self {
            seq,
            kind: kind.to_owned(),
            frame: change_frame(seq, kind, data),
        }
    }
}

/// The SSE frame of a change-log entry, as anyone following the stream may
/// read it: speakers' answers and proposals are the organisers' business,
/// so for those the event only tells open boards to refetch (attendees
/// learn nothing from it).
pub fn change_frame(seq: i64, kind: &str, data: &str) -> Bytes {
    let data = if kind == ChangeKind::SpeakerAnswer.as_str() {
        "{}"
    } else {
        data
    };
    sse_frame(Some(seq), kind, data, None)
}

/// One Server-Sent Events frame (WHATWG HTML, "event stream
/// interpretation"): each line of `data` its own `data:` field, so a
/// newline in it cannot end the frame early or forge a field. `kind` is
/// one of ours (no line breaks); `retry` sets the browser's reconnection
/// delay.
pub fn sse_frame(
    id: Option<i64>,
    kind: &str,
    data: &str,
    retry: Option<std::time::Duration>,
) -> Bytes {
    let mut out = String::with_capacity(data.len() + kind.len() + 40);
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(&id.to_string());
        out.push('\n');
    }
    out.push_str("event: ");
    out.push_str(kind.trim_matches(['\r', '\n']));
    out.push('\n');
    if let Some(retry) = retry {
        out.push_str("retry: ");
        out.push_str(&retry.as_millis().to_string());
        out.push('\n');
    }
    for line in data.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
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
        let event = LiveEvent::new(seq, kind, data);
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
    fn a_frame_has_one_data_field_per_line_and_ends_with_a_blank_line() {
        let f = sse_frame(Some(7), "incident", "{\"a\":1}", None);
        assert_eq!(&f[..], b"id: 7\nevent: incident\ndata: {\"a\":1}\n\n");
        // A line break in the data cannot end the frame or add a field.
        let f = sse_frame(None, "x", "a\n\nid: 9\r\nb\rc", None);
        assert_eq!(
            &f[..],
            b"event: x\ndata: a\ndata: \ndata: id: 9\ndata: b\ndata: c\n\n"
        );
        let f = sse_frame(
            None,
            "reconnect",
            "{}",
            Some(std::time::Duration::from_millis(500)),
        );
        assert_eq!(&f[..], b"event: reconnect\nretry: 500\ndata: {}\n\n");
    }

    #[test]
    fn a_speaker_answer_is_announced_without_its_content() {
        let answer = ChangeKind::SpeakerAnswer.as_str();
        let e = LiveEvent::new(3, answer, "{\"speaker\":\"anna\",\"answer\":\"declined\"}");
        assert_eq!(e.frame, sse_frame(Some(3), answer, "{}", None));
        let e = LiveEvent::new(4, "incident", "{\"id\":1}");
        assert_eq!(e.frame, sse_frame(Some(4), "incident", "{\"id\":1}", None));
    }

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
