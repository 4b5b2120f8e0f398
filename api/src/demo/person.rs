//! Drawing a person: their details, their journey through the NRM, their team and their needs.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::case::{
    Birth, CaseDetails, CaseReference, Consent, DataSharing, ExploitationType, Gender, Jurisdiction, KnownAs, LocalAuthority, NrmConsent,
};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::event::{CaseEvent, DatedFact, EventBody};
use fourthp_domain::lifecycle::{replay, Timeline};
use fourthp_domain::need::NeedDomain;
use fourthp_domain::principal::Subject;
use fourthp_domain::rules::RuleBook;
use uuid::Uuid;

use super::journeys::{plan_events, NeedPlan};
use super::network::{at_time, need_profile, Agencies, COORDINATORS, LOCAL_AUTHORITIES, NATIONALITIES};
use super::rng::Rng;

/// A person drawn, before their records are written.
pub(super) struct Person {
    pub start: NaiveDate,
    /// When support ended, or today.
    pub end: NaiveDate,
    pub jurisdiction: Jurisdiction,
    pub nrm: NrmConsent,
    pub sharing: DataSharing,
    pub coordinator: &'static str,
    pub details: CaseDetails,
    pub created_at: DateTime<Utc>,
    pub case_id: Uuid,
    pub reference: CaseReference,
    pub events: Vec<CaseEvent>,
    pub timeline: Timeline,
    pub team: Vec<Uuid>,
    pub needs: Vec<NeedPlan>,
}

/// Draws people and their records, one case at a time, from one random sequence.
pub(super) struct Generator<'a> {
    pub(super) r: Rng,
    pub(super) today: NaiveDate,
    pub(super) now: DateTime<Utc>,
    pub(super) book: &'a RuleBook,
    pub(super) agencies: &'a Agencies,
    pub(super) coordinator_agency: Uuid,
    pub(super) from: NaiveDate,
    pub(super) run: String,
    pub(super) source: &'static str,
}

impl Generator<'_> {
    /// A person, their case's details, events, team and needs.
    pub(super) fn person(&mut self, serial: i64) -> Result<Person, String> {
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
        Ok(Person {
            start,
            end,
            jurisdiction,
            nrm,
            sharing,
            coordinator,
            details,
            created_at,
            case_id,
            reference,
            events,
            timeline,
            team,
            needs,
        })
    }
}
