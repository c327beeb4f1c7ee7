//! `/invite/{token}`: where an invitation link leads. Someone new creates
//! an account with a password; an organiser already signed in joins with
//! theirs. A used, expired or unknown link says so (409/404) and offers
//! nothing to submit. Never cached: the link is a credential.

use leptos::prelude::*;
use rust_i18n::t;

use super::team::{InviteData, role_label};
use super::{layout, request};
use crate::auth::MIN_PASSWORD_LEN;
use crate::domain::invitation::InvitationRefused;

pub fn render() -> AnyView {
    let lang = request::lang();
    request::set_no_store();
    let path = request::path();
    let Some(data) = request::extension::<InviteData>() else {
        return layout::not_found();
    };
    let body = match data {
        InviteData::Refused(why) => {
            request::set_status(match why {
                InvitationRefused::Unknown => http::StatusCode::NOT_FOUND,
                _ => http::StatusCode::CONFLICT,
            });
            let key = match why {
                InvitationRefused::Unknown => "invite.unknown",
                InvitationRefused::Used => "invite.used",
                InvitationRefused::Expired => "invite.expired",
            };
            view! {
                <section class="card narrow">
                    <h1>{t!("invite.title", locale = lang).to_string()}</h1>
                    <p class="error" role="alert" data-testid="invite-refused">{t!(key, locale = lang).to_string()}</p>
                    <p><a href="/login">{t!("nav.login", locale = lang).to_string()}</a></p>
                </section>
            }
            .into_any()
        }
        InviteData::Open {
            invitation,
            event_name,
        } => {
            let what = t!(
                "invite.offer",
                locale = lang,
                event = event_name,
                role = role_label(invitation.role, lang)
            )
            .to_string();
            let note = (!invitation.note.is_empty())
                .then(|| view! { <p class="muted">{invitation.note.clone()}</p> });
            let form = match request::current_user() {
                Some(user) => view! {
                    <form method="post" action=path.clone() class="stack">
                        <input type="hidden" name="csrf" value=user.csrf_token />
                        <p>{t!("invite.as", locale = lang, email = user.email).to_string()}</p>
                        <button type="submit" class="primary">{t!("invite.join", locale = lang).to_string()}</button>
                    </form>
                }
                .into_any(),
                None => view! {
                    <form method="post" action=path.clone() class="stack" data-testid="invite-signup">
                        <label for="email">{t!("login.email", locale = lang).to_string()}</label>
                        <input id="email" name="email" type="email" autocomplete="username" required />
                        <label for="password">{t!("invite.password", locale = lang, min = MIN_PASSWORD_LEN).to_string()}</label>
                        <input id="password" name="password" type="password" autocomplete="new-password" minlength=MIN_PASSWORD_LEN.to_string() required />
                        <button type="submit" class="primary">{t!("invite.create", locale = lang).to_string()}</button>
                    </form>
                    <p class="muted">{t!("invite.have_account", locale = lang).to_string()}" "<a href="/login">{t!("nav.login", locale = lang).to_string()}</a></p>
                }
                .into_any(),
            };
            view! {
                <section class="card narrow">
                    <h1>{t!("invite.title", locale = lang).to_string()}</h1>
                    <p data-testid="invite-offer">{what}</p>
                    {note}
                    {form}
                </section>
            }
            .into_any()
        }
    };
    layout::frame(t!("invite.title", locale = lang).to_string(), None, body)
}
