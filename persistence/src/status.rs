//! The case status read model: a case and what its status view shows (journey, deadlines, the
//! actions an agency owes), read in one round trip.

use diesel_async::AsyncPgConnection;
use fourthp_domain::action::{Action, ActionStatus};
use fourthp_domain::case::Case;
use fourthp_domain::deadline::Deadline;
use fourthp_domain::ids::{AgencyId, CaseId};
use fourthp_domain::lifecycle::Journey;

use crate::case_lock::Lock;
use crate::db::{Db, StoreError};
use crate::deadlines::for_case_on;

/// What the case status view reads, on one connection: the journey, the deadlines, and the
/// actions `owner` owes on the case (all of them, for filtering the deadlines a partner sees,
/// and the open ones).
#[derive(Debug)]
pub struct StatusFacts {
    pub journey: Journey,
    pub deadlines: Vec<Deadline>,
    pub owned: Vec<Action>,
    pub owed: Vec<Action>,
}

/// The case (as [`crate::cases::get`] reads it) and its [`StatusFacts`], in one round trip: all
/// six reads are pipelined on one connection. The caller decides access on the case before
/// using anything else.
pub async fn case_with_status_facts(
    db: &Db,
    case: CaseId,
    owner: Option<AgencyId>,
    all_owned: bool,
) -> Result<(Option<Case>, StatusFacts), StoreError> {
    let conn = db.conn().await?;
    let conn: &AsyncPgConnection = &conn;
    futures_util::future::try_join(crate::case_lock::load(conn, case, Lock::None), status_facts_on(conn, case, owner, all_owned)).await
}

async fn status_facts_on(
    conn: &AsyncPgConnection,
    case: CaseId,
    owner: Option<AgencyId>,
    all_owned: bool,
) -> Result<StatusFacts, StoreError> {
    // Four independent reads, pipelined: sent together, answered in one round trip.
    let filter = owner.map(|o| crate::actions::ActionFilter { case: Some(case), owner: Some(o), ..Default::default() });
    let open = filter.clone().map(|f| crate::actions::ActionFilter { status: Some(ActionStatus::Open), ..f });
    let actions = |f: Option<crate::actions::ActionFilter>, wanted: bool| async move {
        match f {
            Some(f) if wanted => crate::actions::all_on(conn, &f).await,
            _ => Ok(Vec::new()),
        }
    };
    let (timeline, deadlines, owned, owed) = futures_util::future::try_join4(
        crate::facts::timeline(conn, case),
        for_case_on(conn, case),
        actions(filter, all_owned),
        actions(open, true),
    )
    .await?;
    Ok(StatusFacts { journey: timeline.journey, deadlines, owned, owed })
}
