//! Subject access (UK GDPR art. 15): a person asks for everything held about them. A
//! coordinator or the data protection officer records the request (its answer is due one
//! calendar month after it was received, and the coordinators' board shows it until it is
//! answered), puts the copy together (the whole record, free text with other people's details
//! withheld, who has read the record by agency, and when it will be redacted), and marks the
//! request answered.

use std::collections::HashMap;

use chrono::NaiveDate;
use fourthp_domain::access::{subject_access, CaseView};
use fourthp_domain::audit::{AuditEntry, AuditOutcome, EntityType, Purpose};
use fourthp_domain::case::Stage;
use fourthp_domain::challenge::name_candidates;
use fourthp_domain::event::{EventBody, Fact};
use fourthp_domain::ids::{AgencyId, CaseId, SubjectAccessRequestId};
use fourthp_domain::subject_access::{answer_due, retained_until, ThirdParties};
use fourthp_domain::time::london_date;
use fourthp_persistence::subject_access::{self as store, Answered, ReadsBy, SubjectAccessRequest};
use fourthp_persistence::{agencies, cases, challenges};

use super::timeline::{assemble, CaseRecord};
use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// The person's copy of their record.
pub struct SubjectAccessCopy {
    /// The record, whole, its free text as the copy shows it.
    pub record: CaseRecord,
    /// The agencies the record names, by id.
    pub agencies: HashMap<AgencyId, String>,
    /// Who has read the record or tried to, by agency and role.
    pub reads: Vec<ReadsBy>,
    /// When the record will be redacted, once the case is closed.
    pub retained_until: Option<NaiveDate>,
    /// The deployment's retention period after closure, in years.
    pub retention_years: u32,
    /// The requests recorded for this case, latest first.
    pub requests: Vec<SubjectAccessRequest>,
    pub prepared_on: NaiveDate,
}

impl SubjectAccessCopy {
    /// The name of an agency the record names.
    pub fn agency(&self, id: AgencyId) -> String {
        self.agencies.get(&id).cloned().unwrap_or_else(|| "An agency no longer in the network".to_owned())
    }

    /// What the copy holds and what it withholds, in plain words (the JSON's and the page's).
    pub fn about(&self) -> String {
        format!(
            "This is everything the network holds about the person with reference {}, as it stood on {}. Other people's names, \
             email addresses and telephone numbers, and other cases' references, are shown as [withheld]; members of staff are \
             named by their agency, not by name. The read log shows every agency that looked at the record, and every attempt \
             that was refused.",
            self.record.case.reference.as_str(),
            fourthp_domain::words::long_date(self.prepared_on)
        )
    }

    /// How long the record is kept, in plain words.
    pub fn retention_rule(&self) -> String {
        format!(
            "The person's details are redacted {} years after the case closes; the anonymous facts stay for reports.",
            self.retention_years
        )
    }
}

/// Who may handle subject access, and the case it concerns: a refusal is recorded against
/// the case.
async fn handled_case(caller: &Caller, state: &AppState, id: CaseId) -> Result<fourthp_domain::case::Case, AppError> {
    caller.attempted(id);
    subject_access(caller.principal().role)?;
    let case = cases::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    caller.allowed(id);
    Ok(case)
}

/// Records a request received on `received_on` (not in the future, nor before the case was
/// opened, give or take the request arriving first): its answer is due one calendar month on.
/// Field at fault: `received_on`.
pub async fn request(caller: &Caller, state: &AppState, id: CaseId, received_on: NaiveDate) -> Result<SubjectAccessRequest, AppError> {
    let case = handled_case(caller, state, id).await?;
    let today = london_date(caller.ctx.at);
    if received_on > today {
        return Err(AppError::invalid("received_on", "must be today or earlier"));
    }
    if received_on < fourthp_domain::lifecycle::nrm_start() {
        return Err(AppError::invalid("received_on", "must be on or after 1 April 2009"));
    }
    let due = answer_due(received_on, fourthp_domain::calendar::Calendar(case.details.jurisdiction));
    Ok(store::record(&state.db, &caller.ctx, id, received_on, due).await?)
}

/// Marks a request answered today.
pub async fn answer(
    caller: &Caller,
    state: &AppState,
    id: CaseId,
    request: SubjectAccessRequestId,
) -> Result<SubjectAccessRequest, AppError> {
    handled_case(caller, state, id).await?;
    match store::answer(&state.db, &caller.ctx, id, request, london_date(caller.ctx.at)).await? {
        Answered::Done(r) => Ok(r),
        Answered::Already(on) => Err(AppError::conflict("already-answered", format!("This request was marked answered on {on}."))),
        Answered::Missing => {
            caller.refused_child();
            Err(AppError::NotFound)
        }
    }
}

/// The case's requests, latest first.
pub async fn requests(caller: &Caller, state: &AppState, id: CaseId) -> Result<Vec<SubjectAccessRequest>, AppError> {
    handled_case(caller, state, id).await?;
    Ok(store::for_case(&state.db, id).await?)
}

/// The requests not yet answered across the network, soonest due first (coordinators and the
/// data protection officer): each case shown is recorded as read.
pub async fn open(caller: &Caller, state: &AppState) -> Result<Vec<(SubjectAccessRequest, fourthp_domain::case::CaseReference)>, AppError> {
    subject_access(caller.principal().role)?;
    let open = store::open(&state.db).await?;
    caller.listed(open.iter().map(|(r, _)| r.case_id), Purpose::SubjectAccess);
    Ok(open)
}

/// Puts the person's copy together: the whole record, as no one role sees it, recorded in the
/// read log as read for subject access.
pub async fn copy(caller: &Caller, state: &AppState, id: CaseId) -> Result<SubjectAccessCopy, AppError> {
    let case = handled_case(caller, state, id).await?;
    caller.log_read(AuditEntry { purpose: Some(Purpose::SubjectAccess), ..AuditEntry::read(EntityType::Case, id, AuditOutcome::Success) });
    let mut record = assemble(state, id, case, CaseView::FULL, None).await?;
    let parties = third_parties(state, &record).await?;
    withhold_in(&mut record, &parties);
    let reads = store::reads_by_agency(&state.db, id).await?;
    let mut ids: Vec<AgencyId> = record.case.team.iter().map(|m| m.agency_id).collect();
    ids.extend(record.interventions.iter().flat_map(|i| [i.details.counterpart_agency_id, i.recorded_by_agency]));
    ids.extend(record.actions.iter().map(|a| a.details.owner_agency_id));
    ids.extend(record.asks.iter().map(|k| k.agency));
    ids.extend(reads.iter().filter_map(|r| r.agency));
    ids.sort();
    ids.dedup();
    let agencies = agencies::names_of(&state.db, &ids).await?;
    let closed_on = (record.case.stage == Stage::Closed)
        .then(|| {
            record
                .events
                .iter()
                .filter_map(|e| match &e.body {
                    EventBody::Fact(f) if matches!(f.fact, Fact::CaseClosed { .. }) => Some(f.date),
                    _ => None,
                })
                .max()
        })
        .flatten();
    let requests = store::for_case(&state.db, id).await?;
    Ok(SubjectAccessCopy {
        record,
        agencies,
        reads,
        retained_until: retained_until(closed_on, state.retention_years),
        retention_years: state.retention_years,
        requests,
        prepared_on: london_date(caller.ctx.at),
    })
}

/// Every free text of the record, gathered to look for other people's names in.
fn free_texts(record: &CaseRecord) -> Vec<&str> {
    let mut texts: Vec<&str> = record.interventions.iter().map(|i| i.details.summary.as_str()).collect();
    for a in &record.actions {
        texts.push(a.details.description.as_str());
        if let Some(c) = &a.closure {
            texts.push(c.note.as_str());
        }
    }
    texts.extend(record.outcomes.iter().filter_map(|o| o.details.evidence.as_ref().map(|e| e.as_str())));
    texts.extend(record.asks.iter().filter_map(|k| k.answer.as_ref().and_then(|a| a.text.as_ref()).map(|t| t.as_str())));
    texts.extend(record.deadlines.iter().filter_map(|d| d.waiver.as_ref().map(|w| w.reason.as_str())));
    for e in &record.events {
        if let EventBody::Correction { reason, .. } = &e.body {
            texts.push(reason.as_str());
        }
    }
    texts
}

/// Whose details the copy withholds: names of other cases and of members of staff that the
/// record's free text holds, besides emails, telephone numbers and other cases' references.
async fn third_parties(state: &AppState, record: &CaseRecord) -> Result<ThirdParties, AppError> {
    let mut candidates: Vec<String> = free_texts(record).into_iter().flat_map(name_candidates).collect();
    candidates.sort();
    candidates.dedup();
    let own = record.case.details.known_as.as_str().to_lowercase();
    let mut others = challenges::names_known(&state.db, &candidates, &challenges::NameScope::All).await?;
    others.extend(store::staff_names_in(&state.db, &candidates).await?);
    others.retain(|n| n.to_lowercase() != own);
    Ok(ThirdParties { own_names: vec![own], own_reference: record.case.reference.as_str().to_owned(), others })
}

/// `value` with other people's details withheld, as its own type again (the withheld text if
/// it still fits, or the whole text withheld).
fn scrubbed<T, E>(value: &T, as_str: impl Fn(&T) -> &str, parse: impl Fn(&str) -> Result<T, E>, parties: &ThirdParties) -> T
where
    T: Clone,
{
    let shown = parties.withheld(as_str(value));
    parse(&shown).or_else(|_| parse("[withheld]")).unwrap_or_else(|_| value.clone())
}

fn withhold_in(record: &mut CaseRecord, parties: &ThirdParties) {
    use fourthp_domain::action::{ActionDescription, ActionNote};
    use fourthp_domain::deadline::WaiverReason;
    use fourthp_domain::event::CorrectionReason;
    use fourthp_domain::intervention::Summary;
    use fourthp_domain::notify::AskAnswerText;
    use fourthp_domain::outcome::Evidence;
    for i in &mut record.interventions {
        i.details.summary = scrubbed(&i.details.summary, Summary::as_str, Summary::parse, parties);
    }
    for a in &mut record.actions {
        a.details.description = scrubbed(&a.details.description, ActionDescription::as_str, ActionDescription::parse, parties);
        if let Some(c) = &mut a.closure {
            c.note = scrubbed(&c.note, ActionNote::as_str, ActionNote::parse, parties);
        }
    }
    for o in &mut record.outcomes {
        if let Some(e) = &mut o.details.evidence {
            *e = scrubbed(e, Evidence::as_str, Evidence::parse, parties);
        }
    }
    for k in &mut record.asks {
        if let Some(t) = k.answer.as_mut().and_then(|a| a.text.as_mut()) {
            *t = scrubbed(t, AskAnswerText::as_str, AskAnswerText::parse, parties);
        }
    }
    for d in &mut record.deadlines {
        if let Some(w) = &mut d.waiver {
            w.reason = scrubbed(&w.reason, WaiverReason::as_str, WaiverReason::parse, parties);
        }
    }
    for e in &mut record.events {
        if let EventBody::Correction { reason, .. } = &mut e.body {
            *reason = scrubbed(reason, CorrectionReason::as_str, CorrectionReason::parse, parties);
        }
    }
}

/// The case a reference names, for those who handle subject access: a person's letter gives
/// their reference, not an id.
pub async fn case_by_reference(
    caller: &Caller,
    state: &AppState,
    reference: &fourthp_domain::case::CaseReference,
) -> Result<CaseId, AppError> {
    subject_access(caller.principal().role)?;
    cases::id_by_reference(&state.db, reference).await?.ok_or(AppError::NotFound)
}
