//! Cases: one person's support journey.
//!
//! Pseudonymous by default: a case holds an alias or initials (`known_as`), a birth year rather
//! than a date of birth unless consent allows, and the facts partners need to act.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::agency::set;
use crate::codes::{CountryCode, LanguageCode};
use crate::error::FieldErrors;
use crate::ids::{AgencyId, CaseId};
pub use crate::lifecycle::{nrm_start, Stage};
use crate::principal::Subject;
use crate::text::bounded_text;

vocabulary!(
    /// Gender, in the values of the IOM Human Trafficking Case Data Standard v2.0 (`prs_Gender`):
    /// `female` = Feminine, `male` = Masculine, `transgender_female` = Transgender feminine,
    /// `transgender_male` = Transgender masculine, `non_conforming` = Non-conforming,
    /// `not_specified` = Not specified/unknown.
    Gender {
        Female => "female",
        Male => "male",
        TransgenderFemale => "transgender_female",
        TransgenderMale => "transgender_male",
        NonConforming => "non_conforming",
        NotSpecified => "not_specified",
    }
);

impl Gender {
    /// The HTCDS v2.0 `prs_Gender` label of each value.
    pub fn htcds_label(self) -> &'static str {
        match self {
            Gender::Female => "Feminine",
            Gender::Male => "Masculine",
            Gender::TransgenderFemale => "Transgender feminine",
            Gender::TransgenderMale => "Transgender masculine",
            Gender::NonConforming => "Non-conforming",
            Gender::NotSpecified => "Not specified/unknown",
        }
    }
}

vocabulary!(
    /// Forms of exploitation, as in the NRM statistics.
    ExploitationType {
        Labour => "labour",
        Sexual => "sexual",
        Criminal => "criminal",
        DomesticServitude => "domestic_servitude",
        OrganHarvesting => "organ_harvesting",
        Other => "other",
        Unknown => "unknown",
    }
);

vocabulary!(
    /// Which UK rule set applies to the case.
    Jurisdiction {
        EnglandWales => "england_wales",
        Scotland => "scotland",
        NorthernIreland => "northern_ireland",
    }
);

vocabulary!(
    /// Consent to enter the National Referral Mechanism.
    NrmConsent {
        Given => "given",
        /// An adult declined: only a Duty to Notify report is made.
        Declined => "declined",
        /// Children enter the NRM without consent.
        NotRequiredChild => "not_required_child",
    }
);

vocabulary!(
    /// What the person agreed may be shared with partner agencies.
    DataSharing {
        Share => "share",
        Confidential => "confidential",
        Anonymous => "anonymous",
    }
);

vocabulary!(
    /// Age band, from the youngest age the person may be (children are presumed so).
    AgeBand {
        Under12 => "under_12",
        From12To15 => "12_15",
        From16To17 => "16_17",
        From18To24 => "18_24",
        From25To34 => "25_34",
        From35To44 => "35_44",
        From45To54 => "45_54",
        From55 => "55_plus",
        Unknown => "unknown",
    }
);

bounded_text!(
    /// The alias or initials the case is known by; never a full legal name by default.
    KnownAs, max = 100, multiline = false
);
bounded_text!(
    /// The local authority area the person lives in (as named by the network).
    LocalAuthority, max = 100, multiline = false
);
bounded_text!(
    /// What an agency does on a case ("GP practice", "safe-house provider").
    TeamRole, max = 100, multiline = false
);

/// What is known of a person's birth. A full date only where data-sharing consent allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Birth {
    Unknown,
    Year(i32),
    Date(NaiveDate),
}

impl Birth {
    /// The birth year, however it is known.
    pub fn year(self) -> Option<i32> {
        match self {
            Birth::Unknown => None,
            Birth::Year(y) => Some(y),
            Birth::Date(d) => Some(d.year()),
        }
    }

    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Birth::Date(d) => Some(d),
            _ => None,
        }
    }

    /// Builds the birth information from the two wire fields, checking they agree and are
    /// plausible on `today`.
    pub fn from_parts(year: Option<i64>, date: Option<NaiveDate>, today: NaiveDate) -> Result<Birth, FieldErrors> {
        let mut errs = FieldErrors::new();
        let earliest = 1900;
        if let Some(y) = year {
            if y < i64::from(earliest) || y > i64::from(today.year()) {
                errs.push("birth_year", format!("must be between {earliest} and {}", today.year()));
            }
        }
        if let Some(d) = date {
            if d > today || d.year() < earliest {
                errs.push("date_of_birth", format!("must be between {earliest}-01-01 and today"));
            }
            if let Some(y) = year {
                if y != i64::from(d.year()) {
                    errs.push("birth_year", "must match the year of date_of_birth");
                }
            }
        }
        errs.into_result()?;
        Ok(match (year, date) {
            (_, Some(d)) => Birth::Date(d),
            (Some(y), None) => Birth::Year(i32::try_from(y).unwrap_or(earliest)),
            (None, None) => Birth::Unknown,
        })
    }

    /// The youngest age the person may be on `today`, if anything is known.
    pub fn youngest_age(self, today: NaiveDate) -> Option<u32> {
        match self {
            Birth::Unknown => None,
            Birth::Date(d) => today.years_since(d),
            Birth::Year(y) => {
                // Someone born on 31 December of `y` is the youngest; they only reach
                // `today.year() - y` on 31 December.
                let full = today.year() - y;
                let youngest = if today.month() == 12 && today.day() == 31 { full } else { full - 1 };
                u32::try_from(youngest.max(0)).ok()
            }
        }
    }
}

/// Whether the person is to be treated as a child on `on`: anyone who may be under 18 is presumed
/// one, and a coordinator may presume so where age is unknown or disputed.
///
/// This is FourthP's one definition of age: whole years since birth, a person born on 29
/// February reaching a new age on 1 March in years without one (chrono's `years_since`). The
/// outcome report's SQL (`persistence/sql/outcome_report_scope.sql`) uses PostgreSQL's `age()`,
/// which counts the same way; tests check both on 29 February births.
pub fn is_child(birth: Birth, presumed_child: bool, on: NaiveDate) -> bool {
    presumed_child || birth.youngest_age(on).is_some_and(|age| age < 18)
}

/// What the rules need to know of a person's age: which rules apply depends on whether the
/// person is (or is presumed) a child on the trigger's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeFacts {
    pub birth: Birth,
    pub presumed_child: bool,
}

impl AgeFacts {
    pub fn is_child_on(self, on: NaiveDate) -> bool {
        is_child(self.birth, self.presumed_child, on)
    }
}

/// The age band of the youngest age the person may be; `presumed_child` caps it below 18.
pub fn age_band(birth: Birth, presumed_child: bool, today: NaiveDate) -> AgeBand {
    let Some(age) = birth.youngest_age(today) else {
        return if presumed_child { AgeBand::From16To17 } else { AgeBand::Unknown };
    };
    let age = if presumed_child { age.min(17) } else { age };
    match age {
        0..=11 => AgeBand::Under12,
        12..=15 => AgeBand::From12To15,
        16..=17 => AgeBand::From16To17,
        18..=24 => AgeBand::From18To24,
        25..=34 => AgeBand::From25To34,
        35..=44 => AgeBand::From35To44,
        45..=54 => AgeBand::From45To54,
        _ => AgeBand::From55,
    }
}

/// Consent as recorded, with when and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub nrm: NrmConsent,
    pub data_sharing: DataSharing,
    pub recorded_on: NaiveDate,
    pub recorded_by: Subject,
}

/// Everything a coordinator records about a case, checked as a whole by [`CaseDetails::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDetails {
    pub known_as: KnownAs,
    pub birth: Birth,
    pub presumed_child: bool,
    pub gender: Gender,
    pub nationalities: Vec<CountryCode>,
    pub languages: Vec<LanguageCode>,
    pub interpreter_needed: bool,
    pub exploitation_types: Vec<ExploitationType>,
    pub county_lines: bool,
    pub jurisdiction: Jurisdiction,
    pub local_authority: LocalAuthority,
    pub consent: Consent,
    pub lead_coordinator: Subject,
}

/// Most nationalities and languages a case may list.
pub const MAX_NATIONALITIES: usize = 5;
pub const MAX_LANGUAGES: usize = 10;

impl CaseDetails {
    /// Checks the rules that involve more than one field, on `today` (London date).
    pub fn validate(self, today: NaiveDate) -> Result<CaseDetails, FieldErrors> {
        let mut errs = FieldErrors::new();
        if self.birth.date().is_some() && self.consent.data_sharing != DataSharing::Share {
            errs.push(
                "date_of_birth",
                "a date of birth may be recorded only when data-sharing consent is share; record birth_year instead",
            );
        }
        // Consent is judged at the person's age on the day it was recorded: a child referred
        // without consent stays so recorded after turning 18. A recorded_on out of range is
        // refused below, and the consent is then judged at today's age.
        let recorded_on_valid = self.consent.recorded_on <= today && self.consent.recorded_on >= nrm_start();
        let judged_on = if recorded_on_valid { self.consent.recorded_on } else { today };
        let child = is_child(self.birth, self.presumed_child, judged_on);
        match (child, self.consent.nrm) {
            (true, NrmConsent::Given | NrmConsent::Declined) => errs.push(
                "consent.nrm",
                "the person may have been under 18 on consent.recorded_on, so is presumed a child: NRM consent is not_required_child",
            ),
            (false, NrmConsent::NotRequiredChild) => {
                errs.push("consent.nrm", "not_required_child applies only to a person who may have been under 18 on consent.recorded_on")
            }
            _ => {}
        }
        if !recorded_on_valid {
            errs.push("consent.recorded_on", "must be between 2009-04-01 and today");
        }
        if self.exploitation_types.is_empty() {
            errs.push("exploitation_types", "must list at least one type (unknown if not yet known)");
        }
        if has_duplicates(&self.exploitation_types) {
            errs.push("exploitation_types", "must not repeat a type");
        }
        if self.county_lines && !self.exploitation_types.contains(&ExploitationType::Criminal) {
            errs.push("county_lines", "county lines exploitation is criminal exploitation: add criminal to exploitation_types");
        }
        if self.nationalities.len() > MAX_NATIONALITIES || has_duplicates(&self.nationalities) {
            errs.push("nationalities", format!("must list at most {MAX_NATIONALITIES} different countries"));
        }
        if self.languages.len() > MAX_LANGUAGES || has_duplicates(&self.languages) {
            errs.push("languages", format!("must list at most {MAX_LANGUAGES} different languages"));
        }
        errs.into_result().map(|()| self)
    }

    pub fn is_child(&self, today: NaiveDate) -> bool {
        is_child(self.birth, self.presumed_child, today)
    }

    pub fn age_facts(&self) -> AgeFacts {
        AgeFacts { birth: self.birth, presumed_child: self.presumed_child }
    }

    pub fn age_band(&self, today: NaiveDate) -> AgeBand {
        age_band(self.birth, self.presumed_child, today)
    }

    /// Whether any listed nationality is British.
    pub fn is_uk_national(&self) -> bool {
        self.nationalities.contains(&CountryCode::UNITED_KINGDOM)
    }
}

fn has_duplicates<T: Ord + Clone>(items: &[T]) -> bool {
    let mut sorted = items.to_vec();
    sorted.sort();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// A case reference such as `2026-000123`: the London year of creation and a serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct CaseReference(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must look like 2026-000123")]
pub struct InvalidReference;

impl CaseReference {
    /// The reference for serial `n` (from a database sequence: unique, gaps allowed) in `year`.
    pub fn new(year: i32, n: i64) -> Result<Self, InvalidReference> {
        if !(2009..=9999).contains(&year) || !(1..=999_999).contains(&n) {
            return Err(InvalidReference);
        }
        Ok(Self(format!("{year}-{n:06}")))
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidReference> {
        let (y, n) = raw.split_once('-').ok_or(InvalidReference)?;
        if y.len() != 4 || n.len() != 6 || !y.bytes().chain(n.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(InvalidReference);
        }
        let year = y.parse().map_err(|_| InvalidReference)?;
        let n = n.parse().map_err(|_| InvalidReference)?;
        Self::new(year, n)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub agency_id: AgencyId,
    pub role: Option<TeamRole>,
    pub added_at: DateTime<Utc>,
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: CaseId,
    pub reference: CaseReference,
    pub details: CaseDetails,
    /// The stage by events; see [`Case::stage_on`] for the stage on a given day.
    pub stage: Stage,
    /// When a case in its recovery period moves on to awaiting its CG.
    pub stage_advances_on: Option<NaiveDate>,
    pub team: Vec<TeamMember>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Case {
    /// The stage on `today` (London date).
    pub fn stage_on(&self, today: NaiveDate) -> Stage {
        crate::lifecycle::stage_on(self.stage, self.stage_advances_on, today)
    }

    pub fn team_agencies(&self) -> impl Iterator<Item = AgencyId> + '_ {
        self.team.iter().map(|m| m.agency_id)
    }
}

/// A partial update of a case's details. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasePatch {
    pub known_as: Option<KnownAs>,
    /// Replaces both `birth_year` and `date_of_birth`.
    pub birth: Option<Birth>,
    pub presumed_child: Option<bool>,
    pub gender: Option<Gender>,
    pub nationalities: Option<Vec<CountryCode>>,
    pub languages: Option<Vec<LanguageCode>>,
    pub interpreter_needed: Option<bool>,
    pub exploitation_types: Option<Vec<ExploitationType>>,
    pub county_lines: Option<bool>,
    pub jurisdiction: Option<Jurisdiction>,
    pub local_authority: Option<LocalAuthority>,
    pub consent: Option<Consent>,
    pub lead_coordinator: Option<Subject>,
}

impl CaseDetails {
    /// Applies `patch` and re-checks the whole, returning the new details and the wire names of
    /// the fields whose value changed.
    pub fn apply(&self, patch: CasePatch, today: NaiveDate) -> Result<(CaseDetails, Vec<&'static str>), FieldErrors> {
        let mut next = self.clone();
        let mut changed = Vec::new();
        if let Some(birth) = patch.birth {
            if birth.year() != self.birth.year() {
                changed.push("birth_year");
            }
            if birth.date() != self.birth.date() {
                changed.push("date_of_birth");
            }
            next.birth = birth;
        }
        set(&mut next.known_as, patch.known_as, "known_as", &mut changed);
        set(&mut next.presumed_child, patch.presumed_child, "presumed_child", &mut changed);
        set(&mut next.gender, patch.gender, "gender", &mut changed);
        set(&mut next.nationalities, patch.nationalities, "nationalities", &mut changed);
        set(&mut next.languages, patch.languages, "languages", &mut changed);
        set(&mut next.interpreter_needed, patch.interpreter_needed, "interpreter_needed", &mut changed);
        set(&mut next.exploitation_types, patch.exploitation_types, "exploitation_types", &mut changed);
        set(&mut next.county_lines, patch.county_lines, "county_lines", &mut changed);
        set(&mut next.jurisdiction, patch.jurisdiction, "jurisdiction", &mut changed);
        set(&mut next.local_authority, patch.local_authority, "local_authority", &mut changed);
        set(&mut next.consent, patch.consent, "consent", &mut changed);
        set(&mut next.lead_coordinator, patch.lead_coordinator, "lead_coordinator", &mut changed);
        let next = next.validate(today)?;
        Ok((next, changed))
    }
}

/// What someone types to find a case: its reference or the start of one ("2026-0001"), or part
/// of the name it is known by. Matched without regard to case; `%`, `_` and `\\` are literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSearch(String);

impl CaseSearch {
    pub const MAX_CHARS: usize = 100;

    /// Blank is no search (`None`); otherwise one line of at most 100 characters, trimmed.
    pub fn parse(raw: &str) -> Result<Option<Self>, &'static str> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err("must be at most 100 characters");
        }
        if text.chars().any(char::is_control) {
            return Err("must be one line of text");
        }
        Ok(Some(CaseSearch(text.to_lowercase())))
    }

    /// The text, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The start of a reference's shape (`2026-0001`: four digits, a dash, six digits): a
    /// reference search, never a name (an alias or initials has letters).
    pub fn is_reference(&self) -> bool {
        self.reference_range().is_some()
    }

    /// For a reference search, the first and last references that start with the text, as an
    /// inclusive range an ordinary index answers (a `LIKE` with a bound pattern cannot use one).
    /// Every reference has the same shape, so any collation orders them as their digits do.
    pub fn reference_range(&self) -> Option<(String, String)> {
        const SHAPE: &[u8] = b"dddd-dddddd";
        let typed = self.0.as_bytes();
        if typed.is_empty() || typed.len() > SHAPE.len() {
            return None;
        }
        let fits = typed.iter().zip(SHAPE).all(|(c, s)| if *s == b'd' { c.is_ascii_digit() } else { c == s });
        if !fits {
            return None;
        }
        let rest = |digit: char| SHAPE[typed.len()..].iter().map(|s| if *s == b'd' { digit } else { '-' }).collect::<String>();
        Some((format!("{}{}", self.0, rest('0')), format!("{}{}", self.0, rest('9'))))
    }

    /// A SQL `LIKE` pattern (escape character `\\`) matching references that start with the text.
    pub fn reference_prefix(&self) -> String {
        format!("{}%", like_escape(&self.0))
    }

    /// A SQL `LIKE` pattern (escape character `\\`) matching text that contains it.
    pub fn containing(&self) -> String {
        format!("%{}%", like_escape(&self.0))
    }
}

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
