//! A tiny deterministic random number generator (SplitMix64).
//!
//! The dataset must be identical for the same seed on every platform and every
//! build, so no external RNG crate is used.

/// SplitMix64: small, fast and good enough for generating demo data.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose sequence is fully determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// A generator derived from `seed` and a label, so independent parts of the
    /// dataset do not shift when another part draws more numbers.
    pub fn derived(seed: u64, label: &str) -> Rng {
        Rng::new(seed ^ fnv1a(label.as_bytes()).rotate_left(17))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.next_u64() % n
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// A uniform float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// FNV-1a, used to derive stable IDs and sub-seeds from labels.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

const ID_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A PagerDuty-style ID: `prefix` followed by `len - 1` upper-case alphanumerics.
pub fn pd_id(prefix: char, len: usize, rng: &mut Rng) -> String {
    let mut id = String::with_capacity(len);
    id.push(prefix);
    while id.len() < len {
        id.push(ID_ALPHABET[rng.below(ID_ALPHABET.len() as u64) as usize] as char);
    }
    id
}

/// A PagerDuty-style ID that depends only on `label` (stable across seeds).
pub fn stable_id(prefix: char, len: usize, label: &str) -> String {
    pd_id(prefix, len, &mut Rng::new(fnv1a(label.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn ids_look_like_pagerduty() {
        let id = stable_id('P', 7, "team:Platform");
        assert_eq!(id.len(), 7);
        assert!(id.starts_with('P'));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(id, stable_id('P', 7, "team:Platform"));
    }
}
