//! How far a shift's, an incident's or a proposal's notices got: per notice, the
//! subscribers targeted and how many were delivered, failed or expired
//! (and are still pending). Read from the reach the server put on the
//! request (`server::routes::reach`); inside a page's live region, so it
//! refreshes with it, and polls while deliveries are under way.

use leptos::prelude::*;
use rust_i18n::t;

use crate::store::{EventReach, NoticeOf};

/// The reach table for `of`, or nothing when no notice was queued.
pub fn list(of: NoticeOf, lang: &str) -> Option<AnyView> {
    let reach = use_context::<http::request::Parts>()?
        .extensions
        .get::<EventReach>()
        .cloned()?;
    let rows = reach
        .of(of)
        .map(|n| {
            let kind = match n.kind.as_str() {
                "speaker_move" | "track_paused" => t!("reach.speakers", locale = lang),
                "speaker_proposal" => t!("reach.proposal", locale = lang),
                "proposal_withdrawn" => t!("reach.withdrawn", locale = lang),
                "incident" => t!("reach.incident", locale = lang),
                _ => t!("reach.attendees", locale = lang),
            }
            .to_string();
            view! {
                <tr data-notice=n.notice_id>
                    <th scope="row">{kind}</th>
                    <td data-reach="targeted">{n.targeted}</td>
                    <td data-reach="delivered">{n.delivered}</td>
                    <td data-reach="failed">{n.failed}</td>
                    <td data-reach="expired">{n.expired}</td>
                    <td data-reach="pending">{n.pending}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    if rows.is_empty() {
        return None;
    }
    // While deliveries are under way the live page polls (see
    // `components::live`): reach grows without a change-log entry.
    let busy = reach.of(of).any(|n| n.pending > 0 || !n.fanned_out);
    Some(
        view! {
            <div class="table-wrap" data-testid="reach" data-reach-pending=busy.then_some("")>
                <table class="board">
                    <caption>{t!("reach.title", locale = lang).to_string()}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t!("reach.notice", locale = lang).to_string()}</th>
                            <th scope="col">{t!("reach.targeted", locale = lang).to_string()}</th>
                            <th scope="col">{t!("reach.delivered", locale = lang).to_string()}</th>
                            <th scope="col">{t!("reach.failed", locale = lang).to_string()}</th>
                            <th scope="col">{t!("reach.expired", locale = lang).to_string()}</th>
                            <th scope="col">{t!("reach.pending", locale = lang).to_string()}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any(),
    )
}
