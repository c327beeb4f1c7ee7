//! C3VOC schedule import and export: the JSON (schema.json) and XML
//! (schedule.xml.xsd) formats that frab, pretalx and the CCC video team
//! use. Rooms become tracks, events become sessions; both formats are read
//! through one importer, so they follow the same rules and report the same
//! paths.

#[cfg(test)]
mod error_tests;
mod event_time;
mod export;
mod export_json;
mod export_xml;
mod import;
mod import_event;
mod naming;
mod node;
mod parse_json;
mod parse_xml;
mod persons;
mod report;
mod rooms;
#[cfg(test)]
mod round_trip_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod validate_tests;

use app::domain::schedule::Schedule;

pub use report::{FormatError, ImportReport, Skipped};

/// The two C3VOC encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Detects JSON vs XML from the first non-whitespace byte.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    match strip_bom(bytes).iter().find(|b| !b.is_ascii_whitespace())? {
        b'{' | b'[' => Some(Format::Json),
        b'<' => Some(Format::Xml),
        _ => None,
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Parses a C3VOC schedule. `event_slug` overrides the slug (the CLI's
/// --event / the URL's event); when empty the conference acronym is used.
/// `progress(done, total)` is called as events are read (for a CLI progress
/// bar). Sessions come sorted as the store loads them and `version` is 0.
pub fn parse(
    bytes: &[u8],
    event_slug: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, FormatError> {
    let bytes = strip_bom(bytes);
    let root = match detect(bytes) {
        Some(Format::Json) => parse_json::from_json(bytes)?,
        Some(Format::Xml) => parse_xml::to_node(bytes)?,
        None => {
            let found = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                None => "an empty document".to_owned(),
                Some(b) if b.is_ascii_graphic() => format!("{:?}", char::from(*b)),
                Some(b) => format!("byte 0x{b:02x}"),
            };
            let message = format!(
                "expected a C3VOC schedule in JSON (starting with '{{') or XML (starting with '<'), found {found}"
            );
            return Err(FormatError::new("$", message));
        }
    };
    import::import(&root, event_slug, progress)
}

/// The schedule as C3VOC JSON, valid against schema.json. `base_url` is
/// the event's public URL (`{origin}/e/{event}`) or the site's origin;
/// session URLs point at `{origin}/e/{event}/talk/{guid}` either way.
/// Deterministic: the same schedule always gives the same bytes (ETags).
pub fn export_json(schedule: &Schedule, base_url: &str) -> String {
    export_json::export(schedule, base_url)
}

/// The schedule as C3VOC XML, valid against schedule.xml.xsd. URL elements
/// are written only for an http(s) `base_url`, as the XSD requires; room
/// stream URLs have no place in the XSD and are left out. Deterministic.
pub fn export_xml(schedule: &Schedule, base_url: &str) -> String {
    export_xml::export(schedule, base_url)
}
