//! The HTML document around every page.

use leptos::prelude::*;
use leptos_meta::MetaTags;

use crate::pages::App;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = crate::pages::request::lang();
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="stylesheet" href="/pkg/marquee.css" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <script type="module" src="/push.js"></script>
                {page_scripts(options)}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// What runs in the browser: `enhance.js` on every page but the countdown
/// screens, which are the one Leptos island and get the islands loader
/// (the only inline script a page carries: the Content-Security-Policy
/// allows exactly its hash, see [`inline_script_hashes`]). Why the other
/// pages carry no wasm: see `public/enhance.js`.
fn page_scripts(options: LeptosOptions) -> impl IntoView {
    if is_screen(&crate::pages::request::path()) {
        view! { <HydrationScripts options islands=true /> }.into_any()
    } else {
        view! { <script type="module" src="/enhance.js"></script> }.into_any()
    }
}

/// The pages that carry the `Countdown` island: `/e/{event}/screen` and
/// `/e/{event}/screen/{track}`.
fn is_screen(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "e", _, "screen"] | ["", "e", _, "screen", _]
    )
}

/// The two data scripts Leptos's streaming renderer appends to every page
/// (`hydration_context`'s `SsrSharedContext::pending_data`), as they read
/// when a page has no resources and no errors: Marquee's pages render from
/// memory without either. A page that had some would carry other bytes,
/// and the policy would block them; `server/tests/guard.rs` renders real
/// pages and checks every inline script against the policy.
#[cfg(feature = "ssr")]
const STREAM_DATA_SCRIPTS: [&str; 2] = [
    "__RESOLVED_RESOURCES=[];__SERIALIZED_ERRORS=[];__PENDING_RESOURCES=[];__RESOURCE_RESOLVERS=[];",
    "__INCOMPLETE_CHUNKS=[];",
];

/// `'sha256-…'` sources for every inline `<script>` pages carry: the
/// islands loader, found by rendering the same `HydrationScripts` the
/// shell renders on the screens (so the policy cannot drift from it), and
/// the renderer's empty data scripts. No per-request nonce: a cache may
/// serve the same bytes to everyone.
#[cfg(feature = "ssr")]
pub fn inline_script_hashes(options: &LeptosOptions) -> Vec<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    let options = options.clone();
    let html = Owner::new().with(|| view! { <HydrationScripts options islands=true /> }.to_html());
    inline_scripts(&html)
        .chain(STREAM_DATA_SCRIPTS)
        .map(|body| {
            let digest = Sha256::digest(body.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect()
}

/// The bodies of the `<script>` elements without `src` in `html`.
#[cfg(feature = "ssr")]
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, after) = rest.split_once('>')?;
        let (body, _) = after.split_once("</script>")?;
        (!attrs.contains("src=")).then_some(body)
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_policy_hashes_the_islands_loader_and_the_empty_data_scripts() {
        let options = LeptosOptions::builder().output_name("marquee").build();
        let hashes = inline_script_hashes(&options);
        assert_eq!(hashes.len(), 3, "{hashes:?}");
        assert!(hashes[0].starts_with("'sha256-") && hashes[0].ends_with("='"));
        let html = r#"<script type="module" src="/push.js"></script><script>a()</script><script nonce="x">b()</script>"#;
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), ["a()", "b()"]);
    }

    #[test]
    fn only_the_countdown_screens_load_the_islands() {
        for p in [
            "/e/demo/screen",
            "/e/demo/screen/",
            "/e/demo/screen/track-1",
        ] {
            assert!(is_screen(p), "{p}");
        }
        for p in [
            "/e/demo",
            "/e/demo/status",
            "/e/screen",
            "/admin/e/demo/screens",
            "/e/demo/screen/a/b",
            "/",
        ] {
            assert!(!is_screen(p), "{p}");
        }
    }
}
