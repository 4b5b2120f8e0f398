//! The tables a bulk load writes, one record type each. A record's fields are its table's
//! columns, named as in the schema and written in the order they are declared; a test checks
//! every table and column against the migrated schema.

use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::CopyRows;

/// A value in COPY's text format.
pub trait CopyValue {
    fn put(&self, out: &mut CopyRows);
}

impl CopyValue for &str {
    fn put(&self, out: &mut CopyRows) {
        out.text(self);
    }
}

macro_rules! displayed {
    ($($ty:ty),+) => {
        $(impl CopyValue for $ty {
            fn put(&self, out: &mut CopyRows) {
                out.value(self);
            }
        })+
    };
}

displayed!(Uuid, bool, i32, i64, u32, u64, usize, NaiveDate);

impl CopyValue for DateTime<Utc> {
    fn put(&self, out: &mut CopyRows) {
        out.value(self.to_rfc3339());
    }
}

impl<T: CopyValue> CopyValue for Option<T> {
    fn put(&self, out: &mut CopyRows) {
        match self {
            Some(v) => v.put(out),
            None => {
                out.null();
            }
        }
    }
}

/// A text array (`text[]`).
#[derive(Debug, Clone, Copy)]
pub struct Words<'a>(pub &'a [&'a str]);

impl CopyValue for Words<'_> {
    fn put(&self, out: &mut CopyRows) {
        out.words(self.0);
    }
}

/// A table a bulk load writes: its name, its columns in order, and how a record becomes a row.
pub trait CopyTable {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    type Record<'a>;
    fn write(record: &Self::Record<'_>, out: &mut CopyRows);
}

/// Rows of one table, waiting to be copied.
pub struct Rows<T: CopyTable> {
    pub(super) rows: CopyRows,
    table: PhantomData<T>,
}

impl<T: CopyTable> Default for Rows<T> {
    fn default() -> Self {
        Rows { rows: CopyRows::new(), table: PhantomData }
    }
}

impl<T: CopyTable> Rows<T> {
    pub fn push(&mut self, record: &T::Record<'_>) {
        T::write(record, &mut self.rows);
    }

    pub fn len(&self) -> u64 {
        self.rows.rows()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

macro_rules! column {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident $column:literal) => {
        $column
    };
}

macro_rules! copy_table {
    ($(#[$doc:meta])* $table:ident, $record:ident<$lt:lifetime> => $name:literal { $($body:tt)+ }) => {
        copy_table!(@define $(#[$doc])* $table, $record, [<$lt>], [<$lt>], $lt => $name { $($body)+ });
    };
    ($(#[$doc:meta])* $table:ident, $record:ident => $name:literal { $($body:tt)+ }) => {
        copy_table!(@define $(#[$doc])* $table, $record, [], [], 'r => $name { $($body)+ });
    };
    (@define $(#[$doc:meta])* $table:ident, $record:ident, [$($generics:tt)*], [$($args:tt)*], $lt:lifetime => $name:literal {
        $($field:ident $(as $column:literal)?: $ty:ty),+ $(,)?
    }) => {
        $(#[$doc])*
        pub enum $table {}

        #[doc = concat!("A row of `", $name, "`.")]
        #[derive(Debug, Clone)]
        pub struct $record $($generics)* {
            $(pub $field: $ty),+
        }

        impl CopyTable for $table {
            const TABLE: &'static str = $name;
            const COLUMNS: &'static [&'static str] = &[$(column!($field $($column)?)),+];
            type Record<$lt> = $record $($args)*;

            fn write(r: &Self::Record<'_>, out: &mut CopyRows) {
                $(r.$field.put(out);)+
                out.end_row();
            }
        }
    };
}

copy_table!(
    /// Network member agencies.
    Agencies, AgencyRecord<'a> => "agencies" {
        id: Uuid,
        name: &'a str,
        kind: &'a str,
        contact_email: Option<&'a str>,
        active: bool,
        version: i32,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

copy_table!(
    /// Cases.
    Cases, CaseRecord<'a> => "cases" {
        id: Uuid,
        reference: &'a str,
        known_as: &'a str,
        birth_year: Option<i32>,
        date_of_birth: Option<NaiveDate>,
        presumed_child: bool,
        gender: &'a str,
        nationalities: Words<'a>,
        languages: Words<'a>,
        interpreter_needed: bool,
        exploitation_types: Words<'a>,
        county_lines: bool,
        jurisdiction: &'a str,
        local_authority: &'a str,
        nrm_consent: &'a str,
        data_sharing: &'a str,
        consent_recorded_on: NaiveDate,
        consent_recorded_by: &'a str,
        lead_coordinator: &'a str,
        stage: &'a str,
        version: usize,
        created_by: &'a str,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        stage_advances_on: Option<NaiveDate>,
        record_key: u64,
        first_event_on: Option<NaiveDate>,
    }
);

copy_table!(
    /// Case teams.
    CaseTeam, TeamRecord<'a> => "case_team" {
        case_id: Uuid,
        agency_id: Uuid,
        role: Option<&'a str>,
        added_at: DateTime<Utc>,
    }
);

copy_table!(
    /// Case events.
    CaseEvents, EventRecord<'a> => "case_events" {
        id: Uuid,
        case_id: Uuid,
        event_type as "type": &'a str,
        event_date: NaiveDate,
        outcome: Option<&'a str>,
        competent_authority: Option<&'a str>,
        ground: Option<&'a str>,
        closure_reason: Option<&'a str>,
        first_responder_agency_id: Option<Uuid>,
        recorded_at: DateTime<Utc>,
        recorded_by: &'a str,
    }
);

copy_table!(
    /// Support needs.
    Needs, NeedRecord<'a> => "needs" {
        id: Uuid,
        case_id: Uuid,
        domain: &'a str,
        identified_on: NaiveDate,
        status: &'a str,
        met_on: Option<NaiveDate>,
        created_by: &'a str,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

copy_table!(
    /// Interventions.
    Interventions, InterventionRecord<'a> => "interventions" {
        id: Uuid,
        case_id: Uuid,
        channel: &'a str,
        direction: &'a str,
        counterpart_agency_id: Uuid,
        occurred_at: DateTime<Utc>,
        need_domain: &'a str,
        need_id: Option<Uuid>,
        summary: &'a str,
        duration_minutes: i64,
        recorded_by: &'a str,
        recorded_by_agency: Uuid,
        recorded_at: DateTime<Utc>,
    }
);

copy_table!(
    /// Follow-up actions.
    Actions, ActionRecord<'a> => "actions" {
        id: Uuid,
        case_id: Uuid,
        description: &'a str,
        owner_agency_id: Uuid,
        due_on: NaiveDate,
        from_intervention: Option<Uuid>,
        status: &'a str,
        closure_note: Option<&'a str>,
        closed_by: Option<&'a str>,
        closed_by_agency: Option<Uuid>,
        closed_on: Option<NaiveDate>,
        closed_at: Option<DateTime<Utc>>,
        created_by: &'a str,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

copy_table!(
    /// Deadlines (derived from events and needs, or agreed for actions).
    Deadlines, DeadlineRecord<'a> => "deadlines" {
        id: Uuid,
        case_id: Uuid,
        case_reference: &'a str,
        rule_id: &'a str,
        rule_version: &'a str,
        kind: &'a str,
        trigger_event_id: Option<Uuid>,
        action_id: Option<Uuid>,
        due_on: NaiveDate,
        met_on: Option<NaiveDate>,
        support_ended_on: Option<NaiveDate>,
        explanation: &'a str,
        waived_at: Option<DateTime<Utc>>,
        waived_by: Option<&'a str>,
        waived_reason: Option<&'a str>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }
);

copy_table!(
    /// Outcomes.
    Outcomes, OutcomeRecord<'a> => "outcomes" {
        id: Uuid,
        case_id: Uuid,
        outcome: &'a str,
        achieved_on: NaiveDate,
        evidence: &'a str,
        score: Option<i64>,
        recorded_by: &'a str,
        recorded_at: DateTime<Utc>,
    }
);

copy_table!(
    /// The interventions that contributed to an outcome.
    OutcomeInterventions, OutcomeLinkRecord => "outcome_interventions" {
        outcome_id: Uuid,
        intervention_id: Uuid,
    }
);

copy_table!(
    /// Audit records of what a bulk load created.
    AuditRecords, AuditRecord<'a> => "audit_records" {
        id: Uuid,
        recorded_at: DateTime<Utc>,
        action: &'a str,
        outcome: &'a str,
        agent_sub: &'a str,
        agent_role: &'a str,
        entity_type: &'a str,
        entity_id: Uuid,
        case_id: Uuid,
        changed_fields: Words<'a>,
        request_id: &'a str,
        source: &'a str,
    }
);

/// Every table a bulk load may write, with its columns (for the schema check).
pub const ALL: &[(&str, &[&str])] = &[
    (Agencies::TABLE, Agencies::COLUMNS),
    (Cases::TABLE, Cases::COLUMNS),
    (CaseTeam::TABLE, CaseTeam::COLUMNS),
    (CaseEvents::TABLE, CaseEvents::COLUMNS),
    (Needs::TABLE, Needs::COLUMNS),
    (Interventions::TABLE, Interventions::COLUMNS),
    (Actions::TABLE, Actions::COLUMNS),
    (Deadlines::TABLE, Deadlines::COLUMNS),
    (Outcomes::TABLE, Outcomes::COLUMNS),
    (OutcomeInterventions::TABLE, OutcomeInterventions::COLUMNS),
    (AuditRecords::TABLE, AuditRecords::COLUMNS),
];
