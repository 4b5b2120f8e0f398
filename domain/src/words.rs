//! People's words: the one table of what every vocabulary a person reads is called on a page,
//! in the printable report, in a CSV's headings and in an email. The API keeps its codes
//! ([`as_str`](crate::case::Stage::as_str)); everything a person reads goes through
//! [`Words::words`].
//!
//! Each table is an exhaustive `match`: a value added to a vocabulary does not compile until it
//! has its words here.

use crate::action::ActionStatus;
use crate::agency::AgencyKind;
use crate::audit::{AuditAction, AuditOutcome, EntityType, Purpose};
use crate::case::Stage;
use crate::case::{AgeBand, DataSharing, ExploitationType, Gender, Jurisdiction, NrmConsent};
use crate::challenge::{ChallengeStatus, Urgency};
use crate::event::{ClosureReason, CompetentAuthority, DecisionOutcome, DisqualificationGround, EventType};
use crate::import::{SheetKind, Target};
use crate::intervention::{Channel, Direction};
use crate::need::{NeedDomain, NeedStatus};
use crate::notify::{AskAnswer, DigestFrequency, Topic};
use crate::outcome::OutcomeKind;
use crate::principal::Role;
use crate::report::{AgeGroup, FigureStatus, Section, Unit};
use crate::rules::{DeadlineKind, DeadlineStatus};

/// A vocabulary value as a person reads it: a sentence-case phrase, abbreviations as people
/// write them ("NRM", "GP").
pub trait Words: Copy {
    fn words(self) -> &'static str;
}

macro_rules! words {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl Words for $ty {
            fn words(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
        }
    };
}

words!(Stage {
    Intake => "Intake",
    NrmReferred => "NRM referred",
    DtnOnly => "Duty to Notify only",
    RecoveryPeriod => "Recovery period",
    AwaitingCg => "Awaiting conclusive grounds decision",
    MoveOn => "Move-on support",
    ExitSupport => "Exit support",
    AwaitingReconsideration => "Awaiting reconsideration",
    Closed => "Closed",
});

words!(ChallengeStatus {
    Raised => "Raised",
    Accepted => "Accepted for the network",
    Declined => "Declined",
    BeingWorked => "Being worked on",
    Resolved => "Resolved",
    Escalated => "Taken to the national forum",
});

words!(Urgency {
    Routine => "Routine",
    Soon => "Soon",
    Urgent => "Urgent",
});

words!(Gender {
    Female => "Female",
    Male => "Male",
    TransgenderFemale => "Transgender female",
    TransgenderMale => "Transgender male",
    NonConforming => "Gender non-conforming",
    NotSpecified => "Not specified",
});

words!(ExploitationType {
    Labour => "Labour exploitation",
    Sexual => "Sexual exploitation",
    Criminal => "Criminal exploitation",
    DomesticServitude => "Domestic servitude",
    OrganHarvesting => "Organ harvesting",
    Other => "Other exploitation",
    Unknown => "Not known",
});

words!(Jurisdiction {
    EnglandWales => "England and Wales",
    Scotland => "Scotland",
    NorthernIreland => "Northern Ireland",
});

words!(NrmConsent {
    Given => "Consented to the NRM",
    Declined => "Declined the NRM (Duty to Notify)",
    NotRequiredChild => "Not needed: a child",
});

words!(DataSharing {
    Share => "Share with the agencies on the case",
    Confidential => "Confidential",
    Anonymous => "Anonymous",
});

words!(AgeBand {
    Under12 => "Under 12",
    From12To15 => "12 to 15",
    From16To17 => "16 or 17",
    From18To24 => "18 to 24",
    From25To34 => "25 to 34",
    From35To44 => "35 to 44",
    From45To54 => "45 to 54",
    From55 => "55 or over",
    Unknown => "Age not known",
});

words!(ActionStatus {
    Open => "Open",
    Done => "Done",
    Cancelled => "Will not be done",
});

words!(Role {
    Coordinator => "Victim care coordinator",
    Partner => "Partner agency",
    Commissioner => "Commissioner",
    Auditor => "Auditor",
    Admin => "Administrator",
});

words!(AuditAction {
    Create => "Created",
    Read => "Read",
    Update => "Changed",
    Delete => "Deleted",
    Execute => "Ran",
});

words!(AuditOutcome {
    Success => "Succeeded",
    Denied => "Refused",
    Failed => "Not found",
});

words!(EntityType {
    Agency => "Agency",
    Case => "Case",
    CaseTeam => "Case team",
    CaseEvent => "Case event",
    Deadline => "Deadline",
    Intervention => "Intervention",
    Action => "Action",
    Need => "Need",
    Outcome => "Outcome",
    Report => "Report",
    AuditTrail => "Audit trail",
    User => "Account",
    Session => "Session",
    ApiClient => "API client",
    Token => "Access token",
    WebhookEndpoint => "Webhook endpoint",
    Ask => "What happened? ask",
    CalendarFeed => "Calendar feed",
    Notification => "Notification",
    Challenge => "Challenge",
    Meeting => "Meeting",
    ForumBundle => "Forum bundle",
    ForumNetwork => "Network registered with the forum",
    SubjectAccessRequest => "Subject access request",
    CaseImport => "Caseload import",
});

words!(SheetKind {
    Cases => "Cases",
    Events => "Events",
    Interventions => "Interventions",
});

words!(Target {
    Reference => "Old case reference",
    KnownAs => "Known as",
    BirthYear => "Year of birth",
    DateOfBirth => "Date of birth",
    PresumedChild => "Presumed a child",
    Gender => "Gender",
    Nationalities => "Nationalities",
    Languages => "Languages",
    InterpreterNeeded => "Needs an interpreter",
    ExploitationTypes => "Kinds of exploitation",
    CountyLines => "County lines",
    Jurisdiction => "Law that applies",
    LocalAuthority => "Local authority",
    NrmConsent => "Consent to the NRM",
    DataSharing => "Consent to share information",
    ConsentRecordedOn => "Consent recorded on",
    EventType => "What happened",
    EventDate => "Event date",
    Outcome => "Decision",
    CompetentAuthority => "Competent authority",
    FirstResponder => "First responder",
    ClosureReason => "Why the case closed",
    OccurredAt => "When",
    Channel => "How",
    Direction => "Who contacted whom",
    Counterpart => "With which agency",
    NeedDomain => "Need",
    Summary => "Summary",
    DurationMinutes => "Minutes",
});

words!(Topic {
    ActionCreated => "An action was agreed",
    ActionClosed => "An action was closed",
    ActionDueSoon => "An action is due soon",
    ActionOverdue => "An action is overdue",
    DeadlineDueSoon => "A deadline is due soon",
    DeadlineOverdue => "A deadline is overdue",
    TeamAdded => "Put on a case team",
    TeamRemoved => "Taken off a case team",
    AskDue => "Asked what happened",
    AskAnswered => "Said what happened",
    Digest => "Digest email",
});

words!(DigestFrequency {
    Daily => "Every working day",
    Weekly => "Once a week",
    Off => "Never",
});

words!(AskAnswer {
    Done => "Done",
    InProgress => "Still in progress",
    CouldNotHelp => "Could not help",
});

words!(Purpose {
    Treatment => "Care coordination",
    Oversight => "Audit",
    Retention => "Retention",
    Erasure => "Erasure",
    Commissioning => "Commissioning",
    CaseList => "Case list",
    ActionList => "List of actions",
    DeadlineQueue => "What is due",
    SubjectAccess => "Subject access request",
    DataSharing => "Anonymised data sharing (HTCDS)",
});

words!(EventType {
    SupportStarted => "Support started",
    NrmReferralSubmitted => "NRM referral submitted",
    DutyToNotifySubmitted => "Duty to Notify submitted",
    ReasonableGroundsDecision => "Reasonable grounds decision",
    ConclusiveGroundsDecision => "Conclusive grounds decision",
    ReconsiderationRequested => "Reconsideration requested",
    Disqualified => "Disqualified from support",
    RecoveryNeedsAssessmentSubmitted => "Recovery Needs Assessment submitted",
    CaseClosed => "Case closed",
    CaseReopened => "Case reopened",
    Correction => "Correction",
});

words!(DecisionOutcome {
    Positive => "Positive",
    Negative => "Negative",
});

words!(CompetentAuthority {
    Sca => "Single Competent Authority",
    Ieca => "Immigration Enforcement Competent Authority",
    DevolvedChildPilot => "Devolved decision-making pilot for children",
});

words!(DisqualificationGround {
    PublicOrder => "Public order",
    BadFaith => "Bad faith",
});

words!(ClosureReason {
    MovedOn => "Moved on",
    LostContact => "Lost contact",
    DeclinedSupport => "Declined support",
    Transferred => "Transferred",
    ReturnedHome => "Returned home",
    Other => "Other reason",
});

words!(DeadlineKind {
    Deadline => "Deadline",
    Milestone => "Milestone",
});

words!(DeadlineStatus {
    Open => "Open",
    Met => "Met",
    Missed => "Missed",
    Waived => "Waived",
    EndedEarly => "Support ended early",
});

words!(OutcomeKind {
    SecureSuitableHousing => "Secure, suitable housing",
    SafetyFromTrafficker => "Safe from the trafficker",
    LongTermConsistentSupport => "Long-term, consistent support",
    CompassionateTraumaInformedServices => "Compassionate, trauma-informed services",
    PurposeSelfActualisation => "A sense of purpose",
    AccessToMedicalTreatment => "Access to medical treatment",
    AccessToEducation => "Access to education",
    ReExploited => "Re-exploited",
    LostContact => "Lost contact",
    Detained => "Detained",
    Removed => "Removed from the UK",
});

words!(AgeGroup {
    Adult => "Adults",
    Child => "Children",
});

words!(Section {
    Caseload => "Caseload",
    People => "The people supported",
    Nrm => "The National Referral Mechanism",
    Deadlines => "Deadlines",
    Needs => "Needs",
    Interventions => "Interventions",
    Actions => "Follow-up actions",
    Outcomes => "Outcomes",
    Network => "The network's own work",
});

words!(Unit {
    Count => "Count",
    Percent => "Per cent",
    Days => "Days",
    PerCase => "Per case",
});

words!(FigureStatus {
    Exact => "Exact",
    Perturbed => "Rounded to protect people",
    Suppressed => "Withheld: too few people",
    InsufficientData => "Too few to say",
});

words!(AgencyKind {
    Police => "Police",
    LocalAuthorityAdultSocialCare => "Adult social care",
    LocalAuthorityChildrensServices => "Children's services",
    LocalAuthorityHousing => "Council housing",
    HealthGp => "GP practice",
    HealthHospital => "Hospital",
    HealthPublicHealth => "Public health",
    Ngo => "Charity or NGO",
    RedCross => "British Red Cross",
    VictimCareContractProvider => "Victim care contract provider",
    ImmigrationHomeOffice => "Home Office immigration",
    Glaa => "Gangmasters and Labour Abuse Authority",
    Dwp => "Department for Work and Pensions",
    LegalService => "Legal service",
    Business => "Business",
    FaithCommunity => "Faith community",
    Other => "Other agency",
});

words!(Channel {
    PhoneCall => "Phone call",
    Email => "Email",
    Meeting => "Meeting",
    VideoCall => "Video call",
    TextMessage => "Text message",
    Letter => "Letter",
    Visit => "Visit",
    Other => "Other",
});

words!(Direction {
    Outbound => "We contacted them",
    Inbound => "They contacted us",
});

words!(NeedDomain {
    Accommodation => "Accommodation",
    HealthGp => "GP registration",
    MentalHealth => "Mental health",
    LegalImmigration => "Immigration advice",
    LegalCriminalJustice => "Criminal justice",
    FinancesBenefits => "Money and benefits",
    Safety => "Safety",
    Interpreting => "Interpreting",
    EducationTraining => "Education and training",
    Employment => "Employment",
    SocialConnection => "Social connection",
    SubstanceUse => "Substance use",
    Practical => "Practical help",
});

words!(NeedStatus {
    Open => "Open",
    Met => "Met",
    NotMet => "Not met",
    Withdrawn => "Withdrawn",
});

/// A code of a vocabulary this table does not know (a deployment's own rule, say) as a
/// sentence: "post_cg_support_end" → "Post CG support end".
pub fn sentence(code: &str) -> String {
    let words: Vec<String> = code
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "uk" | "gp" | "rg" | "cg" | "nrm" | "dtn" | "dwp" | "glaa" | "ngo" => w.to_uppercase(),
            other => other.to_owned(),
        })
        .collect();
    let text = words.join(" ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// A statistic of the outcome report, as its table's heading reads.
pub fn statistic(stat: &str) -> String {
    match stat {
        "count" => "Number".to_owned(),
        "total" => "Total".to_owned(),
        "mean" => "Average".to_owned(),
        "median" => "Median".to_owned(),
        "median_days" => "Median days".to_owned(),
        "p90_days" => "Days for 9 in 10".to_owned(),
        "share_met" => "Per cent met by the due date".to_owned(),
        "share_within" => "Per cent within the standard".to_owned(),
        "share_on_time" => "Per cent done on time".to_owned(),
        "share_answered" => "Per cent answered".to_owned(),
        "share_resolved" => "Per cent resolved".to_owned(),
        "share_ended_early" => "Per cent ended early".to_owned(),
        other => sentence(other),
    }
}

/// A category of an outcome report's measure, in the words of the vocabulary the measure is
/// broken down by (its id says which), or of the report's own categories. Rules are named by
/// the rule book (`RuleBook::rule_name`), which this table does not repeat.
pub fn category(measure: &str, code: &str) -> String {
    fn of<T: Words>(v: Option<T>) -> Option<&'static str> {
        v.map(Words::words)
    }
    let known = match measure {
        "caseload.closed_by_reason" => of(ClosureReason::parse(code)),
        "people.exploitation_type" => of(ExploitationType::parse(code)),
        "people.age_group" => of(AgeGroup::parse(code)),
        "needs.by_domain" => of(NeedDomain::parse(code)),
        "interventions.by_channel" => of(Channel::parse(code)),
        "interventions.by_counterpart_kind" | "actions.asks_by_agency_kind" | "network.actions_by_agency_kind" => {
            of(AgencyKind::parse(code))
        }
        "outcomes.core" | "outcomes.adverse" => of(OutcomeKind::parse(code)),
        "nrm.rg_decisions" | "nrm.cg_decisions" => of(DecisionOutcome::parse(code)),
        _ => None,
    };
    if let Some(w) = known {
        return w.to_owned();
    }
    match code {
        "uk" => "UK nationals".to_owned(),
        "non_uk" => "Other nationalities".to_owned(),
        "within_10_days" => "Within 10 days".to_owned(),
        "within_5_working_days" => "Within 5 working days".to_owned(),
        "met" => "Met".to_owned(),
        "missed" => "Missed".to_owned(),
        "later" => "Later".to_owned(),
        "not_met" => "Not met".to_owned(),
        "done_by_due_date" => "Done by the due date".to_owned(),
        "done_late" => "Done late".to_owned(),
        "overdue" => "Overdue".to_owned(),
        "not_yet_due" => "Not yet due".to_owned(),
        "answered" => "Answered".to_owned(),
        "unanswered" => "Unanswered after 14 days".to_owned(),
        "waiting" => "Still waiting".to_owned(),
        "cancelled" => "Cancelled".to_owned(),
        other => sentence(other),
    }
}

/// A date as people in the UK read it: "2 December 2026".
pub fn long_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// How soon `due` is, from `today`: "3 days overdue", "Due today", "Due in 2 days".
pub fn how_due(due: chrono::NaiveDate, today: chrono::NaiveDate) -> String {
    let days = (due - today).num_days();
    match days {
        d if d < -1 => format!("{} days overdue", -d),
        -1 => "1 day overdue".to_owned(),
        0 => "Due today".to_owned(),
        1 => "Due tomorrow".to_owned(),
        d => format!("Due in {d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value's words: not its code, not empty, a capital first, no underscore.
    fn check<T: Words + std::fmt::Display>(all: &[T]) {
        let mut seen = std::collections::HashSet::new();
        for v in all {
            let w = v.words();
            assert!(!w.is_empty(), "{v}");
            assert!(!w.contains('_'), "{v}: {w}");
            assert!(w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()), "{v}: {w}");
            assert!(seen.insert(w), "{v}: {w} twice in one vocabulary");
        }
    }

    #[test]
    fn every_vocabulary_a_person_reads_has_words() {
        check(Stage::ALL);
        check(Gender::ALL);
        check(ExploitationType::ALL);
        check(Jurisdiction::ALL);
        check(NrmConsent::ALL);
        check(DataSharing::ALL);
        check(AgeBand::ALL);
        check(ActionStatus::ALL);
        check(Topic::ALL);
        check(DigestFrequency::ALL);
        check(AskAnswer::ALL);
        check(Role::ALL);
        check(AuditAction::ALL);
        check(AuditOutcome::ALL);
        check(EntityType::ALL);
        check(Purpose::ALL);
        check(EventType::ALL);
        check(DecisionOutcome::ALL);
        check(CompetentAuthority::ALL);
        check(DisqualificationGround::ALL);
        check(ClosureReason::ALL);
        check(DeadlineKind::ALL);
        check(DeadlineStatus::ALL);
        check(OutcomeKind::ALL);
        check(AgeGroup::ALL);
        check(Section::ALL);
        check(Unit::ALL);
        check(FigureStatus::ALL);
        check(AgencyKind::ALL);
        check(Channel::ALL);
        check(Direction::ALL);
        check(NeedDomain::ALL);
        check(NeedStatus::ALL);
    }

    #[test]
    fn report_categories_and_statistics_read_as_words() {
        assert_eq!(category("needs.by_domain", "health_gp"), "GP registration");
        assert_eq!(category("interventions.by_counterpart_kind", "health_gp"), "GP practice");
        assert_eq!(category("people.nationality", "non_uk"), "Other nationalities");
        assert_eq!(statistic("share_met"), "Per cent met by the due date");
    }

    #[test]
    fn sentences_keep_abbreviations_in_capitals() {
        assert_eq!(sentence("rg_decision_expected"), "RG decision expected");
        assert_eq!(sentence("post_cg_support_end"), "Post CG support end");
        assert_eq!(sentence(""), "");
    }
}
