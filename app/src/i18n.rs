//! Languages the UI speaks, and how one is picked for a request.

pub use rust_i18n::t;

/// The UI languages, in the order the switcher lists them.
pub const LANGS: [(&str, &str); 4] = [
    ("en", "English"),
    ("ru", "Русский"),
    ("zh", "中文"),
    ("fr", "Français"),
];

/// A translation for code outside this crate (rust-i18n's `t!` only works
/// inside the crate that loads the locales).
pub fn tr(key: &str, lang: &str) -> String {
    t!(key, locale = lang).to_string()
}

/// Returns `code` if the UI speaks it.
pub fn supported(code: &str) -> Option<&'static str> {
    LANGS.iter().map(|(c, _)| *c).find(|c| *c == code)
}

/// Picks a language: an explicit choice (query or cookie) first, then the
/// best `Accept-Language` entry by q-value, else English.
pub fn negotiate(explicit: Option<&str>, accept_language: Option<&str>) -> &'static str {
    if let Some(l) = explicit.and_then(supported) {
        return l;
    }
    let mut best: Option<(f32, &'static str)> = None;
    for part in accept_language.unwrap_or("").split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(l) = supported(primary)
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l).unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_choice_beats_accept_language() {
        assert_eq!(negotiate(Some("fr"), Some("ru,en;q=0.5")), "fr");
        assert_eq!(negotiate(Some("xx"), Some("ru,en;q=0.5")), "ru");
    }

    #[test]
    fn accept_language_is_ranked_by_q_and_region_is_ignored() {
        assert_eq!(negotiate(None, Some("de-DE,zh-CN;q=0.8,en;q=0.7")), "zh");
        assert_eq!(negotiate(None, Some("en;q=0.3, fr-CA;q=0.9")), "fr");
        assert_eq!(negotiate(None, Some("de")), "en");
        assert_eq!(negotiate(None, None), "en");
    }

    /// Every key of the catalogue, in every language the switcher offers
    /// (read from the file itself: a key added in English only fails here,
    /// not on a reader's page where it would show as its name).
    #[test]
    fn every_key_of_the_catalogue_has_all_four_languages() {
        let file = include_str!("../locales/app.yml");
        let mut keys: Vec<(&str, Vec<&str>)> = Vec::new();
        for line in file.lines() {
            if line.starts_with("_version") || line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(key) = line.strip_suffix(':').filter(|_| !line.starts_with(' ')) {
                keys.push((key, Vec::new()));
            } else if let Some((lang, _)) = line.trim_start().split_once(':')
                && line.starts_with("  ")
                && !line.starts_with("   ")
                && let Some((_, langs)) = keys.last_mut()
            {
                langs.push(lang);
            }
        }
        assert!(keys.len() > 500, "read {} keys", keys.len());
        let mut wanted: Vec<&str> = LANGS.iter().map(|(code, _)| *code).collect();
        wanted.sort_unstable();
        let mut seen = std::collections::HashSet::new();
        for (key, mut langs) in keys {
            assert!(seen.insert(key), "{key} is in the catalogue twice");
            langs.sort_unstable();
            assert_eq!(langs, wanted, "{key}");
        }
    }

    #[test]
    fn every_language_has_every_key_of_english() {
        for (lang, _) in LANGS {
            for key in [
                "nav.schedule",
                "schedule.live_now",
                "schedule.up_next",
                "login.title",
            ] {
                let s = t!(key, locale = lang).to_string();
                assert!(
                    !s.is_empty() && s != key && !s.contains('.'),
                    "{lang}: {key} -> {s}"
                );
            }
        }
    }
}
