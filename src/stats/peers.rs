//! Most similar groups (peer groups): each area's k nearest areas by a
//! weighted Euclidean distance over standardised features, as the Home
//! Office's iQuanta most similar groups and CIPFA's nearest neighbours are
//! built.

use super::error::StatsError;

/// One peer of an area: its index in the input and its distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peer {
    /// Index of the peer in the input order.
    pub index: usize,
    /// Weighted Euclidean distance over standardised features.
    pub distance: f64,
}

/// Standardises one feature column to mean 0 and standard deviation 1
/// (population standard deviation, dividing by n). A feature with no spread
/// becomes all zeros: it cannot tell areas apart.
fn standardise(column: &[f64]) -> Vec<f64> {
    let n = column.len() as f64;
    let mean = column.iter().sum::<f64>() / n;
    let sd = (column.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    column
        .iter()
        .map(|x| if sd > 0.0 { (x - mean) / sd } else { 0.0 })
        .collect()
}

/// Distances are compared at this resolution (1e-9 standardised units),
/// so areas at distances equal but for floating-point rounding tie and go
/// in code order.
const TIE_SCALE: f64 = 1e9;

/// The `k` nearest peers of every area.
///
/// `codes` names the areas (ties in distance, to 1e-9, are broken by code, so the
/// result never depends on input order); `columns` holds one vector per
/// feature, each with a value per area; `weights` one weight per feature.
/// Each feature is standardised over all the areas (mean 0, standard
/// deviation 1), then the distance between areas i and j is
/// `sqrt(sum_f w_f (z_if - z_jf)^2)`. An area is never its own peer.
///
/// Errors: a weight that is negative or not finite, or all weights zero
/// ([`StatsError::InvalidWeights`]); a feature value that is not finite
/// ([`StatsError::NonFiniteValue`], `index` the area); `k` of 0 or not
/// below the number of areas ([`StatsError::InvalidPeerCount`]); columns or
/// weights whose lengths do not match.
pub fn nearest_peers(
    codes: &[&str],
    columns: &[Vec<f64>],
    weights: &[f64],
    k: usize,
) -> Result<Vec<Vec<Peer>>, StatsError> {
    let n = codes.len();
    if weights.len() != columns.len()
        || columns.iter().any(|c| c.len() != n)
        || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0))
        || !weights.iter().any(|w| *w > 0.0)
    {
        return Err(StatsError::InvalidWeights);
    }
    for column in columns {
        if let Some(index) = column.iter().position(|v| !v.is_finite()) {
            return Err(StatsError::NonFiniteValue {
                index,
                value: column[index],
            });
        }
    }
    if k == 0 || k >= n {
        return Err(StatsError::InvalidPeerCount { k, areas: n });
    }
    let z: Vec<Vec<f64>> = columns.iter().map(|c| standardise(c)).collect();
    let distance = |i: usize, j: usize| -> f64 {
        z.iter()
            .zip(weights)
            .map(|(col, w)| w * (col[i] - col[j]).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    Ok((0..n)
        .map(|i| {
            let mut others: Vec<Peer> = (0..n)
                .filter(|&j| j != i)
                .map(|j| Peer {
                    index: j,
                    distance: distance(i, j),
                })
                .collect();
            // distances equal to 1e-9 are a tie: standardising leaves
            // rounding noise that would otherwise decide equal distances
            let key = |d: f64| (d * TIE_SCALE).round();
            others.sort_by(|a, b| {
                key(a.distance)
                    .total_cmp(&key(b.distance))
                    .then_with(|| codes[a.index].cmp(codes[b.index]))
            });
            others.truncate(k);
            others
        })
        .collect())
}
