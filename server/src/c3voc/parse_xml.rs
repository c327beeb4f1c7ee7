//! C3VOC XML → the same [`Node`] tree a C3VOC JSON file parses to, so that
//! both formats go through one importer with one set of rules and paths.
//! Numeric attributes (`id`, `index`) become numbers when they are numbers,
//! so a non-numeric one fails the same type check it would in JSON.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::node::{Node, field, index};
use super::report::FormatError;

const MAX_DEPTH: usize = 32;

/// An XML element with its attributes, child elements and text.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn to_node(bytes: &[u8]) -> Result<Node, FormatError> {
    let root = read_tree(bytes)?;
    if root.name != "schedule" {
        return Err(FormatError::new(
            "$",
            format!("expected a <schedule> root element, found <{}>", root.name),
        ));
    }
    let mut schedule = Vec::new();
    let mut conference: Option<Vec<(String, Node)>> = None;
    let mut days = Vec::new();
    for child in &root.children {
        match child.name.as_str() {
            "version" => schedule.push(("version".to_owned(), Node::Str(child.text.clone()))),
            "conference" => conference = Some(conference_members(child, &mut schedule)),
            "day" => days.push(day(child, days.len())?),
            _ => {}
        }
    }
    if let Some(mut conf) = conference {
        conf.push(("days".to_owned(), Node::Arr(days)));
        schedule.push(("conference".to_owned(), Node::Obj(conf)));
    }
    Ok(Node::Obj(vec![(
        "schedule".to_owned(),
        Node::Obj(schedule),
    )]))
}

/// `<conference>`'s children as JSON conference members; `base_url` moves
/// up to the schedule, where the JSON format keeps it.
fn conference_members(el: &El, schedule: &mut Vec<(String, Node)>) -> Vec<(String, Node)> {
    let mut conf = Vec::new();
    let mut tracks = Vec::new();
    for c in &el.children {
        match c.name.as_str() {
            "days" => conf.push(("daysCount".to_owned(), number(&c.text))),
            "base_url" => schedule.push(("base_url".to_owned(), Node::Str(c.text.clone()))),
            "track" => {
                let name = c.attr("name").unwrap_or(&c.text);
                let mut t = vec![("name".to_owned(), Node::Str(name.to_owned()))];
                if let Some(color) = c.attr("color") {
                    t.push(("color".to_owned(), Node::Str(color.to_owned())));
                }
                tracks.push(Node::Obj(t));
            }
            name if c.children.is_empty() => {
                conf.push((name.to_owned(), Node::Str(c.text.clone())))
            }
            _ => {}
        }
    }
    conf.push(("tracks".to_owned(), Node::Arr(tracks)));
    conf
}

fn day(el: &El, i: usize) -> Result<Node, FormatError> {
    let path = index("schedule.conference.days", i);
    let mut day = Vec::new();
    for (attr, member) in [("date", "date"), ("start", "day_start"), ("end", "day_end")] {
        if let Some(v) = el.attr(attr) {
            day.push((member.to_owned(), Node::Str(v.to_owned())));
        }
    }
    if let Some(v) = el.attr("index") {
        day.push(("index".to_owned(), number(v)));
    }
    let mut rooms = Vec::new();
    for (j, room) in el.children.iter().filter(|c| c.name == "room").enumerate() {
        let Some(name) = room.attr("name") else {
            let p = index(&field(&path, "rooms"), j);
            return Err(FormatError::new(
                p,
                "expected a <room> with a name attribute, found none",
            ));
        };
        let events = room
            .children
            .iter()
            .filter(|c| c.name == "event")
            .map(event)
            .collect();
        rooms.push((name.to_owned(), Node::Arr(events)));
    }
    day.push(("rooms".to_owned(), Node::Obj(rooms)));
    Ok(Node::Obj(day))
}

fn event(el: &El) -> Node {
    let mut ev = Vec::new();
    for (k, v) in &el.attrs {
        let v = if k == "id" {
            number(v)
        } else {
            Node::Str(v.clone())
        };
        ev.push((k.clone(), v));
    }
    for c in &el.children {
        let v = match c.name.as_str() {
            "persons" => Node::Arr(
                c.children
                    .iter()
                    .filter(|p| p.name == "person")
                    .map(person)
                    .collect(),
            ),
            "links" | "attachments" => Node::Arr(c.children.iter().map(reference).collect()),
            "recording" => continue,
            _ => Node::Str(c.text.clone()),
        };
        ev.push((c.name.clone(), v));
    }
    Node::Obj(ev)
}

fn person(el: &El) -> Node {
    let mut p = Vec::new();
    if let Some(g) = el.attr("guid") {
        p.push(("guid".to_owned(), Node::Str(g.to_owned())));
    }
    if let Some(id) = el.attr("id") {
        p.push(("id".to_owned(), number(id)));
    }
    p.push(("name".to_owned(), Node::Str(el.text.clone())));
    Node::Obj(p)
}

fn reference(el: &El) -> Node {
    let url = el.attr("href").unwrap_or_default().to_owned();
    Node::Obj(vec![
        ("url".to_owned(), Node::Str(url)),
        ("title".to_owned(), Node::Str(el.text.clone())),
    ])
}

/// An integer when the text is one, else the text (which then fails the
/// importer's type check with a proper path).
fn number(s: &str) -> Node {
    s.trim()
        .parse()
        .map_or_else(|_| Node::Str(s.to_owned()), Node::Int)
}

/// Reads the element tree; a syntax error is located by line and column.
fn read_tree(bytes: &[u8]) -> Result<El, FormatError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| located(bytes, e.valid_up_to(), "not UTF-8 text"))?;
    // quick-xml passes control characters through; XML 1.0 forbids them,
    // and our export could not write them back (found by fuzzing).
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| !xml_char(c)) {
        return Err(located(
            bytes,
            at,
            &format!(
                "not well-formed XML: the character U+{:04X} is not allowed",
                u32::from(c)
            ),
        ));
    }
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = Vec::new();
    let mut root = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let bad = |what: String| located(bytes, pos, &format!("not well-formed XML: {what}"));
        match reader.read_event() {
            // C3VOC nests six deep; a limit keeps a hostile file from
            // building a tree too deep to drop without overflowing the stack.
            Ok(Event::Start(_)) if stack.len() >= MAX_DEPTH => {
                return Err(bad(format!("elements nested deeper than {MAX_DEPTH}")));
            }
            Ok(Event::Start(e)) => stack.push(element(&e).map_err(bad)?),
            Ok(Event::Empty(e)) => {
                let el = element(&e).map_err(bad)?;
                attach(&mut stack, &mut root, el).map_err(bad)?;
            }
            Ok(Event::End(_)) => {
                let el = stack.pop().unwrap_or_default();
                attach(&mut stack, &mut root, el).map_err(bad)?;
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    let t = t.unescape().map_err(|e| bad(e.to_string()))?;
                    only_xml_chars(&t).map_err(bad)?;
                    top.text.push_str(&t);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text
                        .push_str(&t.decode().map_err(|e| bad(e.to_string()))?);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(located(
                    bytes,
                    reader.error_position() as usize,
                    &format!("not well-formed XML: {e}"),
                ));
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(located(
            bytes,
            bytes.len(),
            &format!("not well-formed XML: <{}> is never closed", open.name),
        ));
    }
    root.ok_or_else(|| FormatError::new("$", "expected a <schedule> root element, found none"))
}

fn element(e: &BytesStart) -> Result<El, String> {
    let utf8 = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut attrs = Vec::new();
    // quick-xml's own duplicate check compares each name with every earlier
    // one (RUSTSEC-2026-0194): one tag with a million attributes would pin a
    // core for hours. A set does the same check in linear time.
    let mut seen = std::collections::HashSet::new();
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| e.to_string())?;
        if !seen.insert(a.key.as_ref().to_vec()) {
            return Err(format!(
                "the attribute {:?} appears twice in <{}>",
                utf8(a.key.as_ref()),
                utf8(e.name().as_ref())
            ));
        }
        let value = a.unescape_value().map_err(|e| e.to_string())?;
        only_xml_chars(&value)?;
        attrs.push((utf8(a.key.local_name().as_ref()), value.into_owned()));
    }
    Ok(El {
        name: utf8(e.local_name().as_ref()),
        attrs,
        ..El::default()
    })
}

/// A character XML 1.0 allows (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Character references (`&#1;`) must name allowed characters too.
fn only_xml_chars(s: &str) -> Result<(), String> {
    match s.chars().find(|&c| !xml_char(c)) {
        Some(c) => Err(format!(
            "the character U+{:04X} is not allowed",
            u32::from(c)
        )),
        None => Ok(()),
    }
}

fn attach(stack: &mut [El], root: &mut Option<El>, el: El) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None if root.is_none() => *root = Some(el),
        None => return Err(format!("a second root element <{}>", el.name)),
    }
    Ok(())
}

fn located(bytes: &[u8], pos: usize, message: &str) -> FormatError {
    let before = &bytes[..pos.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    FormatError::new(format!("line {line}, column {column}"), message)
}
