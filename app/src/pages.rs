//! Routes and page components. In islands mode pages render only on the
//! server, so each route component hands off to a server-only renderer and
//! the wasm bundle carries nothing but the islands in `components`.

use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[cfg(feature = "ssr")]
mod admin;
#[cfg(feature = "ssr")]
mod audit_log;
#[cfg(feature = "ssr")]
mod banner;
#[cfg(feature = "ssr")]
mod changes;
#[cfg(feature = "ssr")]
mod conflict_text;
#[cfg(feature = "ssr")]
mod dashboard;
#[cfg(feature = "ssr")]
mod home;
#[cfg(feature = "ssr")]
mod invite;
#[cfg(feature = "ssr")]
mod layout;
#[cfg(feature = "ssr")]
mod login;
#[cfg(feature = "ssr")]
mod postmortems;
#[cfg(feature = "ssr")]
mod proposal;
#[cfg(feature = "ssr")]
mod push_control;
#[cfg(feature = "ssr")]
mod reach;
#[cfg(feature = "ssr")]
mod replan;
pub mod request;
#[cfg(feature = "ssr")]
mod schedule;
#[cfg(feature = "ssr")]
mod screen;
#[cfg(feature = "ssr")]
mod updates_panel;
#[cfg(feature = "ssr")]
pub use screen::screen_data_for;
#[cfg(feature = "ssr")]
mod email_admin;
#[cfg(feature = "ssr")]
pub mod monitors_admin;
#[cfg(feature = "ssr")]
mod screens_admin;
#[cfg(feature = "ssr")]
mod session;
#[cfg(feature = "ssr")]
mod shift;
#[cfg(feature = "ssr")]
mod shift_board;
#[cfg(feature = "ssr")]
pub mod speaker;
#[cfg(feature = "ssr")]
mod speakers_admin;
#[cfg(feature = "ssr")]
mod status;
#[cfg(feature = "ssr")]
mod status_labels;
#[cfg(feature = "ssr")]
pub mod team;
#[cfg(feature = "ssr")]
mod templates_admin;
#[cfg(feature = "ssr")]
mod webhooks_admin;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage />
                <Route path=path!("/e/:event") view=SchedulePage />
                <Route path=path!("/e/:event/talk/:guid") view=SessionPage />
                <Route path=path!("/e/:event/status") view=StatusPage />
                <Route path=path!("/e/:event/screen") view=ScreenPage />
                <Route path=path!("/e/:event/screen/:track") view=ScreenPage />
                <Route path=path!("/e/:event/changes") view=ChangesPage />
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/s/:token") view=SpeakerPage />
                <Route path=path!("/admin") view=AdminPage />
                <Route path=path!("/admin/e/:event") view=DashboardPage />
                <Route path=path!("/admin/e/:event/shift") view=ShiftPage />
                <Route path=path!("/admin/e/:event/talks") view=ReplanPage />
                <Route path=path!("/admin/e/:event/screens") view=ScreensAdminPage />
                <Route path=path!("/admin/e/:event/shifts/:id") view=ShiftBoardPage />
                <Route path=path!("/admin/e/:event/proposals/:id") view=ProposalPage />
                <Route path=path!("/admin/e/:event/speakers") view=SpeakersAdminPage />
                <Route path=path!("/admin/e/:event/webhooks") view=WebhooksAdminPage />
                <Route path=path!("/admin/e/:event/email") view=EmailAdminPage />
                <Route path=path!("/admin/e/:event/monitors") view=MonitorsAdminPage />
                <Route path=path!("/admin/e/:event/team") view=TeamPage />
                <Route path=path!("/admin/e/:event/audit") view=AuditPage />
                <Route path=path!("/admin/e/:event/templates") view=TemplatesPage />
                <Route path=path!("/invite/:token") view=InvitePage />
            </Routes>
        </Router>
    }
}

/// Declares a route component whose body exists only in the server build.
macro_rules! server_page {
    ($name:ident => $render:path) => {
        #[component]
        pub fn $name() -> impl IntoView {
            #[cfg(feature = "ssr")]
            {
                $render().into_any()
            }
            #[cfg(not(feature = "ssr"))]
            {
                ().into_any()
            }
        }
    };
}

server_page!(HomePage => home::render);
server_page!(SchedulePage => schedule::render);
server_page!(SessionPage => session::render);
server_page!(StatusPage => status::render);
server_page!(ScreenPage => screen::render);
server_page!(ChangesPage => changes::render);
server_page!(LoginPage => login::render);
server_page!(SpeakerPage => speaker::render);
server_page!(AdminPage => admin::render);
server_page!(DashboardPage => dashboard::render);
server_page!(ShiftPage => shift::render);
server_page!(ReplanPage => replan::render);
server_page!(ScreensAdminPage => screens_admin::render);
server_page!(ShiftBoardPage => shift_board::render);
server_page!(ProposalPage => proposal::render);
server_page!(SpeakersAdminPage => speakers_admin::render);
server_page!(WebhooksAdminPage => webhooks_admin::render);
server_page!(EmailAdminPage => email_admin::render);
server_page!(MonitorsAdminPage => monitors_admin::render);
server_page!(TeamPage => team::render);
server_page!(AuditPage => audit_log::render);
server_page!(TemplatesPage => templates_admin::render);
server_page!(InvitePage => invite::render);
server_page!(NotFoundPage => layout::not_found);
