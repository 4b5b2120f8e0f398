//! The coordinators' board of what is due: the queue's outstanding deadlines in one window
//! (overdue, the next 7 days, later), grouped by case or by the agency that owes them, a page
//! at a time, each row with what it is (the agreed action's own words and its owner) and how
//! many fall in each window.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use diesel_async::RunQueryDsl;
use fourthp_domain::case::Stage;
use fourthp_domain::deadline::Deadline;

use super::{bind_outstanding, deadline_from, outstanding_branches, QueueFilter};
use crate::db::{Db, StoreError};
use crate::rows::DeadlineRow;

/// Which deadlines, by their due date against today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Due before today.
    Overdue,
    /// Due today or in the next 7 days.
    ThisWeek,
    /// Due after that.
    Later,
}

/// How the board's rows are grouped (and so ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// By case reference, then due date.
    Case,
    /// By the agency that owes the action (the rules' deadlines, owed by the coordinator, first),
    /// then due date.
    Agency,
}

/// How many outstanding deadlines fall in each window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub overdue: i64,
    pub this_week: i64,
    pub later: i64,
}

/// The agreed action behind an `action_due` deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedAction {
    pub description: String,
    pub owner_name: String,
    /// When it was agreed (Europe/London).
    pub agreed_on: NaiveDate,
}

/// One row of the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardItem {
    pub deadline: Deadline,
    pub stage: Stage,
    pub action: Option<OwedAction>,
}

#[derive(QueryableByName)]
struct BoardRow {
    #[diesel(embed)]
    deadline: DeadlineRow,
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Nullable<Date>)]
    stage_advances_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    action_description: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    owner_name: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    action_created_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(QueryableByName)]
struct CountsRow {
    #[diesel(sql_type = BigInt)]
    overdue: i64,
    #[diesel(sql_type = BigInt)]
    this_week: i64,
    #[diesel(sql_type = BigInt)]
    later: i64,
}

/// How many of the filter's outstanding deadlines fall in each window.
pub async fn counts(db: &Db, filter: &QueueFilter, today: NaiveDate) -> Result<WindowCounts, StoreError> {
    let branches: Vec<String> = outstanding_branches(filter)
        .into_iter()
        .map(|cond| format!("SELECT d.due_on FROM deadlines d JOIN cases c ON c.id = d.case_id WHERE {cond}"))
        .collect();
    let sql = format!(
        "SELECT count(*) FILTER (WHERE due_on < $1) AS overdue, \
         count(*) FILTER (WHERE due_on >= $1 AND due_on <= $1 + 7) AS this_week, \
         count(*) FILTER (WHERE due_on > $1 + 7) AS later FROM ({}) x",
        branches.join(" UNION ALL ")
    );
    let mut conn = db.conn().await?;
    let row: CountsRow = bind_outstanding(diesel::sql_query(sql).into_boxed(), filter, today).get_result(&mut conn).await?;
    Ok(WindowCounts { overdue: row.overdue, this_week: row.this_week, later: row.later })
}

/// One page (`offset` rows in, up to `limit`) of the filter's outstanding deadlines in `window`,
/// ordered by `grouping`; `true` with it when there are more. The page's ids are found from the
/// indexes alone, then only its rows are read whole.
pub async fn page(
    db: &Db,
    filter: &QueueFilter,
    today: NaiveDate,
    window: Window,
    grouping: Grouping,
    limit: i64,
    offset: i64,
) -> Result<(Vec<BoardItem>, bool), StoreError> {
    let window_sql = match window {
        Window::Overdue => "d.due_on < $1",
        Window::ThisWeek => "d.due_on >= $1 AND d.due_on <= $1 + 7",
        Window::Later => "d.due_on > $1 + 7",
    };
    // The sort key of a row, as columns of the page's ids, and their order.
    let (key, join, order) = match grouping {
        Grouping::Case => ("d.case_reference AS k1, NULL::uuid AS k2", "", "k1, due_on, id"),
        Grouping::Agency => (
            "g.name AS k1, a.owner_agency_id AS k2",
            " LEFT JOIN actions a ON a.id = d.action_id LEFT JOIN agencies g ON g.id = a.owner_agency_id",
            "k1 NULLS FIRST, k2 NULLS FIRST, due_on, case_reference, id",
        ),
    };
    let branches: Vec<String> = outstanding_branches(filter)
        .into_iter()
        .map(|cond| {
            format!(
                "SELECT d.id, d.due_on, d.case_reference, {key} FROM deadlines d JOIN cases c ON c.id = d.case_id{join} \
                 WHERE {cond} AND {window_sql}"
            )
        })
        .collect();
    let sql = format!(
        "WITH p AS ({} ORDER BY {order} LIMIT {} OFFSET {}) \
         SELECT d.*, c.stage, c.stage_advances_on, a.description AS action_description, g.name AS owner_name, \
         a.created_at AS action_created_at \
         FROM p JOIN deadlines d ON d.id = p.id JOIN cases c ON c.id = d.case_id \
         LEFT JOIN actions a ON a.id = d.action_id LEFT JOIN agencies g ON g.id = a.owner_agency_id \
         ORDER BY {}",
        branches.join(" UNION ALL "),
        limit.max(0) + 1,
        offset.max(0),
        order
            .replace("k1", "p.k1")
            .replace("k2", "p.k2")
            .replace("due_on", "p.due_on")
            .replace("case_reference", "p.case_reference")
            .replace(" id", " p.id"),
    );
    let mut conn = db.conn().await?;
    let rows: Vec<BoardRow> = bind_outstanding(diesel::sql_query(sql).into_boxed(), filter, today).load(&mut conn).await?;
    let more = rows.len() > usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
    let items = rows
        .into_iter()
        .take(usize::try_from(limit.max(0)).unwrap_or(0))
        .map(|r| {
            let stage = Stage::parse(&r.stage).ok_or_else(|| StoreError::internal("case row with invalid stage"))?;
            let action = match (r.action_description, r.owner_name, r.action_created_at) {
                (Some(description), Some(owner_name), Some(at)) => {
                    Some(OwedAction { description, owner_name, agreed_on: fourthp_domain::time::london_date(at) })
                }
                _ => None,
            };
            Ok(BoardItem {
                stage: fourthp_domain::lifecycle::stage_on(stage, r.stage_advances_on, today),
                deadline: deadline_from(r.deadline)?,
                action,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((items, more))
}
