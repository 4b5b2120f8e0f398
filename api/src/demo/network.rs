//! The demo network: its agencies, places, nationalities and coordinators, and the phrases and
//! timings its records are drawn from.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::case::Jurisdiction;
use fourthp_domain::need::NeedDomain;
use uuid::Uuid;

use super::rng::Rng;
use super::DEMO_COORDINATOR_AGENCY;

pub(super) const AGENCIES: &[(&str, AgencyKind)] = &[
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

pub(super) const LOCAL_AUTHORITIES: &[(Jurisdiction, &[&str])] = &[
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
pub(super) const NATIONALITIES: &[((&str, &str), u32)] = &[
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

pub(super) const COORDINATORS: &[&str] = &["vcc-01", "vcc-02", "vcc-03", "vcc-04", "vcc-05", "vcc-06", "vcc-07", "vcc-08"];

pub(super) fn summary(domain: NeedDomain, r: &mut Rng) -> &'static str {
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

/// What a follow-up agreed in a conversation about a need asks of the agency that owes it, in
/// the words coordinators write.
pub(super) fn action_wording(domain: NeedDomain, r: &mut Rng) -> &'static str {
    let options: &[&str] = match domain {
        NeedDomain::HealthGp => &[
            "Register with the GP practice and book a new-patient health check",
            "Rebook the missed GP appointment for the next morning",
            "Send the GP registration form with a note that no ID is needed",
        ],
        NeedDomain::Accommodation => &[
            "Arrange a viewing of the one-bedroom flat",
            "Confirm the move-on accommodation date in writing",
            "Send the housing assessment paperwork",
            "Find a bed before the move-on period ends",
        ],
        NeedDomain::MentalHealth => &["Make the talking therapies referral", "Book the trauma-informed assessment"],
        NeedDomain::LegalImmigration => {
            &["Book the solicitor's appointment about the asylum claim", "Send the legal aid paperwork to the solicitor"]
        }
        NeedDomain::LegalCriminalJustice => {
            &["Update the coordinator after the officer's case review", "Arrange witness support before the court date"]
        }
        NeedDomain::FinancesBenefits => {
            &["Book the Jobcentre appointment for the Universal Credit claim", "Help open a basic bank account"]
        }
        NeedDomain::Safety => &["Make the safeguarding referral", "Review the safety plan after contact from the exploiters"],
        NeedDomain::Interpreting => &["Book an interpreter for the appointment", "Confirm the interpreter for the solicitor's visit"],
        NeedDomain::EducationTraining => &["Enrol on the ESOL course starting next term", "Confirm the college place"],
        NeedDomain::Employment => &["Make the referral to a work coach", "Ask the employer about a supported placement"],
        NeedDomain::SocialConnection => &["Introduce to the community group on Thursday", "Make the befriending service referral"],
        NeedDomain::SubstanceUse => &["Make the referral to the substance misuse service"],
        NeedDomain::Practical => &["Arrange the bank account appointment", "Get a phone and a travel pass"],
    };
    r.pick::<&str>(options)
}

/// How a done action was closed, in the owner's words.
pub(super) const DONE_NOTES: &[&str] = &[
    "Done: booked and confirmed by email",
    "Done as agreed; the coordinator has the details",
    "Done: appointment attended",
    "Done, a day late: the first slot fell through",
];

/// Why an action was not done.
pub(super) const CANCELLED_NOTES: &[&str] = &["No longer needed: arranged another way", "Not needed after the case review"];

/// When each kind of need is usually met, in days after it is identified (low, high).
pub(super) fn need_profile(domain: NeedDomain) -> (i64, i64) {
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

pub(super) fn at_time(date: NaiveDate, r: &mut Rng) -> DateTime<Utc> {
    let secs = u32::try_from(r.range(8 * 3600, 17 * 3600)).unwrap_or(36_000);
    date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default()).and_utc()
}

/// The network's active agencies, by kind.
pub(super) struct Agencies {
    pub all: Vec<(Uuid, AgencyKind)>,
    /// Every agency's name, for what the records say of them.
    pub names: std::collections::HashMap<Uuid, String>,
}

impl Agencies {
    pub fn name(&self, id: Uuid) -> &str {
        self.names.get(&id).map_or("an agency", String::as_str)
    }

    fn of(&self, kind: AgencyKind) -> Vec<Uuid> {
        self.all.iter().filter(|(_, k)| *k == kind).map(|(id, _)| *id).collect()
    }

    pub fn one(&self, kind: AgencyKind, r: &mut Rng) -> Option<Uuid> {
        let of = self.of(kind);
        (!of.is_empty()).then(|| *r.pick(&of))
    }
}
