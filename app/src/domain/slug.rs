//! URL slugs derived from human names (`Track 2` → `track-2`).

/// Lower-cases, keeps letters and digits, folds every other run of
/// characters into one `-`. Non-ASCII letters are kept (lower-cased) so that
/// a room called "Зал 1" still gets a readable, unique slug; letters with no
/// lower-case form (mathematical capitals) count as separators.
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() && !c.is_uppercase() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// A slug is valid for an event or track when it is non-empty, short and
/// made only of lower-case letters, digits and single dashes.
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_become_dashed_lowercase_slugs() {
        assert_eq!(slugify("Track 2"), "track-2");
        assert_eq!(slugify("  Main Hall (A) "), "main-hall-a");
        assert_eq!(slugify("Зал 1"), "зал-1");
        assert_eq!(slugify("---"), "");
    }

    #[test]
    fn slug_validation_rejects_empty_upper_and_double_dashes() {
        assert!(is_valid_slug("track-2"));
        assert!(!is_valid_slug(""));
        assert!(!is_valid_slug("Track"));
        assert!(!is_valid_slug("a--b"));
        assert!(!is_valid_slug("-a"));
        assert!(!is_valid_slug("a/b"));
    }

    proptest::proptest! {
        #[test]
        fn slugify_output_is_always_valid_or_empty(name in ".{0,40}") {
            let s = slugify(&name);
            proptest::prop_assert!(s.is_empty() || s.len() > 64 || is_valid_slug(&s), "{s:?}");
        }
    }
}
