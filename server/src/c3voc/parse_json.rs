//! C3VOC JSON → [`Node`]. Parsed into our own tree rather than
//! `serde_json::Value`, whose map sorts keys unless the crate-wide
//! `preserve_order` feature is on, and room order is the track order.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::node::Node;
use super::report::FormatError;

/// Parses JSON text; a syntax error is located by line and column.
pub(crate) fn from_json(bytes: &[u8]) -> Result<Node, FormatError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let what = text.strip_suffix(&suffix).unwrap_or(&text);
        FormatError::new(
            format!("line {}, column {}", e.line(), e.column()),
            format!("not valid JSON: {what}"),
        )
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            members.push((k, v));
        }
        Ok(Node::Obj(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_types() {
        let n = from_json(br#"{"b": 1, "a": [true, null, 2.0, "x"], "c": 18446744073709551615}"#)
            .unwrap();
        let Node::Obj(m) = &n else { panic!() };
        assert_eq!(
            m.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["b", "a", "c"]
        );
        assert_eq!(n.int_of("b"), Some(1));
        assert_eq!(
            n.get("a").unwrap(),
            &Node::Arr(vec![
                Node::Bool(true),
                Node::Null,
                Node::Float(2.0),
                Node::Str("x".into())
            ])
        );
        assert!(matches!(n.get("c"), Some(Node::Float(_))));
    }

    #[test]
    fn syntax_errors_have_a_line_and_column() {
        let e = from_json(b"{\n  \"a\": ,\n}").unwrap_err();
        assert_eq!(e.path, "line 2, column 8");
        assert!(
            e.message.starts_with("not valid JSON: expected value"),
            "{e}"
        );
    }
}
