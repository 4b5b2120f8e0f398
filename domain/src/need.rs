//! Support needs. Time-to-meet per domain is the core service measure.

vocabulary!(
    NeedDomain {
        Accommodation => "accommodation",
        HealthGp => "health_gp",
        MentalHealth => "mental_health",
        LegalImmigration => "legal_immigration",
        LegalCriminalJustice => "legal_criminal_justice",
        FinancesBenefits => "finances_benefits",
        Safety => "safety",
        Interpreting => "interpreting",
        EducationTraining => "education_training",
        Employment => "employment",
        SocialConnection => "social_connection",
        SubstanceUse => "substance_use",
        Practical => "practical",
    }
);

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::FieldErrors;
use crate::ids::{CaseId, NeedId};
use crate::principal::Subject;

vocabulary!(
    NeedStatus {
        Open => "open",
        Met => "met",
        NotMet => "not_met",
        Withdrawn => "withdrawn",
    }
);

/// A need's state: its status and, once met, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedState {
    pub identified_on: NaiveDate,
    pub status: NeedStatus,
    pub met_on: Option<NaiveDate>,
}

impl NeedState {
    /// Checks the state on `today`: `met_on` is given exactly when the status is met, and lies
    /// between identification and today.
    pub fn validate(self, today: NaiveDate) -> Result<NeedState, FieldErrors> {
        let mut errs = FieldErrors::new();
        if self.identified_on > today || self.identified_on < crate::case::nrm_start() {
            errs.push("identified_on", "must be between 2009-04-01 and today");
        }
        match (self.status, self.met_on) {
            (NeedStatus::Met, None) => errs.push("met_on", "is required when the need is met"),
            (NeedStatus::Met, Some(on)) if on < self.identified_on || on > today => {
                errs.push("met_on", "must be between the day the need was identified and today")
            }
            (NeedStatus::Open | NeedStatus::NotMet | NeedStatus::Withdrawn, Some(_)) => {
                errs.push("met_on", "is only given when the need is met")
            }
            _ => {}
        }
        errs.into_result().map(|()| self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub id: NeedId,
    pub case_id: CaseId,
    pub domain: NeedDomain,
    pub state: NeedState,
    pub version: i32,
    pub created_by: Subject,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Need {
    /// The date the need was met, if it was.
    pub fn met(&self) -> Option<(NeedDomain, NaiveDate)> {
        self.state.met_on.filter(|_| self.state.status == NeedStatus::Met).map(|on| (self.domain, on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_states() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap_or_default();
        let ok = |status, met_on| NeedState { identified_on: d(2), status, met_on }.validate(d(20)).is_ok();
        assert!(ok(NeedStatus::Open, None));
        assert!(ok(NeedStatus::Met, Some(d(10))));
        assert!(!ok(NeedStatus::Met, None));
        assert!(!ok(NeedStatus::Met, Some(d(1))));
        assert!(!ok(NeedStatus::Met, Some(d(21))));
        assert!(!ok(NeedStatus::Withdrawn, Some(d(10))));
    }
}
