//! Schedule → C3VOC XML (schedule.xml.xsd). Text is escaped here rather
//! than by quick-xml so that carriage returns survive a round trip (a parser
//! turns a raw CR into LF) and characters XML 1.0 cannot carry are dropped.

use std::io;

use app::domain::schedule::{Schedule, Session};
use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};

use super::export::Layout;
use super::naming::duration;

type W = Writer<Vec<u8>>;

pub(crate) fn export(schedule: &Schedule, base_url: &str) -> String {
    let l = Layout::new(schedule, base_url);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    write_doc(&mut w, &l).expect("writing XML into memory");
    let mut out = String::from_utf8(w.into_inner()).expect("the writer only writes UTF-8");
    out.push('\n');
    out
}

fn write_doc(w: &mut W, l: &Layout) -> io::Result<()> {
    let s = l.schedule;
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("schedule").write_inner_content(|w| {
        w.write_event(Event::Empty(tag(
            "generator",
            &[("name", "marquee"), ("version", env!("CARGO_PKG_VERSION"))],
        )))?;
        text(w, "version", &s.version.to_string())?;
        w.create_element("conference").write_inner_content(|w| {
            text(w, "title", &s.event.name)?;
            text(w, "acronym", &l.acronym)?;
            text(w, "start", &s.event.start_date.to_string())?;
            text(w, "end", &s.event.end_date.to_string())?;
            text(w, "days", &l.days.len().to_string())?;
            text(w, "timeslot_duration", "00:05")?;
            if let Some(base) = l.http_base() {
                text(w, "base_url", base)?;
            }
            text(w, "time_zone_name", &s.event.time_zone)?;
            for r in &l.rooms {
                let mut attrs = vec![("name", r.name)];
                attrs.extend(r.color.as_deref().map(|c| ("color", c)));
                w.write_event(Event::Empty(tag("track", &attrs)))?;
            }
            Ok(())
        })?;
        for d in &l.days {
            let (index, date) = (d.index.to_string(), d.date.to_string());
            let day = tag(
                "day",
                &[
                    ("index", &index),
                    ("date", &date),
                    ("start", &d.start),
                    ("end", &d.end),
                ],
            );
            write_with(w, day, |w| {
                for (r, sessions) in l.rooms.iter().zip(&d.rooms) {
                    let room = tag("room", &[("name", r.name), ("guid", &r.guid)]);
                    if sessions.is_empty() {
                        w.write_event(Event::Empty(room))?;
                    } else {
                        write_with(w, room, |w| {
                            sessions.iter().try_for_each(|s| event(w, l, r.name, s))
                        })?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

fn event(w: &mut W, l: &Layout, room: &str, s: &Session) -> io::Result<()> {
    let (id, guid) = (l.id(s).to_string(), l.guid(s));
    write_with(w, tag("event", &[("guid", &guid), ("id", &id)]), |w| {
        text(w, "room", room)?;
        text(w, "title", &s.title)?;
        text(w, "subtitle", "")?;
        text(w, "type", s.kind.as_str())?;
        text(w, "date", &l.iso(s.start))?;
        text(w, "start", &l.hhmm(s.start))?;
        text(w, "duration", &duration(s.duration_min))?;
        text(w, "abstract", &s.abstract_md)?;
        text(w, "track", room)?;
        w.create_element("persons").write_inner_content(|w| {
            for p in l.persons(s) {
                let id = p.id.map(|i| i.to_string());
                let mut attrs = Vec::new();
                attrs.extend(p.guid.map(|g| ("guid", g)));
                attrs.extend(id.as_deref().map(|i| ("id", i)));
                write_with(w, tag("person", &attrs), |w| {
                    w.write_event(Event::Text(escaped(p.name)))
                })?;
            }
            Ok(())
        })?;
        if let Some(lang) = &s.language {
            text(w, "language", lang)?;
        }
        text(w, "description", "")?;
        w.create_element("recording").write_inner_content(|w| {
            text(w, "license", "")?;
            text(w, "optout", "false")
        })?;
        w.create_element("links").write_empty()?;
        w.create_element("attachments").write_empty()?;
        if l.http_base().is_some() {
            text(w, "url", &l.url(s))?;
        }
        Ok(())
    })
}

/// `<name>text</name>` on one line.
fn text(w: &mut W, name: &str, content: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(escaped(content))?;
    Ok(())
}

/// A start tag, its end tag, and what `inner` writes between them.
fn write_with(
    w: &mut W,
    start: BytesStart,
    inner: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    let end = start.to_end().into_owned();
    w.write_event(Event::Start(start))?;
    inner(w)?;
    w.write_event(Event::End(end))
}

fn tag<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut t = BytesStart::new(name);
    for (k, v) in attrs {
        let v = escape(v, true);
        t.push_attribute(Attribute::from((k.as_bytes(), v.as_bytes())));
    }
    t
}

fn escaped(s: &str) -> BytesText<'static> {
    BytesText::from_escaped(escape(s, false))
}

/// XML-escapes `s`; in attributes also tabs and newlines, which a parser
/// would otherwise normalise to spaces.
fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_keeps_cr_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            escape("a<b & \"c\"\r\n\u{1b}", false),
            "a&lt;b &amp; \"c\"&#13;\n"
        );
        assert_eq!(escape("x\"\ty\n", true), "x&quot;&#9;y&#10;");
    }
}
