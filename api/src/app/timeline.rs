//! A case's record as the caller may see it: its events, interventions, actions, needs, outcomes
//! and deadlines, read once each, and merged into one timeline in time order that adapters page
//! through.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{self, sees_action, CaseAction, CaseView};
use fourthp_domain::action::Action;
use fourthp_domain::case::Case;
use fourthp_domain::deadline::{Deadline, DeadlineSource};
use fourthp_domain::event::{CaseEvent, EventBody};
use fourthp_domain::ids::{CaseId, EventId};
use fourthp_domain::intervention::Intervention;
use fourthp_domain::need::Need;
use fourthp_domain::notify::Ask;
use fourthp_domain::outcome::Outcome;
use fourthp_domain::time::london_date;
use fourthp_persistence::actions::{self, ActionFilter};
use fourthp_persistence::{deadlines, events, interventions, needs, outcomes};

use super::access::case_at;
use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// A case's record as the caller may see it.
pub struct CaseRecord {
    pub case: Case,
    pub view: CaseView,
    pub events: Vec<CaseEvent>,
    /// Which correction supersedes an event.
    pub superseded_by: HashMap<EventId, EventId>,
    pub interventions: Vec<Intervention>,
    /// The actions the caller may see.
    pub actions: Vec<Action>,
    /// Empty unless the caller may read the support record.
    pub needs: Vec<Need>,
    /// Empty unless the caller may read the support record.
    pub outcomes: Vec<Outcome>,
    /// Without the deadlines of actions the caller may not see.
    pub deadlines: Vec<Deadline>,
    /// "What happened?" asks: all for coordinators, those put to their own agency for partners.
    pub asks: Vec<Ask>,
}

/// What an entry of the timeline is.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Event(&'a CaseEvent),
    Intervention(&'a Intervention),
    Action(&'a Action),
    Need(&'a Need),
    Outcome(&'a Outcome),
    Deadline(&'a Deadline),
    /// Dated by its answer, or by when it was asked while unanswered.
    Ask(&'a Ask),
}

/// One entry of the timeline, with the London date it belongs to (event date, when an
/// intervention happened, when an action was agreed, a need identified, an outcome achieved, a
/// deadline due) and its instant where there is one.
#[derive(Debug, Clone)]
pub struct TimelineEntry<'a> {
    pub entry: Entry<'a>,
    pub date: NaiveDate,
    pub at: Option<DateTime<Utc>>,
    /// Its place: date, instant (entries without one first), kind and id, as a string that sorts
    /// in that order; the position a page continues after.
    pub key: String,
}

impl<'a> TimelineEntry<'a> {
    fn new(entry: Entry<'a>, kind: u8, id: uuid::Uuid, date: NaiveDate, at: Option<DateTime<Utc>>) -> Self {
        let key = format!("{date}|{}|{kind}|{id}", at.map_or_else(|| "-".to_owned(), |t| format!("{:020}", t.timestamp_micros())));
        TimelineEntry { entry, date, at, key }
    }
}

impl CaseRecord {
    /// The whole timeline in time order.
    pub fn timeline(&self) -> Vec<TimelineEntry<'_>> {
        let mut items = Vec::new();
        for e in &self.events {
            let date = match &e.body {
                EventBody::Fact(f) => f.date,
                EventBody::Correction { replacement, .. } => replacement.map_or(london_date(e.recorded_at), |r| r.date),
            };
            items.push(TimelineEntry::new(Entry::Event(e), 0, e.id.into_uuid(), date, Some(e.recorded_at)));
        }
        for i in &self.interventions {
            let at = i.details.occurred_at;
            items.push(TimelineEntry::new(Entry::Intervention(i), 1, i.id.into_uuid(), london_date(at), Some(at)));
        }
        for a in &self.actions {
            items.push(TimelineEntry::new(Entry::Action(a), 2, a.id.into_uuid(), london_date(a.created_at), Some(a.created_at)));
        }
        for n in &self.needs {
            items.push(TimelineEntry::new(Entry::Need(n), 3, n.id.into_uuid(), n.state.identified_on, None));
        }
        for o in &self.outcomes {
            items.push(TimelineEntry::new(Entry::Outcome(o), 4, o.id.into_uuid(), o.details.achieved_on, Some(o.recorded_at)));
        }
        for d in &self.deadlines {
            items.push(TimelineEntry::new(Entry::Deadline(d), 5, d.id.into_uuid(), d.due_on, None));
        }
        for k in &self.asks {
            let at = k.answer.as_ref().map_or(k.created_at, |a| a.at);
            items.push(TimelineEntry::new(Entry::Ask(k), 6, k.id.into_uuid(), london_date(at), Some(at)));
        }
        items.sort_by(|a, b| a.key.cmp(&b.key));
        items
    }

    /// Up to `limit` entries of the timeline after the position `after`, and where the next page
    /// starts (none on the last).
    pub fn page(&self, after: Option<&str>, limit: usize) -> (Vec<TimelineEntry<'_>>, Option<String>) {
        let mut rest: Vec<TimelineEntry<'_>> = self.timeline().into_iter().filter(|e| after.is_none_or(|a| e.key.as_str() > a)).collect();
        let more = rest.len() > limit;
        rest.truncate(limit);
        let next = if more { rest.last().map(|e| e.key.clone()) } else { None };
        (rest, next)
    }
}

/// A case's record as the caller may see it (partners: no needs or outcomes, only their own
/// agency's actions and their deadlines; intervention summaries as the adapter shows them
/// through [`access::sees_summary`]).
pub async fn record(caller: &Caller, state: &AppState, case: CaseId) -> Result<CaseRecord, AppError> {
    let (id, case, view) = case_at(&state.db, caller, case, CaseAction::Read).await?;
    assemble(state, id, case, view, Some(caller.principal())).await
}

/// The case's record as `viewer` may see it, or all of it with no viewer (the person's own
/// copy under subject access), once the caller's access to the case is settled.
pub(super) async fn assemble(
    state: &AppState,
    id: CaseId,
    case: Case,
    view: CaseView,
    viewer: Option<&fourthp_domain::principal::Principal>,
) -> Result<CaseRecord, AppError> {
    let events = events::list(&state.db, id).await?;
    let superseded_by = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Correction { supersedes, .. } => Some((*supersedes, e.id)),
            EventBody::Fact(_) => None,
        })
        .collect();
    let interventions = interventions::all_for_case(&state.db, id).await?;
    let mut seen_actions = actions::all_of_case(&state.db, id, &ActionFilter::default()).await?;
    seen_actions.retain(|a| viewer.is_none_or(|p| sees_action(p, a.details.owner_agency_id)));
    let visible_actions: HashSet<_> = seen_actions.iter().map(|a| a.id).collect();
    let support_record = viewer
        .is_none_or(|p| access::decide(p, CaseAction::ReadSupportRecord, case.team_agencies(), case.details.consent.data_sharing).is_ok());
    let (needs, outcomes) = if support_record {
        (needs::for_case(&state.db, id).await?, outcomes::for_case(&state.db, id).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut seen_deadlines = deadlines::for_case(&state.db, id).await?;
    seen_deadlines.retain(|d| !matches!(d.source, DeadlineSource::Action(a) if !visible_actions.contains(&a)));
    let mut asks = fourthp_persistence::asks::for_case(&state.db, id).await?;
    if let Some(p) = viewer.filter(|p| p.role != fourthp_domain::principal::Role::Coordinator) {
        asks.retain(|k| Some(k.agency) == p.agency);
    }
    Ok(CaseRecord {
        case,
        view,
        events,
        superseded_by,
        interventions,
        actions: seen_actions,
        needs,
        outcomes,
        deadlines: seen_deadlines,
        asks,
    })
}
