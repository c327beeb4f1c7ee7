//! Rooms → tracks: slugs, positions, colours and stream URLs.

use std::collections::HashMap;

use app::domain::schedule::Track;
use app::domain::slug::slugify;

use super::node::{Node, Want, check_types, field, index, items, members, require_str};
use super::report::{FormatError, Notes};

const CONF: &str = "schedule.conference";
const ROOM: &[(&str, Want)] = &[("name", Want::Str), ("url", Want::Str)];
const TRACK: &[(&str, Want)] = &[("name", Want::Str), ("color", Want::Str)];

/// Track colours for rooms the file gives none for, picked by position so
/// that re-imports keep them.
const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// Rooms in order of first mention (`conference.rooms`, then the days),
/// each with a unique slug.
#[derive(Default)]
pub(crate) struct Rooms {
    list: Vec<Track>,
    by_name: HashMap<String, usize>,
    colors: HashMap<String, String>,
}

impl Rooms {
    /// The rooms and track colours the conference declares.
    pub fn declared(conf: &Node, notes: &mut Notes) -> Result<Self, FormatError> {
        let mut rooms = Rooms::default();
        let path = field(CONF, "rooms");
        for (i, r) in list(conf, "rooms", &path)?.iter().enumerate() {
            let p = index(&path, i);
            members(r, &p, "a room object")?;
            check_types(r, &p, ROOM)?;
            let name = require_str(r, &p, "name", "a string")?;
            let stream = r
                .str_of("stream")
                .or_else(|| r.str_of("url"))
                .map(str::trim);
            rooms.add(name, stream.filter(|s| !s.is_empty()), &p, notes);
        }
        let path = field(CONF, "tracks");
        for (i, t) in list(conf, "tracks", &path)?.iter().enumerate() {
            let p = index(&path, i);
            members(t, &p, "a track object")?;
            check_types(t, &p, TRACK)?;
            let (Some(name), Some(color)) = (t.str_of("name"), t.str_of("color")) else {
                continue;
            };
            match hex_color(color) {
                Some(c) => {
                    rooms.colors.entry(name.trim().to_owned()).or_insert(c);
                }
                None => notes.push(
                    field(&p, "color"),
                    format!("colour {color:?} is not #rrggbb; ignored"),
                ),
            }
        }
        Ok(rooms)
    }

    /// The slug of a room, registering it on first mention.
    pub fn add(
        &mut self,
        name: &str,
        stream: Option<&str>,
        path: &str,
        notes: &mut Notes,
    ) -> String {
        let name = name.trim();
        if let Some(&i) = self.by_name.get(name) {
            return self.list[i].slug.clone();
        }
        let position = self.list.len();
        let mut base = slugify(name);
        if base.is_empty() {
            base = format!("room-{}", position + 1);
        }
        let mut slug = base.clone();
        for n in 2.. {
            if !self.list.iter().any(|t| t.slug == slug) {
                break;
            }
            slug = format!("{base}-{n}");
        }
        if slug != base {
            let why = format!("room slug {base:?} is taken by another room; {slug:?} used");
            notes.push(path, why);
        }
        self.by_name.insert(name.to_owned(), position);
        self.list.push(Track {
            slug: slug.clone(),
            name: name.to_owned(),
            color: String::new(),
            stream_url: stream.map(str::to_owned),
            position: position as i64,
        });
        slug
    }

    /// The tracks, in position order, coloured.
    pub fn into_tracks(self) -> Vec<Track> {
        let mut tracks = self.list;
        for t in &mut tracks {
            let fallback = PALETTE[t.position as usize % PALETTE.len()];
            t.color = self
                .colors
                .get(&t.name)
                .cloned()
                .unwrap_or_else(|| fallback.to_owned());
        }
        tracks
    }
}

fn list<'a>(conf: &'a Node, name: &str, path: &str) -> Result<&'a [Node], FormatError> {
    conf.get(name).map_or(Ok(&[][..]), |n| items(n, path))
}

/// `#rrggbb` (or `#rgb`), lower-cased.
pub(crate) fn hex_color(s: &str) -> Option<String> {
    let hex = s.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(hex.chars().fold("#".to_owned(), |mut acc, c| {
            acc.extend([c.to_ascii_lowercase(); 2]);
            acc
        })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_normalised_and_slugs_made_unique() {
        assert_eq!(hex_color(" #ABC"), Some("#aabbcc".into()));
        assert_eq!(hex_color("#A0B1C2"), Some("#a0b1c2".into()));
        assert_eq!(hex_color("red"), None);
        let (mut rooms, mut notes) = (Rooms::default(), Notes::default());
        assert_eq!(rooms.add("Saal 1", None, "a", &mut notes), "saal-1");
        assert_eq!(rooms.add("saal 1", None, "b", &mut notes), "saal-1-2");
        assert_eq!(rooms.add("???", None, "c", &mut notes), "room-3");
        assert_eq!(rooms.add(" Saal 1 ", None, "d", &mut notes), "saal-1");
        assert_eq!(notes.0.len(), 1);
        let tracks = rooms.into_tracks();
        assert_eq!(
            tracks.iter().map(|t| t.position).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(tracks[1].color, PALETTE[1]);
    }
}
