//! Moving a partnership's caseload in from its spreadsheets: what a cell holds, the forms of
//! date British spreadsheets hold (`dd/mm/yyyy`, Excel serial numbers, ISO 8601), yes and no,
//! lists, the vocabularies read by their codes or their words, and which FourthP field a
//! column heading most likely is. Parsing a row into a case goes through the same functions
//! as the API; this module only reads cells.

use chrono::{Duration, NaiveDate};

use crate::words::Words;

/// A spreadsheet cell as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell formatted as a date (or date and time: the date is kept).
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            Cell::Number(_) | Cell::Date(_) | Cell::Bool(_) => false,
        }
    }

    /// The cell as text: numbers without a trailing `.0`, dates in ISO form.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Bool(true) => "Yes".to_owned(),
            Cell::Bool(false) => "No".to_owned(),
        }
    }
}

/// Day 0 of Excel's 1900 date system as the spreadsheets count it (serial 60 is the 29 February
/// 1900 that never was, so serials from 61 count from here).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or(NaiveDate::MIN)
}

/// A date as British spreadsheets hold it: a date cell, an Excel serial number, `dd/mm/yyyy`
/// (also with `-` or `.`, and two-digit years as 20yy), or ISO `yyyy-mm-dd`. Day first: a
/// month over 12 is refused rather than read the American way.
pub fn date_of(cell: &Cell) -> Result<NaiveDate, &'static str> {
    const FORMS: &str = "must be a date, like 31/01/2026";
    match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Number(n) if n.fract() == 0.0 && (61.0..=2_958_465.0).contains(n) => {
            // Whole days only; checked in range above, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let days = *n as i64;
            Ok(excel_epoch() + Duration::days(days))
        }
        Cell::Text(t) => {
            let t = t.trim();
            if t.len() == 10 && t.as_bytes()[4] == b'-' {
                return NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| FORMS);
            }
            let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
            let [d, m, y] = parts.as_slice() else { return Err(FORMS) };
            let (Ok(d), Ok(m), Ok(y)) = (d.parse::<u32>(), m.parse::<u32>(), y.parse::<i32>()) else { return Err(FORMS) };
            if m > 12 {
                return Err("must be a date written day first, like 31/01/2026 (the month was over 12)");
            }
            let y = if y < 100 { 2000 + y } else { y };
            NaiveDate::from_ymd_opt(y, m, d).ok_or("is not a date that exists")
        }
        Cell::Empty => Err("is required"),
        Cell::Number(_) | Cell::Bool(_) => Err(FORMS),
    }
}

/// Yes or no: `yes`, `y`, `true`, `1`, `✓` and a ticked box are yes; `no`, `n`, `false`, `0`
/// and an empty cell are no.
pub fn yes_no(cell: &Cell) -> Result<bool, &'static str> {
    match cell {
        Cell::Empty => Ok(false),
        Cell::Bool(b) => Ok(*b),
        Cell::Number(n) if *n == 0.0 || *n == 1.0 => Ok(*n == 1.0),
        Cell::Number(_) | Cell::Date(_) => Err("must be yes or no"),
        Cell::Text(t) => match normal(t).as_str() {
            "" | "no" | "n" | "false" | "0" | "x" => Ok(false),
            "yes" | "y" | "true" | "1" | "✓" => Ok(true),
            _ => Err("must be yes or no"),
        },
    }
}

/// The items of a list cell: separated by commas, semicolons, slashes, `|` or " and ".
pub fn list_of(cell: &Cell) -> Vec<String> {
    let text = cell.text();
    text.replace(" and ", ",").split([',', ';', '/', '|']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Lower case, letters and digits only: how headings and values are compared.
pub fn normal(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric() || *c == '✓').flat_map(char::to_lowercase).collect()
}

/// The value of a vocabulary a cell names, by its code or its words ("Labour exploitation",
/// "labour", "LABOUR"), or by the start of its words (four letters at least), or by one of
/// `also` (`("m", Gender::Male)`).
pub fn pick<T: Words + Copy + std::fmt::Display>(all: &[T], raw: &str, also: &[(&str, T)]) -> Option<T> {
    let n = normal(raw);
    if n.is_empty() {
        return None;
    }
    if let Some((_, v)) = also.iter().find(|(s, _)| normal(s) == n) {
        return Some(*v);
    }
    if let Some(v) = all.iter().find(|v| normal(&v.to_string()) == n || normal(v.words()) == n) {
        return Some(*v);
    }
    let starts: Vec<&T> = all.iter().filter(|v| n.len() >= 4 && normal(v.words()).starts_with(&n)).collect();
    match starts.as_slice() {
        [one] => Some(**one),
        _ => None,
    }
}

vocabulary!(
    /// What a sheet of the workbook holds.
    SheetKind {
        Cases => "cases",
        Events => "events",
        Interventions => "interventions",
    }
);

impl SheetKind {
    /// A sheet's kind by its name ("NRM events", "Contacts log"); `None` for the cases (the
    /// first sheet that is neither).
    pub fn by_name(name: &str) -> Option<SheetKind> {
        let n = normal(name);
        if n.contains("event") || n.contains("milestone") || n.contains("decision") {
            Some(SheetKind::Events)
        } else if n.contains("interv") || n.contains("contact") || n.contains("call") || n.contains("log") {
            Some(SheetKind::Interventions)
        } else {
            None
        }
    }
}

vocabulary!(
    /// The FourthP field a spreadsheet column is read into.
    Target {
        Reference => "reference",
        KnownAs => "known_as",
        BirthYear => "birth_year",
        DateOfBirth => "date_of_birth",
        PresumedChild => "presumed_child",
        Gender => "gender",
        Nationalities => "nationalities",
        Languages => "languages",
        InterpreterNeeded => "interpreter_needed",
        ExploitationTypes => "exploitation_types",
        CountyLines => "county_lines",
        Jurisdiction => "jurisdiction",
        LocalAuthority => "local_authority",
        NrmConsent => "nrm_consent",
        DataSharing => "data_sharing",
        ConsentRecordedOn => "consent_recorded_on",
        EventType => "event",
        EventDate => "event_date",
        Outcome => "outcome",
        CompetentAuthority => "competent_authority",
        FirstResponder => "first_responder",
        ClosureReason => "closure_reason",
        OccurredAt => "occurred_at",
        Channel => "channel",
        Direction => "direction",
        Counterpart => "counterpart",
        NeedDomain => "need_domain",
        Summary => "summary",
        DurationMinutes => "duration_minutes",
    }
);

impl Target {
    /// Whether a column of a sheet of `kind` may be read into this field: the old reference on
    /// every sheet (events and interventions name their case by it), the rest on their own.
    pub fn on(self, kind: SheetKind) -> bool {
        self == Target::Reference || self.sheet() == kind
    }

    /// The kind of sheet the field belongs to (the old reference: the cases').
    pub fn sheet(self) -> SheetKind {
        use Target::*;
        match self {
            Reference | KnownAs | BirthYear | DateOfBirth | PresumedChild | Gender | Nationalities | Languages | InterpreterNeeded
            | ExploitationTypes | CountyLines | Jurisdiction | LocalAuthority | NrmConsent | DataSharing | ConsentRecordedOn => {
                SheetKind::Cases
            }
            EventType | EventDate | Outcome | CompetentAuthority | FirstResponder | ClosureReason => SheetKind::Events,
            OccurredAt | Channel | Direction | Counterpart | NeedDomain | Summary | DurationMinutes => SheetKind::Interventions,
        }
    }

    /// Whether a sheet of its kind cannot be read without it.
    pub fn required(self) -> bool {
        use Target::*;
        matches!(self, Reference | KnownAs | EventType | EventDate | OccurredAt | Counterpart | Summary)
    }

    /// The headings it is known by, besides its words (compared letters and digits only).
    fn headings(self) -> &'static [&'static str] {
        use Target::*;
        match self {
            Reference => &["reference", "ref", "case ref", "case reference", "case no", "case number", "case id", "id", "client id"],
            KnownAs => &["known as", "name", "alias", "initials", "client", "client name", "preferred name"],
            BirthYear => &["year of birth", "birth year", "yob"],
            DateOfBirth => &["date of birth", "dob", "d.o.b.", "birth date", "birthdate"],
            PresumedChild => &["presumed child", "child", "under 18", "age disputed"],
            Gender => &["gender", "sex"],
            Nationalities => &["nationality", "nationalities", "citizenship", "country of origin"],
            Languages => &["language", "languages", "first language", "main language"],
            InterpreterNeeded => &["interpreter", "interpreter needed", "needs interpreter", "interpreter required"],
            ExploitationTypes => {
                &["exploitation", "exploitation type", "type of exploitation", "exploitation types", "form of exploitation"]
            }
            CountyLines => &["county lines"],
            Jurisdiction => &["jurisdiction", "nation", "country"],
            LocalAuthority => &["local authority", "la", "council", "area", "borough"],
            NrmConsent => &["nrm consent", "consent to nrm", "consented to nrm"],
            DataSharing => &["data sharing", "consent to share", "information sharing", "sharing consent"],
            ConsentRecordedOn => &["consent date", "date of consent", "consent recorded", "consent recorded on"],
            EventType => &["event", "event type", "milestone", "what happened", "type"],
            EventDate => &["date", "event date", "date of event", "decision date"],
            Outcome => &["outcome", "decision", "result"],
            CompetentAuthority => &["competent authority", "authority", "decision maker"],
            FirstResponder => &["first responder", "first responder organisation", "referring agency", "referred by"],
            ClosureReason => &["closure reason", "reason for closure", "reason closed", "reason"],
            OccurredAt => &["date", "date and time", "when", "contact date", "occurred"],
            Channel => &["channel", "method", "contact type", "how"],
            Direction => &["direction", "in or out", "inbound or outbound"],
            Counterpart => &["agency", "with", "organisation", "contact agency", "partner"],
            NeedDomain => &["need", "need area", "support need", "domain"],
            Summary => &["summary", "notes", "note", "details", "description"],
            DurationMinutes => &["minutes", "duration", "duration minutes", "time spent"],
        }
    }

    /// The field a column heading on a sheet of `sheet` most likely is.
    pub fn suggest(sheet: SheetKind, heading: &str) -> Option<Target> {
        let h = normal(heading);
        if h.is_empty() {
            return None;
        }
        Target::ALL.iter().copied().filter(|t| t.on(sheet)).find(|t| normal(t.words()) == h || t.headings().iter().any(|x| normal(x) == h))
    }
}

/// Suggests a field for each heading, each field at most once (the first heading that names it).
pub fn suggest_all(sheet: SheetKind, headings: &[String]) -> Vec<Option<Target>> {
    let mut taken = Vec::new();
    headings
        .iter()
        .map(|h| {
            let t = Target::suggest(sheet, h).filter(|t| !taken.contains(t));
            if let Some(t) = t {
                taken.push(t);
            }
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{ExploitationType, Gender as G};
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn dates_in_the_forms_british_spreadsheets_hold() {
        let t = |s: &str| date_of(&Cell::Text(s.to_owned()));
        assert_eq!(t("31/01/2026"), Ok(d(2026, 1, 31)));
        assert_eq!(t("1/2/2026"), Ok(d(2026, 2, 1)), "day first");
        assert_eq!(t("01-02-26"), Ok(d(2026, 2, 1)));
        assert_eq!(t("01.02.2026"), Ok(d(2026, 2, 1)));
        assert_eq!(t("2026-02-01"), Ok(d(2026, 2, 1)));
        assert!(t("02/13/2026").is_err_and(|e| e.contains("day first")));
        assert!(t("31/02/2026").is_err());
        assert!(t("next week").is_err());
        // Excel: 45658 is 1 January 2025; 61 is 1 March 1900.
        assert_eq!(date_of(&Cell::Number(45658.0)), Ok(d(2025, 1, 1)));
        assert_eq!(date_of(&Cell::Number(61.0)), Ok(d(1900, 3, 1)));
        assert!(date_of(&Cell::Number(45658.5)).is_err());
        assert_eq!(date_of(&Cell::Date(d(2024, 5, 6))), Ok(d(2024, 5, 6)));
    }

    #[test]
    fn yes_no_and_lists() {
        assert_eq!(yes_no(&Cell::Text("Y".into())), Ok(true));
        assert_eq!(yes_no(&Cell::Text(" no ".into())), Ok(false));
        assert_eq!(yes_no(&Cell::Empty), Ok(false));
        assert!(yes_no(&Cell::Text("maybe".into())).is_err());
        assert_eq!(list_of(&Cell::Text("RO, AL; VN / GB and PL".into())), ["RO", "AL", "VN", "GB", "PL"]);
    }

    #[test]
    fn values_by_code_words_or_their_start() {
        assert_eq!(pick(G::ALL, "Male", &[]), Some(G::Male));
        assert_eq!(pick(G::ALL, "m", &[("m", G::Male)]), Some(G::Male));
        assert_eq!(pick(ExploitationType::ALL, "Labour exploitation", &[]), Some(ExploitationType::Labour));
        assert_eq!(pick(ExploitationType::ALL, "domestic_servitude", &[]), Some(ExploitationType::DomesticServitude));
        assert_eq!(pick(ExploitationType::ALL, "sexu", &[]), Some(ExploitationType::Sexual));
        assert_eq!(pick(ExploitationType::ALL, "x", &[]), None);
    }

    #[test]
    fn headings_suggest_fields() {
        let headings: Vec<String> =
            ["Case Ref", "Client name", "D.O.B.", "Sex", "Nationality", "Type of exploitation", "LA", "Notes", "Name"]
                .map(String::from)
                .to_vec();
        let s = suggest_all(SheetKind::Cases, &headings);
        assert_eq!(
            s,
            [
                Some(Target::Reference),
                Some(Target::KnownAs),
                Some(Target::DateOfBirth),
                Some(Target::Gender),
                Some(Target::Nationalities),
                Some(Target::ExploitationTypes),
                Some(Target::LocalAuthority),
                None,
                None
            ]
        );
        assert_eq!(SheetKind::by_name("NRM events"), Some(SheetKind::Events));
        assert_eq!(SheetKind::by_name("Contact log"), Some(SheetKind::Interventions));
        assert_eq!(SheetKind::by_name("Caseload 2026"), None);
    }

    proptest! {
        #[test]
        fn a_date_written_day_first_reads_back(days in 0i64..40_000) {
            let date = d(1950, 1, 1) + Duration::days(days);
            let written = date.format("%d/%m/%Y").to_string();
            prop_assert_eq!(date_of(&Cell::Text(written)), Ok(date));
            prop_assert_eq!(date_of(&Cell::Text(date.to_string())), Ok(date));
        }

        #[test]
        fn no_cell_text_panics_the_readers(s in "\\PC{0,30}") {
            let c = Cell::Text(s);
            let _ = date_of(&c);
            let _ = yes_no(&c);
            let _ = list_of(&c);
            let _ = pick(G::ALL, &c.text(), &[]);
        }
    }
}
