//! What a page needs from the request it renders: language, query values,
//! cookies and the signed-in organiser. Server-only in substance; the
//! hydrate build gets inert stand-ins because no page renders there.

#[cfg(feature = "ssr")]
mod imp {
    use http::request::Parts;
    use leptos::prelude::*;

    use crate::i18n::negotiate;
    use crate::state::AppState;

    /// The organiser signed in for this request, put into the request's
    /// extensions by the server's auth middleware.
    #[derive(Debug, Clone)]
    pub struct CurrentUser {
        pub email: String,
        pub csrf_token: String,
        /// What they may do, on which events.
        pub access: crate::domain::access::Principal,
    }

    impl CurrentUser {
        /// The authorisation rule for this organiser; a refusal is a 403.
        pub fn check(
            &self,
            action: crate::domain::access::Action,
            event: &str,
        ) -> crate::error::Result<()> {
            Ok(self.access.check(action, event)?)
        }
    }

    fn parts() -> Option<Parts> {
        use_context::<Parts>()
    }

    pub fn query(name: &str) -> Option<String> {
        let p = parts()?;
        let q = p.uri.query()?;
        form_urlencoded::parse(q.as_bytes()).find_map(|(k, v)| (k == name).then(|| v.into_owned()))
    }

    /// The query read into `T` as axum-extra's `Form` reads a form body
    /// (repeated keys into a `Vec`), so a GET form and its POST agree;
    /// `T::default()` when the query does not fit.
    pub fn query_as<T: serde::de::DeserializeOwned + Default>() -> T {
        parts()
            .and_then(|p| serde_html_form::from_str(p.uri.query().unwrap_or("")).ok())
            .unwrap_or_default()
    }

    pub fn cookie(name: &str) -> Option<String> {
        let p = parts()?;
        p.headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|h| h.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == name)
            .map(|c| c.value().to_owned())
    }

    pub fn lang() -> &'static str {
        let explicit = query("lang").or_else(|| cookie("lang"));
        let accept = parts().and_then(|p| {
            p.headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok().map(str::to_owned))
        });
        negotiate(explicit.as_deref(), accept.as_deref())
    }

    pub fn path() -> String {
        parts().map(|p| p.uri.path().to_owned()).unwrap_or_default()
    }

    /// A value the server's middleware put into the request's extensions.
    pub fn extension<T: Clone + Send + Sync + 'static>() -> Option<T> {
        parts()?.extensions.get::<T>().cloned()
    }

    /// Why the organiser's last form was refused, when the URL says there
    /// was an error (`?error=1`); the text itself never comes from the URL.
    pub fn form_error() -> Option<String> {
        query("error")?;
        let user = current_user()?;
        Some(
            state()
                .take_form_error(&user.csrf_token)
                .unwrap_or_else(|| "—".to_owned()),
        )
    }

    pub fn current_user() -> Option<CurrentUser> {
        parts()?.extensions.get::<CurrentUser>().cloned()
    }

    pub fn state() -> AppState {
        expect_context::<AppState>()
    }

    pub fn set_status(code: http::StatusCode) {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.set_status(code);
        }
    }

    /// Personal or time-dependent pages: never cached anywhere.
    pub fn set_no_store() {
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            r.insert_header(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
        }
    }

    /// "Now" for this page: the server's clock (which tests move).
    pub fn now() -> chrono::DateTime<chrono::Utc> {
        use_context::<AppState>()
            .map(|s| s.clock.now())
            .unwrap_or_else(chrono::Utc::now)
    }

    /// A public page of `view` as of `now`: cacheable until its content
    /// could next change (see `cache_policy`); the server's conditional-GET
    /// layer derives the ETag from the bytes and this epoch.
    pub fn set_public_cache(
        view: &crate::read_model::EventView,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let f = crate::cache_policy::Freshness::for_view(view, now);
        if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(v) = http::HeaderValue::from_str(&f.cache_control()) {
                r.insert_header(http::header::CACHE_CONTROL, v);
            }
            r.insert_header(
                http::HeaderName::from_static(crate::cache_policy::EPOCH_HEADER),
                http::HeaderValue::from(f.epoch()),
            );
            r.insert_header(
                http::header::VARY,
                http::HeaderValue::from_static("Accept-Language, Cookie"),
            );
        }
    }
}

#[cfg(feature = "ssr")]
pub use imp::*;

/// In the browser the page's language is whatever the server rendered.
#[cfg(not(feature = "ssr"))]
pub fn lang() -> &'static str {
    "en"
}

/// No page renders in the browser, so no request path either.
#[cfg(not(feature = "ssr"))]
pub fn path() -> String {
    String::new()
}
