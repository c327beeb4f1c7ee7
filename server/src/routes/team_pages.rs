//! Puts what the team's pages show on their request: pages render
//! synchronously from memory, and members, invitations, templates and the
//! audit log live only in the database (as `reach` does for notices). An
//! invitation's page is loaded for anyone holding the link; the others
//! only for a signed-in organiser, and each page still checks access.

use app::auth::hash_token;
use app::domain::access::Action;
use app::domain::invitation::{InvitationRefused, check_usable};
use app::error::Result;
use app::pages::request::CurrentUser;
use app::pages::team::{AuditData, InviteData, TeamData, TemplatesData};
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::afterwards::AUDIT_PAGE;

/// Which team page a path is, with its event (or link token).
#[derive(Debug, PartialEq, Eq)]
enum TeamPage<'a> {
    Team(&'a str),
    Audit(&'a str),
    Templates(&'a str),
    Invite(&'a str),
}

fn team_page(path: &str) -> Option<TeamPage<'_>> {
    if let Some(token) = path.strip_prefix("/invite/") {
        return (!token.is_empty() && !token.contains('/')).then_some(TeamPage::Invite(token));
    }
    let rest = path.strip_prefix("/admin/e/")?;
    let (event, page) = rest.split_once('/').unwrap_or((rest, ""));
    match page {
        // The dashboard offers the event's templates.
        "" => Some(TeamPage::Templates(event)),
        "team" => Some(TeamPage::Team(event)),
        "audit" => Some(TeamPage::Audit(event)),
        "templates" => Some(TeamPage::Templates(event)),
        _ => None,
    }
}

fn page_number(query: Option<&str>) -> i64 {
    query
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse::<i64>().ok())
        })
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

pub async fn attach(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    // Loaded only for someone the page will show it to.
    let user = req.extensions().get::<CurrentUser>().cloned();
    let may =
        |action: Action, event: &str| user.as_ref().is_some_and(|u| u.access.may(action, event));
    let loaded = match team_page(&path) {
        Some(TeamPage::Invite(token)) => load_invite(&state, token)
            .await
            .map(|d| req.extensions_mut().insert(d))
            .map(|_| ()),
        Some(TeamPage::Team(event)) if may(Action::View, event) => {
            let data = async {
                Ok::<_, app::error::AppError>(TeamData {
                    members: state.store.list_members(event).await?,
                    invitations: state.store.list_invitations(event).await?,
                })
            }
            .await;
            data.map(|d| {
                req.extensions_mut().insert(d);
            })
        }
        Some(TeamPage::Audit(event)) if may(Action::Members, event) => {
            let page = page_number(req.uri().query());
            let data = async {
                Ok::<_, app::error::AppError>(AuditData {
                    entries: state
                        .store
                        .list_audit(event, (page - 1) * AUDIT_PAGE, AUDIT_PAGE)
                        .await?,
                    total: state.store.count_audit(event).await?,
                    page,
                    per_page: AUDIT_PAGE,
                })
            }
            .await;
            data.map(|d| {
                req.extensions_mut().insert(d);
            })
        }
        Some(TeamPage::Templates(event)) if may(Action::View, event) => {
            state.store.list_templates(event).await.map(|t| {
                req.extensions_mut().insert(TemplatesData(t));
            })
        }
        _ => Ok(()),
    };
    if let Err(e) = loaded {
        // Without its data the page would lie (an empty team); say so.
        return e.into_response();
    }
    next.run(req).await
}

async fn load_invite(state: &AppState, token: &str) -> Result<InviteData> {
    let Some(inv) = state.store.find_invitation(&hash_token(token)).await? else {
        return Ok(InviteData::Refused(InvitationRefused::Unknown));
    };
    if let Err(r) = check_usable(inv.expires_at, inv.used_at, state.clock.now()) {
        return Ok(InviteData::Refused(r));
    }
    let event_name = state
        .read_model
        .get(&inv.event_slug)
        .map_or_else(|| inv.event_slug.clone(), |v| v.schedule.event.name.clone());
    Ok(InviteData::Open {
        invitation: inv,
        event_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_team_pages_and_invitation_links_load_data() {
        assert_eq!(
            team_page("/admin/e/conf/team"),
            Some(TeamPage::Team("conf"))
        );
        assert_eq!(
            team_page("/admin/e/conf/audit"),
            Some(TeamPage::Audit("conf"))
        );
        assert_eq!(
            team_page("/admin/e/conf/templates"),
            Some(TeamPage::Templates("conf"))
        );
        assert_eq!(
            team_page("/invite/inv_abc"),
            Some(TeamPage::Invite("inv_abc"))
        );
        assert_eq!(team_page("/invite/"), None);
        assert_eq!(
            team_page("/admin/e/conf"),
            Some(TeamPage::Templates("conf"))
        );
        assert_eq!(team_page("/admin/e/conf/shift"), None);
        assert_eq!(team_page("/admin/e/conf/audit.json"), None);
        assert_eq!(page_number(Some("page=3")), 3);
        assert_eq!(page_number(Some("page=-1")), 1);
        assert_eq!(page_number(None), 1);
    }
}
