//! An event's own incident templates, in front of the built-in ones: a
//! template the team stored under a key fills the name and text of an
//! incident or update opened with that key (the dashboard's choice,
//! `"template"` in the API, `marquee incident open --template`); any other
//! key falls through to the built-ins (`stream_down`, `delayed`,
//! `resolved`) in the requested language.

use app::error::Result;
use app::state::AppState;

/// Fills `name` and `body` from the event's stored template `template`
/// names (where they are blank) and clears `template`, so the built-in
/// lookup does not see it; leaves everything as is for other keys.
pub async fn apply(
    state: &AppState,
    slug: &str,
    template: &mut Option<String>,
    name: Option<&mut Option<String>>,
    body: &mut Option<String>,
) -> Result<()> {
    let Some(key) = template.as_deref().filter(|k| !k.is_empty()) else {
        return Ok(());
    };
    let stored = state.store.list_templates(slug).await?;
    let Some(t) = stored.into_iter().find(|t| t.key == key) else {
        return Ok(());
    };
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    if let Some(name) = name
        && blank(name)
    {
        *name = Some(t.title);
    }
    if blank(body) {
        *body = Some(t.body_md);
    }
    *template = None;
    Ok(())
}
