//! Re-deriving every case's deadlines when the rule book changes (a corrected rule, a new rule
//! set version, a deployment's new local standards), so that stored deadlines always follow the
//! rules in force. Waivers stay with their deadlines; each deadline created, changed or removed
//! is audited as a change by the service itself (agent role `system`), naming the rule sets.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use fourthp_domain::audit::{AuditAction, AuditEntry, EntityType};
use fourthp_domain::ids::CaseId;
use fourthp_domain::rules::RuleBook;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit::{self, Details, SystemAgent};
use crate::case_lock::{load, Lock};
use crate::db::{Db, StoreError};
use crate::schema::{cases, rule_book_applied};

/// Key of the advisory lock that lets one instance re-derive at a time.
const REDERIVE_LOCK: i64 = 0x0004_7448_5000_0002;

/// Cases re-derived in one transaction.
const BATCH: i64 = 200;

/// A fingerprint of everything in the rule book: any change to a rule changes it.
pub fn fingerprint(book: &RuleBook) -> String {
    let digest = Sha256::digest(format!("{book:?}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a re-derivation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rederived {
    pub cases: usize,
    pub cases_changed: usize,
    pub deadlines_changed: usize,
}

/// Re-derives every case's deadlines and stage under `book` unless the database says they were
/// derived under this very book already. `None`: nothing to do.
pub async fn if_changed(db: &Db, book: &RuleBook, now: DateTime<Utc>) -> Result<Option<Rederived>, StoreError> {
    let print = fingerprint(book);
    let mut conn = db.conn().await?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({REDERIVE_LOCK})")).execute(&mut conn).await?;
    let result = rederive_locked(&mut conn, book, &print, now).await;
    diesel::sql_query(format!("SELECT pg_advisory_unlock({REDERIVE_LOCK})")).execute(&mut conn).await?;
    result
}

async fn rederive_locked(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    print: &str,
    now: DateTime<Utc>,
) -> Result<Option<Rederived>, StoreError> {
    let applied: Option<String> = rule_book_applied::table.select(rule_book_applied::fingerprint).first(conn).await.optional()?;
    if applied.as_deref() == Some(print) {
        return Ok(None);
    }
    let versions = book.versions();
    let agent = SystemAgent { sub: "fourthp-rule-book".to_owned(), request_id: format!("rule-book-{}", &print[..16]), at: now };
    let mut done = Rederived::default();
    let mut after = Uuid::nil();
    loop {
        let ids: Vec<Uuid> = cases::table.select(cases::id).filter(cases::id.gt(after)).order(cases::id).limit(BATCH).load(conn).await?;
        let Some(last) = ids.last().copied() else { break };
        let (cases_changed, deadlines_changed) = conn
            .transaction::<_, StoreError, _>(async |conn| {
                let mut changed = (0, 0);
                for id in &ids {
                    let Some(case) = load(conn, CaseId::from_uuid(*id), Lock::Update).await? else { continue };
                    let outcome = crate::derive::resync(conn, &case, book, now).await?;
                    if outcome.changes.is_empty() && !outcome.stage_changed {
                        continue;
                    }
                    changed.0 += 1;
                    changed.1 += outcome.changes.len();
                    diesel::update(cases::table.find(id)).set(cases::version.eq(cases::version + 1)).execute(conn).await?;
                    for change in outcome.changes {
                        let fields = match change.action {
                            AuditAction::Create | AuditAction::Delete => vec!["deadline"],
                            _ => vec!["rule_version", "kind", "due_on", "met_on", "support_ended_on", "explanation"],
                        };
                        let entry = AuditEntry::change(change.action, EntityType::Deadline, change.id.into_uuid(), Some(case.id), fields);
                        let with_book = |v: Option<serde_json::Value>| v.map(|v| serde_json::json!({"deadline": v, "rule_book": versions}));
                        let details = Details { before: with_book(change.before), after: with_book(change.after) };
                        audit::record_system(conn, &agent, entry, Some(details)).await?;
                    }
                }
                Ok(changed)
            })
            .await?;
        done.cases += ids.len();
        done.cases_changed += cases_changed;
        done.deadlines_changed += deadlines_changed;
        after = last;
    }
    diesel::insert_into(rule_book_applied::table)
        .values((
            rule_book_applied::singleton.eq(true),
            rule_book_applied::fingerprint.eq(print),
            rule_book_applied::versions.eq(&versions),
            rule_book_applied::applied_at.eq(now),
        ))
        .on_conflict(rule_book_applied::singleton)
        .do_update()
        .set((rule_book_applied::fingerprint.eq(print), rule_book_applied::versions.eq(&versions), rule_book_applied::applied_at.eq(now)))
        .execute(conn)
        .await?;
    Ok(Some(done))
}
