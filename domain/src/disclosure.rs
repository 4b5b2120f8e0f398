//! Disclosure control for commissioners' reports by the cell key method (see
//! docs/disclosure-control.md), the method of the Australian Bureau of Statistics' TableBuilder
//! and of the ONS's flexible tables for Census 2021.
//!
//! Every case has a fixed random record key in [0, 2^32), stored once and never shown. A count's
//! cell key is the sum, modulo 2^32, of the record keys of exactly the records it counts, so the
//! same cell has the same key however it is asked for (any filter, any format, any day). Each
//! published count is perturbed by a value looked up in the perturbation table [`PTABLE`] by the
//! count and its cell key: the same cell always gets the same answer, and differencing two
//! reports gives noise rather than a person. Counts from 1 to the threshold are never published
//! (they read `suppressed`); zeros are published as zeros (structural zeros: no records, nothing
//! to protect about anyone; the minimum population of a filtered report keeps small scopes out).
//! Totals are perturbed like any other cell, with their own cell key: no exact total stands
//! beside perturbed parts.

/// The thresholds in force (configurable per deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Counts from 1 to this are never published.
    pub suppress_up_to: u64,
    /// Medians, percentiles, means and shares need at least this many values.
    pub min_n_for_statistics: u64,
    /// Perturb counts by the cell key method (false: exact figures).
    pub perturb: bool,
    /// A filtered report needs at least this many people supported in its scope and period.
    pub min_population: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { suppress_up_to: 7, min_n_for_statistics: 10, perturb: true, min_population: 20 }
    }
}

/// A count and the cell key of exactly the records it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    pub n: u64,
    pub key: u32,
}

impl Count {
    /// The cell of disjoint cells taken together: the counts add up, and so do the keys.
    pub fn sum(parts: &[Count]) -> Count {
        parts.iter().fold(Count::default(), |a, c| Count { n: a.n + c.n, key: a.key.wrapping_add(c.key) })
    }
}

/// A published count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// As computed: zero, or exact figures for a coordinator.
    Exact(u64),
    /// Perturbed by the cell key method.
    Perturbed(u64),
    /// Withheld: a count from 1 to the threshold.
    Suppressed,
}

impl Cell {
    /// The figure shown, if any.
    pub fn shown(self) -> Option<u64> {
        match self {
            Cell::Exact(n) | Cell::Perturbed(n) => Some(n),
            Cell::Suppressed => None,
        }
    }
}

/// One row of the perturbation table: the perturbations allowed for the counts it covers, each
/// with its probability in millionths (the row adds up to 1,000,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtableRow {
    /// The row covers counts this far above the threshold (1, 2, or 3 and over).
    pub above_threshold: u64,
    pub perturbations: &'static [(i64, u32)],
}

/// The perturbation table. Above the threshold T: a count of T+1 is published as itself (80%)
/// or one more (20%); T+2 as one less (30%), itself (40%) or one more (30%); T+3 and over as
/// itself (40%), one either way (20% each) or two either way (10% each). So no count is ever
/// published at or below T, the perturbation is never more than 2, and its mean is zero but
/// for T+1 (+0.2). The variance of the main row is 1.2.
pub const PTABLE: [PtableRow; 3] = [
    PtableRow { above_threshold: 1, perturbations: &[(0, 800_000), (1, 200_000)] },
    PtableRow { above_threshold: 2, perturbations: &[(-1, 300_000), (0, 400_000), (1, 300_000)] },
    PtableRow { above_threshold: 3, perturbations: &[(-2, 100_000), (-1, 200_000), (0, 400_000), (1, 200_000), (2, 100_000)] },
];

/// The perturbation of count `n` (above `threshold`) with cell key `key`: the key's position in
/// [0, 2^32) picks the entry of the table's row whose cumulative probability it falls under.
pub fn perturbation(n: u64, threshold: u64, key: u32) -> i64 {
    let above = n.saturating_sub(threshold).clamp(1, 3);
    let row = PTABLE.iter().find(|r| r.above_threshold == above).unwrap_or(&PTABLE[2]);
    // The key scaled to millionths: u = key / 2^32, in [0, 1).
    let u = (u64::from(key) * 1_000_000) >> 32;
    let mut cumulative = 0u64;
    for (d, p) in row.perturbations {
        cumulative += u64::from(*p);
        if u < cumulative {
            return *d;
        }
    }
    0
}

impl Policy {
    /// Exact figures: what coordinators of their own network may see.
    pub const EXACT: Policy = Policy { suppress_up_to: 0, min_n_for_statistics: 1, perturb: false, min_population: 0 };

    /// A count as published.
    pub fn count(self, c: Count) -> Cell {
        if !self.perturb {
            return Cell::Exact(c.n);
        }
        match c.n {
            0 => Cell::Exact(0),
            n if n <= self.suppress_up_to => Cell::Suppressed,
            n => Cell::Perturbed(n.saturating_add_signed(perturbation(n, self.suppress_up_to, c.key))),
        }
    }

    /// A median, percentile or mean, given only where there are enough values behind it;
    /// rounded to a whole number in protected reports.
    pub fn statistic(self, n: u64, value: Option<f64>) -> Option<f64> {
        let value = value.filter(|_| n >= self.min_n_for_statistics)?;
        Some(if self.perturb { value.round() } else { (value * 10.0).round() / 10.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Cell::*;

    #[test]
    fn the_table_rows_add_up_and_never_reach_the_threshold() {
        for row in PTABLE {
            assert_eq!(row.perturbations.iter().map(|(_, p)| u64::from(*p)).sum::<u64>(), 1_000_000);
            for (d, _) in row.perturbations {
                assert!(i64::try_from(row.above_threshold).unwrap_or(0) + d >= 1, "row {}", row.above_threshold);
            }
        }
        let mean = |row: &PtableRow| row.perturbations.iter().map(|(d, p)| *d as f64 * f64::from(*p)).sum::<f64>() / 1e6;
        assert_eq!(mean(&PTABLE[2]), 0.0);
        assert_eq!(mean(&PTABLE[1]), 0.0);
    }

    #[test]
    fn small_counts_are_withheld_zeros_kept_and_others_perturbed() {
        let p = Policy::default();
        assert_eq!(p.count(Count { n: 0, key: 12345 }), Exact(0));
        for n in 1..=7 {
            assert_eq!(p.count(Count { n, key: 99 }), Suppressed);
        }
        // The key picks the perturbation: u = 0 is the first entry, u near 1 the last.
        assert_eq!(p.count(Count { n: 100, key: 0 }), Perturbed(98));
        assert_eq!(p.count(Count { n: 100, key: u32::MAX }), Perturbed(102));
        assert_eq!(p.count(Count { n: 8, key: 0 }), Perturbed(8));
        assert_eq!(Policy::EXACT.count(Count { n: 3, key: 0 }), Exact(3));
        assert_eq!(p.statistic(9, Some(4.5)), None);
        assert_eq!(p.statistic(10, Some(4.4)), Some(4.0));
        assert_eq!(Policy::EXACT.statistic(1, Some(4.44)), Some(4.4));
    }

    #[test]
    fn sums_of_cells_add_their_keys() {
        let c = Count::sum(&[Count { n: 2, key: u32::MAX }, Count { n: 3, key: 2 }]);
        assert_eq!(c, Count { n: 5, key: 1 });
    }

    proptest! {
        /// The same cell always gets the same answer, never one in the protected range, and
        /// never more than 2 from the truth.
        #[test]
        fn perturbation_is_deterministic_per_cell_and_never_publishes_a_small_count(
            n in 0u64..10_000, key: u32, threshold in 0u64..20,
        ) {
            let p = Policy { suppress_up_to: threshold, ..Policy::default() };
            let c = Count { n, key };
            let first = p.count(c);
            prop_assert_eq!(first, p.count(c));
            if let Some(v) = first.shown() {
                prop_assert!(v == 0 || v > threshold, "{} published for {}", v, n);
                prop_assert!(v.abs_diff(n) <= 2);
                prop_assert_eq!(v == 0, n == 0);
            }
        }

        /// Over many cells, the perturbation averages out (the table's main row has mean zero).
        #[test]
        fn the_perturbation_is_unbiased_above_the_first_rows(seed: u64) {
            let mut key = seed as u32;
            let mut total = 0i64;
            for _ in 0..2_000 {
                key = key.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                total += perturbation(100, 7, key);
            }
            prop_assert!(total.abs() < 200, "mean perturbation {}", total as f64 / 2000.0);
        }
    }
}
