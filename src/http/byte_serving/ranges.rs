//! RFC 9110 ranges (§14): `Range` planned against a representation's size, never amplified.

use poem::http::{header, HeaderMap};

use super::conditionals::one;

/// More range-specs than this and the `Range` header is ignored (200 with the whole body).
const MAX_RANGES: usize = 16;

#[derive(Debug, PartialEq, Eq)]
pub enum Ranges {
    Full,
    Unsatisfiable,
    /// Sorted, disjoint, non-adjacent inclusive ranges, at least one.
    Parts(Vec<(u64, u64)>),
}

/// RFC 9110 §14.1–14.2 for a representation of `size` bytes. Invalid syntax, too many
/// ranges, overlaps or a total above `size` all give `Full` (never amplified).
pub fn plan_ranges(h: &HeaderMap, size: u64) -> Ranges {
    let Some(mut parts) = one(h, header::RANGE).and_then(|v| resolve(v, size)) else {
        return Ranges::Full;
    };
    if parts.is_empty() {
        return Ranges::Unsatisfiable;
    }
    parts.sort_unstable();
    // Overlaps first: disjoint parts within the file cannot sum past `size`.
    if parts.windows(2).any(|w| w[1].0 <= w[0].1) {
        return Ranges::Full;
    }
    let total = parts
        .iter()
        .fold(0u64, |sum, (a, b)| sum.saturating_add(b - a + 1));
    if total > size {
        return Ranges::Full;
    }
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(parts.len());
    for (a, b) in parts {
        match merged.last_mut() {
            Some(last) if last.1 + 1 == a => last.1 = b,
            _ => merged.push((a, b)),
        }
    }
    Ranges::Parts(merged)
}

/// The satisfiable ranges of a valid `bytes=` set of 1–16 specs, end clamped to `size - 1`;
/// `None` when the header is to be ignored.
pub fn resolve(spec: &str, size: u64) -> Option<Vec<(u64, u64)>> {
    let (unit, set) = spec.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let num = |s: &str| -> Option<u64> {
        let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().unwrap_or(u64::MAX))
    };
    let items = set.split(',').map(|s| s.trim_matches([' ', '\t']));
    let items: Vec<&str> = items
        .filter(|s| !s.is_empty())
        .take(MAX_RANGES + 1)
        .collect();
    if items.is_empty() || items.len() > MAX_RANGES {
        return None;
    }
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        let (first, last) = item.split_once('-')?;
        let (first, last) = (first.trim(), last.trim());
        if first.is_empty() {
            let n = num(last)?;
            if n > 0 && size > 0 {
                parts.push((size - n.min(size), size - 1));
            }
        } else {
            let a = num(first)?;
            let b = if last.is_empty() {
                u64::MAX
            } else {
                num(last)?
            };
            if b < a {
                return None;
            }
            if a < size {
                parts.push((a, b.min(size - 1)));
            }
        }
    }
    Some(parts)
}
