//! Live pages: `enhance.js` follows `/e/{event}/live` (SSE) and, on each
//! change, fetches the page again and swaps the server-rendered
//! `[data-live]` regions. The server stays the only renderer; without JS
//! the page is simply static. EventSource reconnects by itself with
//! `Last-Event-ID`; a discreet mark says when the link is down.

use leptos::prelude::*;

use crate::domain::change::ChangeKind;

/// The state of a page's live stream; also the countdown screens'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    not(feature = "hydrate"),
    expect(dead_code, reason = "set only by the browser side")
)]
pub(crate) enum Link {
    Connecting,
    Live,
    Reconnecting,
}

impl Link {
    /// The `data-state`/`data-link` value tests and styles key on.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Reconnecting => "reconnecting",
        }
    }
}

/// `after`: the change-log position the page was rendered at; the stream
/// replays what came after it, so a change written while the page loaded
/// is not missed. The mark is what `enhance.js` follows the stream with:
/// the event, the position, the change kinds to listen to and the two
/// translated states.
#[component]
pub fn LiveRegions(
    event: String,
    after: i64,
    live_label: String,
    reconnecting_label: String,
) -> impl IntoView {
    view! {
        <span
            class="live-mark"
            role="status"
            aria-live="polite"
            data-testid="live-state"
            data-state=Link::Connecting.as_str()
            data-live-event=event
            data-after=after
            data-kinds=stream_kinds()
            data-live-label=live_label
            data-reconnecting-label=reconnecting_label
        ></span>
    }
}

/// Every change-log kind the server writes (speaker answers fill the
/// organisers' confirmation board), and the stream's own "resync":
/// the SSE event names a live page refreshes on, space-separated.
fn stream_kinds() -> String {
    ChangeKind::ALL
        .map(ChangeKind::as_str)
        .into_iter()
        .chain(["resync"])
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_listens_to_every_change_kind_and_resync() {
        let kinds = super::stream_kinds();
        let names: Vec<&str> = kinds.split(' ').collect();
        assert_eq!(
            names.len(),
            crate::domain::change::ChangeKind::ALL.len() + 1
        );
        assert!(names.contains(&"incident"), "{kinds}");
        assert_eq!(names.last(), Some(&"resync"));
    }
}
