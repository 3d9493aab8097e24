//! What every JSON reader of weft (data, hypers and hole files) checks beyond serde_json:
//! a leading byte-order mark, repeated keys, and integers written as `-0` or `1.0`.
//!
//! serde_json keeps the last of two equal keys in an object and reads `-0` as a float, so the
//! readers run these checks on the text they parse. Positions are byte offsets into that text.

use std::collections::HashMap;

/// The UTF-8 byte-order mark some editors write at the start of a file.
pub const BOM: char = '\u{feff}';

/// `text` without a leading byte-order mark (which is not part of the content: columns on the
/// first line are counted after it).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// A key written twice in one JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key, unescaped.
    pub key: String,
    /// Byte offset of the second occurrence (its opening quote).
    pub offset: usize,
    /// Byte offset of the first occurrence.
    pub first: usize,
}

/// The first key that an object of `text` repeats, if any. `text` should be valid JSON (parse
/// it first); on anything else the scan stops and reports nothing.
pub fn duplicate_key(text: &str) -> Option<DuplicateKey> {
    let mut seen: HashMap<(usize, String), usize> = HashMap::new();
    walk_keys(text, |_, key, offset, object| {
        seen.insert((object, key.to_string()), offset)
            .map(|first| DuplicateKey {
                key: key.to_string(),
                offset,
                first,
            })
    })
}

/// Byte offset of the key at `path` (its opening quote): `["params", "n"]` is the key `n` of
/// the object under the top-level key `params`. `text` should be valid JSON (parse it first);
/// `None` if there is no such key.
pub fn key_offset(text: &str, path: &[&str]) -> Option<usize> {
    walk_keys(text, |outer, key, offset, _| {
        let on_path = outer.len() + 1 == path.len()
            && key == path[outer.len()]
            && outer
                .iter()
                .zip(path)
                .all(|(k, p)| k.as_deref() == Some(*p));
        on_path.then_some(offset)
    })
}

/// Calls `f(outer, key, offset, object)` on every key of `text` in order, until it returns
/// `Some`: `outer` holds, per enclosing bracket, the key whose value the key lies in (`None`
/// for an array), `offset` is the key's opening quote, `object` numbers the object it belongs
/// to. `text` should be valid JSON; on anything else the walk stops early.
fn walk_keys<T>(
    text: &str,
    mut f: impl FnMut(&[Option<String>], &str, usize, usize) -> Option<T>,
) -> Option<T> {
    let b = text.as_bytes();
    // Per open bracket: the last key read in it (`None` before the first key and for arrays),
    // whether it is an object, and its number.
    let mut keys: Vec<Option<String>> = Vec::new();
    let mut frames: Vec<(bool, usize)> = Vec::new();
    let mut objects = 0;
    let mut expect_key = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                let object = b[i] == b'{';
                keys.push(None);
                frames.push((object, objects));
                objects += usize::from(object);
                expect_key = object;
            }
            b'}' | b']' => {
                keys.pop();
                frames.pop();
                expect_key = false;
            }
            b',' => expect_key = frames.last().is_some_and(|&(object, _)| object),
            b'"' => {
                let end = string_end(b, i)?;
                if expect_key {
                    let key: String = serde_json::from_str(&text[i..end]).ok()?;
                    let depth = keys.len();
                    let object = frames.last()?.1;
                    if let Some(r) = f(&keys[..depth - 1], &key, i, object) {
                        return Some(r);
                    }
                    keys[depth - 1] = Some(key);
                    expect_key = false;
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The offset just past the closing quote of the string that opens at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The integer a JSON number denotes, if it denotes one exactly: `3`, `-0`, `1.0` and `1e2`
/// are integers; `1.5` is not, nor is a float beyond 2^53 (where floats skip integers) or an
/// integer beyond the 64-bit range.
pub fn integer(n: &serde_json::Number) -> Option<i64> {
    if let Some(x) = n.as_i64() {
        return Some(x);
    }
    if n.is_u64() {
        return None;
    }
    let f = n.as_f64()?;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    (f.is_finite() && f.fract() == 0.0 && f.abs() <= EXACT).then_some(f as i64)
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> serde_json::Number {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn integers_as_written() {
        for (s, x) in [
            ("3", 3),
            ("-0", 0),
            ("-0.0", 0),
            ("1.0", 1),
            ("-2.0", -2),
            ("1e2", 100),
        ] {
            assert_eq!(integer(&num(s)), Some(x), "{s}");
        }
        for s in [
            "1.5",
            "-0.25",
            "1e300",
            "18446744073709551615",
            "9007199254740994.0",
        ] {
            assert_eq!(integer(&num(s)), None, "{s}");
        }
    }

    #[test]
    fn finds_the_second_of_two_equal_keys() {
        let text = "{\"a\": {\"b\": 1, \"c\": \"{\\\"b\\\": 2\"},\n \"b\": [{\"b\": 1}, {\"b\": 2}], \"\\u0061\": 3}";
        let d = duplicate_key(text).unwrap();
        assert_eq!(d.key, "a");
        assert_eq!(d.first, 1);
        assert_eq!(line_col(text, d.offset), (2, 29));
        assert_eq!(
            duplicate_key("[{\"a\": 1}, {\"a\": 2}, \"a\", {\"x\": {}, \"y\": []}]"),
            None
        );
        let d = duplicate_key("{\"x\": [1, {\"k\": 1, \"k\": 2}]}").unwrap();
        assert_eq!((d.key.as_str(), d.first, d.offset), ("k", 11, 19));
    }

    #[test]
    fn finds_a_key_by_its_path() {
        let text = "{\"holes\": {\"params\": 1}, \"x\": [{\"params\": {\"n\": 2}}],\n \"params\": {\"m\": 1, \"n\": 2}}";
        assert_eq!(
            line_col(text, key_offset(text, &["params"]).unwrap()),
            (2, 2)
        );
        assert_eq!(
            line_col(text, key_offset(text, &["params", "n"]).unwrap()),
            (2, 21)
        );
        assert_eq!(key_offset(text, &["params", "k"]), None);
        assert_eq!(key_offset(text, &["n"]), None);
        assert_eq!(key_offset("{\"\\u0073ketch\": 1}", &["sketch"]), Some(1));
    }

    #[test]
    fn strips_a_byte_order_mark_and_counts_columns_in_characters() {
        assert_eq!(strip_bom("\u{feff}{}"), "{}");
        assert_eq!(strip_bom("{}"), "{}");
        assert_eq!(line_col("é\"x\"", 1), (1, 1));
        assert_eq!(line_col("é\"x\"", 2), (1, 2));
        assert_eq!(line_col("a\nbc", 3), (2, 2));
    }
}
