//! Support needs (DESIGN.md §3). Time-to-meet per domain is the core service measure.

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
