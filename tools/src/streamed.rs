//! A PagerDuty list answer projected while it is read: each item's projection is
//! written as JSON text straight from the answer's bytes, without building the item.
//!
//! A list of 100 incidents is about 200 KB of JSON of which a projection keeps a
//! fifth. Parsed into [`Value`]s, every field (kept or not) was allocated, inserted
//! into an ordered map, cloned by the projection and freed, and the projection was
//! serialized again: most of a list call's cost. Here the parser skips what the
//! projection drops without building it, applies the projection's rules
//! ([`crate::projection::project`]: the listed top-level fields in their order;
//! below them references collapsed to `{id, summary}` (with their kind where a
//! field can point at several), `self` and nested `html_url` links, nulls and
//! empties dropped) and writes the result once. The text is byte for byte what
//! serializing `project(item, fields)` gives (tested against it).

use crate::projection::POLYMORPHIC_FIELDS;
use serde::Deserialize as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;
use std::ops::Range;

/// What to project from a list answer.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    /// The answer's list key, e.g. `"incidents"`.
    pub key: &'a str,
    /// The top-level fields kept, in this order.
    pub fields: &'a [&'a str],
    /// One of `fields` whose object is replaced by one of its members: the first
    /// of `.1` it has (an incident's `priority` by its `summary`, else its `name`).
    pub shrink: Option<(&'a str, &'a [&'a str])>,
}

/// A list answer, projected.
#[derive(Debug, Default)]
pub struct Answer {
    /// The list's items, projected (`None`: the answer has no list under the key).
    pub items: Option<Vec<Item>>,
    /// Every other member of the answer (`more`, `limit`, ...), whole.
    pub rest: Map<String, Value>,
}

/// One projected item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The projection as JSON text.
    pub json: String,
    /// Where each kept field's value is in `json`, by field (in the spec's order).
    fields: Vec<Option<Range<usize>>>,
}

impl Item {
    /// The JSON text of the projected `field` (one of `spec`'s fields, the spec
    /// this item was projected by), if the projection kept it.
    pub fn field(&self, spec: &Spec<'_>, field: &str) -> Option<&str> {
        let index = spec.fields.iter().position(|name| *name == field)?;
        let range = self.fields.get(index)?.clone()?;
        Some(&self.json[range])
    }
}

/// Reads `bytes` (one JSON document) as a list answer projected by `spec`.
pub fn parse(bytes: &[u8], spec: &Spec<'_>) -> serde_json::Result<Answer> {
    // UTF-8 checked once for the whole answer, not string by string.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        <serde_json::Error as serde::de::Error>::custom(format_args!(
            "the answer is not UTF-8: {e}"
        ))
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let answer = AnswerSeed(spec).deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(answer)
}

/// `DeserializeSeed` for seeds that are their own [`Visitor`]: the seed's value is the
/// visitor's, read with the given method of the deserializer.
macro_rules! seeds_visit_themselves {
    ($($seed:ty => $read:ident),* $(,)?) => {$(
        impl<'de> DeserializeSeed<'de> for $seed {
            type Value = <Self as Visitor<'de>>::Value;

            fn deserialize<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                deserializer.$read(self)
            }
        }
    )*};
}

seeds_visit_themselves!(
    WholeSeed => deserialize_any,
    KeySeed => deserialize_str,
    AnswerSeed<'_, '_> => deserialize_any,
    ItemsSeed<'_, '_> => deserialize_any,
    ItemSeed<'_, '_, '_, 'de> => deserialize_any,
    FieldIndex<'_> => deserialize_str,
    Cleaned<'_, '_, 'de> => deserialize_any,
);

/// Visitor methods turning scalars into `$out` via `$wrap`.
macro_rules! visit_scalars {
    ($wrap:expr) => {
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Bool(v)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Number(v.into())))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Number(v.into())))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok($wrap(
                self,
                Number::from_f64(v).map_or(Scalar::Null, Scalar::Number),
            ))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Str(v)))
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Unescaped(v)))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Null))
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($wrap(self, Scalar::Null))
        }
    };
}

/// A JSON scalar as the parser hands it over.
enum Scalar<'s> {
    Null,
    Bool(bool),
    Number(Number),
    Str(&'s str),
    /// A string borrowed from the answer: it had no escapes, so it has no `"`,
    /// `\` or control character (the parser refuses those unescaped), and its
    /// JSON text is itself in quotes, as serde_json would write it.
    Unescaped(&'s str),
}

impl Scalar<'_> {
    /// Writes the cleaned JSON text to `out`, if any: none for null and the empty
    /// string.
    fn write_cleaned(self, out: &mut Vec<u8>) -> bool {
        match self {
            Scalar::Null | Scalar::Str("") | Scalar::Unescaped("") => return false,
            Scalar::Str(s) => write_json(out, s),
            Scalar::Unescaped(s) => write_unescaped(out, s),
            Scalar::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Scalar::Number(n) => write_json(out, &n),
        }
        true
    }
}

/// Appends `value` as JSON, as serde_json writes it.
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing JSON to a Vec cannot fail for these values (strings, numbers, `Value`s).
    let _ = serde_json::to_writer(out, value);
}

/// Appends the `,` before a member or element, unless it is the first of the
/// object or array opened at `start`.
fn separate(out: &mut Vec<u8>, start: usize) {
    if out.len() > start + 1 {
        out.push(b',');
    }
}

/// Closes the object or array opened at `start` with `closer`: `true`; or, when
/// nothing was written into it, removes it (cleaned away): `false`.
fn close(out: &mut Vec<u8>, start: usize, closer: u8) -> bool {
    if out.len() == start + 1 {
        out.truncate(start);
        return false;
    }
    out.push(closer);
    true
}

/// Appends a string borrowed from the answer ([`Scalar::Unescaped`]) as JSON:
/// itself in quotes.
fn write_unescaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Appends `"name":`.
fn write_name(out: &mut Vec<u8>, name: &str) {
    // Names are nearly always plain (PagerDuty's, the spec's): copied as they
    // are when serde_json would not escape a byte of them.
    if is_plain(name) {
        write_plain_name(out, name);
    } else {
        write_json(out, name);
        out.push(b':');
    }
}

/// Whether serde_json would write `name` as it is, in quotes (no `"`, `\\` or
/// control character).
fn is_plain(name: &str) -> bool {
    name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Appends `"name":` for a name known to need no escapes (borrowed from the
/// answer, as [`Scalar::Unescaped`], or one of this module's own).
fn write_plain_name(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

/// A value kept whole (a reference's `id`, `summary` or `type`, to collapse it
/// once the object is read): a scalar as the parser hands it over, borrowed from
/// the answer when unescaped; an array or object (never seen there) parsed.
enum Whole<'de> {
    Null,
    Bool(bool),
    Number(Number),
    /// As [`Scalar::Unescaped`].
    Unescaped(&'de str),
    Str(String),
    Other(Value),
}

impl Whole<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Whole::Unescaped(s) => Some(s),
            Whole::Str(s) => Some(s),
            Whole::Other(value) => value.as_str(),
            _ => None,
        }
    }

    /// Writes the value as serializing its [`Value`] writes it.
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Whole::Null => out.extend_from_slice(b"null"),
            Whole::Bool(b) => write_json(out, b),
            Whole::Number(n) => write_json(out, n),
            Whole::Unescaped(s) => write_unescaped(out, s),
            Whole::Str(s) => write_json(out, s),
            Whole::Other(value) => write_json(out, value),
        }
    }

    /// Writes the value cleaned as [`crate::projection::clean`] cleans it under
    /// `field`; `false` (nothing written) when it cleans away.
    fn write_cleaned(&self, field: &str, out: &mut Vec<u8>) -> bool {
        match self {
            Whole::Null | Whole::Unescaped("") => false,
            Whole::Str(s) if s.is_empty() => false,
            Whole::Other(value) => match crate::projection::clean(field, value) {
                Some(cleaned) => {
                    write_json(out, &cleaned);
                    true
                }
                None => false,
            },
            _ => {
                self.write(out);
                true
            }
        }
    }
}

struct WholeSeed;

impl<'de> Visitor<'de> for WholeSeed {
    type Value = Whole<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Whole::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Whole::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Whole::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(v).map_or(Whole::Null, Whole::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Whole::Str(v.to_owned()))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Whole::Unescaped(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Whole::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Whole::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Whole::Other(value))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Whole::Other(value))
    }
}

/// A key as the parser hands it over: borrowed from the answer when it has no
/// escapes (PagerDuty's never do), so reading one allocates nothing.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

struct KeySeed;

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(Key::Borrowed(name))
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Key::Owned(name.to_owned()))
    }
}

struct AnswerSeed<'s, 'a>(&'s Spec<'a>);

impl<'de> Visitor<'de> for AnswerSeed<'_, '_> {
    type Value = Answer;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    visit_scalars!(|_, _| Answer::default());

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Answer, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Answer::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Answer, A::Error> {
        let mut answer = Answer::default();
        while let Some(name) = map.next_key::<String>()? {
            if name == self.0.key {
                answer.items = map.next_value_seed(ItemsSeed(self.0))?;
                // A later duplicate of the key wins, as in a parsed map.
                answer.rest.shift_remove(&name);
            } else {
                let value = map.next_value::<Value>()?;
                answer.rest.insert(name, value);
            }
        }
        Ok(answer)
    }
}

/// The list: `None` when the member is not an array.
struct ItemsSeed<'s, 'a>(&'s Spec<'a>);

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = Option<Vec<Item>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    visit_scalars!(|_, _| None);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut scratch = Scratch {
            plain_fields: self.0.fields.iter().all(|name| is_plain(name)),
            ..Scratch::default()
        };
        while let Some(item) = seq.next_element_seed(ItemSeed {
            spec: self.0,
            scratch: &mut scratch,
        })? {
            items.push(item);
        }
        Ok(Some(items))
    }
}

/// Buffers reused from item to item, so reading one allocates little more than
/// its own text.
#[derive(Default)]
struct Scratch<'de> {
    /// Whether the spec's field names need no escapes (checked once a list).
    plain_fields: bool,
    /// An item's kept fields, cleaned ([`ItemSeed`]).
    values: Vec<u8>,
    /// The members of the objects being cleaned, innermost last ([`Cleaned`]).
    members: Members<'de>,
}

/// Each object's members so far (name, text in `out`), a stack shared by the
/// nested objects: an object's are above the length it found, and removed when
/// it is done.
type Members<'de> = Vec<(Key<'de>, Range<usize>)>;

/// One item: its spec fields, cleaned, then written in the spec's order.
struct ItemSeed<'s, 'a, 'k, 'de> {
    spec: &'s Spec<'a>,
    scratch: &'k mut Scratch<'de>,
}

impl ItemSeed<'_, '_, '_, '_> {
    /// The item's text from each field's cleaned text (ranges of `values`) and the
    /// shrunk field's replacement (written in place of the field, or last when the
    /// field itself cleaned away, as inserting into a map appends).
    fn write(
        &self,
        values: &[u8],
        slots: &[Option<Range<usize>>],
        replacement: Option<Value>,
    ) -> Item {
        let spec = self.spec;
        let mut json = Vec::with_capacity(values.len() + 16 * spec.fields.len() + 2);
        json.push(b'{');
        let mut fields = vec![None; spec.fields.len()];
        let shrunk = spec.shrink.map(|(field, _)| field);
        let mut replacement = replacement;
        let mut put = |json: &mut Vec<u8>, index: usize, text: &dyn Fn(&mut Vec<u8>)| {
            if json.len() > 1 {
                json.push(b',');
            }
            if self.scratch.plain_fields {
                write_plain_name(json, spec.fields[index]);
            } else {
                write_name(json, spec.fields[index]);
            }
            let start = json.len();
            text(json);
            fields[index] = Some(start..json.len());
        };
        for (index, name) in spec.fields.iter().enumerate() {
            let Some(range) = slots.get(index).cloned().flatten() else {
                continue;
            };
            match replacement.take_if(|_| Some(*name) == shrunk) {
                Some(value) => put(&mut json, index, &|json| write_json(json, &value)),
                None => put(&mut json, index, &|json| {
                    json.extend_from_slice(&values[range.clone()])
                }),
            }
        }
        if let (Some(value), Some(name)) = (replacement, shrunk)
            && let Some(index) = spec.fields.iter().position(|f| *f == name)
        {
            put(&mut json, index, &|json| write_json(json, &value));
        }
        json.push(b'}');
        Item {
            // Only JSON text (valid UTF-8) was written.
            json: String::from_utf8(json).unwrap_or_default(),
            fields,
        }
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_, '_, '_, 'de> {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    // Anything but an object projects to `{}`.
    visit_scalars!(|seed: Self, _| seed.write(&[], &[], None));

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.write(&[], &[], None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let spec = self.spec;
        // Each kept field's cleaned text, in one buffer; a later duplicate of a
        // field replaces the earlier one, as in a parsed map.
        let Scratch {
            values, members, ..
        } = &mut *self.scratch;
        values.clear();
        let mut slots: Vec<Option<Range<usize>>> = vec![None; spec.fields.len()];
        let mut replacement = None;
        while let Some(index) = map.next_key_seed(FieldIndex(spec.fields))? {
            let Some(index) = index else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let name = spec.fields[index];
            let start = values.len();
            let written = match spec.shrink {
                Some((field, members)) if field == name => {
                    // Small (a priority): read whole, cleaned like any field, and
                    // its replacement member looked up.
                    let value = map.next_value::<Value>()?;
                    replacement = value
                        .as_object()
                        .and_then(|o| members.iter().find_map(|m| o.get(*m)))
                        .cloned();
                    match crate::projection::clean(name, &value) {
                        Some(cleaned) => {
                            write_json(values, &cleaned);
                            true
                        }
                        None => false,
                    }
                }
                _ => map.next_value_seed(Cleaned {
                    field: name,
                    out: &mut *values,
                    members: &mut *members,
                })?,
            };
            slots[index] = written.then_some(start..values.len());
        }
        Ok(self.write(&self.scratch.values, &slots, replacement))
    }
}

/// A key: the index of the field of `.0` it names, if any (compared without
/// allocating).
struct FieldIndex<'a>(&'a [&'a str]);

impl<'de> Visitor<'de> for FieldIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|field| *field == name))
    }
}

/// A value found under `field`, cleaned as [`crate::projection::clean`] cleans it,
/// appended to `out` as JSON text; `true` when anything was worth keeping (else
/// `out` is left as it was).
struct Cleaned<'f, 'o, 'de> {
    field: &'f str,
    out: &'o mut Vec<u8>,
    members: &'o mut Members<'de>,
}

impl<'de> Visitor<'de> for Cleaned<'_, '_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    visit_scalars!(|seed: Self, scalar: Scalar<'_>| scalar.write_cleaned(seed.out));

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let out = self.out;
        let start = out.len();
        out.push(b'[');
        loop {
            let mark = out.len();
            separate(out, start);
            let Some(written) = seq.next_element_seed(Cleaned {
                field: self.field,
                out: &mut *out,
                members: &mut *self.members,
            })?
            else {
                out.truncate(mark);
                break;
            };
            if !written {
                out.truncate(mark);
            }
        }
        Ok(close(out, start, b']'))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let Cleaned {
            field,
            out,
            members,
        } = self;
        let start = out.len();
        out.push(b'{');
        // Members written in the answer's order; a later duplicate replaces an
        // earlier one in place, as in a parsed map. A reference's raw id, summary
        // and type are kept to collapse it at the end. This object's members are
        // `members[base..]`.
        let base = members.len();
        let (mut id, mut summary, mut kind) = (None, None, None);
        let mut duplicated = false;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let name = key.as_str();
            if name == "self" || name == "html_url" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let mark = out.len();
            separate(out, start);
            let value_start = out.len();
            match key {
                Key::Borrowed(plain) => write_plain_name(out, plain),
                Key::Owned(_) => write_name(out, name),
            }
            let written = match name {
                "id" | "summary" | "type" => {
                    let value = map.next_value_seed(WholeSeed)?;
                    let written = value.write_cleaned(name, out);
                    match name {
                        "id" => id = Some(value),
                        "summary" => summary = Some(value),
                        _ => kind = Some(value),
                    }
                    written
                }
                _ => map.next_value_seed(Cleaned {
                    field: name,
                    out: &mut *out,
                    members: &mut *members,
                })?,
            };
            let text = if written {
                value_start..out.len()
            } else {
                mark..mark
            };
            match members[base..].iter().position(|(k, _)| k.as_str() == name) {
                // A later duplicate: the earlier member now stands for this text
                // (left where it is; the object is rebuilt below).
                Some(earlier) => {
                    members[base + earlier].1 = text;
                    duplicated = true;
                }
                None => {
                    if !written {
                        out.truncate(mark);
                    }
                    members.push((key, text));
                }
            }
        }
        if let Some(kind) = kind
            .as_ref()
            .and_then(Whole::as_str)
            .and_then(|t| t.strip_suffix("_reference"))
        {
            // A reference: {id, summary} (non-null), with its kind where the field
            // can point at several kinds.
            members.truncate(base);
            out.truncate(start);
            out.push(b'{');
            for (name, value) in [("id", &id), ("summary", &summary)] {
                if let Some(value) = value.as_ref().filter(|v| !matches!(v, Whole::Null)) {
                    separate(out, start);
                    write_plain_name(out, name);
                    value.write(out);
                }
            }
            if POLYMORPHIC_FIELDS.contains(&field) {
                separate(out, start);
                write_plain_name(out, "type");
                write_json(out, kind);
            }
            out.push(b'}');
            return Ok(true);
        }
        if duplicated {
            let body = out[start..].to_vec();
            out.truncate(start + 1);
            for (_, range) in members[base..].iter().filter(|(_, r)| !r.is_empty()) {
                separate(out, start);
                out.extend_from_slice(&body[range.start - start..range.end - start]);
            }
        }
        members.truncate(base);
        Ok(close(out, start, b'}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::project;
    use serde_json::json;

    fn projected(answer: &Value, spec: &Spec<'_>) -> Vec<String> {
        let bytes = serde_json::to_vec(answer).unwrap();
        parse(&bytes, spec)
            .unwrap()
            .items
            .unwrap()
            .into_iter()
            .map(|item| item.json)
            .collect()
    }

    fn incident() -> Value {
        json!({
            "id": "P1", "type": "incident", "self": "https://api/incidents/P1",
            "html_url": "https://x.pagerduty.com/incidents/P1", "title": "disk \"full\"\n",
            "incident_number": 7, "urgency": "high", "status": "triggered",
            "service": {"id": "PS", "type": "service_reference", "summary": "API", "self": "s", "html_url": "h"},
            "last_status_change_by": {"self": "s", "type": "user_reference", "id": "PU", "summary": "Ann"},
            "assignments": [
                {"at": "2026-01-01T00:00:00Z", "assignee": {"id": "PU", "type": "user_reference", "summary": "Ann", "self": "s", "html_url": "h"}},
                {"at": null, "assignee": {"type": "user_reference", "id": "PV", "summary": null}},
                {"self": "only a link"}
            ],
            "acknowledgements": [],
            "teams": [{"id": "PT", "type": "team_reference", "summary": ""}],
            "body": {"details": {"self": "x", "html_url": "y", "n": 1.5, "deep": {"e": ""}, "list": [null, "", {}]}},
            "escalation_policy": {"id": "PE", "type": "escalation_policy", "summary": "Ops", "self": "s", "name": "Ops"},
            "priority": {"id": "PP", "type": "priority_reference", "summary": "P1", "self": "s", "name": "Sev1"},
            "incident_key": "", "resolved_at": null, "created_at": "2026-01-01T00:00:00Z",
            "weird": [[1, [2, null]], -0.0, 12345678901234567890u64, true]
        })
    }

    #[test]
    fn items_are_what_serializing_the_projection_gives() {
        let others = [
            json!({"id": "P2", "priority": null, "teams": null, "status": "resolved"}),
            json!({"id": "P3", "priority": {"name": "only a name"}}),
            json!({"id": "P4", "priority": {"summary": null}}),
            json!({"id": "P5", "priority": {"self": "x"}}),
            json!({"id": "P6", "id": "P6b", "title": "dup", "title": ""}),
            json!({"id": "P7", "body": {"a": 1, "b": "", "a": "", "c": {"x": 1, "x": null}, "b": 2, "d": [1]}}),
            json!({"id": "P8", "body": {"k": 1, "k": 2}, "service": {"type": "x", "id": "1", "type": "service_reference", "id": "2", "summary": ""}}),
            json!("not an object"),
            json!({}),
        ];
        let mut items = vec![incident()];
        items.extend(others);
        let answer = json!({"incidents": items, "more": true, "limit": 25});
        let fields = crate::tools::incidents::INCIDENT_FIELDS;
        let mut wide = fields.to_vec();
        wide.extend(["body", "weird", "type", "self", "absent"]);
        for fields in [fields, &wide[..], &["html_url"][..], &[][..]] {
            let spec = Spec {
                key: "incidents",
                fields,
                shrink: None,
            };
            let want: Vec<String> = answer["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| project(i, fields).to_string())
                .collect();
            assert_eq!(projected(&answer, &spec), want, "{fields:?}");
        }
        let spec = Spec {
            key: "incidents",
            fields,
            shrink: Some(("priority", &["summary", "name"])),
        };
        let want: Vec<String> = answer["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| crate::tools::incidents::project_incident(i).to_string())
            .collect();
        assert_eq!(projected(&answer, &spec), want);
    }

    #[test]
    fn duplicate_members_count_as_a_parsed_map_counts_them() {
        // The last value wins, at the first one's place (json! cannot write these).
        let text = r#"{"incidents": [
            {"id": "P1", "id": "P1b", "title": "t", "title": "", "status": "x", "body": 1},
            {"id": "P2", "body": {"a": 1, "b": "", "a": "", "c": {"x": 1, "x": null}, "b": 2, "d": [1]}},
            {"id": "P3", "body": {"k": 1, "k": 2, "m": {"self": "s", "n": ""}, "m": {"n": "kept"}}},
            {"id": "P4", "service": {"type": "x", "id": "1", "type": "service_reference", "id": "2", "summary": ""}},
            {"id": "P5", "body": {"a": "", "b": 1, "a": 3}, "body": {"z": null, "y": [], "z": 0}}
        ], "more": false, "more": true}"#;
        let whole: Value = serde_json::from_str(text).unwrap();
        let fields = &["id", "title", "status", "body", "service"][..];
        let spec = Spec {
            key: "incidents",
            fields,
            shrink: None,
        };
        let parsed = parse(text.as_bytes(), &spec).unwrap();
        let want: Vec<String> = whole["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| project(i, fields).to_string())
            .collect();
        let got: Vec<String> = parsed.items.unwrap().into_iter().map(|i| i.json).collect();
        assert_eq!(got, want);
        assert_eq!(parsed.rest["more"], true);
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them_however_the_answer_spelled_them() {
        // Escaped (copied by serde_json's writer) and unescaped (copied as they
        // are) strings, with what serde_json escapes and what it leaves.
        let text = r#"{"incidents": [
            {"id": "P1", "title": "caf\u00e9 \/ \u2028 \t \u001f \ud83d\ude00 \"q\"",
             "description": "plain é ☃ 😀 </script> \u007f", "we\"ird": 1, "status": "\u0074riggered",
             "body": {"details": {"k\u0065y": "v", "é": ["\\", "", "x"], "q\"k": 1, "\u0001\\": 2},
               "refs": [
                 {"id": {"a": "", "b": 1}, "type": "user\u005freference", "summary": "A \"B\""},
                 {"id": 7, "type": "x_reference", "summary": ["", "s"], "id": 8.5},
                 {"id": null, "summary": null, "type": "y_reference", "self": "z"},
                 {"id": [1, ""], "summary": {"x": null, "y": "z"}, "type": "plain", "n": ""},
                 {"id": "", "summary": "", "type": ["a_reference"]}
               ],
               "agent": {"id": "\u0050U", "type": "user_reference", "summary": "\u00c9"}}}
        ]}"#;
        let whole: Value = serde_json::from_str(text).unwrap();
        for fields in [
            &["id", "title", "description", "status", "body"][..],
            // A field name serde_json escapes.
            &["id", "we\"ird", "body"][..],
        ] {
            let spec = Spec {
                key: "incidents",
                fields,
                shrink: None,
            };
            let got: Vec<String> = parse(text.as_bytes(), &spec)
                .unwrap()
                .items
                .unwrap()
                .into_iter()
                .map(|i| i.json)
                .collect();
            assert_eq!(got, [project(&whole["incidents"][0], fields).to_string()]);
        }
        let spec = Spec {
            key: "incidents",
            fields: &["id"],
            shrink: None,
        };
        // Bytes that are not UTF-8 are refused, wherever they are.
        let mut bytes = br#"{"incidents": [{"id": "P1", "x": "a"#.to_vec();
        bytes.extend_from_slice(&[0xff, b'"', b'}', b']', b'}']);
        assert!(parse(&bytes, &spec).is_err());
    }

    #[test]
    fn the_rest_of_the_answer_is_kept_and_fields_can_be_looked_up() {
        let answer = json!({"limit": 2, "incidents": [incident()], "more": true});
        let bytes = serde_json::to_vec(&answer).unwrap();
        let spec = Spec {
            key: "incidents",
            fields: crate::tools::incidents::INCIDENT_FIELDS,
            shrink: None,
        };
        let parsed = parse(&bytes, &spec).unwrap();
        assert_eq!(
            parsed.rest,
            *json!({"limit": 2, "more": true}).as_object().unwrap()
        );
        let item = &parsed.items.unwrap()[0];
        assert_eq!(item.field(&spec, "status"), Some("\"triggered\""));
        assert_eq!(item.field(&spec, "incident_key"), None);
        assert_eq!(
            item.field(&spec, "service"),
            Some(r#"{"id":"PS","summary":"API"}"#)
        );
        assert_eq!(item.field(&spec, "not a field"), None);
        for no_list in [
            json!({"more": false}),
            json!({"incidents": {"a": 1}}),
            json!([1]),
            json!(null),
        ] {
            let bytes = serde_json::to_vec(&no_list).unwrap();
            assert!(parse(&bytes, &spec).unwrap().items.is_none(), "{no_list}");
        }
        for broken in [
            "{\"incidents\": [{\"a\": 1,}]}",
            "{} x",
            "",
            "{\"incidents\": [{\"z\": tru}]}",
        ] {
            assert!(parse(broken.as_bytes(), &spec).is_err(), "{broken}");
        }
    }
}
