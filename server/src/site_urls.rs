//! The public URLs of an event's pages as exports and feeds write them
//! (C3VOC `url`, iCalendar `URL`): one way to escape a path segment and to
//! find the site's origin in the base URL they are given.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `s` as one percent-encoded URL path segment.
pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// The site's origin from a base URL that is either the event's page
/// (`{origin}/e/{slug}`, slug plain or escaped: what the routes pass) or
/// the origin itself.
pub fn origin<'a>(base_url: &'a str, slug: &str) -> &'a str {
    let base = base_url.trim_end_matches('/');
    [format!("/e/{slug}"), format!("/e/{}", segment(slug))]
        .iter()
        .find_map(|suffix| base.strip_suffix(suffix.as_str()))
        .unwrap_or(base)
}

/// A session's page: `{origin}/e/{slug}/talk/{guid}`.
pub fn talk(origin: &str, slug: &str, guid: &str) -> String {
    format!("{origin}/e/{}/talk/{}", segment(slug), segment(guid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_keep_unreserved_ascii_and_escape_the_rest() {
        assert_eq!(segment("зал-1"), "%D0%B7%D0%B0%D0%BB-1");
        assert_eq!(segment("a b/c?d~e_f.g"), "a%20b%2Fc%3Fd~e_f.g");
    }

    #[test]
    fn the_origin_is_found_in_an_event_url_or_taken_as_is() {
        assert_eq!(
            origin("https://m.example/e/зал/", "зал"),
            "https://m.example"
        );
        assert_eq!(
            origin("https://m.example/e/%D0%B7%D0%B0%D0%BB", "зал"),
            "https://m.example"
        );
        assert_eq!(origin("https://m.example", "demo"), "https://m.example");
        assert_eq!(
            talk("https://m.example", "demo", "a/b"),
            "https://m.example/e/demo/talk/a%2Fb"
        );
    }
}
