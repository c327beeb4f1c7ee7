//! Live pages: follows `/e/{event}/live` (SSE) and, on each change, fetches
//! the page again and swaps the server-rendered `[data-live]` regions. The
//! server stays the only renderer; without JS the page is simply static.
//! EventSource reconnects by itself with `Last-Event-ID`; a discreet mark
//! says when the link is down.

use leptos::prelude::*;

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
/// is not missed.
#[island]
pub fn LiveRegions(
    event: String,
    after: i64,
    live_label: String,
    reconnecting_label: String,
) -> impl IntoView {
    let link = RwSignal::new(Link::Connecting);
    Effect::new(move |_| browser::follow(&event, after, link));
    view! {
        <span
            class="live-mark"
            role="status"
            aria-live="polite"
            data-testid="live-state"
            data-state=move || link.get().as_str()
        >
            {move || match link.get() {
                Link::Live => live_label.clone(),
                Link::Reconnecting => reconnecting_label.clone(),
                Link::Connecting => String::new(),
            }}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::Link;
    use crate::domain::change::ChangeKind;

    pub fn follow(event: &str, after: i64, link: RwSignal<Link>) {
        // Reconnects send `Last-Event-ID`, which the server prefers.
        let Ok(es) = web_sys::EventSource::new(&format!("/e/{event}/live?after={after}")) else {
            return;
        };
        let state = Rc::new(Refresher::default());
        let hellos = Rc::new(Cell::new(0u32));

        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| link.set(Link::Live));
        es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_error =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| link.set(Link::Reconnecting));
        es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();

        let refresh = {
            let state = state.clone();
            move || refresh_regions(state.clone())
        };
        poll_reach(state);
        // Every reconnect after the first may have missed changes, and the
        // first too when the server could not replay from the page's
        // position (it says `"resync":true`).
        let on_hello = {
            let refresh = refresh.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                link.set(Link::Live);
                hellos.set(hellos.get() + 1);
                let resync = e
                    .data()
                    .as_string()
                    .is_some_and(|d| d.contains("\"resync\":true"));
                if hellos.get() > 1 || resync {
                    refresh();
                }
            })
        };
        let _ = es.add_event_listener_with_callback("hello", on_hello.as_ref().unchecked_ref());
        on_hello.forget();
        // Every change-log kind the server writes (speaker answers fill the
        // organisers' confirmation board), and the stream's own "resync".
        let kinds = ChangeKind::ALL.map(ChangeKind::as_str);
        for kind in kinds.into_iter().chain(["resync"]) {
            let refresh = refresh.clone();
            let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| refresh());
            let _ = es.add_event_listener_with_callback(kind, cb.as_ref().unchecked_ref());
            cb.forget();
        }
        // The EventSource lives as long as the page.
        std::mem::forget(es);
    }

    /// A page's refreshing: one fetch at a time, and at most one timer.
    #[derive(Default)]
    struct Refresher {
        busy: Cell<bool>,
        again: Cell<bool>,
        armed: Cell<bool>,
    }

    /// One fetch at a time; changes that arrive meanwhile coalesce into one
    /// more fetch afterwards.
    fn refresh_regions(state: Rc<Refresher>) {
        if state.busy.replace(true) {
            state.again.set(true);
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                state.again.set(false);
                let _ = swap_regions().await;
                if !state.again.get() {
                    break;
                }
            }
            state.busy.set(false);
            poll_reach(state);
        });
    }

    /// A notice's reach grows as deliveries finish, which writes no
    /// change-log entry: while a reach table says deliveries are under way
    /// (`data-reach-pending`), fetch again in two seconds.
    fn poll_reach(state: Rc<Refresher>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let pending = window
            .document()
            .and_then(|d| d.query_selector("[data-reach-pending]").ok().flatten())
            .is_some();
        if !pending || state.armed.replace(true) {
            return;
        }
        let cb = Closure::once_into_js(move || {
            state.armed.set(false);
            refresh_regions(state);
        });
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 2000);
    }

    async fn swap_regions() -> Result<(), wasm_bindgen::JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let document = window.document().ok_or("no document")?;
        let href = window.location().href()?;
        let init = web_sys::RequestInit::new();
        init.set_cache(web_sys::RequestCache::NoStore);
        let resp: web_sys::Response =
            wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(&href, &init))
                .await?
                .dyn_into()?;
        let text = wasm_bindgen_futures::JsFuture::from(resp.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        let fresh = web_sys::DomParser::new()?
            .parse_from_string(&text, web_sys::SupportedType::TextHtml)?;
        let regions = document.query_selector_all("[data-live]")?;
        for i in 0..regions.length() {
            let Some(el) = regions
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            if let Some(new) = fresh.get_element_by_id(&el.id()) {
                let html = new.inner_html();
                if html != el.inner_html() {
                    el.set_inner_html(&html);
                    hydrate_islands_in(&window, &el)?;
                }
            }
        }
        Ok(())
    }

    /// Islands inside swapped-in HTML are inert until hydrated; Leptos's
    /// island loader exposes `__hydrateIsland(el, name)` for exactly this.
    fn hydrate_islands_in(
        window: &web_sys::Window,
        root: &web_sys::Element,
    ) -> Result<(), wasm_bindgen::JsValue> {
        let hydrate = js_sys::Reflect::get(window, &"__hydrateIsland".into())?;
        let Some(hydrate) = hydrate.dyn_ref::<js_sys::Function>() else {
            return Ok(());
        };
        let islands = root.query_selector_all("leptos-island")?;
        for i in 0..islands.length() {
            if let Some(el) = islands
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let name = el.dataset().get("component").unwrap_or_default();
                hydrate.call2(&wasm_bindgen::JsValue::NULL, &el, &name.into())?;
            }
        }
        Ok(())
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use leptos::prelude::RwSignal;

    pub fn follow(_event: &str, _after: i64, _link: RwSignal<super::Link>) {}
}
