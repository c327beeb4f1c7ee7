//! A parsed document as a plain tree that keeps object keys in document
//! order, plus path-building and type-checking helpers that turn a wrong
//! shape into a [`FormatError`] naming the spot.

use super::report::FormatError;

/// One JSON value, or the JSON-shaped translation of an XML element.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<Node>),
    Obj(Vec<(String, Node)>),
}

impl Node {
    /// A member of an object (the last one, as JSON parsers do with
    /// duplicate keys); `None` for anything that is not an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Obj(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string of a member, `None` when absent, null or not a string.
    pub fn str_of(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Node::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The integer of a member; floats without a fraction count, as JSON
    /// Schema says.
    pub fn int_of(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Node::as_int)
    }

    pub fn as_int(&self) -> Option<i64> {
        match *self {
            Node::Int(i) => Some(i),
            Node::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    /// How the node reads in an error message ("string \"2814\"").
    pub fn describe(&self) -> String {
        match self {
            Node::Null => "null".into(),
            Node::Bool(b) => format!("boolean {b}"),
            Node::Int(i) => format!("number {i}"),
            Node::Float(f) => format!("number {f}"),
            Node::Str(s) => {
                let short: String = s.chars().take(40).collect();
                let more = if short.len() < s.len() { "…" } else { "" };
                format!("string {}{more}", serde_json::Value::String(short))
            }
            Node::Arr(_) => "an array".into(),
            Node::Obj(_) => "an object".into(),
        }
    }
}

/// `path.name` (or `name` at the root).
pub(crate) fn field(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// `path["key"]`, for keys that are data (room names), not schema names.
pub(crate) fn key(path: &str, key: &str) -> String {
    format!("{path}[{}]", serde_json::Value::String(key.to_owned()))
}

/// `path[i]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The JSON types the C3VOC schema allows for a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Str,
    StrOrNull,
    /// Integer ≥ 1 (event and day ids, the schema's `minimum: 1`).
    PosInt,
    Int,
    Arr,
    Obj,
}

impl Want {
    fn describe(self) -> &'static str {
        match self {
            Want::Str => "a string",
            Want::StrOrNull => "a string or null",
            Want::PosInt => "a positive integer",
            Want::Int => "an integer",
            Want::Arr => "an array",
            Want::Obj => "an object",
        }
    }

    fn accepts(self, n: &Node) -> bool {
        match self {
            Want::Str => matches!(n, Node::Str(_)),
            Want::StrOrNull => matches!(n, Node::Str(_) | Node::Null),
            Want::PosInt => n.as_int().is_some_and(|i| i >= 1),
            Want::Int => n.as_int().is_some(),
            Want::Arr => matches!(n, Node::Arr(_)),
            Want::Obj => matches!(n, Node::Obj(_)),
        }
    }
}

/// "expected …, found …" for a node of the wrong type.
pub(crate) fn wrong(path: String, want: &str, found: Option<&Node>) -> FormatError {
    let found = found.map_or_else(|| "nothing".to_owned(), Node::describe);
    FormatError::new(path, format!("expected {want}, found {found}"))
}

/// The members of an object, or an error at `path`.
pub(crate) fn members<'a>(
    node: &'a Node,
    path: &str,
    what: &str,
) -> Result<&'a [(String, Node)], FormatError> {
    match node {
        Node::Obj(m) => Ok(m),
        other => Err(wrong(path.to_owned(), what, Some(other))),
    }
}

/// The items of an array, or an error at `path`.
pub(crate) fn items<'a>(node: &'a Node, path: &str) -> Result<&'a [Node], FormatError> {
    match node {
        Node::Arr(a) => Ok(a),
        other => Err(wrong(path.to_owned(), "an array", Some(other))),
    }
}

/// Checks, in document order, that every member named in `schema` has an
/// allowed type; members the schema does not name are ignored.
pub(crate) fn check_types(
    obj: &Node,
    path: &str,
    schema: &[(&str, Want)],
) -> Result<(), FormatError> {
    let Node::Obj(members) = obj else {
        return Ok(());
    };
    for (k, v) in members {
        if let Some((_, want)) = schema.iter().find(|(name, _)| name == k)
            && !want.accepts(v)
        {
            return Err(wrong(field(path, k), want.describe(), Some(v)));
        }
    }
    Ok(())
}

/// A member that must be present (and, after [`check_types`], of its type).
pub(crate) fn require<'a>(
    obj: &'a Node,
    path: &str,
    name: &str,
    want: &str,
) -> Result<&'a Node, FormatError> {
    match obj.get(name) {
        Some(Node::Null) | None => Err(wrong(field(path, name), want, obj.get(name))),
        Some(n) => Ok(n),
    }
}

/// A string member that must be present.
pub(crate) fn require_str<'a>(
    obj: &'a Node,
    path: &str,
    name: &str,
    want: &str,
) -> Result<&'a str, FormatError> {
    match require(obj, path, name, want)? {
        Node::Str(s) => Ok(s),
        other => Err(wrong(field(path, name), want, Some(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_json::from_json;
    use super::*;

    #[test]
    fn paths_quote_data_keys_and_errors_say_what_was_found() {
        let p = key(&index(&field("schedule", "days"), 1), "Saal \"1\"");
        assert_eq!(p, r#"schedule.days[1]["Saal \"1\""]"#);
        let n = from_json(br#"{"id": "2814", "title": 5}"#).unwrap();
        let e = check_types(&n, "ev", &[("id", Want::PosInt), ("title", Want::Str)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"ev.id: expected a positive integer, found string "2814""#
        );
        let e = require(&n, "ev", "guid", "a UUID string").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ev.guid: expected a UUID string, found nothing"
        );
    }
}
