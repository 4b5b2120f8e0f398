//! List paging: `limit` (1–200, default 50) and opaque cursors.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be between {} and {}", Limit::MIN, Limit::MAX)]
pub struct InvalidLimit;

impl Limit {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 200;
    pub const DEFAULT: Limit = Limit(50);

    pub fn parse(value: Option<i64>) -> Result<Self, InvalidLimit> {
        match value {
            None => Ok(Self::DEFAULT),
            Some(v) if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&v) => u16::try_from(v).map(Limit).map_err(|_| InvalidLimit),
            Some(_) => Err(InvalidLimit),
        }
    }

    /// A page size the service chooses itself (its pages' and forms' lists), brought within
    /// [`Limit::MIN`]..=[`Limit::MAX`]: no error to handle for a number written in the code.
    pub const fn clamped(n: u16) -> Self {
        if n < Self::MIN {
            Limit(Self::MIN)
        } else if n > Self::MAX {
            Limit(Self::MAX)
        } else {
            Limit(n)
        }
    }

    pub const fn get(self) -> u16 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Limit::DEFAULT
    }
}

/// One page of results and the cursor of the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only proves
    /// there is a next page, whose cursor is taken from the last row kept.
    pub fn from_overfetch(mut rows: Vec<T>, limit: Limit, cursor_of: impl Fn(&T) -> C) -> Self {
        let limit = usize::from(limit.get());
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_chosen_size_is_brought_within_the_limits() {
        use super::Limit;
        assert_eq!(Limit::clamped(0).get(), Limit::MIN);
        assert_eq!(Limit::clamped(50).get(), 50);
        assert_eq!(Limit::clamped(1000).get(), Limit::MAX);
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limit_bounds() {
        assert_eq!(Limit::parse(None), Ok(Limit::DEFAULT));
        assert_eq!(Limit::parse(Some(1)).map(Limit::get), Ok(1));
        assert_eq!(Limit::parse(Some(200)).map(Limit::get), Ok(200));
        assert!(Limit::parse(Some(0)).is_err());
        assert!(Limit::parse(Some(201)).is_err());
        assert!(Limit::parse(Some(-1)).is_err());
        assert!(Limit::parse(Some(i64::MAX)).is_err());
    }

    proptest! {
        #[test]
        fn overfetch_pages_cover_everything_once(n in 0usize..500, limit in 1i64..=200) {
            let limit = Limit::parse(Some(limit)).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let all: Vec<usize> = (0..n).collect();
            let mut seen = Vec::new();
            let mut start = 0usize;
            loop {
                let rows: Vec<usize> = all.iter().copied().skip(start).take(usize::from(limit.get()) + 1).collect();
                let page = Page::from_overfetch(rows, limit, |x| *x + 1);
                seen.extend(page.items);
                match page.next { Some(c) => start = c, None => break }
            }
            prop_assert_eq!(seen, all);
        }
    }
}
