//! A mergeable log-linear histogram for percentiles in bounded memory.
//!
//! Each positive value falls into a bucket named by its IEEE-754 exponent and the top
//! [`SUB_BITS`] bits of its mantissa, so every octave is split into 128 equal buckets (as in
//! HdrHistogram). A bucket's width is at most 1/128 of its lower bound; reporting its midpoint
//! (clamped to the observed min and max) is within 1/256 ≈ 0.4% of any value in it.
//! Negative values use a mirrored set of buckets and zeros are counted apart, so paired
//! differences can be sketched too. Memory grows with the range of magnitudes seen (about 1 KiB
//! per octave), never with the number of values.
//!
//! A sketch keeps its first [`RAW_LIMIT`] values as they come and only then moves them into
//! buckets. One replication's sketches mostly hold a few hundred values over several octaves:
//! kept raw they cost a few KiB, where buckets cost about 1 KiB per octave each, allocated,
//! zeroed and regrown as the range widens (an eighth of a short replication's time went there).
//! Every answer is the one the buckets give: a quantile is the clamped midpoint of the bucket
//! of the value of that rank, whichever way the values are held.
/// Mantissa bits kept per bucket.
const SUB_BITS: u32 = 7;
/// Values a sketch keeps as they come before it moves them into buckets.
const RAW_LIMIT: usize = 512;
const SHIFT: u32 = 52 - SUB_BITS;

/// Dense bucket counts over a contiguous range of bucket indices.
#[derive(Clone, Debug, Default)]
struct Buckets {
    base: u32,
    counts: Vec<u64>,
}

impl Buckets {
    #[inline]
    fn add(&mut self, index: u32, n: u64) {
        // The common case first: a bucket already in range.
        let at = index.wrapping_sub(self.base) as usize;
        if at < self.counts.len() {
            self.counts[at] += n;
            return;
        }
        self.add_slow(index, n);
    }

    #[cold]
    fn add_slow(&mut self, index: u32, n: u64) {
        if self.counts.is_empty() {
            self.base = index;
            self.counts.push(0);
        } else if index < self.base {
            let grow = (self.base - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.base = index;
        } else if (index - self.base) as usize >= self.counts.len() {
            self.counts.resize((index - self.base) as usize + 1, 0);
        }
        self.counts[(index - self.base) as usize] += n;
    }

    /// The counts from the first non-empty bucket to the last, with the index of the first.
    fn occupied(&self) -> (u32, &[u64]) {
        match self.counts.iter().position(|&c| c > 0) {
            None => (0, &[]),
            Some(first) => {
                let last = self
                    .counts
                    .iter()
                    .rposition(|&c| c > 0)
                    .expect("invariant: a non-empty bucket exists");
                (self.base + first as u32, &self.counts[first..=last])
            }
        }
    }

    /// Adds `other`'s counts. The range grows to cover its first and last non-empty buckets,
    /// exactly as adding them one by one would, and the counts then add element by element.
    fn merge(&mut self, other: &Buckets) {
        let Some(first) = other.counts.iter().position(|&c| c > 0) else {
            return;
        };
        let last = other
            .counts
            .iter()
            .rposition(|&c| c > 0)
            .expect("invariant: a non-empty bucket exists");
        let (lo, hi) = (other.base + first as u32, other.base + last as u32);
        // Grow to cover both ends (adding nothing yet).
        self.add(lo, 0);
        self.add(hi, 0);
        let at = (lo - self.base) as usize;
        let theirs = &other.counts[first..=last];
        for (mine, &c) in self.counts[at..at + theirs.len()].iter_mut().zip(theirs) {
            *mine += c;
        }
    }
}

#[inline]
fn index_of(magnitude: f64) -> u32 {
    (magnitude.to_bits() >> SHIFT) as u32
}

fn midpoint(index: u32) -> f64 {
    let lo = f64::from_bits(u64::from(index) << SHIFT);
    let hi = f64::from_bits(u64::from(index + 1) << SHIFT);
    (lo + hi) / 2.0
}

/// A streaming percentile estimator for finite values.
#[derive(Clone, Debug)]
pub struct Sketch {
    /// The non-zero values recorded so far, while there are fewer than [`RAW_LIMIT`] and
    /// `dense` is false; empty once they are in buckets.
    raw: Vec<f64>,
    /// The non-zero values are counted in `pos` and `neg`.
    dense: bool,
    pos: Buckets,
    neg: Buckets,
    zeros: u64,
    min: f64,
    max: f64,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            raw: Vec::new(),
            dense: false,
            pos: Buckets::default(),
            neg: Buckets::default(),
            zeros: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one value; non-finite values are ignored.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if x > 0.0 && x < f64::INFINITY {
            // Most values measured are times: positive.
            self.add_positive(x);
            return;
        }
        if !x.is_finite() {
            return;
        }
        self.extremes(x);
        if x == 0.0 {
            self.zeros += 1;
        } else {
            self.put(x);
        }
    }

    /// Keeps `x` if it is a new minimum or maximum. Plain comparisons: `x` is finite, so
    /// `f64::min`'s NaN handling is not needed.
    #[inline]
    fn extremes(&mut self, x: f64) {
        if x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
    }

    /// Counts the non-zero value `x` in its bucket, or keeps it raw while values are few
    /// (`min` and `max` are the caller's; the count is summed when asked).
    #[inline]
    fn put(&mut self, x: f64) {
        if self.dense {
            self.bucket(x);
        } else {
            if self.raw.capacity() == 0 {
                // Room for a replication's worth at once, not grown from four.
                self.raw.reserve_exact(64);
            }
            self.raw.push(x);
            if self.raw.len() >= RAW_LIMIT {
                self.densify();
            }
        }
    }

    /// Counts the non-zero value `x` in its bucket.
    #[inline]
    fn bucket(&mut self, x: f64) {
        if x > 0.0 {
            self.pos.add(index_of(x), 1);
        } else {
            self.neg.add(index_of(-x), 1);
        }
    }

    /// Moves the raw values into buckets, sized once for the widest of them.
    #[cold]
    fn densify(&mut self) {
        if self.dense {
            return;
        }
        self.dense = true;
        let raw = std::mem::take(&mut self.raw);
        let (mut lo, mut hi) = ([u32::MAX; 2], [0u32; 2]);
        for &x in &raw {
            let (side, i) = if x > 0.0 {
                (0, index_of(x))
            } else {
                (1, index_of(-x))
            };
            lo[side] = lo[side].min(i);
            hi[side] = hi[side].max(i);
        }
        for (side, buckets) in [&mut self.pos, &mut self.neg].into_iter().enumerate() {
            if lo[side] <= hi[side] {
                // Both ends first, so the range is allocated once (adding nothing yet).
                buckets.add(lo[side], 0);
                buckets.add(hi[side], 0);
            }
        }
        for x in raw {
            self.bucket(x);
        }
    }

    /// Records one value known to be positive and finite (a time the engine measured): the
    /// checks [`Sketch::add`] makes are left out, on the engine's hot path.
    ///
    /// A value that falls strictly between the lowest and the highest bucket in use is counted
    /// and nothing else: the range is always exactly from the minimum's bucket to the
    /// maximum's, so such a value is neither, and the count is summed when asked for.
    #[inline]
    pub fn add_positive(&mut self, x: f64) {
        debug_assert!(
            x > 0.0 && x.is_finite(),
            "invariant: {x} is positive and finite"
        );
        let at = index_of(x).wrapping_sub(self.pos.base) as usize;
        // 0 < at < len - 1 in one comparison; no buckets yet (values kept raw): never.
        if at.wrapping_sub(1) < self.pos.counts.len().saturating_sub(2) {
            self.pos.counts[at] += 1;
        } else {
            self.extremes(x);
            self.put(x);
        }
    }

    /// Records `n` zeros at once.
    pub fn add_zeros(&mut self, n: u64) {
        if n > 0 {
            self.zeros += n;
            self.min = self.min.min(0.0);
            self.max = self.max.max(0.0);
        }
    }

    /// Adds every value recorded in `other`.
    pub fn merge(&mut self, other: &Sketch) {
        if other.dense {
            self.densify();
            self.pos.merge(&other.pos);
            self.neg.merge(&other.neg);
        } else {
            for &x in &other.raw {
                self.put(x);
            }
        }
        self.zeros += other.zeros;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values recorded (summed over the buckets: the hot path counts nothing else).
    pub fn count(&self) -> u64 {
        let sum = |b: &Buckets| b.counts.iter().sum::<u64>();
        self.zeros + self.raw.len() as u64 + sum(&self.pos) + sum(&self.neg)
    }

    /// The `q`-quantile (0 <= q <= 1) by the nearest-rank rule, or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        if !self.dense {
            return Some(self.raw_quantile(rank));
        }
        let mut seen = 0;
        // Negative values, most negative first.
        for (i, &c) in self.neg.counts.iter().enumerate().rev() {
            seen += c;
            if seen >= rank {
                return Some(self.clamp(-midpoint(self.neg.base + i as u32)));
            }
        }
        seen += self.zeros;
        if seen >= rank {
            return Some(0.0);
        }
        for (i, &c) in self.pos.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(self.clamp(midpoint(self.pos.base + i as u32)));
            }
        }
        Some(self.max)
    }

    /// The value of rank `rank` (from 1) as the buckets report it, from the raw values: the
    /// clamped midpoint of its bucket, or zero.
    fn raw_quantile(&self, rank: u64) -> f64 {
        let mut sorted = self.raw.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let negatives = sorted.partition_point(|&x| x < 0.0) as u64;
        if rank <= negatives {
            let x = sorted[rank as usize - 1];
            return self.clamp(-midpoint(index_of(-x)));
        }
        if rank <= negatives + self.zeros {
            return 0.0;
        }
        match sorted.get((rank - self.zeros) as usize - 1) {
            Some(&x) => self.clamp(midpoint(index_of(x))),
            None => self.max,
        }
    }

    fn clamp(&self, x: f64) -> f64 {
        x.clamp(self.min, self.max)
    }
}

/// Two sketches are equal when they recorded the same values as the buckets count them,
/// whether these are still raw or already in buckets.
impl PartialEq for Sketch {
    fn eq(&self, other: &Self) -> bool {
        let dense = |s: &Sketch| {
            let mut d = s.clone();
            d.densify();
            d
        };
        let (a, b) = (dense(self), dense(other));
        a.zeros == b.zeros
            && a.min.to_bits() == b.min.to_bits()
            && a.max.to_bits() == b.max.to_bits()
            && a.pos.occupied() == b.pos.occupied()
            && a.neg.occupied() == b.neg.occupied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng;
    use rand::Rng;

    fn exact(sorted: &[f64], q: f64) -> f64 {
        let n = sorted.len();
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        sorted[rank - 1]
    }

    #[test]
    fn quantiles_within_documented_accuracy() {
        let mut r = rng::stream(&[3]);
        let mut xs: Vec<f64> = (0..50_000)
            .map(|_| {
                let u: f64 = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                (u * 12.0).exp() - 1.0 - 3.0 * u
            })
            .collect();
        let mut s = Sketch::new();
        for &x in &xs {
            s.add(x);
        }
        xs.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.1, 0.5, 0.85, 0.95, 0.99, 1.0] {
            let e = exact(&xs, q);
            let got = s.quantile(q).unwrap();
            assert!(
                (got - e).abs() <= e.abs() / 256.0 + 1e-12,
                "q {q}: {got} vs {e}"
            );
        }
    }

    #[test]
    fn add_positive_records_what_add_does() {
        let mut one = Sketch::new();
        let mut fast = Sketch::new();
        for i in 1..1000 {
            let x = f64::from(i % 97 + 1) * 0.37;
            one.add(x);
            fast.add_positive(x);
        }
        assert_eq!(one, fast);
    }

    #[test]
    fn merging_records_what_adding_one_by_one_does() {
        // Ranges below, above, inside and around each other, and empty sides.
        let sets: [&[f64]; 6] = [
            &[],
            &[0.5, 0.75],
            &[3.0, 40.0, 41.0],
            &[0.01, 900.0],
            &[7.0],
            &[-2.0, 0.0, 5.0, 5.0, 1e6],
        ];
        for a in sets {
            for b in sets {
                let (mut merged, mut other, mut one_by_one) =
                    (Sketch::new(), Sketch::new(), Sketch::new());
                for &x in a {
                    merged.add(x);
                    one_by_one.add(x);
                }
                for &x in b {
                    other.add(x);
                }
                merged.merge(&other);
                for &x in b {
                    one_by_one.add(x);
                }
                assert_eq!(merged, one_by_one, "{a:?} then {b:?}");
            }
        }
    }

    #[test]
    fn raw_values_answer_exactly_what_buckets_answer() {
        let mut r = rng::stream(&[11]);
        // Fewer values than are kept raw, exactly as many, and more; with negatives and zeros.
        for n in [
            1,
            2,
            7,
            RAW_LIMIT - 1,
            RAW_LIMIT,
            RAW_LIMIT + 1,
            3 * RAW_LIMIT,
        ] {
            let xs: Vec<f64> = (0..n)
                .map(|i| match i % 5 {
                    0 => 0.0,
                    1 => -((r.next_u64() >> 40) as f64) / 1e3,
                    _ => ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 20.0).exp(),
                })
                .collect();
            let mut kept = Sketch::new();
            let mut dense = Sketch::new();
            dense.densify();
            for &x in &xs {
                kept.add(x);
                dense.add(x);
            }
            let nonzero = xs.iter().filter(|&&x| x != 0.0).count();
            assert_eq!(kept.dense, nonzero >= RAW_LIMIT, "n {n}");
            for k in 0..=200 {
                let q = f64::from(k) / 200.0;
                assert_eq!(kept.quantile(q), dense.quantile(q), "n {n}, q {q}");
            }
            assert_eq!(kept, dense, "n {n}");
            // Merged either way round, raw into buckets and buckets into raw.
            let (mut a, mut b) = (kept.clone(), dense.clone());
            a.merge(&dense);
            b.merge(&kept);
            assert_eq!(a, b, "n {n}");
            assert_eq!(a.count(), 2 * n as u64);
            for q in [0.0, 0.3, 0.5, 0.85, 1.0] {
                assert_eq!(a.quantile(q), b.quantile(q), "n {n}, q {q}");
            }
        }
    }

    #[test]
    fn a_dense_sketch_keeps_its_count_minimum_and_maximum_whatever_the_order() {
        let mut r = rng::stream(&[12]);
        let xs: Vec<f64> = (0..3000)
            .map(|_| ((r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 30.0 - 15.0).exp())
            .collect();
        let mut sorted = xs.clone();
        sorted.sort_by(f64::total_cmp);
        let mut reversed = sorted.clone();
        reversed.reverse();
        // Values in bucket order, in reverse, and shuffled, added past the raw limit, where
        // only a value in the lowest or highest bucket in use is checked against the extremes.
        for order in [&xs, &sorted, &reversed] {
            let mut s = Sketch::new();
            for &x in order.iter() {
                s.add_positive(x);
            }
            assert!(s.dense);
            assert_eq!(s.count(), 3000);
            assert_eq!((s.min, s.max), (sorted[0], sorted[2999]));
            // The top value's bucket midpoint, clamped to the maximum it lies below.
            assert_eq!(
                s.quantile(1.0),
                Some(sorted[2999].min(midpoint(index_of(sorted[2999]))))
            );
        }
    }

    #[test]
    fn handles_negatives_and_zeros_and_merges() {
        let mut a = Sketch::new();
        let mut b = Sketch::new();
        for x in [-5.0, -1.0, 0.0, 0.0] {
            a.add(x);
        }
        for x in [2.0, 3.0, 100.0, f64::NAN] {
            b.add(x);
        }
        a.merge(&b);
        assert_eq!(a.count(), 7);
        assert_eq!(a.quantile(0.0), Some(-5.0));
        assert_eq!(a.quantile(0.5), Some(0.0));
        assert_eq!(a.quantile(1.0), Some(100.0));
        assert!((a.quantile(0.2).unwrap() + 1.0).abs() < 0.01);
        assert_eq!(Sketch::new().quantile(0.5), None);
    }
}
