//! Markdown as Marquee shows it, from one parser (pulldown-cmark): HTML for
//! pages and feeds, sanitised because organisers and imports write it; and
//! one line of plain text for places that show no markup (countdown
//! screens, push notifications).

use pulldown_cmark::{Event, Parser, TagEnd};

/// Markdown to HTML, then through ammonia so that user-supplied text can
/// never inject script or event handlers.
pub fn to_html(md: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new(md));
    ammonia::clean(&html)
}

/// Markdown as one line of plain text: the words of links and emphasis
/// without their syntax, code spans as written, blocks separated by a
/// space, raw HTML dropped.
pub fn to_plain(md: &str) -> String {
    let mut out = String::new();
    for e in Parser::new(md) {
        match e {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            // Inline markup ends mid-sentence; blocks end with a gap.
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_keeps_formatting_and_drops_script() {
        let html = to_html(
            "**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn plain_text_is_one_line_of_words() {
        assert_eq!(
            to_plain("The projector is *sulking*; see [status](/s).\n\n- one\n- `two`"),
            "The projector is sulking; see status. one two"
        );
    }

    #[test]
    fn plain_text_keeps_identifiers_and_drops_link_syntax() {
        assert_eq!(
            to_plain(
                "## Player down\n\nThe `snake_case` flag and my_stream_key broke it; \
                 see [the status page](https://x.example/s) > <b>now</b>"
            ),
            "Player down The snake_case flag and my_stream_key broke it; \
             see the status page > now"
        );
    }
}
