//! Percentiles of span durations in bounded memory: a log-scale histogram.
//!
//! A 1 GiB trace file holds millions of spans; keeping every duration per span name to
//! sort them would grow with the file. Instead each duration falls into a bucket whose
//! width is 1/32 of its power of two, so a reported percentile is the bucket's midpoint,
//! within 1.6 % of the true value (exact below 32 ns, and clamped to the exact minimum
//! and maximum). Buckets are kept as one dense window between the smallest and largest
//! bucket seen: durations of one operation rarely spread over more than a few hundred.
//! It must never allocate per duration.
//!
//! A summary holds thousands of sketches, so each is bounded too: buckets count in 32
//! bits (a bucket stops counting at 2^32 - 1 durations, a file of terabytes of one span
//! name), and the window holds at most [`MAX_BUCKETS`], 32 powers of two. Durations more
//! than 2^32 times shorter than the longest one share the window's first bucket, as in
//! DDSketch: the longest durations, which the summary is about, keep their precision.

/// Sub-buckets per power of two.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// The widest window of buckets: 32 powers of two, 4 KiB of counts.
const MAX_BUCKETS: usize = 32 << SUB_BITS;

/// Durations of one kind of span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sketch {
    count: u64,
    min: u64,
    max: u64,
    first_bucket: usize,
    buckets: Vec<u32>,
}

/// The durations of one kind of span in two halves of the traces: each trace falls in
/// one half ([`half_of`]). Spans of one trace share its machine and its moment, so a
/// few big traces can move a percentile; a change that shows in both halves holds
/// across traces. The whole is the two merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Halves(pub(crate) [Sketch; 2]);

impl Halves {
    /// Adds one duration to half `half` (0 or 1).
    pub(crate) fn add(&mut self, half: u32, nanos: u64) {
        self.0[half as usize].add(nanos);
    }

    /// Adds the durations of `other`, half by half.
    pub(crate) fn merge(&mut self, other: &Halves) {
        self.0[0].merge(&other.0[0]);
        self.0[1].merge(&other.0[1]);
    }

    /// Both halves as one sketch.
    pub(crate) fn whole(&self) -> Sketch {
        let mut whole = self.0[0].clone();
        whole.merge(&self.0[1]);
        whole
    }
}

/// Count and percentiles of some durations, ns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Quantiles {
    /// Durations.
    pub count: u64,
    /// Median (within 1.6 %).
    pub p50: u64,
    /// 95th percentile (within 1.6 %).
    pub p95: u64,
}

impl From<&Sketch> for Quantiles {
    fn from(sketch: &Sketch) -> Self {
        Self {
            count: sketch.count(),
            p50: sketch.quantile(0.5),
            p95: sketch.quantile(0.95),
        }
    }
}

/// The half of the traces the trace `key` falls in: the top bit of a multiplicative
/// hash of its id, so that ids sharing digits (made by a counter) still split evenly.
#[allow(clippy::cast_possible_truncation)] // folding the id's two halves into one word
pub(crate) fn half_of(key: u128) -> u32 {
    let folded = (key as u64) ^ ((key >> 64) as u64);
    u32::from(folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 63 == 1)
}

/// The bucket a duration falls into.
fn bucket_of(nanos: u64) -> usize {
    if nanos < SUB {
        return usize::try_from(nanos).expect("small");
    }
    let exponent = nanos.ilog2();
    let mantissa = (nanos >> (exponent - SUB_BITS)) & (SUB - 1);
    usize::try_from(u64::from(exponent - SUB_BITS + 1) * SUB + mantissa).expect("fits")
}

/// The middle of a bucket's range.
fn bucket_value(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < SUB {
        return bucket;
    }
    let shift = bucket / SUB - 1;
    let lower = (SUB + bucket % SUB) << shift;
    lower + ((1 << shift) >> 1)
}

impl Sketch {
    /// Adds one duration.
    pub(crate) fn add(&mut self, nanos: u64) {
        self.add_count(bucket_of(nanos), 1);
        self.min = if self.count == 0 {
            nanos
        } else {
            self.min.min(nanos)
        };
        self.max = self.max.max(nanos);
        self.count += 1;
    }

    fn add_count(&mut self, bucket: usize, count: u32) {
        if self.buckets.is_empty() {
            self.first_bucket = bucket;
        }
        let last_bucket = self.first_bucket + self.buckets.len().max(1) - 1;
        // Too far below the longest durations: into the lowest bucket the window can hold.
        let bucket = bucket.max((last_bucket + 1).saturating_sub(MAX_BUCKETS));
        if bucket < self.first_bucket {
            let grow = self.first_bucket - bucket;
            self.buckets.splice(0..0, std::iter::repeat_n(0, grow));
            self.first_bucket = bucket;
        }
        let index = bucket - self.first_bucket;
        if index >= self.buckets.len() {
            self.buckets.resize(index + 1, 0);
        }
        self.buckets[index] = self.buckets[index].saturating_add(count);
        // A new longest duration may push the shortest ones out: they join the lowest
        // bucket that stays.
        if self.buckets.len() > MAX_BUCKETS {
            let excess = self.buckets.len() - MAX_BUCKETS;
            let collapsed = (self.buckets.drain(..excess)).fold(0, u32::saturating_add);
            self.buckets[0] = self.buckets[0].saturating_add(collapsed);
            self.first_bucket += excess;
        }
        // Growing doubles the room; the window never needs more than its widest.
        if self.buckets.capacity() > MAX_BUCKETS {
            self.buckets.shrink_to(MAX_BUCKETS);
        }
    }

    /// Adds another sketch's durations to this one.
    pub(crate) fn merge(&mut self, other: &Sketch) {
        if other.count == 0 {
            return;
        }
        for (i, &count) in other.buckets.iter().enumerate() {
            if count > 0 {
                self.add_count(other.first_bucket + i, count);
            }
        }
        self.min = if self.count == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.count += other.count;
    }

    /// Durations added.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The largest duration added.
    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// The nearest-rank percentile `q` (0 < q ≤ 1), or 0 when empty.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == self.count {
            return self.max;
        }
        let mut seen = 0;
        for (i, &count) in self.buckets.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return bucket_value(self.first_bucket + i).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &mut [u64], q: f64) -> u64 {
        values.sort_unstable();
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = (q * values.len() as f64).ceil() as usize;
        values[rank.max(1) - 1]
    }

    #[test]
    fn buckets_are_ordered_and_within_their_error() {
        let mut last = 0;
        for nanos in [
            0,
            1,
            31,
            32,
            33,
            63,
            64,
            1000,
            1_000_000,
            7_999_999_999,
            u64::MAX,
        ] {
            let bucket = bucket_of(nanos);
            assert!(bucket >= last, "{nanos}");
            last = bucket;
            let value = bucket_value(bucket);
            #[allow(clippy::cast_precision_loss)]
            let error = (value as f64 - nanos as f64).abs() / (nanos.max(1) as f64);
            assert!(error <= 1.0 / 64.0 + 1e-9, "{nanos} -> {value}");
        }
    }

    #[test]
    fn percentiles_are_close_to_exact_ones() {
        let mut values: Vec<u64> = (1..=5000u64).map(|i| (i * 7919) % 100_003 * 1000).collect();
        let mut sketch = Sketch::default();
        for &v in &values {
            sketch.add(v);
        }
        for q in [0.5, 0.95, 1.0] {
            let want = exact(&mut values, q);
            let got = sketch.quantile(q);
            #[allow(clippy::cast_precision_loss)]
            let error = (got as f64 - want as f64).abs() / want as f64;
            assert!(error < 0.016, "q={q}: {got} vs {want}");
        }
        assert_eq!(sketch.quantile(1.0), *values.iter().max().unwrap());
    }

    #[test]
    fn durations_far_below_the_longest_share_the_first_bucket() {
        let mut sketch = Sketch::default();
        // 1 ns to 2^63 ns: far more powers of two than the window holds.
        let durations: Vec<u64> = (0..64).map(|shift| 1 << shift).collect();
        for &nanos in durations.iter().chain(durations.iter().rev()) {
            sketch.add(nanos);
        }
        assert!(sketch.buckets.capacity() <= MAX_BUCKETS);
        assert_eq!(sketch.count(), 128);
        assert_eq!(
            sketch.buckets.iter().map(|&c| u64::from(c)).sum::<u64>(),
            128
        );
        // The longest durations keep their precision; the shortest are raised to the
        // window's first bucket, 2^32 times below the longest.
        assert_eq!(sketch.quantile(1.0), 1 << 63);
        let p95 = sketch.quantile(0.95);
        assert!((1 << 60..=(1 << 60) + (1 << 54)).contains(&p95), "{p95}");
        let lowest = sketch.quantile(1.0 / 128.0);
        assert!((1 << 31..=1 << 32).contains(&lowest), "{lowest}");
        // Whichever order durations come in, the window is the same.
        let mut rising = Sketch::default();
        for &nanos in durations.iter().chain(durations.iter()) {
            rising.add(nanos);
        }
        assert_eq!(rising.buckets, sketch.buckets);
        assert_eq!(rising.first_bucket, sketch.first_bucket);
    }

    #[test]
    fn merging_equals_adding_everything_to_one() {
        let (mut a, mut b, mut all) = (Sketch::default(), Sketch::default(), Sketch::default());
        for v in [5_000_u64, 9, 77_000_000] {
            a.add(v);
            all.add(v);
        }
        for v in [3_u64, 1_000_000_000_000, 42] {
            b.add(v);
            all.add(v);
        }
        a.merge(&b);
        assert_eq!(a, all);
        assert_eq!(Sketch::default().quantile(0.5), 0);
    }
}
