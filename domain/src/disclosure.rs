//! Disclosure control for commissioners' reports (DESIGN.md §8): no small count may reach them,
//! and no hidden cell may be recovered from its total.
//!
//! Defaults: counts 1–7 are suppressed (shown as suppressed, not zero); other counts in
//! breakdowns are rounded to the nearest 5; medians and percentiles only where n ≥ 10; and when
//! a breakdown with a published total has exactly one suppressed cell, the next smallest cell is
//! suppressed too (secondary suppression), so that the hidden one cannot be had by subtraction.

/// The thresholds in force (configurable per deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Counts from 1 to this are suppressed.
    pub suppress_up_to: u64,
    /// Counts in breakdowns are rounded to a multiple of this (1: not rounded).
    pub round_to: u64,
    /// Medians and percentiles need at least this many values.
    pub min_n_for_statistics: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { suppress_up_to: 7, round_to: 5, min_n_for_statistics: 10 }
    }
}

/// A published count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Shown as it is (zero, or exact figures for a coordinator).
    Exact(u64),
    /// Rounded to the policy's multiple.
    Rounded(u64),
    /// Withheld: too small to publish, or able to reveal one that is.
    Suppressed,
}

impl Cell {
    /// The figure shown, if any.
    pub fn shown(self) -> Option<u64> {
        match self {
            Cell::Exact(n) | Cell::Rounded(n) => Some(n),
            Cell::Suppressed => None,
        }
    }
}

impl Policy {
    /// Exact figures: what coordinators of their own network may see.
    pub const EXACT: Policy = Policy { suppress_up_to: 0, round_to: 1, min_n_for_statistics: 1 };

    fn round(self, n: u64) -> u64 {
        if self.round_to <= 1 {
            return n;
        }
        ((n + self.round_to / 2) / self.round_to) * self.round_to
    }

    /// A single count (a headline total): suppressed when small, otherwise shown exactly.
    pub fn total(self, n: u64) -> Cell {
        if n >= 1 && n <= self.suppress_up_to {
            Cell::Suppressed
        } else {
            Cell::Exact(n)
        }
    }

    /// The cells of one breakdown and, if published, its total. Small cells are suppressed,
    /// the rest rounded; if that leaves exactly one suppressed cell beside a published total,
    /// the smallest other non-zero cell is suppressed as well.
    pub fn breakdown(self, cells: &[u64], total: Option<u64>) -> (Vec<Cell>, Option<Cell>) {
        let mut out: Vec<Cell> = cells
            .iter()
            .map(|&n| match n {
                0 => Cell::Exact(0),
                n if n <= self.suppress_up_to => Cell::Suppressed,
                n if self.round_to > 1 => Cell::Rounded(self.round(n)),
                n => Cell::Exact(n),
            })
            .collect();
        let total_cell = total.map(|t| self.total(t));
        let suppressed = out.iter().filter(|c| **c == Cell::Suppressed).count();
        if suppressed == 1 && total_cell.is_some_and(|t| t != Cell::Suppressed) {
            let next = cells
                .iter()
                .enumerate()
                .filter(|(i, n)| **n > 0 && out[*i] != Cell::Suppressed)
                .min_by_key(|(i, n)| (**n, *i))
                .map(|(i, _)| i);
            match next {
                Some(i) => out[i] = Cell::Suppressed,
                // Nothing else to hide behind: withhold the total instead.
                None => return (out, Some(Cell::Suppressed)),
            }
        }
        (out, total_cell)
    }

    /// A median or percentile, given only where there are enough values behind it.
    pub fn statistic(self, n: u64, value: Option<f64>) -> Option<f64> {
        value.filter(|_| n >= self.min_n_for_statistics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Cell::*;

    #[test]
    fn small_counts_are_suppressed_and_others_rounded() {
        let p = Policy::default();
        assert_eq!(p.total(7), Suppressed);
        assert_eq!(p.total(8), Exact(8));
        assert_eq!(p.total(0), Exact(0));
        let (cells, _) = p.breakdown(&[0, 1, 7, 8, 12, 13, 102], None);
        assert_eq!(cells, [Exact(0), Suppressed, Suppressed, Rounded(10), Rounded(10), Rounded(15), Rounded(100)]);
        assert_eq!(p.statistic(9, Some(4.5)), None);
        assert_eq!(p.statistic(10, Some(4.5)), Some(4.5));
    }

    #[test]
    fn a_total_cannot_reveal_a_single_hidden_cell() {
        let p = Policy::default();
        // 3 + 20 + 30 = 53: with only the 3 hidden, 53 - 20 - 30 would give it away.
        let (cells, total) = p.breakdown(&[3, 20, 30], Some(53));
        assert_eq!(cells, [Suppressed, Suppressed, Rounded(30)]);
        assert_eq!(total, Some(Exact(53)));
        // Two hidden cells already protect each other.
        let (cells, _) = p.breakdown(&[3, 5, 30], Some(38));
        assert_eq!(cells, [Suppressed, Suppressed, Rounded(30)]);
        // No total, no secondary suppression.
        let (cells, _) = p.breakdown(&[3, 20, 30], None);
        assert_eq!(cells, [Suppressed, Rounded(20), Rounded(30)]);
        // Nothing else to hide behind: the total is withheld.
        let (cells, total) = p.breakdown(&[3, 0], Some(3));
        assert_eq!((cells, total), (vec![Suppressed, Exact(0)], Some(Suppressed)));
    }

    #[test]
    fn coordinators_may_have_exact_figures() {
        let (cells, total) = Policy::EXACT.breakdown(&[1, 2, 12], Some(15));
        assert_eq!(cells, [Exact(1), Exact(2), Exact(12)]);
        assert_eq!(total, Some(Exact(15)));
    }

    proptest! {
        /// Whatever the counts, no published cell is a small count, and no published total can be
        /// used to recover exactly one hidden cell.
        #[test]
        fn no_small_count_is_published(cells in prop::collection::vec(0u64..60, 1..8)) {
            let p = Policy::default();
            let total: u64 = cells.iter().sum();
            let (out, total_cell) = p.breakdown(&cells, Some(total));
            for (n, c) in cells.iter().zip(&out) {
                if c.shown().is_some() {
                    prop_assert!(!(1..=p.suppress_up_to).contains(n), "{n} published");
                }
            }
            let hidden = out.iter().filter(|c| **c == Suppressed).count();
            if total_cell.and_then(Cell::shown).is_some() {
                prop_assert!(hidden != 1);
            }
        }
    }
}
