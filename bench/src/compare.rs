//! Comparing two answers for the same query: total bytes, bytes of the fields
//! both answers have (recursively), and where the rest of the bytes go.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

/// Bytes of compact JSON.
pub fn json_len(v: &Value) -> usize {
    serde_json::to_string(v).map(|s| s.len()).unwrap_or(0)
}

/// Both values cut to the fields both have: objects keep the keys present in
/// both (recursively), arrays are paired element by element (extra elements
/// dropped), scalars stay as each side wrote them.
pub fn intersect(a: &Value, b: &Value) -> (Value, Value) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let (mut ox, mut oy) = (Map::new(), Map::new());
            for (k, vx) in x {
                if let Some(vy) = y.get(k) {
                    let (ix, iy) = intersect(vx, vy);
                    ox.insert(k.clone(), ix);
                    oy.insert(k.clone(), iy);
                }
            }
            (Value::Object(ox), Value::Object(oy))
        }
        (Value::Array(x), Value::Array(y)) => {
            let (ix, iy): (Vec<_>, Vec<_>) =
                x.iter().zip(y).map(|(vx, vy)| intersect(vx, vy)).unzip();
            (Value::Array(ix), Value::Array(iy))
        }
        _ => (a.clone(), b.clone()),
    }
}

/// The list under `key`, reordered by `id` and restricted to the ids both lists
/// have, so that element i of both is the same resource. Other keys unchanged.
pub fn align_by_id(a: &Value, b: &Value, key: &str) -> (Value, Value) {
    let ids = |v: &Value| -> HashMap<String, Value> {
        v[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| Some((i["id"].as_str()?.to_owned(), i.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ma, mb) = (ids(a), ids(b));
    let mut common: Vec<&String> = ma.keys().filter(|k| mb.contains_key(*k)).collect();
    common.sort();
    let (mut ra, mut rb) = (a.clone(), b.clone());
    ra[key] = Value::Array(common.iter().map(|k| ma[*k].clone()).collect());
    rb[key] = Value::Array(common.iter().map(|k| mb[*k].clone()).collect());
    (ra, rb)
}

/// The answer with its item list under `key`: the original names the list of
/// a single-item answer in the singular (`"incident": [...]`).
pub fn plural(v: &Value, key: &str) -> Value {
    let mut v = v.clone();
    let singular = key.trim_end_matches('s');
    if let Value::Object(map) = &mut v
        && !map.contains_key(key)
        && let Some(items) = map.remove(singular)
    {
        map.insert(key.to_owned(), items);
    }
    v
}

/// Ids of the items under `key` (or its singular, see [`plural`]).
pub fn ids(v: &Value, key: &str) -> Vec<String> {
    plural(v, key)[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Per field path (array elements as `[]`): how often the field occurs and the
/// bytes it takes (`"key":value,`) where only one of the two answers has it.
#[derive(Debug, Default, Clone)]
pub struct OnlyIn {
    pub count: usize,
    pub bytes: usize,
}

/// Fields only one side has: (path → ours-only, path → theirs-only), over
/// aligned answers (see [`align_by_id`]).
pub fn one_sided_fields(
    a: &Value,
    b: &Value,
) -> (BTreeMap<String, OnlyIn>, BTreeMap<String, OnlyIn>) {
    let (mut oa, mut ob) = (BTreeMap::new(), BTreeMap::new());
    walk(a, b, "", &mut oa, &mut ob);
    (oa, ob)
}

fn walk(
    a: &Value,
    b: &Value,
    path: &str,
    oa: &mut BTreeMap<String, OnlyIn>,
    ob: &mut BTreeMap<String, OnlyIn>,
) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, vx) in x {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match y.get(k) {
                    Some(vy) => walk(vx, vy, &p, oa, ob),
                    None => add(oa, p, k, vx),
                }
            }
            for (k, vy) in y {
                if !x.contains_key(k) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    add(ob, p, k, vy);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let p = format!("{path}[]");
            for (vx, vy) in x.iter().zip(y) {
                walk(vx, vy, &p, oa, ob);
            }
            for vx in x.iter().skip(y.len()) {
                add(oa, p.clone(), "", vx);
            }
            for vy in y.iter().skip(x.len()) {
                add(ob, p.clone(), "", vy);
            }
        }
        _ => {}
    }
}

fn add(map: &mut BTreeMap<String, OnlyIn>, path: String, key: &str, value: &Value) {
    let entry = map.entry(path).or_default();
    entry.count += 1;
    // "key":value, (an array element: value,)
    let key_bytes = if key.is_empty() {
        0
    } else {
        json_len(&Value::String(key.into())) + 1
    };
    entry.bytes += key_bytes + json_len(value) + 1;
}

/// A field both answers have whose values differ.
#[derive(Debug, Default, Clone)]
pub struct Differs {
    pub count: usize,
    pub bytes_a: usize,
    pub bytes_b: usize,
    pub example_a: String,
    pub example_b: String,
}

/// Per field path: the scalar values that differ between two aligned answers.
pub fn differing_values(a: &Value, b: &Value) -> BTreeMap<String, Differs> {
    let mut out = BTreeMap::new();
    diff_walk(a, b, "", &mut out);
    out
}

fn diff_walk(a: &Value, b: &Value, path: &str, out: &mut BTreeMap<String, Differs>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, vx) in x {
                if let Some(vy) = y.get(k) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    diff_walk(vx, vy, &p, out);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            let p = format!("{path}[]");
            for (vx, vy) in x.iter().zip(y) {
                diff_walk(vx, vy, &p, out);
            }
        }
        _ if a != b => {
            let d = out.entry(path.to_owned()).or_default();
            d.count += 1;
            d.bytes_a += json_len(a);
            d.bytes_b += json_len(b);
            if d.example_a.is_empty() {
                d.example_a = a.to_string();
                d.example_b = b.to_string();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intersect_keeps_common_fields_only() {
        let a = json!({"x": 1, "r": {"id": "A", "summary": "s", "type": "user"}, "l": [1, 2, 3]});
        let b = json!({"x": 22, "r": {"id": "A"}, "l": [1], "y": true});
        let (ia, ib) = intersect(&a, &b);
        assert_eq!(ia, json!({"x": 1, "r": {"id": "A"}, "l": [1]}));
        assert_eq!(ib, json!({"x": 22, "r": {"id": "A"}, "l": [1]}));
        let (oa, ob) = one_sided_fields(&a, &b);
        assert_eq!(oa["r.summary"].bytes, r#""summary":"s","#.len());
        assert_eq!(oa["l[]"].count, 2);
        assert_eq!(ob["y"].bytes, r#""y":true,"#.len());
        let d = differing_values(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!((d["x"].bytes_a, d["x"].bytes_b), (1, 2));
    }

    #[test]
    fn align_pairs_items_by_id() {
        let a = json!({"items": [{"id": "B", "n": 1}, {"id": "A"}, {"id": "C"}]});
        let b = json!({"items": [{"id": "A"}, {"id": "B", "n": 2}]});
        let (ra, rb) = align_by_id(&a, &b, "items");
        assert_eq!(ids(&ra, "items"), ["A", "B"]);
        assert_eq!(ids(&rb, "items"), ["A", "B"]);
    }
}
