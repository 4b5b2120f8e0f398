//! What an agency owes: its open actions on the cases it is on and on the network's challenges,
//! soonest due (so the overdue) first, each with its case's reference (or its challenge's
//! number), who asked for it and when it was agreed.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use fourthp_domain::action::{Action, ActionOn, Concerning};
use fourthp_domain::case::CaseReference;
use fourthp_domain::ids::{ActionId, AgencyId};
use fourthp_domain::intervention::Channel;
use fourthp_domain::paging::{Limit, Page};

use super::action_from;
use crate::db::{Db, StoreError};
use crate::rows::ActionRow;

/// One action an agency owes, as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedItem {
    pub action: Action,
    /// The case (by reference) or the challenge (by number) it is owed on.
    pub about: Concerning,
    /// The name of the person who asked, when they have an account.
    pub asked_by: Option<String>,
    /// Their agency (or the agency that recorded the conversation it was agreed in).
    pub asked_by_agency: Option<String>,
    /// When it was agreed: the conversation's time, else when it was recorded.
    pub agreed_at: DateTime<Utc>,
    /// How it was agreed, when it came from a logged conversation.
    pub channel: Option<Channel>,
}

#[derive(QueryableByName)]
struct OwedRow {
    #[diesel(embed)]
    action: ActionRow,
    #[diesel(sql_type = Nullable<Text>)]
    case_reference: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    challenge_number: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    asked_by: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    asked_by_agency: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    agreed_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    channel: Option<String>,
}

const SQL: &str = "SELECT a.*, c.reference AS case_reference, ch.number AS challenge_number, u.display_name AS asked_by, \
     coalesce(ug.name, ig.name) AS asked_by_agency, coalesce(i.occurred_at, a.created_at) AS agreed_at, i.channel AS channel \
     FROM actions a LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN challenges ch ON ch.id = a.challenge_id \
     LEFT JOIN interventions i ON i.id = a.from_intervention \
     LEFT JOIN users u ON u.id = CASE WHEN a.created_by ~ '^user:[0-9a-f-]{36}$' THEN substr(a.created_by, 6)::uuid END \
     LEFT JOIN agencies ug ON ug.id = u.agency_id \
     LEFT JOIN agencies ig ON ig.id = i.recorded_by_agency \
     WHERE a.owner_agency_id = $1 AND a.status = 'open' \
     AND (a.challenge_id IS NOT NULL OR a.case_id IN (SELECT t.case_id FROM case_team t WHERE t.agency_id = $1))";

/// A page of what `agency` owes, by due date then id, after `after`; with `until`, only what
/// falls due by that date (the digest: overdue and this week's).
pub async fn owed(
    db: &Db,
    agency: AgencyId,
    limit: Limit,
    after: Option<(NaiveDate, ActionId)>,
    until: Option<NaiveDate>,
) -> Result<Page<OwedItem, (NaiveDate, ActionId)>, StoreError> {
    let mut sql = String::from(SQL);
    if after.is_some() {
        sql.push_str(" AND (a.due_on, a.id) > ($2, $3)");
    }
    if until.is_some() {
        sql.push_str(if after.is_some() { " AND a.due_on <= $4" } else { " AND a.due_on <= $2" });
    }
    sql.push_str(&format!(" ORDER BY a.due_on, a.id LIMIT {}", i64::from(limit.get()) + 1));
    let mut query = diesel::sql_query(sql).into_boxed().bind::<SqlUuid, _>(agency.into_uuid());
    if let Some((due, id)) = after {
        query = query.bind::<Date, _>(due).bind::<SqlUuid, _>(id.into_uuid());
    }
    if let Some(until) = until {
        query = query.bind::<Date, _>(until);
    }
    let mut conn = db.conn().await?;
    let rows: Vec<OwedRow> = query.load(&mut conn).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let action = action_from(r.action)?;
            let about = match (action.on, r.case_reference, r.challenge_number) {
                (ActionOn::Case(id), Some(reference), None) => Concerning::Case(
                    id,
                    CaseReference::parse(&reference).map_err(|_| StoreError::internal("case row with invalid reference"))?,
                ),
                (ActionOn::Challenge(id), None, Some(number)) => Concerning::Challenge(id, number),
                _ => return Err(StoreError::internal("an owed action without its case or challenge")),
            };
            Ok(OwedItem {
                about,
                asked_by: r.asked_by,
                asked_by_agency: r.asked_by_agency,
                agreed_at: r.agreed_at,
                channel: r.channel.as_deref().and_then(Channel::parse),
                action,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_overfetch(items, limit, |i| (i.action.details.due_on, i.action.id)))
}
