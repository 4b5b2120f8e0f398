//! Writing a person drawn into the rows of every table, and loading them in batches. Each row is
//! a typed record of `fourthp_persistence::bulk::tables`: every column named beside its value.

use chrono::{Duration, NaiveDate};
use fourthp_domain::codes::{CountryCode, LanguageCode};
use fourthp_domain::event::{ClosureReason, DecisionOutcome, EventBody, Fact};
use fourthp_domain::intervention::Channel;
use fourthp_domain::need::NeedDomain;
use fourthp_domain::outcome::OutcomeKind;
use fourthp_domain::rules::stage_advances_on;
use fourthp_persistence::bulk::tables::{
    ActionRecord, Actions, AuditRecord, AuditRecords, CaseEvents, CaseRecord, CaseTeam, Cases, DeadlineRecord, Deadlines, EventRecord,
    InterventionRecord, Interventions, NeedRecord, Needs, OutcomeInterventions, OutcomeLinkRecord, OutcomeRecord, Outcomes, TeamRecord,
    Words,
};
use fourthp_persistence::bulk::{BulkLoader, Rows};
use uuid::Uuid;

use super::network::{at_time, summary};
use super::person::{Generator, Person};
use super::rng::Rng;
use super::DemoSummary;

/// The rows of a batch of cases, table by table, in load order.
#[derive(Default)]
pub(super) struct Batch {
    cases: Rows<Cases>,
    team: Rows<CaseTeam>,
    events: Rows<CaseEvents>,
    needs: Rows<Needs>,
    interventions: Rows<Interventions>,
    actions: Rows<Actions>,
    deadlines: Rows<Deadlines>,
    outcomes: Rows<Outcomes>,
    outcome_links: Rows<OutcomeInterventions>,
    audit: Rows<AuditRecords>,
}

impl Batch {
    /// Loads the batch in one transaction, emptying it.
    pub(super) async fn load(&mut self, db: &BulkLoader, totals: &mut DemoSummary) -> Result<(), String> {
        let e = |e: fourthp_persistence::StoreError| e.to_string();
        db.execute("BEGIN").await.map_err(e)?;
        totals.cases += db.load(&mut self.cases).await.map_err(e)?;
        db.load(&mut self.team).await.map_err(e)?;
        totals.events += db.load(&mut self.events).await.map_err(e)?;
        totals.needs += db.load(&mut self.needs).await.map_err(e)?;
        totals.interventions += db.load(&mut self.interventions).await.map_err(e)?;
        totals.actions += db.load(&mut self.actions).await.map_err(e)?;
        totals.deadlines += db.load(&mut self.deadlines).await.map_err(e)?;
        totals.outcomes += db.load(&mut self.outcomes).await.map_err(e)?;
        db.load(&mut self.outcome_links).await.map_err(e)?;
        db.load(&mut self.audit).await.map_err(e)?;
        db.execute("COMMIT").await.map_err(e)
    }
}

impl Generator<'_> {
    /// One case: a person drawn, and every record of theirs written into `batch`.
    pub(super) fn case(&mut self, serial: i64, batch: &mut Batch) -> Result<(), String> {
        let person = self.person(serial)?;
        self.write_case(&person, batch);
        self.write_activity(&person, batch);
        Ok(())
    }

    /// The case, its events, needs, derived deadlines, team and the audit record of its loading.
    fn write_case(&mut self, p: &Person, batch: &mut Batch) {
        let r = &mut self.r;
        let (case_id, coordinator, created_at, start) = (p.case_id, p.coordinator, p.created_at, p.start);
        let reference = p.reference.as_str();
        for n in &p.needs {
            let status = match n.met_on {
                Some(_) => "met",
                None if p.timeline.journey.closed.is_some() => {
                    if r.chance(0.6) {
                        "not_met"
                    } else {
                        "withdrawn"
                    }
                }
                None => "open",
            };
            let created = at_time(n.identified_on, r);
            batch.needs.push(&NeedRecord {
                id: n.id,
                case_id,
                domain: n.domain.as_str(),
                identified_on: n.identified_on,
                status,
                met_on: n.met_on,
                created_by: coordinator,
                created_at: created,
                updated_at: n.met_on.map_or(created, |m| at_time(m, r)),
            });
        }

        // Deadlines and stage, derived by the rule book as the service does.
        let needs_met: Vec<(NeedDomain, NaiveDate)> = p.needs.iter().filter_map(|n| n.met_on.map(|m| (n.domain, m))).collect();
        let derived = self.book.derive(p.jurisdiction, p.details.age_facts(), &p.timeline.effective, &needs_met);
        for d in &derived {
            let created = p.events.iter().find(|e| e.id == d.trigger).map_or(created_at, |e| e.recorded_at);
            batch.deadlines.push(&DeadlineRecord {
                id: r.uuid_at(created),
                case_id,
                case_reference: reference,
                rule_id: &d.rule_id,
                rule_version: &d.rule_version,
                kind: d.kind.as_str(),
                trigger_event_id: Some(d.trigger.into_uuid()),
                action_id: None,
                due_on: d.due_on,
                met_on: d.met_on,
                support_ended_on: d.support_ended_on,
                explanation: &d.explanation,
                waived_at: None,
                waived_by: None,
                waived_reason: None,
                created_at: created,
                updated_at: created,
            });
        }
        for e in &p.events {
            let EventBody::Fact(f) = &e.body else { continue };
            let (outcome, authority) = match f.fact {
                Fact::ReasonableGroundsDecision { outcome, authority } | Fact::ConclusiveGroundsDecision { outcome, authority } => {
                    (Some(outcome.as_str()), Some(authority.as_str()))
                }
                _ => (None, None),
            };
            batch.events.push(&EventRecord {
                id: e.id.into_uuid(),
                case_id,
                event_type: f.fact.event_type().as_str(),
                event_date: f.date,
                outcome,
                competent_authority: authority,
                ground: match f.fact {
                    Fact::Disqualified { ground } => Some(ground.as_str()),
                    _ => None,
                },
                closure_reason: match f.fact {
                    Fact::CaseClosed { reason } => Some(reason.as_str()),
                    _ => None,
                },
                first_responder_agency_id: match f.fact {
                    Fact::NrmReferralSubmitted { first_responder } => Some(first_responder.into_uuid()),
                    _ => None,
                },
                recorded_at: e.recorded_at,
                recorded_by: coordinator,
            });
        }

        let details = &p.details;
        let nationalities: Vec<&str> = details.nationalities.iter().map(CountryCode::as_str).collect();
        let languages: Vec<&str> = details.languages.iter().map(LanguageCode::as_str).collect();
        let types: Vec<&str> = details.exploitation_types.iter().map(|t| t.as_str()).collect();
        batch.cases.push(&CaseRecord {
            id: case_id,
            reference,
            known_as: details.known_as.as_str(),
            birth_year: details.birth.year(),
            date_of_birth: None,
            presumed_child: details.presumed_child,
            gender: details.gender.as_str(),
            nationalities: Words(&nationalities),
            languages: Words(&languages),
            interpreter_needed: details.interpreter_needed,
            exploitation_types: Words(&types),
            county_lines: details.county_lines,
            jurisdiction: p.jurisdiction.as_str(),
            local_authority: details.local_authority.as_str(),
            nrm_consent: p.nrm.as_str(),
            data_sharing: p.sharing.as_str(),
            consent_recorded_on: start,
            consent_recorded_by: coordinator,
            lead_coordinator: coordinator,
            stage: p.timeline.stage().as_str(),
            version: 1 + p.events.len(),
            created_by: coordinator,
            created_at,
            updated_at: p.events.last().map_or(created_at, |e| e.recorded_at),
            stage_advances_on: stage_advances_on(&derived),
            // The disclosure-control record key, from the seed: the same network, the same keys.
            record_key: r.below(1 << 32),
            first_event_on: p.timeline.first_date(),
        });
        for a in &p.team {
            batch.team.push(&TeamRecord { case_id, agency_id: *a, role: None, added_at: created_at });
        }
        batch.audit.push(&AuditRecord {
            id: r.uuid_at(self.now),
            recorded_at: self.now,
            action: "C",
            outcome: "success",
            agent_sub: "fourthp-demo-data",
            agent_role: "system",
            entity_type: "case",
            entity_id: case_id,
            case_id,
            changed_fields: Words(&[]),
            request_id: &self.run,
            source: self.source,
        });
    }

    /// The case's interventions, the actions agreed in them (with their deadlines) and outcomes.
    fn write_activity(&mut self, p: &Person, batch: &mut Batch) {
        let r = &mut self.r;
        let (case_id, coordinator, start, end) = (p.case_id, p.coordinator, p.start, p.end);
        let (needs, team, timeline, events) = (&p.needs, &p.team, &p.timeline, &p.events);
        let reference = p.reference.as_str();
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
            let need = r.pick(needs);
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
            batch.interventions.push(&InterventionRecord {
                id,
                case_id,
                channel: channel.as_str(),
                direction: if r.chance(0.65) { "outbound" } else { "inbound" },
                counterpart_agency_id: counterpart,
                occurred_at,
                need_domain: need.domain.as_str(),
                need_id: r.chance(0.8).then_some(need.id),
                summary: summary(need.domain, r),
                duration_minutes: duration,
                recorded_by: coordinator,
                recorded_by_agency: self.coordinator_agency,
                recorded_at,
            });
            logged.push((id, need.domain, date));

            // About one in eight leads to a follow-up action someone owes.
            if on_team && r.chance(0.12) {
                // Most are done within days or weeks of their due date; only recent ones are
                // still open, a few of them overdue by days.
                let due_on = date + Duration::days(r.range(3, 21));
                let (status, closed_on) = if due_on + Duration::days(21) < self.today {
                    if r.chance(0.9) {
                        let on =
                            if r.chance(0.75) { due_on - Duration::days(r.range(0, 5)) } else { due_on + Duration::days(r.range(1, 14)) };
                        ("done", Some(on.max(date).min(self.today)))
                    } else {
                        ("cancelled", Some((due_on - Duration::days(r.range(0, 3))).max(date).min(self.today)))
                    }
                } else if due_on < self.today && r.chance(0.7) {
                    ("done", Some((due_on - Duration::days(r.range(0, 3))).max(date).min(self.today)))
                } else if due_on >= self.today && r.chance(0.2) {
                    ("done", Some(date.max(self.today - Duration::days(r.range(0, 3))).min(self.today)))
                } else {
                    ("open", None)
                };
                let action_id = r.uuid_at(recorded_at);
                let closed_at = closed_on.map(|d| at_time(d, r));
                let note = match status {
                    "done" => Some(*r.pick(super::network::DONE_NOTES)),
                    "cancelled" => Some(*r.pick(super::network::CANCELLED_NOTES)),
                    _ => None,
                };
                batch.actions.push(&ActionRecord {
                    id: action_id,
                    case_id,
                    description: super::network::action_wording(need.domain, r),
                    owner_agency_id: counterpart,
                    due_on,
                    from_intervention: Some(id),
                    status,
                    closure_note: note,
                    closed_by: closed_on.map(|_| "partner-worker"),
                    closed_by_agency: closed_on.map(|_| counterpart),
                    closed_on,
                    closed_at,
                    created_by: coordinator,
                    created_at: recorded_at,
                    updated_at: closed_at.unwrap_or(recorded_at),
                });
                let waived = status == "cancelled";
                let waived_reason = waived.then(|| format!("action cancelled: {}", note.unwrap_or_default()));
                batch.deadlines.push(&DeadlineRecord {
                    id: r.uuid_at(recorded_at),
                    case_id,
                    case_reference: reference,
                    rule_id: fourthp_domain::deadline::ACTION_DUE,
                    rule_version: "1",
                    kind: "deadline",
                    trigger_event_id: None,
                    action_id: Some(action_id),
                    due_on,
                    met_on: if status == "done" { closed_on } else { None },
                    support_ended_on: None,
                    explanation: &format!("the due date agreed on {date} for an action owed by {}", self.agencies.name(counterpart)),
                    waived_at: waived.then_some(closed_at).flatten(),
                    waived_by: waived.then_some("partner-worker"),
                    waived_reason: waived_reason.as_deref(),
                    created_at: recorded_at,
                    updated_at: closed_at.unwrap_or(recorded_at),
                });
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
            batch.outcomes.push(&OutcomeRecord {
                id,
                case_id,
                outcome: kind.as_str(),
                achieved_on: on,
                evidence: "Confirmed with the person and the agency concerned",
                score,
                recorded_by: coordinator,
                recorded_at: at,
            });
            if let Some(domain) = domain {
                for (iid, _, _) in logged.iter().filter(|(_, d, when)| *d == domain && *when <= on).take(2) {
                    batch.outcome_links.push(&OutcomeLinkRecord { outcome_id: id, intervention_id: *iid });
                }
            }
        };
        for n in needs {
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
    }
}
