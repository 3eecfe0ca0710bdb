//! Deterministic randomness: every chunk of every table gets its own
//! ChaCha8 stream seeded from (seed, table, chunk index), so the output does
//! not depend on how many threads ran or in which order chunks finished.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};

/// The random stream of one generator chunk.
pub(crate) type ChunkRng = ChaCha8Rng;

/// Which stream a chunk draws from; part of the seed mix so tables never
/// share streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Area effects and trends.
    Areas = 1,
    /// People and their offending (offences and the cohort tables).
    People = 2,
    /// Recorded crime counts per area and year.
    CrimeCounts = 3,
    /// Recorded crime rows.
    Crime = 4,
    /// Treatment clients and episodes.
    Treatment = 5,
    /// TellUs sample sizes per area and year.
    SurveyCounts = 6,
    /// TellUs respondents.
    Survey = 7,
    /// Area characteristics for peer groups (the extra `areas` columns).
    AreaFeatures = 8,
    /// Area effects and prisons of the drug strategy tables.
    StrategyAreas = 9,
    /// Prison mandatory drug tests.
    Mdt = 10,
    /// Probation orders.
    Orders = 11,
    /// Place Survey respondents.
    Place = 12,
    /// Young people received into custody.
    Ypsms = 13,
}

/// SplitMix64 finaliser: a bijective, well-mixing hash of a u64.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The RNG of chunk `index` of `stream` under `seed`.
pub(crate) fn chunk_rng(seed: u64, stream: Stream, index: u64) -> ChunkRng {
    let key = mix64(mix64(mix64(seed) ^ stream as u64) ^ index);
    ChaCha8Rng::seed_from_u64(key)
}

/// A uniform draw in [0, 1).
pub(crate) fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.random::<f64>()
}

/// An exponential draw with the given mean.
pub(crate) fn exponential<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> f64 {
    -mean * (1.0 - unit(rng)).ln()
}

/// A standard normal draw (Box-Muller; one value per call keeps streams simple).
pub(crate) fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal draw with the given median and log-scale sigma.
pub(crate) fn lognormal<R: Rng + ?Sized>(rng: &mut R, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// A log-normal multiplier with mean exactly 1.
pub(crate) fn noise<R: Rng + ?Sized>(rng: &mut R, sigma: f64) -> f64 {
    (sigma * normal(rng) - sigma * sigma / 2.0).exp()
}

/// A Poisson count; zero for a non-positive or non-finite mean.
pub(crate) fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> u64 {
    if !(mean.is_finite() && mean > 0.0) {
        return 0;
    }
    match Poisson::new(mean) {
        Ok(d) => d.sample(rng) as u64,
        Err(_) => mean.round() as u64,
    }
}

/// A gamma draw with the given shape and mean; the mean itself if the
/// parameters are unusable.
pub(crate) fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64, mean: f64) -> f64 {
    match Gamma::new(shape, mean / shape) {
        Ok(d) => d.sample(rng),
        Err(_) => mean,
    }
}

/// An index drawn with probability proportional to `weights`.
pub(crate) fn categorical<R: Rng + ?Sized>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// Cumulative weights for repeated draws by binary search.
#[derive(Debug, Clone)]
pub(crate) struct Cumulative {
    cum: Vec<f64>,
}

impl Cumulative {
    /// Builds the table; weights must be non-negative.
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cum = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Cumulative { cum }
    }

    /// Draws an index with probability proportional to its weight.
    pub(crate) fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let total = self.cum.last().copied().unwrap_or(0.0);
        let x = unit(rng) * total;
        self.cum
            .partition_point(|c| *c <= x)
            .min(self.cum.len().saturating_sub(1))
    }
}

/// A draw from the integers in `lo..hi` (`lo` if empty).
pub(crate) fn below<R: Rng + ?Sized>(rng: &mut R, lo: i32, hi: i32) -> i32 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_seed_stream_and_chunk() {
        let first = |seed, stream, i| chunk_rng(seed, stream, i).random::<u64>();
        let base = first(1, Stream::People, 0);
        assert_eq!(base, first(1, Stream::People, 0));
        assert_ne!(base, first(2, Stream::People, 0));
        assert_ne!(base, first(1, Stream::Crime, 0));
        assert_ne!(base, first(1, Stream::People, 1));
    }

    #[test]
    fn samplers_have_their_means() {
        let mut rng = chunk_rng(7, Stream::People, 0);
        let n = 200_000;
        let mean = |f: &mut dyn FnMut(&mut ChunkRng) -> f64, rng: &mut ChunkRng| {
            (0..n).map(|_| f(rng)).sum::<f64>() / n as f64
        };
        assert!((mean(&mut |r| noise(r, 0.4), &mut rng) - 1.0).abs() < 0.01);
        assert!((mean(&mut |r| exponential(r, 3.0), &mut rng) - 3.0).abs() < 0.05);
        assert!((mean(&mut |r| gamma(r, 0.5, 2.0), &mut rng) - 2.0).abs() < 0.05);
        assert!((mean(&mut |r| poisson(r, 4.0) as f64, &mut rng) - 4.0).abs() < 0.05);
        let cum = Cumulative::new([1.0, 0.0, 3.0]);
        let draws: Vec<usize> = (0..10_000).map(|_| cum.draw(&mut rng)).collect();
        assert!(!draws.contains(&1));
        let threes = draws.iter().filter(|d| **d == 2).count();
        assert!((7_000..8_000).contains(&threes), "{threes}");
    }
}
