//! Duplicate rows by a table's key, counted in this process.
//!
//! A `GROUP BY` of every key column holds each distinct key (strings and
//! all) in a hash table: for the 10.9 million offences of a scale-1
//! extract that was 1.3 GB and most of a run's peak memory. Here each row's
//! key is hashed to 64 bits (DataFusion's own column hashing) and only the
//! hashes are kept. A hash seen once belongs to a key seen once, so when no
//! hash repeats there is no duplicate. The rows whose hash repeats (true
//! duplicates and the rare collisions of distinct keys) are read again and
//! their keys compared exactly, so the count is exact, never an estimate.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use datafusion::arrow::array::{ArrayRef, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::common::hash_utils::{QualityRandomState, create_hashes};
use datafusion::dataframe::DataFrame;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool};
use futures_util::TryStreamExt;
use std::sync::Arc;

/// A hasher for values that already are hashes: the set keeps them as
/// they are instead of hashing them again.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of 64-bit key hashes.
type HashSet64 = HashSet<u64, BuildHasherDefault<Prehashed>>;

/// How a batch's rows are hashed: one hash per row of its columns.
pub(crate) type RowHasher = fn(&[ArrayRef], &mut [u64]) -> Result<()>;

/// DataFusion's column hashing with a fixed seed (the count does not
/// depend on the seed; a fixed one keeps runs alike).
fn hash_rows(columns: &[ArrayRef], hashes: &mut [u64]) -> Result<()> {
    const STATE: QualityRandomState = QualityRandomState::with_seed(0x5049_5245_504f_5254);
    create_hashes(columns, &STATE, hashes)?;
    Ok(())
}

/// Which share of the hashes a pass counts: `passes` passes split the
/// hashes by their middle bits (the set's buckets use the low bits and its
/// tags the top ones, so every pass still spreads over its whole set).
#[derive(Clone, Copy)]
struct Share {
    pass: u64,
    passes: u64,
}

impl Share {
    fn holds(self, h: u64) -> bool {
        (h >> 32) % self.passes == self.pass
    }
}

/// The bytes a set of `n` hashes takes: a power-of-two table at most 7/8
/// full, of 8-byte values and 1-byte tags.
fn set_bytes(n: u64) -> usize {
    let buckets = (n.saturating_mul(8) / 7).max(4).next_power_of_two();
    usize::try_from(buckets.saturating_mul(9)).unwrap_or(usize::MAX)
}

/// The rows of `keys` (a frame of the key columns only, `rows` rows
/// expected) that repeat the key of another row: rows less distinct keys,
/// as `GROUP BY` counts them (a null equals a null). The hash set is
/// reserved from `pool`: when the pool cannot hold it (a `--memory-limit`
/// run), the hashes are counted in as many passes over the keys as it
/// takes for one pass's set to fit.
pub(crate) async fn duplicate_rows(
    keys: &DataFrame,
    rows: u64,
    pool: &Arc<dyn MemoryPool>,
) -> Result<u64> {
    duplicate_rows_with(keys, rows, pool, hash_rows).await
}

/// [`duplicate_rows`] with the row hashing given (tests force collisions).
pub(crate) async fn duplicate_rows_with(
    keys: &DataFrame,
    rows: u64,
    pool: &Arc<dyn MemoryPool>,
    hasher: RowHasher,
) -> Result<u64> {
    let reservation = MemoryConsumer::new("data quality: duplicate key hashes").register(pool);
    let mut passes = 1u64;
    while reservation.try_grow(set_bytes(rows / passes)).is_err() {
        if passes >= MAX_PASSES {
            return Err(DataFusionError::ResourcesExhausted(format!(
                "counting duplicate keys needs {} bytes even in {MAX_PASSES} passes",
                set_bytes(rows / passes)
            )));
        }
        passes *= 2;
    }
    let mut duplicates = 0;
    for pass in 0..passes {
        let share = Share { pass, passes };
        let repeated = repeated_hashes(keys, rows / passes, share, hasher).await?;
        if !repeated.is_empty() {
            duplicates += exact_duplicates(keys, &repeated, hasher).await?;
        }
    }
    Ok(duplicates)
}

/// The most passes over a table's keys before the count gives up.
const MAX_PASSES: u64 = 256;

/// Among the rows whose hash is in `repeated`, those repeating another's
/// key, the keys compared byte for byte (second pass).
async fn exact_duplicates(
    keys: &DataFrame,
    repeated: &HashSet64,
    hasher: RowHasher,
) -> Result<u64> {
    let fields = keys
        .schema()
        .fields()
        .iter()
        .map(|f| SortField::new(f.data_type().clone()))
        .collect();
    let converter = RowConverter::new(fields)?;
    let mut exact: HashSet<OwnedRow> = HashSet::new();
    let mut candidates = 0u64;
    let mut stream = keys.clone().execute_stream().await?;
    while let Some(batch) = stream.try_next().await? {
        let picked = rows_with_hashes(&batch, repeated, hasher)?;
        if picked.is_empty() {
            continue;
        }
        let indices = UInt32Array::from(picked);
        let columns = batch
            .columns()
            .iter()
            .map(|c| take(c.as_ref(), &indices, None))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let converted = converter.convert_columns(&columns)?;
        for row in converted.iter() {
            candidates += 1;
            exact.insert(row.owned());
        }
    }
    Ok(candidates - exact.len() as u64)
}

/// The hashes of `share` that more than one row of `keys` has (first
/// pass), in a set sized for `expected` of them.
async fn repeated_hashes(
    keys: &DataFrame,
    expected: u64,
    share: Share,
    hasher: RowHasher,
) -> Result<HashSet64> {
    let capacity = usize::try_from(expected).unwrap_or(0);
    let mut seen = HashSet64::with_capacity_and_hasher(capacity, Default::default());
    let mut repeated = HashSet64::default();
    let mut hashes = Vec::new();
    let mut stream = keys.clone().execute_stream().await?;
    while let Some(batch) = stream.try_next().await? {
        hashes.clear();
        hashes.resize(batch.num_rows(), 0);
        hasher(batch.columns(), &mut hashes)?;
        for h in hashes.iter().filter(|h| share.holds(**h)) {
            if !seen.insert(*h) {
                repeated.insert(*h);
            }
        }
    }
    Ok(repeated)
}

/// The positions in `batch` of the rows whose hash is in `wanted`.
fn rows_with_hashes(
    batch: &RecordBatch,
    wanted: &HashSet64,
    hasher: RowHasher,
) -> Result<Vec<u32>> {
    let mut hashes = vec![0u64; batch.num_rows()];
    hasher(batch.columns(), &mut hashes)?;
    Ok(hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| wanted.contains(h))
        .filter_map(|(i, _)| u32::try_from(i).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::execution::memory_pool::{GreedyMemoryPool, UnboundedMemoryPool};
    use datafusion::prelude::SessionContext;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// Every row hashes alike: every row is a candidate, so the exact pass
    /// alone decides.
    fn all_collide(_: &[ArrayRef], hashes: &mut [u64]) -> Result<()> {
        hashes.fill(7);
        Ok(())
    }

    fn frame(keys: &[(Option<i64>, Option<&str>)]) -> DataFrame {
        let a: ArrayRef = Arc::new(keys.iter().map(|k| k.0).collect::<Int64Array>());
        let b: ArrayRef = Arc::new(keys.iter().map(|k| k.1).collect::<StringArray>());
        let batch = RecordBatch::try_from_iter([("person_id", a), ("la_code", b)]).unwrap();
        // two batches, so repeats across batches are counted too
        let half = batch.num_rows() / 2;
        let parts = [
            batch.slice(0, half),
            batch.slice(half, batch.num_rows() - half),
        ];
        SessionContext::new().read_batches(parts).unwrap()
    }

    /// Rows less distinct keys, counted with an ordered set.
    fn by_hand(keys: &[(Option<i64>, Option<&str>)]) -> u64 {
        let distinct: BTreeSet<_> = keys.iter().collect();
        (keys.len() - distinct.len()) as u64
    }

    fn count(keys: &[(Option<i64>, Option<&str>)], hasher: RowHasher) -> u64 {
        let unbounded: Arc<dyn MemoryPool> = Arc::new(UnboundedMemoryPool::default());
        counted(keys, hasher, &unbounded)
    }

    fn counted(
        keys: &[(Option<i64>, Option<&str>)],
        hasher: RowHasher,
        pool: &Arc<dyn MemoryPool>,
    ) -> u64 {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(duplicate_rows_with(
            &frame(keys),
            keys.len() as u64,
            pool,
            hasher,
        ))
        .unwrap()
    }

    /// A pool too small for one set: the count is made in passes, and is
    /// the same.
    fn in_passes(keys: &[(Option<i64>, Option<&str>)], hasher: RowHasher) -> u64 {
        let small: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(set_bytes(4)));
        counted(keys, hasher, &small)
    }

    #[test]
    fn hand_worked_rows() {
        // (1,a) three times, (null,a) twice, (1,null) twice, (2,a) once:
        // 8 rows, 4 distinct keys, 4 duplicates
        let keys = [
            (Some(1), Some("a")),
            (None, Some("a")),
            (Some(1), None),
            (Some(1), Some("a")),
            (Some(2), Some("a")),
            (None, Some("a")),
            (Some(1), Some("a")),
            (Some(1), None),
        ];
        assert_eq!(count(&keys, hash_rows), 4);
        assert_eq!(count(&keys, all_collide), 4);
        assert_eq!(in_passes(&keys, hash_rows), 4);
        assert_eq!(count(&keys[..3], hash_rows), 0);
        assert_eq!(count(&keys[..3], all_collide), 0);
        assert_eq!(count(&[], hash_rows), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn matches_an_ordered_set(
            raw in proptest::collection::vec(
                (proptest::option::of(0i64..6), proptest::option::of(0usize..3)),
                0..60,
            )
        ) {
            let names = ["E06000001", "E06000002", ""];
            let keys: Vec<(Option<i64>, Option<&str>)> =
                raw.iter().map(|(p, l)| (*p, l.map(|i| names[i]))).collect();
            prop_assert_eq!(count(&keys, hash_rows), by_hand(&keys));
            prop_assert_eq!(count(&keys, all_collide), by_hand(&keys));
            prop_assert_eq!(in_passes(&keys, hash_rows), by_hand(&keys));
        }
    }
}
