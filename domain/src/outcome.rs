//! Outcomes, aligned to the Modern Slavery Core Outcome Set (MSCOS, 2023), plus adverse outcomes.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ids::{CaseId, InterventionId, OutcomeId};
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    OutcomeKind {
        SecureSuitableHousing => "secure_suitable_housing",
        SafetyFromTrafficker => "safety_from_trafficker",
        LongTermConsistentSupport => "long_term_consistent_support",
        CompassionateTraumaInformedServices => "compassionate_trauma_informed_services",
        PurposeSelfActualisation => "purpose_self_actualisation",
        AccessToMedicalTreatment => "access_to_medical_treatment",
        AccessToEducation => "access_to_education",
        ReExploited => "re_exploited",
        LostContact => "lost_contact",
        Detained => "detained",
        Removed => "removed",
    }
);

impl OutcomeKind {
    /// One of the seven MSCOS core outcomes (the others are adverse).
    pub fn is_core(self) -> bool {
        !matches!(self, OutcomeKind::ReExploited | OutcomeKind::LostContact | OutcomeKind::Detained | OutcomeKind::Removed)
    }
}

bounded_text!(
    /// What shows the outcome was reached.
    Evidence, max = 2000, multiline = true
);

/// A 0–10 distance-travelled score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number from 0 to 10")]
pub struct InvalidScore;

impl Score {
    pub fn parse(n: i64) -> Result<Self, InvalidScore> {
        u8::try_from(n).ok().filter(|n| *n <= 10).map(Score).ok_or(InvalidScore)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutcome {
    pub outcome: OutcomeKind,
    pub achieved_on: NaiveDate,
    pub evidence: Option<Evidence>,
    pub score: Option<Score>,
    pub intervention_ids: Vec<InterventionId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub id: OutcomeId,
    pub case_id: CaseId,
    pub details: NewOutcome,
    pub recorded_by: Subject,
    pub recorded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_core_outcomes() {
        assert!(Score::parse(0).is_ok() && Score::parse(10).is_ok());
        assert!(Score::parse(11).is_err() && Score::parse(-1).is_err());
        assert_eq!(OutcomeKind::ALL.iter().filter(|o| o.is_core()).count(), 7);
    }
}
