//! Persons → speakers. A speaker's key is the person's guid, else
//! `id:<id>`, else `name:<slug of the name>`; the first name given for a
//! key wins.

use std::collections::HashMap;

use app::domain::schedule::{Session, Speaker};
use app::domain::slug::slugify;

use super::node::{Node, Want, check_types, field, index, members};
use super::report::{FormatError, Notes};

const PERSON: &[(&str, Want)] = &[
    ("guid", Want::Str),
    ("id", Want::Int),
    ("name", Want::Str),
    ("public_name", Want::Str),
];

/// An event's persons, after checking that each is a well-typed object.
pub(crate) fn checked<'a>(ev: &'a Node, path: &str) -> Result<&'a [Node], FormatError> {
    let Some(Node::Arr(persons)) = ev.get("persons") else {
        return Ok(&[]);
    };
    for (k, p) in persons.iter().enumerate() {
        let pp = index(&field(path, "persons"), k);
        members(p, &pp, "a person object")?;
        check_types(p, &pp, PERSON)?;
    }
    Ok(persons)
}

/// Speakers in order of first appearance.
#[derive(Default)]
pub(crate) struct Speakers {
    /// Key and first non-empty name.
    list: Vec<(String, Option<String>)>,
    index: HashMap<String, usize>,
    /// (session index, key, path) of persons listed without a name.
    nameless: Vec<(usize, String, String)>,
}

impl Speakers {
    /// Bills the person at `path` on `sessions[at]`.
    pub fn read(
        &mut self,
        p: &Node,
        path: &str,
        sessions: &mut [Session],
        at: usize,
        notes: &mut Notes,
    ) {
        let mut name = None;
        for member in ["public_name", "name"] {
            if let Some(raw) = p.str_of(member)
                && !raw.trim().is_empty()
            {
                if raw.trim() != raw {
                    notes.push(
                        field(path, member),
                        "name had surrounding whitespace; trimmed",
                    );
                }
                name = Some(raw.trim().to_owned());
                break;
            }
        }
        let guid = p
            .str_of("guid")
            .and_then(|g| match uuid::Uuid::parse_str(g.trim()) {
                Ok(u) => Some(u.hyphenated().to_string()),
                Err(_) => {
                    let why = format!("person guid {g:?} is not a UUID; ignored");
                    notes.push(field(path, "guid"), why);
                    None
                }
            });
        let key = guid
            .or_else(|| p.int_of("id").map(|i| format!("id:{i}")))
            .or_else(|| name.as_deref().map(name_key));
        let Some(key) = key else {
            notes.push(path, "person has no name, guid or id; dropped");
            return;
        };
        let billed = &mut sessions[at].speakers;
        if billed.contains(&key) {
            notes.push(
                path,
                format!("person {key} is listed twice; duplicate dropped"),
            );
            return;
        }
        billed.push(key.clone());
        if name.is_none() {
            self.nameless.push((at, key.clone(), path.to_owned()));
        }
        let Some(&i) = self.index.get(&key) else {
            self.index.insert(key.clone(), self.list.len());
            self.list.push((key, name));
            return;
        };
        match (&self.list[i].1, name) {
            (None, name) => self.list[i].1 = name,
            (Some(first), Some(name)) if *first != name => {
                let why = format!("person {key} is named {first:?} elsewhere; that name is kept");
                notes.push(path, why);
            }
            _ => {}
        }
    }

    /// The named speakers. Persons listed without a name take the name
    /// given for the same key elsewhere, or are dropped from their session.
    pub fn settle(self, sessions: &mut [Session], notes: &mut Notes) -> Vec<Speaker> {
        for (at, key, path) in self.nameless {
            if self.list[self.index[&key]].1.is_some() {
                let why =
                    format!("person {key} has no name here; the name given elsewhere is used");
                notes.push(path, why);
            } else {
                sessions[at].speakers.retain(|k| *k != key);
                notes.push(path, "person has no name; dropped");
            }
        }
        let named = self.list.into_iter();
        named
            .filter_map(|(key, name)| {
                Some(Speaker {
                    key,
                    name: name?,
                    email: None,
                })
            })
            .collect()
    }
}

fn name_key(name: &str) -> String {
    let slug = slugify(name);
    format!("name:{}", if slug.is_empty() { name } else { &slug })
}
