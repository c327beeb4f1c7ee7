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
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}
