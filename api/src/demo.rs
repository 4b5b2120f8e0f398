//! `fourthp demo-data`: a synthetic partnership at any size, deterministic for a seed (and the
//! day it is made), bulk loaded with COPY.
//!
//! The mix follows the published NRM statistics in outline: about 44% children, criminal
//! exploitation (often county lines) most common among children and labour among adults, about
//! a quarter UK nationals; reasonable grounds decisions within days to weeks, conclusive grounds
//! months to years later, some negative decisions, closures. Every case's details pass
//! [`CaseDetails::validate`] on the day support started, its events replay under the lifecycle
//! rules, and its deadlines and stage are derived by the rule book exactly as the service would.
//! Nothing in it describes a real person: aliases are initials, summaries come from a short
//! list of phrases.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::case::{
    Birth, CaseDetails, CaseReference, Consent, DataSharing, ExploitationType, Gender, Jurisdiction, KnownAs, LocalAuthority, NrmConsent,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::event::{
    CaseEvent, ClosureReason, CompetentAuthority, DatedFact, DecisionOutcome, DisqualificationGround, EventBody, Fact,
};
use fourthp_domain::intervention::Channel;
use fourthp_domain::lifecycle::replay;
use fourthp_domain::need::NeedDomain;
use fourthp_domain::outcome::OutcomeKind;
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::{stage_advances_on, RuleBook};
use fourthp_persistence::bulk::{BulkLoader, CopyRows};
use uuid::Uuid;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub cases: usize,
    pub seed: u64,
    /// Support starts are spread from 1 January of this year to today.
    pub from_year: i32,
    pub progress: bool,
}

/// What was loaded.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoSummary {
    pub agencies: u64,
    pub cases: u64,
    pub events: u64,
    pub needs: u64,
    pub interventions: u64,
    pub actions: u64,
    pub deadlines: u64,
    pub outcomes: u64,
    pub seconds: f64,
}

/// SplitMix64: small, fast and the same everywhere, so a seed always gives the same network
/// (and the load generator the same sequence of requests).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + i64::try_from(self.below(u64::try_from(hi - lo + 1).unwrap_or(1))).unwrap_or(0)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut x = u32::try_from(self.below(u64::from(total))).unwrap_or(0);
        for (item, w) in items {
            if x < *w {
                return *item;
            }
            x -= w;
        }
        items[0].0
    }

    /// A UUIDv7 for `at`, its random bits from this generator.
    fn uuid_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(u64::try_from(at.timestamp_millis()).unwrap_or(0), &bytes).into_uuid()
    }
}

const AGENCIES: &[(&str, AgencyKind)] = &[
    (DEMO_COORDINATOR_AGENCY, AgencyKind::VictimCareContractProvider),
    ("Regional Modern Slavery Victim Care Contract", AgencyKind::VictimCareContractProvider),
    ("Northshire Police", AgencyKind::Police),
    ("Riverton Police Modern Slavery Unit", AgencyKind::Police),
    ("British Transport Police Northern Area", AgencyKind::Police),
    ("Northshire County Council Adult Social Care", AgencyKind::LocalAuthorityAdultSocialCare),
    ("Riverton City Council Adult Services", AgencyKind::LocalAuthorityAdultSocialCare),
    ("Northshire Children's Services", AgencyKind::LocalAuthorityChildrensServices),
    ("Riverton Children's Social Care", AgencyKind::LocalAuthorityChildrensServices),
    ("Riverton Housing Options", AgencyKind::LocalAuthorityHousing),
    ("Northshire Homelessness Prevention Team", AgencyKind::LocalAuthorityHousing),
    ("Riverside Medical Practice", AgencyKind::HealthGp),
    ("Castle Street Surgery", AgencyKind::HealthGp),
    ("Millbrook Health Centre", AgencyKind::HealthGp),
    ("Harbour View GP Practice", AgencyKind::HealthGp),
    ("Riverton General Hospital", AgencyKind::HealthHospital),
    ("Northshire Royal Infirmary", AgencyKind::HealthHospital),
    ("Northshire Public Health", AgencyKind::HealthPublicHealth),
    ("Safe Harbour Trust", AgencyKind::Ngo),
    ("Freedom Path", AgencyKind::Ngo),
    ("New Beginnings Project", AgencyKind::Ngo),
    ("British Red Cross Northshire", AgencyKind::RedCross),
    ("Home Office Immigration Enforcement North", AgencyKind::ImmigrationHomeOffice),
    ("GLAA Northern Team", AgencyKind::Glaa),
    ("DWP Riverton Jobcentre", AgencyKind::Dwp),
    ("Riverton Law Centre", AgencyKind::LegalService),
    ("Castle Immigration Solicitors", AgencyKind::LegalService),
    ("Northshire Business Against Slavery Network", AgencyKind::Business),
    ("St Anne's Community Kitchen", AgencyKind::FaithCommunity),
    ("Riverton College ESOL Team", AgencyKind::Other),
];

const LOCAL_AUTHORITIES: &[(Jurisdiction, &[&str])] = &[
    (
        Jurisdiction::EnglandWales,
        &[
            "Northshire",
            "Riverton",
            "Leeds",
            "Bradford",
            "Kirklees",
            "Wakefield",
            "Calderdale",
            "Manchester",
            "Salford",
            "Birmingham",
            "Sandwell",
            "Cardiff",
            "Swansea",
            "Newport",
            "Hull",
        ],
    ),
    (Jurisdiction::Scotland, &["Glasgow City", "City of Edinburgh", "Aberdeen City", "Dundee City"]),
    (Jurisdiction::NorthernIreland, &["Belfast", "Derry City and Strabane", "Armagh City, Banbridge and Craigavon"]),
];

/// Non-UK nationalities by weight, with a language of each.
const NATIONALITIES: &[((&str, &str), u32)] = &[
    (("AL", "sq"), 25),
    (("VN", "vi"), 14),
    (("ER", "ti"), 9),
    (("SD", "ar"), 8),
    (("RO", "ro"), 6),
    (("IN", "hi"), 5),
    (("CN", "zh"), 4),
    (("NG", "yo"), 4),
    (("AF", "ps"), 4),
    (("IR", "fa"), 4),
    (("PL", "pl"), 3),
    (("ET", "am"), 3),
    (("EG", "ar"), 3),
    (("PK", "ur"), 3),
    (("IQ", "ku"), 3),
    (("SK", "sk"), 2),
];

const COORDINATORS: &[&str] = &["vcc-01", "vcc-02", "vcc-03", "vcc-04", "vcc-05", "vcc-06", "vcc-07", "vcc-08"];

fn summary(domain: NeedDomain, r: &mut Rng) -> &'static str {
    let options: &[&str] = match domain {
        NeedDomain::HealthGp => &[
            "Called the practice to register; first appointment booked",
            "Chased the GP registration form",
            "Practice confirmed registration and a health check",
        ],
        NeedDomain::Accommodation => {
            &["Discussed move-on accommodation options", "Housing confirmed a room from next week", "Chased the housing assessment"]
        }
        NeedDomain::MentalHealth => &["Referral to talking therapies discussed", "Agreed a trauma-informed assessment"],
        NeedDomain::LegalImmigration => &["Referred for immigration advice", "Solicitor confirmed the legal aid application"],
        NeedDomain::LegalCriminalJustice => &["Update on the investigation from the officer in the case", "Witness support discussed"],
        NeedDomain::FinancesBenefits => &["Helped with the Universal Credit claim", "Jobcentre appointment booked"],
        NeedDomain::Safety => &["Safety plan agreed with police", "Risk review after contact from the exploiters"],
        NeedDomain::Interpreting => &["Interpreter booked for the appointment"],
        NeedDomain::EducationTraining => &["ESOL course enrolment discussed", "College place confirmed"],
        NeedDomain::Employment => &["Referral to a work coach", "Discussed a supported work placement"],
        NeedDomain::SocialConnection => &["Introduced to a community group", "Befriending service referral"],
        NeedDomain::SubstanceUse => &["Referral to the substance misuse service"],
        NeedDomain::Practical => &["Bank account appointment arranged", "Phone and travel pass sorted"],
    };
    r.pick::<&str>(options)
}

/// When each kind of need is usually met, in days after it is identified (low, high).
fn need_profile(domain: NeedDomain) -> (i64, i64) {
    match domain {
        NeedDomain::HealthGp => (2, 30),
        NeedDomain::Accommodation => (3, 120),
        NeedDomain::MentalHealth => (20, 200),
        NeedDomain::LegalImmigration => (20, 300),
        NeedDomain::LegalCriminalJustice => (30, 365),
        NeedDomain::FinancesBenefits => (10, 90),
        NeedDomain::Safety => (1, 14),
        NeedDomain::Interpreting => (0, 3),
        NeedDomain::EducationTraining => (30, 180),
        NeedDomain::Employment => (60, 365),
        NeedDomain::SocialConnection => (14, 120),
        NeedDomain::SubstanceUse => (14, 90),
        NeedDomain::Practical => (1, 21),
    }
}

fn at_time(date: NaiveDate, r: &mut Rng) -> DateTime<Utc> {
    let secs = u32::try_from(r.range(8 * 3600, 17 * 3600)).unwrap_or(36_000);
    date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default()).and_utc()
}

struct Agencies {
    all: Vec<(Uuid, AgencyKind)>,
}

impl Agencies {
    fn of(&self, kind: AgencyKind) -> Vec<Uuid> {
        self.all.iter().filter(|(_, k)| *k == kind).map(|(id, _)| *id).collect()
    }

    fn one(&self, kind: AgencyKind, r: &mut Rng) -> Option<Uuid> {
        let of = self.of(kind);
        (!of.is_empty()).then(|| *r.pick(&of))
    }
}

/// The tables in load order, with the columns each batch writes.
struct Batch {
    cases: CopyRows,
    team: CopyRows,
    events: CopyRows,
    needs: CopyRows,
    interventions: CopyRows,
    actions: CopyRows,
    deadlines: CopyRows,
    outcomes: CopyRows,
    outcome_links: CopyRows,
    audit: CopyRows,
}

impl Batch {
    fn new() -> Self {
        Batch {
            cases: CopyRows::new(),
            team: CopyRows::new(),
            events: CopyRows::new(),
            needs: CopyRows::new(),
            interventions: CopyRows::new(),
            actions: CopyRows::new(),
            deadlines: CopyRows::new(),
            outcomes: CopyRows::new(),
            outcome_links: CopyRows::new(),
            audit: CopyRows::new(),
        }
    }

    async fn load(&mut self, db: &BulkLoader, totals: &mut DemoSummary) -> Result<(), String> {
        let e = |e: fourthp_persistence::StoreError| e.to_string();
        db.execute("BEGIN").await.map_err(e)?;
        totals.cases += db
            .copy(
                "cases",
                &[
                    "id",
                    "reference",
                    "known_as",
                    "birth_year",
                    "date_of_birth",
                    "presumed_child",
                    "gender",
                    "nationalities",
                    "languages",
                    "interpreter_needed",
                    "exploitation_types",
                    "county_lines",
                    "jurisdiction",
                    "local_authority",
                    "nrm_consent",
                    "data_sharing",
                    "consent_recorded_on",
                    "consent_recorded_by",
                    "lead_coordinator",
                    "stage",
                    "version",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "stage_advances_on",
                    "record_key",
                ],
                &mut self.cases,
            )
            .await
            .map_err(e)?;
        db.copy("case_team", &["case_id", "agency_id", "role", "added_at"], &mut self.team).await.map_err(e)?;
        totals.events += db
            .copy(
                "case_events",
                &[
                    "id",
                    "case_id",
                    "type",
                    "event_date",
                    "outcome",
                    "competent_authority",
                    "ground",
                    "closure_reason",
                    "first_responder_agency_id",
                    "recorded_at",
                    "recorded_by",
                ],
                &mut self.events,
            )
            .await
            .map_err(e)?;
        totals.needs += db
            .copy(
                "needs",
                &["id", "case_id", "domain", "identified_on", "status", "met_on", "created_by", "created_at", "updated_at"],
                &mut self.needs,
            )
            .await
            .map_err(e)?;
        totals.interventions += db
            .copy(
                "interventions",
                &[
                    "id",
                    "case_id",
                    "channel",
                    "direction",
                    "counterpart_agency_id",
                    "occurred_at",
                    "need_domain",
                    "need_id",
                    "summary",
                    "duration_minutes",
                    "recorded_by",
                    "recorded_by_agency",
                    "recorded_at",
                ],
                &mut self.interventions,
            )
            .await
            .map_err(e)?;
        totals.actions += db
            .copy(
                "actions",
                &[
                    "id",
                    "case_id",
                    "description",
                    "owner_agency_id",
                    "due_on",
                    "from_intervention",
                    "status",
                    "closure_note",
                    "closed_by",
                    "closed_by_agency",
                    "closed_on",
                    "closed_at",
                    "created_by",
                    "created_at",
                    "updated_at",
                ],
                &mut self.actions,
            )
            .await
            .map_err(e)?;
        totals.deadlines += db
            .copy(
                "deadlines",
                &[
                    "id",
                    "case_id",
                    "case_reference",
                    "rule_id",
                    "rule_version",
                    "kind",
                    "trigger_event_id",
                    "action_id",
                    "due_on",
                    "met_on",
                    "support_ended_on",
                    "explanation",
                    "waived_at",
                    "waived_by",
                    "waived_reason",
                    "created_at",
                    "updated_at",
                ],
                &mut self.deadlines,
            )
            .await
            .map_err(e)?;
        totals.outcomes += db
            .copy(
                "outcomes",
                &["id", "case_id", "outcome", "achieved_on", "evidence", "score", "recorded_by", "recorded_at"],
                &mut self.outcomes,
            )
            .await
            .map_err(e)?;
        db.copy("outcome_interventions", &["outcome_id", "intervention_id"], &mut self.outcome_links).await.map_err(e)?;
        db.copy(
            "audit_records",
            &[
                "id",
                "recorded_at",
                "action",
                "outcome",
                "agent_sub",
                "agent_role",
                "entity_type",
                "entity_id",
                "case_id",
                "changed_fields",
                "request_id",
                "source",
            ],
            &mut self.audit,
        )
        .await
        .map_err(e)?;
        db.execute("COMMIT").await.map_err(e)
    }
}

/// One event to be, before it is checked.
struct Planned {
    fact: Fact,
    date: NaiveDate,
}

/// A person's journey through the NRM, drawn from the published shape of it.
fn plan_events(r: &mut Rng, start: NaiveDate, today: NaiveDate, child: bool, consent: NrmConsent, agencies: &Agencies) -> Vec<Planned> {
    let mut out = vec![Planned { fact: Fact::SupportStarted, date: start }];
    let days = |d: i64| Duration::days(d);
    let first_responder = {
        let kind = if child {
            r.weighted(&[(AgencyKind::LocalAuthorityChildrensServices, 50), (AgencyKind::Police, 40), (AgencyKind::Ngo, 10)])
        } else {
            r.weighted(&[
                (AgencyKind::Police, 40),
                (AgencyKind::LocalAuthorityAdultSocialCare, 20),
                (AgencyKind::Ngo, 20),
                (AgencyKind::RedCross, 5),
                (AgencyKind::ImmigrationHomeOffice, 15),
            ])
        };
        agencies.one(kind, r).or_else(|| agencies.one(AgencyKind::Police, r))
    };
    let close = |out: &mut Vec<Planned>, date: NaiveDate, reason: ClosureReason| {
        if date <= today {
            out.push(Planned { fact: Fact::CaseClosed { reason }, date });
        }
    };
    if consent == NrmConsent::Declined {
        let dtn = start + days(r.range(0, 10));
        if dtn > today {
            return out;
        }
        out.push(Planned { fact: Fact::DutyToNotifySubmitted, date: dtn });
        let reason = r.weighted(&[(ClosureReason::DeclinedSupport, 50), (ClosureReason::MovedOn, 35), (ClosureReason::LostContact, 15)]);
        close(&mut out, dtn + days(r.range(20, 150)), reason);
        return out;
    }
    let Some(first_responder) = first_responder.map(fourthp_domain::ids::AgencyId::from_uuid) else {
        return out;
    };
    // A few people are supported without ever being referred (yet).
    if r.chance(0.03) {
        return out;
    }
    let referral = start + days(r.range(0, 14));
    if referral > today {
        return out;
    }
    out.push(Planned { fact: Fact::NrmReferralSubmitted { first_responder }, date: referral });
    let authority = |r: &mut Rng| {
        if child && r.chance(0.25) {
            CompetentAuthority::DevolvedChildPilot
        } else if r.chance(0.15) {
            CompetentAuthority::Ieca
        } else {
            CompetentAuthority::Sca
        }
    };
    let mut rg_date = referral
        + days(match r.below(100) {
            0..=34 => r.range(1, 7),
            35..=74 => r.range(8, 30),
            _ => r.range(31, 120),
        });
    let mut positive = r.chance(0.88);
    // Early losses of contact, before a decision.
    if r.chance(0.05) {
        close(&mut out, referral + days(r.range(5, 60)), ClosureReason::LostContact);
        return out;
    }
    if rg_date > today {
        return out;
    }
    let outcome = |p: bool| if p { DecisionOutcome::Positive } else { DecisionOutcome::Negative };
    out.push(Planned { fact: Fact::ReasonableGroundsDecision { outcome: outcome(positive), authority: authority(r) }, date: rg_date });
    if !positive {
        if r.chance(0.4) {
            let asked = rg_date + days(r.range(5, 20));
            if asked > today {
                return out;
            }
            out.push(Planned { fact: Fact::ReconsiderationRequested, date: asked });
            rg_date = asked + days(r.range(20, 90));
            if rg_date > today {
                return out;
            }
            positive = r.chance(0.6);
            out.push(Planned {
                fact: Fact::ReasonableGroundsDecision { outcome: outcome(positive), authority: authority(r) },
                date: rg_date,
            });
        }
        if !positive {
            close(&mut out, rg_date + days(r.range(9, 30)), ClosureReason::Other);
            return out;
        }
    }
    if r.chance(0.25) {
        let d = rg_date + days(r.range(20, 45));
        if d <= today {
            out.push(Planned { fact: Fact::RecoveryNeedsAssessmentSubmitted, date: d });
        }
    }
    if r.chance(0.005) {
        let d = rg_date + days(r.range(30, 200));
        if d <= today {
            out.push(Planned { fact: Fact::Disqualified { ground: DisqualificationGround::PublicOrder }, date: d });
            close(&mut out, d + days(r.range(9, 30)), ClosureReason::Other);
        }
        return out;
    }
    // Some leave before a conclusive decision.
    if r.chance(0.12) {
        let reason = r.weighted(&[
            (ClosureReason::LostContact, 50),
            (ClosureReason::Transferred, 20),
            (ClosureReason::ReturnedHome, 15),
            (ClosureReason::DeclinedSupport, 15),
        ]);
        close(&mut out, rg_date + days(r.range(30, 500)), reason);
        return out;
    }
    // Conclusive grounds: months to years (waits have averaged over 500 days).
    let wait = 60 + (r.unit() * r.unit() * 1100.0) as i64 + r.range(0, 300);
    let cg_date = rg_date + days(wait);
    if cg_date > today {
        return out;
    }
    let cg_positive = r.chance(0.86);
    out.push(Planned { fact: Fact::ConclusiveGroundsDecision { outcome: outcome(cg_positive), authority: authority(r) }, date: cg_date });
    if cg_positive {
        if r.chance(0.85) {
            close(&mut out, cg_date + days(r.range(30, 90)), ClosureReason::MovedOn);
        }
    } else {
        close(&mut out, cg_date + days(r.range(9, 30)), ClosureReason::Other);
    }
    out
}

struct NeedPlan {
    id: Uuid,
    domain: NeedDomain,
    identified_on: NaiveDate,
    met_on: Option<NaiveDate>,
}

struct Generator<'a> {
    r: Rng,
    today: NaiveDate,
    now: DateTime<Utc>,
    book: &'a RuleBook,
    agencies: &'a Agencies,
    coordinator_agency: Uuid,
    from: NaiveDate,
    run: String,
    source: &'static str,
}

impl Generator<'_> {
    fn case(&mut self, serial: i64, batch: &mut Batch) -> Result<(), String> {
        let r = &mut self.r;
        let span = (self.today - Duration::days(3) - self.from).num_days().max(1);
        let start = self.from + Duration::days(r.range(0, span));
        let child = r.chance(0.44);
        let age = if child { r.range(10, 17) } else { r.range(18, 60) };
        // An adult born late in the year must be certainly 18: one more year back.
        let birth_year = start.year() - i32::try_from(age).unwrap_or(30) - i32::from(!child);
        let jurisdiction = r.weighted(&[(Jurisdiction::EnglandWales, 90), (Jurisdiction::Scotland, 6), (Jurisdiction::NorthernIreland, 4)]);
        let local_authority = LOCAL_AUTHORITIES.iter().find(|(j, _)| *j == jurisdiction).map_or("Northshire", |(_, las)| *r.pick(las));
        let uk = r.chance(if child { 0.45 } else { 0.09 });
        let (nationality, language) = if uk { ("GB", "en") } else { r.weighted(NATIONALITIES) };
        let interpreter_needed = !uk && r.chance(0.7);
        let main = if child {
            r.weighted(&[
                (ExploitationType::Criminal, 58),
                (ExploitationType::Sexual, 14),
                (ExploitationType::Labour, 9),
                (ExploitationType::DomesticServitude, 2),
                (ExploitationType::Other, 5),
                (ExploitationType::Unknown, 12),
            ])
        } else {
            r.weighted(&[
                (ExploitationType::Labour, 42),
                (ExploitationType::Sexual, 22),
                (ExploitationType::Criminal, 18),
                (ExploitationType::DomesticServitude, 8),
                (ExploitationType::Other, 3),
                (ExploitationType::Unknown, 7),
            ])
        };
        let mut types = vec![main];
        if main != ExploitationType::Unknown && r.chance(0.12) {
            let second = r.weighted(&[(ExploitationType::Labour, 3), (ExploitationType::Sexual, 3), (ExploitationType::Criminal, 2)]);
            if second != main {
                types.push(second);
            }
        }
        let county_lines = types.contains(&ExploitationType::Criminal) && r.chance(if child { 0.6 } else { 0.15 });
        let nrm = if child {
            NrmConsent::NotRequiredChild
        } else if r.chance(0.8) {
            NrmConsent::Given
        } else {
            NrmConsent::Declined
        };
        let sharing = r.weighted(&[(DataSharing::Share, 65), (DataSharing::Confidential, 30), (DataSharing::Anonymous, 5)]);
        let coordinator = *r.pick(COORDINATORS);
        let subject = Subject::parse(coordinator).map_err(|e| e.to_string())?;
        let gender = if r.chance(0.01) {
            Gender::NotSpecified
        } else if r.chance(if child { 0.75 } else { 0.7 }) {
            Gender::Male
        } else {
            Gender::Female
        };
        let initials = {
            let letter = |r: &mut Rng| char::from(b'A' + u8::try_from(r.below(26)).unwrap_or(0));
            format!("{}.{}.", letter(r), letter(r))
        };
        let details = CaseDetails {
            known_as: KnownAs::parse(&initials).map_err(|e| e.to_string())?,
            birth: Birth::Year(birth_year),
            presumed_child: false,
            gender,
            nationalities: vec![CountryCode::parse(nationality).map_err(|e| e.to_string())?],
            languages: vec![LanguageCode::parse(language).map_err(|e| e.to_string())?],
            interpreter_needed,
            exploitation_types: types,
            county_lines,
            jurisdiction,
            local_authority: LocalAuthority::parse(local_authority).map_err(|e| e.to_string())?,
            consent: Consent { nrm, data_sharing: sharing, recorded_on: start, recorded_by: subject.clone() },
            lead_coordinator: subject,
        };
        // Checked as the service checks it, on the day the case was opened.
        let details = details.validate(start).map_err(|e| format!("generated case is invalid: {e:?}"))?;
        let created_at = at_time(start, r);
        let case_id = r.uuid_at(created_at);
        let reference = CaseReference::new(start.year(), serial).map_err(|_| "too many cases for one year's references".to_owned())?;

        // Events, checked by the lifecycle as they are added.
        let planned = plan_events(r, start, self.today, child, nrm, self.agencies);
        let mut events: Vec<CaseEvent> = Vec::new();
        for p in planned {
            let recorded_at = at_time(p.date, r);
            let candidate = CaseEvent {
                id: fourthp_domain::ids::EventId::from_uuid(r.uuid_at(recorded_at)),
                body: EventBody::Fact(DatedFact { fact: p.fact, date: p.date }),
                recorded_at,
                recorded_by: details.lead_coordinator.clone(),
            };
            events.push(candidate);
            if replay(&events).is_err() {
                events.pop();
                break;
            }
        }
        let timeline = replay(&events).map_err(|v| format!("generated events break {:?}", v.rule))?;
        let end = timeline.journey.closed.unwrap_or(self.today);

        // Team: the coordinators, a GP practice, and others as the person needs them.
        let mut team = vec![self.coordinator_agency];
        let add = |a: Option<Uuid>, team: &mut Vec<Uuid>| {
            if let Some(a) = a.filter(|a| !team.contains(a)) {
                team.push(a);
            }
        };
        add(self.agencies.one(AgencyKind::HealthGp, r), &mut team);
        for (kind, p) in [
            (if child { AgencyKind::LocalAuthorityChildrensServices } else { AgencyKind::LocalAuthorityAdultSocialCare }, 0.7),
            (AgencyKind::Police, 0.6),
            (AgencyKind::LocalAuthorityHousing, if child { 0.1 } else { 0.5 }),
            (AgencyKind::RedCross, 0.25),
            (AgencyKind::Ngo, 0.4),
            (AgencyKind::LegalService, if uk { 0.1 } else { 0.5 }),
        ] {
            if r.chance(p) {
                add(self.agencies.one(kind, r), &mut team);
            }
        }

        // Needs.
        let mut needs: Vec<NeedPlan> = Vec::new();
        for (domain, p) in [
            (NeedDomain::HealthGp, 0.95),
            (NeedDomain::Accommodation, if child { 0.3 } else { 0.75 }),
            (NeedDomain::LegalImmigration, if uk { 0.0 } else { 0.65 }),
            (NeedDomain::MentalHealth, 0.4),
            (NeedDomain::FinancesBenefits, if child { 0.1 } else { 0.5 }),
            (NeedDomain::Safety, 0.35),
            (NeedDomain::Interpreting, if interpreter_needed { 0.8 } else { 0.0 }),
            (NeedDomain::EducationTraining, if child { 0.7 } else { 0.2 }),
            (NeedDomain::Employment, if child { 0.0 } else { 0.2 }),
            (NeedDomain::SocialConnection, 0.2),
            (NeedDomain::SubstanceUse, 0.08),
            (NeedDomain::Practical, 0.4),
            (NeedDomain::LegalCriminalJustice, 0.15),
        ] {
            if !r.chance(p) {
                continue;
            }
            let identified_on = if domain == NeedDomain::HealthGp { start } else { (start + Duration::days(r.range(0, 30))).min(end) };
            let (lo, hi) = need_profile(domain);
            // GP access: about six in ten within the 10-day standard.
            let delay = if domain == NeedDomain::HealthGp && r.chance(0.6) { r.range(1, 10) } else { r.range(lo, hi) };
            let met = identified_on + Duration::days(delay);
            let met_on = (met <= end && met <= self.today && r.chance(0.9)).then_some(met);
            let at = at_time(identified_on, r);
            needs.push(NeedPlan { id: r.uuid_at(at), domain, identified_on, met_on });
        }
        if needs.is_empty() {
            let at = at_time(start, r);
            needs.push(NeedPlan { id: r.uuid_at(at), domain: NeedDomain::Practical, identified_on: start, met_on: None });
        }
        for n in &needs {
            let status = match n.met_on {
                Some(_) => "met",
                None if timeline.journey.closed.is_some() => {
                    if r.chance(0.6) {
                        "not_met"
                    } else {
                        "withdrawn"
                    }
                }
                None => "open",
            };
            let created = at_time(n.identified_on, r);
            batch
                .needs
                .value(n.id)
                .value(case_id)
                .text(n.domain.as_str())
                .value(n.identified_on)
                .text(status)
                .opt_value(n.met_on)
                .text(coordinator)
                .value(created.to_rfc3339())
                .value(n.met_on.map_or(created, |m| at_time(m, r)).to_rfc3339())
                .end_row();
        }

        // Deadlines and stage, derived by the rule book as the service does.
        let needs_met: Vec<(NeedDomain, NaiveDate)> = needs.iter().filter_map(|n| n.met_on.map(|m| (n.domain, m))).collect();
        let derived = self.book.derive(jurisdiction, details.age_facts(), &timeline.effective, &needs_met);
        for d in &derived {
            let created = events.iter().find(|e| e.id == d.trigger).map_or(created_at, |e| e.recorded_at);
            batch
                .deadlines
                .value(r.uuid_at(created))
                .value(case_id)
                .text(reference.as_str())
                .text(&d.rule_id)
                .text(&d.rule_version)
                .text(d.kind.as_str())
                .value(d.trigger)
                .null()
                .value(d.due_on)
                .opt_value(d.met_on)
                .opt_value(d.support_ended_on)
                .text(&d.explanation)
                .null()
                .null()
                .null()
                .value(created.to_rfc3339())
                .value(created.to_rfc3339())
                .end_row();
        }
        for e in &events {
            let EventBody::Fact(f) = &e.body else { continue };
            let (outcome, authority) = match f.fact {
                Fact::ReasonableGroundsDecision { outcome, authority } | Fact::ConclusiveGroundsDecision { outcome, authority } => {
                    (Some(outcome.as_str()), Some(authority.as_str()))
                }
                _ => (None, None),
            };
            let ground = match f.fact {
                Fact::Disqualified { ground } => Some(ground.as_str()),
                _ => None,
            };
            let reason = match f.fact {
                Fact::CaseClosed { reason } => Some(reason.as_str()),
                _ => None,
            };
            let responder = match f.fact {
                Fact::NrmReferralSubmitted { first_responder } => Some(first_responder.into_uuid()),
                _ => None,
            };
            batch
                .events
                .value(e.id)
                .value(case_id)
                .text(f.fact.event_type().as_str())
                .value(f.date)
                .opt_text(outcome)
                .opt_text(authority)
                .opt_text(ground)
                .opt_text(reason)
                .opt_value(responder)
                .value(e.recorded_at.to_rfc3339())
                .text(coordinator)
                .end_row();
        }

        let nationalities: Vec<&str> = details.nationalities.iter().map(CountryCode::as_str).collect();
        let languages: Vec<&str> = details.languages.iter().map(LanguageCode::as_str).collect();
        let types: Vec<&str> = details.exploitation_types.iter().map(|t| t.as_str()).collect();
        batch
            .cases
            .value(case_id)
            .text(reference.as_str())
            .text(details.known_as.as_str())
            .opt_value(details.birth.year())
            .null()
            .value(details.presumed_child)
            .text(details.gender.as_str())
            .words(&nationalities)
            .words(&languages)
            .value(details.interpreter_needed)
            .words(&types)
            .value(details.county_lines)
            .text(jurisdiction.as_str())
            .text(details.local_authority.as_str())
            .text(nrm.as_str())
            .text(sharing.as_str())
            .value(start)
            .text(coordinator)
            .text(coordinator)
            .text(timeline.stage().as_str())
            .value(1 + events.len())
            .text(coordinator)
            .value(created_at.to_rfc3339())
            .value(events.last().map_or(created_at, |e| e.recorded_at).to_rfc3339())
            .opt_value(stage_advances_on(&derived))
            // The disclosure-control record key, from the seed: the same network, the same keys.
            .value(r.below(1 << 32))
            .end_row();
        for a in &team {
            batch.team.value(case_id).value(a).null().value(created_at.to_rfc3339()).end_row();
        }
        batch
            .audit
            .value(r.uuid_at(self.now))
            .value(self.now.to_rfc3339())
            .text("C")
            .text("success")
            .text("fourthp-demo-data")
            .text("system")
            .text("case")
            .value(case_id)
            .value(case_id)
            .words(&[])
            .text(&self.run)
            .text(self.source)
            .end_row();

        // Interventions: busiest in the first weeks, then steady while the case is open.
        let active = (end - start).num_days().max(1);
        let count = 8 + ((active as f64).sqrt() * 2.2 * (0.6 + 0.8 * r.unit())) as i64;
        let partners: Vec<Uuid> = team.iter().copied().filter(|a| *a != self.coordinator_agency).collect();
        let mut logged: Vec<(Uuid, NeedDomain, NaiveDate)> = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        for _ in 0..count {
            let offset = if r.chance(0.5) { r.range(0, active.min(60)) } else { r.range(0, active) };
            let date = start + Duration::days(offset);
            let occurred_at = at_time(date, r);
            if occurred_at > self.now - Duration::hours(1) {
                continue;
            }
            let need = r.pick(&needs);
            let on_team = !partners.is_empty() && r.chance(0.8);
            let counterpart = if on_team { *r.pick(&partners) } else { r.pick(&self.agencies.all).0 };
            let channel = r.weighted(&[
                (Channel::PhoneCall, 44),
                (Channel::Email, 33),
                (Channel::Meeting, 6),
                (Channel::VideoCall, 5),
                (Channel::TextMessage, 6),
                (Channel::Letter, 1),
                (Channel::Visit, 4),
                (Channel::Other, 1),
            ]);
            let duration = match channel {
                Channel::Meeting | Channel::Visit => r.range(30, 120),
                Channel::VideoCall => r.range(15, 60),
                Channel::PhoneCall => r.range(3, 30),
                _ => r.range(2, 15),
            };
            let recorded_at = (occurred_at + Duration::minutes(r.range(5, 600))).min(self.now);
            let id = r.uuid_at(occurred_at);
            batch
                .interventions
                .value(id)
                .value(case_id)
                .text(channel.as_str())
                .text(if r.chance(0.65) { "outbound" } else { "inbound" })
                .value(counterpart)
                .value(occurred_at.to_rfc3339())
                .text(need.domain.as_str())
                .opt_value(r.chance(0.8).then_some(need.id))
                .text(summary(need.domain, r))
                .value(duration)
                .text(coordinator)
                .value(self.coordinator_agency)
                .value(recorded_at.to_rfc3339())
                .end_row();
            logged.push((id, need.domain, date));

            // About one in eight leads to a follow-up action someone owes.
            if on_team && r.chance(0.12) {
                let due_on = date + Duration::days(r.range(3, 21));
                let settled = due_on + Duration::days(30) < self.today || r.chance(0.3);
                let (status, closed_on) = if !settled {
                    ("open", None)
                } else {
                    match r.below(100) {
                        0..=79 => {
                            let on = if r.chance(0.72) {
                                due_on - Duration::days(r.range(0, 5))
                            } else {
                                due_on + Duration::days(r.range(1, 20))
                            };
                            ("done", Some(on.max(date).min(self.today)))
                        }
                        80..=84 => ("cancelled", Some((due_on - Duration::days(r.range(0, 3))).max(date).min(self.today))),
                        _ => ("open", None),
                    }
                };
                let action_id = r.uuid_at(recorded_at);
                let closed_at = closed_on.map(|d| at_time(d, r));
                let note = match status {
                    "done" => Some("Done as agreed"),
                    "cancelled" => Some("No longer needed"),
                    _ => None,
                };
                batch
                    .actions
                    .value(action_id)
                    .value(case_id)
                    .text("Follow up what was agreed on the call")
                    .value(counterpart)
                    .value(due_on)
                    .value(id)
                    .text(status)
                    .opt_text(note)
                    .opt_text(closed_on.map(|_| "partner-worker"))
                    .opt_value(closed_on.map(|_| counterpart))
                    .opt_value(closed_on)
                    .opt_value(closed_at.map(|t| t.to_rfc3339()))
                    .text(coordinator)
                    .value(recorded_at.to_rfc3339())
                    .value(closed_at.unwrap_or(recorded_at).to_rfc3339())
                    .end_row();
                let waived = status == "cancelled";
                batch
                    .deadlines
                    .value(r.uuid_at(recorded_at))
                    .value(case_id)
                    .text(reference.as_str())
                    .text(fourthp_domain::deadline::ACTION_DUE)
                    .text("1")
                    .text("deadline")
                    .null()
                    .value(action_id)
                    .value(due_on)
                    .opt_value(if status == "done" { closed_on } else { None })
                    .null()
                    .text(&format!("the due date agreed on {date} for an action owed by {counterpart}"))
                    .opt_value(waived.then(|| closed_at.map(|t| t.to_rfc3339())).flatten())
                    .opt_text(waived.then_some("partner-worker"))
                    .opt_text(waived.then_some("action cancelled: No longer needed"))
                    .value(recorded_at.to_rfc3339())
                    .value(closed_at.unwrap_or(recorded_at).to_rfc3339())
                    .end_row();
            }
        }

        // Outcomes, as the needs behind them are met.
        let outcome = |kind: OutcomeKind, on: NaiveDate, domain: Option<NeedDomain>, batch: &mut Batch, r: &mut Rng| {
            if on > self.today {
                return;
            }
            let at = at_time(on, r);
            let id = r.uuid_at(at);
            let score = r.chance(0.4).then(|| r.range(3, 9));
            batch
                .outcomes
                .value(id)
                .value(case_id)
                .text(kind.as_str())
                .value(on)
                .text("Confirmed with the person and the agency concerned")
                .opt_value(score)
                .text(coordinator)
                .value(at.to_rfc3339())
                .end_row();
            if let Some(domain) = domain {
                for (iid, _, _) in logged.iter().filter(|(_, d, when)| *d == domain && *when <= on).take(2) {
                    batch.outcome_links.value(id).value(iid).end_row();
                }
            }
        };
        for n in &needs {
            let Some(met) = n.met_on else { continue };
            let kind = match n.domain {
                NeedDomain::Accommodation => OutcomeKind::SecureSuitableHousing,
                NeedDomain::HealthGp | NeedDomain::MentalHealth => OutcomeKind::AccessToMedicalTreatment,
                NeedDomain::EducationTraining => OutcomeKind::AccessToEducation,
                NeedDomain::Employment => OutcomeKind::PurposeSelfActualisation,
                NeedDomain::Safety => OutcomeKind::SafetyFromTrafficker,
                _ => continue,
            };
            if r.chance(0.7) {
                outcome(kind, met, Some(n.domain), batch, r);
            }
        }
        if let Some(cg) = timeline.journey.cg.filter(|c| c.outcome == DecisionOutcome::Positive) {
            if r.chance(0.6) {
                outcome(OutcomeKind::LongTermConsistentSupport, cg.date + Duration::days(r.range(10, 60)), None, batch, r);
            }
        }
        if r.chance(0.25) {
            outcome(OutcomeKind::CompassionateTraumaInformedServices, start + Duration::days(r.range(20, 90)), None, batch, r);
        }
        let closed_lost = events
            .iter()
            .any(|e| matches!(&e.body, EventBody::Fact(f) if f.fact == Fact::CaseClosed { reason: ClosureReason::LostContact }));
        if closed_lost {
            if let Some(on) = timeline.journey.closed {
                outcome(OutcomeKind::LostContact, on, None, batch, r);
            }
        }
        if r.chance(0.03) {
            outcome(OutcomeKind::ReExploited, start + Duration::days(r.range(30, active.max(31))), None, batch, r);
        }
        if r.chance(0.01) {
            outcome(OutcomeKind::Detained, start + Duration::days(r.range(30, active.max(31))), None, batch, r);
        }
        Ok(())
    }
}

/// The agency whose coordinators keep the demo network's cases.
pub const DEMO_COORDINATOR_AGENCY: &str = "Northshire Victim Care Service";

/// The id of [`DEMO_COORDINATOR_AGENCY`].
pub async fn coordinator_agency(db: &BulkLoader) -> Result<Uuid, String> {
    db.pairs(&format!("SELECT id::text, name FROM agencies WHERE name = '{DEMO_COORDINATOR_AGENCY}'"))
        .await
        .map_err(|e| e.to_string())?
        .first()
        .and_then(|(id, _)| Uuid::try_parse(id).ok())
        .ok_or_else(|| "the demo network's victim care agency is missing".to_owned())
}

fn progress_line(done: usize, total: usize, s: &DemoSummary, started: Instant) -> String {
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    format!(
        "[{}{}] {:>3}% {done}/{total} cases, {} interventions, {:.0} s",
        "#".repeat(filled),
        ".".repeat(width - filled),
        (done * 100).checked_div(total).unwrap_or(100),
        s.interventions,
        started.elapsed().as_secs_f64()
    )
}

/// Generates and loads the demo network into an empty database (no cases yet).
pub async fn load(url: &str, book: &RuleBook, opts: DemoOptions, now: DateTime<Utc>) -> Result<DemoSummary, String> {
    let started = Instant::now();
    let today = fourthp_domain::time::london_date(now);
    if !(2009..=today.year()).contains(&opts.from_year) {
        return Err(format!("--from must be a year from 2009 to {}", today.year()));
    }
    let from = NaiveDate::from_ymd_opt(opts.from_year, 1, 1).ok_or("--from must be a year")?.max(fourthp_domain::case::nrm_start());
    let db = BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
    if db.count("SELECT count(*) FROM cases").await.map_err(|e| e.to_string())? > 0 {
        return Err("the database already holds cases: demo data only goes into an empty one, never beside real records".into());
    }
    let mut totals = DemoSummary::default();
    let mut r = Rng(opts.seed ^ 0x4650_5034_5F44_454D);

    // Agencies: those of the demo network that are not there yet.
    let mut sql = String::from("INSERT INTO agencies (id, name, kind, contact_email, active, version, created_at, updated_at) VALUES ");
    let founded = from.and_time(NaiveTime::MIN).and_utc();
    for (i, (name, kind)) in AGENCIES.iter().enumerate() {
        let id = r.uuid_at(founded);
        let email = format!("team{}@example.org", i + 1);
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("('{id}', '{}', '{}', '{email}', true, 1, now(), now())", name.replace('\'', "''"), kind.as_str()));
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    db.execute(&sql).await.map_err(|e| e.to_string())?;
    let rows = db.pairs("SELECT id::text, kind FROM agencies WHERE active ORDER BY name").await.map_err(|e| e.to_string())?;
    let agencies =
        Agencies { all: rows.iter().filter_map(|(id, kind)| Some((Uuid::try_parse(id).ok()?, AgencyKind::parse(kind)?))).collect() };
    totals.agencies = agencies.all.len() as u64;
    let coordinator_agency = coordinator_agency(&db).await?;

    let mut generator = Generator {
        r,
        today,
        now,
        book,
        agencies: &agencies,
        coordinator_agency,
        from,
        run: format!("demo-data-seed-{}", opts.seed),
        source: fourthp_persistence::audit::source(),
    };
    let tty = std::io::stderr().is_terminal();
    let mut batch = Batch::new();
    let mut last_report = 0;
    const BATCH: usize = 500;
    for i in 0..opts.cases {
        generator.case(i64::try_from(i + 1).unwrap_or(i64::MAX), &mut batch)?;
        if (i + 1) % BATCH == 0 || i + 1 == opts.cases {
            batch.load(&db, &mut totals).await?;
            if opts.progress {
                let done = i + 1;
                if tty {
                    eprint!("\r{}", progress_line(done, opts.cases, &totals, started));
                } else if done * 10 / opts.cases.max(1) > last_report || done == opts.cases {
                    last_report = done * 10 / opts.cases.max(1);
                    eprintln!("{}", progress_line(done, opts.cases, &totals, started));
                }
            }
        }
    }
    if opts.progress && tty {
        eprintln!();
    }
    db.execute(&format!("SELECT setval('case_reference_seq', {})", opts.cases.max(1))).await.map_err(|e| e.to_string())?;
    db.execute("VACUUM (ANALYZE) cases, case_team, case_events, needs, interventions, actions, deadlines, outcomes, outcome_interventions")
        .await
        .map_err(|e| e.to_string())?;
    totals.seconds = started.elapsed().as_secs_f64();
    let _ = std::io::stderr().flush();
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_spreads_evenly() {
        let mut a = Rng(7);
        let mut b = Rng(7);
        let xs: Vec<u64> = (0..100).map(|_| a.below(10)).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.below(10)).collect();
        assert_eq!(xs, ys);
        let mut r = Rng(1);
        let heads = (0..10_000).filter(|_| r.chance(0.44)).count();
        assert!((4_200..4_600).contains(&heads), "{heads}");
        let picks: Vec<i64> = (0..1000).map(|_| r.range(3, 5)).collect();
        assert!(picks.iter().all(|p| (3..=5).contains(p)) && picks.contains(&3) && picks.contains(&5));
    }
}
