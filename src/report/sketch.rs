//! Percentiles of span durations in bounded memory: a log-scale histogram.
//!
//! A 1 GiB trace file holds millions of spans; keeping every duration per span name to
//! sort them would grow with the file. Instead each duration falls into a bucket whose
//! width is 1/32 of its power of two, so a reported percentile is the bucket's midpoint,
//! within 1.6 % of the true value (exact below 32 ns, and clamped to the exact minimum
//! and maximum). Buckets are kept as one dense window between the smallest and largest
//! bucket seen: durations of one operation rarely spread over more than a few hundred.
//! It must never allocate per duration.

/// Sub-buckets per power of two.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

/// Durations of one kind of span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch {
    count: u64,
    min: u64,
    max: u64,
    first_bucket: usize,
    buckets: Vec<u64>,
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
    pub fn add(&mut self, nanos: u64) {
        self.add_count(bucket_of(nanos), 1);
        self.min = if self.count == 0 {
            nanos
        } else {
            self.min.min(nanos)
        };
        self.max = self.max.max(nanos);
        self.count += 1;
    }

    fn add_count(&mut self, bucket: usize, count: u64) {
        if self.buckets.is_empty() {
            self.first_bucket = bucket;
        } else if bucket < self.first_bucket {
            let grow = self.first_bucket - bucket;
            self.buckets.splice(0..0, std::iter::repeat_n(0, grow));
            self.first_bucket = bucket;
        }
        let index = bucket - self.first_bucket;
        if index >= self.buckets.len() {
            self.buckets.resize(index + 1, 0);
        }
        self.buckets[index] += count;
    }

    /// Adds another sketch's durations to this one.
    pub fn merge(&mut self, other: &Sketch) {
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
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest duration added.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The nearest-rank percentile `q` (0 < q ≤ 1), or 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
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
            seen += count;
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
