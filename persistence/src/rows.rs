//! Database rows. Private to this crate: repositories convert them to and from domain types.
//!
//! Every insertable row writes `None` as `NULL` (`treat_none_as_default_value = false`), not as
//! `DEFAULT`: diesel will not reuse a prepared statement whose SQL changes with which fields are
//! `None`, so with `DEFAULT` every insert was parsed and planned again on each request (column
//! defaults and all). No nullable column has a default other than `NULL` (a test checks it), so
//! the rows written are the same.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{
    actions, agencies, audit_records, case_events, case_team, cases, deadlines, idempotency_keys, interventions, needs,
    outcome_interventions, outcomes,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = agencies, check_for_backend(diesel::pg::Pg))]
pub struct AgencyRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub notify_email: Option<String>,
    pub notify_digest: String,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = agencies, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct AgencyWrite<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub contact_email: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub notify_email: Option<&'a str>,
    pub notify_digest: &'a str,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = cases, check_for_backend(diesel::pg::Pg))]
pub struct CaseRow {
    pub id: Uuid,
    pub reference: String,
    pub known_as: String,
    pub birth_year: Option<i32>,
    pub date_of_birth: Option<NaiveDate>,
    pub presumed_child: bool,
    pub gender: String,
    pub nationalities: Vec<String>,
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    pub exploitation_types: Vec<String>,
    pub county_lines: bool,
    pub jurisdiction: String,
    pub local_authority: String,
    pub nrm_consent: String,
    pub data_sharing: String,
    pub consent_recorded_on: NaiveDate,
    pub consent_recorded_by: String,
    pub lead_coordinator: String,
    pub stage: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stage_advances_on: Option<NaiveDate>,
}

/// The columns a coordinator's edit writes (everything but identity, stage and creation).
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = cases, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CaseDetailsWrite<'a> {
    pub known_as: &'a str,
    pub birth_year: Option<i32>,
    pub date_of_birth: Option<NaiveDate>,
    pub presumed_child: bool,
    pub gender: &'a str,
    pub nationalities: Vec<&'a str>,
    pub languages: Vec<&'a str>,
    pub interpreter_needed: bool,
    pub exploitation_types: Vec<&'a str>,
    pub county_lines: bool,
    pub jurisdiction: &'a str,
    pub local_authority: &'a str,
    pub nrm_consent: &'a str,
    pub data_sharing: &'a str,
    pub consent_recorded_on: NaiveDate,
    pub consent_recorded_by: &'a str,
    pub lead_coordinator: &'a str,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = cases, treat_none_as_default_value = false)]
pub struct NewCaseRow<'a> {
    pub id: Uuid,
    pub reference: &'a str,
    #[diesel(embed)]
    pub details: CaseDetailsWrite<'a>,
    pub stage: &'a str,
    pub version: i32,
    pub created_by: &'a str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_team, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct TeamRow {
    pub case_id: Uuid,
    pub agency_id: Uuid,
    pub role: Option<String>,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_records, check_for_backend(diesel::pg::Pg))]
pub struct AuditRow {
    pub id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub action: String,
    pub outcome: String,
    pub agent_sub: String,
    pub agent_role: String,
    pub agent_agency_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub changed_fields: Vec<String>,
    pub request_id: String,
    pub client_address: Option<String>,
    pub purpose: Option<String>,
    pub source: Option<String>,
    pub details_hash: Option<Vec<u8>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_records, treat_none_as_default_value = false)]
pub struct NewAuditRow<'a> {
    pub id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub action: &'a str,
    pub outcome: &'a str,
    pub agent_sub: &'a str,
    pub agent_role: &'a str,
    pub agent_agency_id: Option<Uuid>,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub changed_fields: Vec<String>,
    pub request_id: &'a str,
    pub client_address: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub source: Option<&'a str>,
    pub details_hash: Option<Vec<u8>>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_events, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: Uuid,
    pub case_id: Uuid,
    #[diesel(skip_insertion)]
    pub seq: i64,
    #[diesel(column_name = type_)]
    pub event_type: String,
    pub replacement_type: Option<String>,
    pub event_date: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub competent_authority: Option<String>,
    pub ground: Option<String>,
    pub closure_reason: Option<String>,
    pub first_responder_agency_id: Option<Uuid>,
    pub supersedes: Option<Uuid>,
    pub correction_reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = deadlines, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct DeadlineRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_reference: String,
    pub rule_id: String,
    pub rule_version: String,
    pub kind: String,
    pub trigger_event_id: Option<Uuid>,
    pub due_on: NaiveDate,
    pub met_on: Option<NaiveDate>,
    pub explanation: String,
    pub waived_at: Option<DateTime<Utc>>,
    pub waived_by: Option<String>,
    pub waived_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub action_id: Option<Uuid>,
    pub support_ended_on: Option<NaiveDate>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = needs, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct NeedRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub domain: String,
    pub identified_on: NaiveDate,
    pub status: String,
    pub met_on: Option<NaiveDate>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = interventions, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct InterventionRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub channel: String,
    pub direction: String,
    pub counterpart_agency_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub need_domain: String,
    pub need_id: Option<Uuid>,
    pub summary: String,
    pub duration_minutes: i32,
    pub recorded_by: String,
    pub recorded_by_agency: Uuid,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = actions, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct ActionRow {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub description: String,
    pub owner_agency_id: Uuid,
    pub due_on: NaiveDate,
    pub from_intervention: Option<Uuid>,
    pub status: String,
    pub closure_note: Option<String>,
    pub closed_by: Option<String>,
    pub closed_by_agency: Option<Uuid>,
    pub closed_on: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub challenge_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outcomes, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct OutcomeRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub outcome: String,
    pub achieved_on: NaiveDate,
    pub evidence: Option<String>,
    pub score: Option<i16>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = outcome_interventions, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct OutcomeInterventionRow {
    pub outcome_id: Uuid,
    pub intervention_id: Uuid,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct IdempotencyRow {
    pub principal: String,
    pub key: String,
    pub request_hash: Vec<u8>,
    pub response_status: i16,
    pub response_body: serde_json::Value,
    pub response_location: Option<String>,
    pub response_etag: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
pub(crate) mod tests {
    use diesel::pg::Pg;
    use diesel::query_builder::QueryFragment;

    use super::*;

    /// A statement diesel will prepare once per connection and reuse.
    pub(crate) fn reused(query: &impl QueryFragment<Pg>) -> bool {
        query.is_safe_to_cache_prepared(&Pg).is_ok_and(|reused| reused)
    }

    #[test]
    fn the_write_paths_inserts_are_prepared_once_not_on_every_request() {
        let (id, at, day) = (Uuid::nil(), DateTime::<Utc>::UNIX_EPOCH, NaiveDate::MIN);
        let intervention = InterventionRow {
            id,
            case_id: id,
            channel: "phone_call".into(),
            direction: "outbound".into(),
            counterpart_agency_id: id,
            occurred_at: at,
            need_domain: "health_gp".into(),
            need_id: None,
            summary: "s".into(),
            duration_minutes: 5,
            recorded_by: "vcc".into(),
            recorded_by_agency: id,
            recorded_at: at,
        };
        assert!(reused(&diesel::insert_into(interventions::table).values(&intervention)));
        let audit = NewAuditRow {
            id,
            recorded_at: at,
            action: "C",
            outcome: "success",
            agent_sub: "vcc",
            agent_role: "coordinator",
            agent_agency_id: None,
            entity_type: "intervention",
            entity_id: None,
            case_id: None,
            changed_fields: Vec::new(),
            request_id: "r",
            client_address: None,
            purpose: None,
            source: None,
            details_hash: None,
        };
        assert!(reused(&diesel::insert_into(audit_records::table).values(&audit)));
        let key = IdempotencyRow {
            principal: "p".into(),
            key: "k".into(),
            request_hash: Vec::new(),
            response_status: 201,
            response_body: serde_json::Value::Null,
            response_location: None,
            response_etag: None,
            created_at: at,
        };
        assert!(reused(&diesel::insert_into(idempotency_keys::table).values(&key)));
        let action = ActionRow {
            id,
            case_id: Some(id),
            description: "d".into(),
            owner_agency_id: id,
            due_on: day,
            from_intervention: None,
            status: "open".into(),
            closure_note: None,
            closed_by: None,
            closed_by_agency: None,
            closed_on: None,
            closed_at: None,
            version: 1,
            created_by: "vcc".into(),
            created_at: at,
            updated_at: at,
            challenge_id: None,
            meeting_id: None,
        };
        assert!(reused(&diesel::insert_into(actions::table).values(&action)));
        let outcome = OutcomeRow {
            id,
            case_id: id,
            outcome: "o".into(),
            achieved_on: day,
            evidence: None,
            score: None,
            recorded_by: "vcc".into(),
            recorded_at: at,
        };
        assert!(reused(&diesel::insert_into(outcomes::table).values(&outcome)));
    }
}
