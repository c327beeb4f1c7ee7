//! `/admin/e/{event}/team`: the event's members with their roles, and
//! invitations by link. Everyone who may see the dashboard sees who is on
//! the team; only owners change roles, remove members and invite. A new
//! link is shown once, to the owner who made it: only its hash is stored.
//! The data comes on the request (`server::routes::team_pages`); the
//! audit log, templates and invitation pages share the types here.

use leptos::prelude::*;
use rust_i18n::t;

use super::{layout, request};
use crate::components::CopyButton;
use crate::domain::access::{Action, Role};
use crate::domain::invitation::{InvitationRefused, MAX_DAYS};
use crate::store::{AuditEntry, IncidentTemplate, Invitation, Member};

/// What the team page shows.
#[derive(Debug, Clone)]
pub struct TeamData {
    pub members: Vec<Member>,
    pub invitations: Vec<Invitation>,
}

/// One page of the audit log.
#[derive(Debug, Clone)]
pub struct AuditData {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The event's own incident templates.
#[derive(Debug, Clone)]
pub struct TemplatesData(pub Vec<IncidentTemplate>);

/// What an invitation link leads to.
#[derive(Debug, Clone)]
pub enum InviteData {
    Open {
        invitation: Invitation,
        event_name: String,
    },
    Refused(InvitationRefused),
}

pub fn role_label(role: Role, lang: &str) -> String {
    t!(format!("team.role.{}", role.as_str()), locale = lang).to_string()
}

fn role_options(selected: Role, lang: &'static str) -> impl IntoView + use<> {
    Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == selected>{role_label(r, lang)}</option> })
        .collect_view()
}

/// Links between the team's pages and to the report downloads.
pub fn team_nav(slug: &str, lang: &'static str) -> impl IntoView + use<> {
    view! {
        <p class="team-nav">
            <a class="button" href=format!("/admin/e/{slug}")>{t!("admin.manage", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/team")>{t!("team.title", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/audit")>{t!("team.audit", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/templates")>{t!("team.templates", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/report.html") data-testid="report-html" download>{t!("team.report_html", locale = lang).to_string()}</a>
            " "
            <a class="button" href=format!("/admin/e/{slug}/report.md") data-testid="report-md" download>{t!("team.report_md", locale = lang).to_string()}</a>
        </p>
    }
}

pub fn render() -> AnyView {
    let (user, slug, view) = match layout::admin_route_event() {
        Ok(x) => x,
        Err(v) => return v,
    };
    let lang = request::lang();
    let data = request::extension::<TeamData>().unwrap_or(TeamData {
        members: Vec::new(),
        invitations: Vec::new(),
    });
    let owner = user.access.may(Action::Members, &slug);
    let error = request::form_error().map(|m| {
        view! { <p class="error" role="alert" data-testid="form-error">{t!("admin.error", locale = lang, message = m).to_string()}</p> }
    });
    let fresh = request::state()
        .issued_links
        .lock()
        .map(|mut m| {
            m.remove(&format!("invite:{}", user.csrf_token))
                .unwrap_or_default()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|(_, url)| {
            view! {
                <div class="fresh-link" data-testid="invite-link">
                    <label for="invite-url">{t!("team.new_link", locale = lang).to_string()}</label>
                    <input id="invite-url" class="screen-url" readonly value=url />
                    <CopyButton
                        target="invite-url".to_owned()
                        label=t!("screen.copy", locale = lang).to_string()
                        done=t!("screen.copied", locale = lang).to_string()
                    />
                </div>
            }
        })
        .collect_view();
    let tz = view.tz;
    let fmt = move |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    let members = data
        .members
        .iter()
        .map(|m| {
            let action = format!("/admin/e/{slug}/team/members/{}", m.user_id);
            let select_id = format!("role-{}", m.user_id);
            let controls = owner.then(|| {
                view! {
                    <form method="post" action=action.clone() class="inline-form">
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        <label for=select_id.clone() class="visually-hidden">{t!("team.role", locale = lang).to_string()}</label>
                        <select id=select_id.clone() name="role">{role_options(m.role, lang)}</select>
                        <button type="submit">{t!("team.change_role", locale = lang).to_string()}</button>
                    </form>
                    " "
                    <form method="post" action=action class="inline-form">
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        <input type="hidden" name="role" value="remove" />
                        <button type="submit" class="danger">{t!("team.remove", locale = lang).to_string()}</button>
                    </form>
                }
            });
            view! {
                <tr data-member=m.email.clone()>
                    <td>{m.email.clone()}</td>
                    <td data-role=m.role.as_str()>{role_label(m.role, lang)}</td>
                    <td>{fmt(m.since)}</td>
                    <td>{controls}</td>
                </tr>
            }
        })
        .collect_view();
    let now = request::now();
    let invitations = data
        .invitations
        .iter()
        .map(|i| {
            let state = match (&i.used_by, i.used_at) {
                (Some(by), Some(_)) if by == "(withdrawn)" => t!("team.withdrawn", locale = lang).to_string(),
                (Some(by), Some(at)) => t!("team.used_by", locale = lang, who = by.clone(), when = fmt(at)).to_string(),
                _ if i.expires_at <= now => t!("team.expired", locale = lang).to_string(),
                _ => t!("team.open_until", locale = lang, when = fmt(i.expires_at)).to_string(),
            };
            let open = i.used_at.is_none() && i.expires_at > now;
            let withdraw = (owner && open).then(|| {
                view! {
                    <form method="post" action=format!("/admin/e/{slug}/team/invitations/{}/withdraw", i.id) class="inline-form">
                        <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                        <button type="submit">{t!("team.withdraw", locale = lang).to_string()}</button>
                    </form>
                }
            });
            view! {
                <tr data-invitation=i.id>
                    <td>{role_label(i.role, lang)}</td>
                    <td>{i.note.clone()}</td>
                    <td>{i.created_by.clone()}</td>
                    <td>{state}</td>
                    <td>{withdraw}</td>
                </tr>
            }
        })
        .collect_view();
    let invite_form = owner.then(|| {
        view! {
            <section aria-labelledby="h-invite">
                <h2 id="h-invite">{t!("team.invite", locale = lang).to_string()}</h2>
                <form method="post" action=format!("/admin/e/{slug}/team/invitations") class="stack" data-testid="invite-form">
                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                    <label for="invite-role">{t!("team.role", locale = lang).to_string()}</label>
                    <select id="invite-role" name="role">{role_options(Role::Viewer, lang)}</select>
                    <label for="invite-note">{t!("team.note", locale = lang).to_string()}</label>
                    <input id="invite-note" name="note" maxlength="200" placeholder="ada@example.org" />
                    <label for="invite-days">{t!("team.days", locale = lang, max = MAX_DAYS).to_string()}</label>
                    <input id="invite-days" name="days" type="number" min="1" max=MAX_DAYS.to_string() value="7" />
                    <button type="submit">{t!("team.create_link", locale = lang).to_string()}</button>
                </form>
            </section>
        }
    });
    let body = view! {
        <h1>{format!("{} — {}", view.schedule.event.name, t!("team.title", locale = lang))}</h1>
        {team_nav(&slug, lang)}
        {error}
        {fresh}
        <p class="muted">{t!("team.intro", locale = lang).to_string()}</p>
        <div class="table-wrap">
            <table class="board" data-testid="members">
                <caption>{t!("team.members", locale = lang).to_string()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!("team.email", locale = lang).to_string()}</th>
                        <th scope="col">{t!("team.role", locale = lang).to_string()}</th>
                        <th scope="col">{t!("team.since", locale = lang).to_string()}</th>
                        <th scope="col"><span class="visually-hidden">{t!("team.change_role", locale = lang).to_string()}</span></th>
                    </tr>
                </thead>
                <tbody>{members}</tbody>
            </table>
        </div>
        {invite_form}
        <div class="table-wrap">
            <table class="board" data-testid="invitations">
                <caption>{t!("team.invitations", locale = lang).to_string()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t!("team.role", locale = lang).to_string()}</th>
                        <th scope="col">{t!("team.note", locale = lang).to_string()}</th>
                        <th scope="col">{t!("team.by", locale = lang).to_string()}</th>
                        <th scope="col">{t!("team.state", locale = lang).to_string()}</th>
                        <th scope="col"><span class="visually-hidden">{t!("team.withdraw", locale = lang).to_string()}</span></th>
                    </tr>
                </thead>
                <tbody>{invitations}</tbody>
            </table>
        </div>
    };
    layout::frame(
        t!("team.title", locale = lang).to_string(),
        Some(view.clone()),
        body.into_any(),
    )
}
