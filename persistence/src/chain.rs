//! The hash chain over the audit trail, and its verification. See `docs/audit-trail.md`.
//!
//! Writers only insert records (and, by trigger, a pending entry) in their own transactions. A
//! single chainer (one at a time across instances, by advisory lock) takes pending records in
//! batches, orders them, and appends them to `audit_chain` with gapless sequence numbers and
//! `hash = SHA-256(prev_hash || canonical(record))`. Records of a rolled-back transaction never
//! reach the chain, so there are no gaps; one chainer means no forks; writers never wait for one
//! another on the chain, so throughput is the database's.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Db, StoreError};

/// The hash before the first record.
pub const GENESIS: [u8; 32] = [0; 32];
const CHAINER_LOCK: i64 = 0x0004_7448_5000_0002;

/// The fields of a record that the chain covers, in the canonical encoding's order.
#[derive(Debug, Clone, QueryableByName)]
pub struct ChainedFields {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub recorded_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Text)]
    pub agent_sub: String,
    #[diesel(sql_type = Text)]
    pub agent_role: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub agent_agency_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub entity_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub case_id: Option<Uuid>,
    #[diesel(sql_type = Array<Text>)]
    pub changed_fields: Vec<String>,
    #[diesel(sql_type = Text)]
    pub request_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub client_address: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub purpose: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub source: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub details_hash: Option<Vec<u8>>,
}

const FIELDS: &str = "r.id, r.recorded_at, r.action, r.outcome, r.agent_sub, r.agent_role, r.agent_agency_id, r.entity_type, \
                      r.entity_id, r.case_id, r.changed_fields, r.request_id, r.client_address, r.purpose, r.source, r.details_hash";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The canonical encoding (version 1): one `key=value` line per field, in this order, values
/// escaped (`\` as `\\`, newline as `\n`), absent values empty, instants as RFC 3339 UTC with
/// microseconds, the details hash as lower-case hex.
pub fn canonical(seq: i64, r: &ChainedFields) -> Vec<u8> {
    let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    let lines = [
        ("v", "fourthp-audit-v1".to_owned()),
        ("seq", seq.to_string()),
        ("id", r.id.to_string()),
        ("recorded_at", r.recorded_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        ("action", r.action.clone()),
        ("outcome", r.outcome.clone()),
        ("agent_sub", r.agent_sub.clone()),
        ("agent_role", r.agent_role.clone()),
        ("agent_agency_id", opt(r.agent_agency_id)),
        ("entity_type", r.entity_type.clone()),
        ("entity_id", opt(r.entity_id)),
        ("case_id", opt(r.case_id)),
        ("changed_fields", r.changed_fields.join(",")),
        ("request_id", r.request_id.clone()),
        ("client_address", r.client_address.clone().unwrap_or_default()),
        ("purpose", r.purpose.clone().unwrap_or_default()),
        ("source", r.source.clone().unwrap_or_default()),
        ("details_hash", r.details_hash.as_deref().map(hex).unwrap_or_default()),
    ];
    let mut out = String::new();
    for (k, v) in lines {
        out.push_str(k);
        out.push('=');
        out.push_str(&escape(&v));
        out.push('\n');
    }
    out.into_bytes()
}

pub fn link(prev: &[u8], seq: i64, r: &ChainedFields) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical(seq, r));
    h.finalize().into()
}

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
}

async fn head_on(conn: &mut AsyncPgConnection) -> Result<(i64, Vec<u8>), StoreError> {
    let head: Option<Head> =
        diesel::sql_query("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1").get_result(conn).await.optional()?;
    Ok(head.map_or((0, GENESIS.to_vec()), |h| (h.seq, h.hash)))
}

/// The chain's head: (sequence number, hash); (0, genesis) when empty.
pub async fn head(db: &Db) -> Result<(i64, Vec<u8>), StoreError> {
    let mut conn = db.conn().await?;
    head_on(&mut conn).await
}

/// Chains up to `batch` pending records; returns how many, or 0 if another chainer holds the
/// lock and `wait` is false (with `wait`, it waits for the other to commit, then chains).
async fn chain_batch(conn: &mut AsyncPgConnection, batch: i64, now: DateTime<Utc>, wait: bool) -> Result<usize, StoreError> {
    if wait {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({CHAINER_LOCK})")).execute(conn).await?;
    } else {
        let locked: bool = diesel::select(crate::db::pg_try_advisory_xact_lock(CHAINER_LOCK)).get_result(conn).await?;
        if !locked {
            return Ok(0);
        }
    }
    let (mut seq, mut prev) = head_on(conn).await?;
    let sql = format!(
        "WITH taken AS (DELETE FROM audit_pending WHERE audit_id IN (SELECT audit_id FROM audit_pending LIMIT $1) RETURNING audit_id) \
         SELECT {FIELDS} FROM audit_records r JOIN taken t ON t.audit_id = r.id ORDER BY r.recorded_at, r.id"
    );
    let rows: Vec<ChainedFields> = diesel::sql_query(sql).bind::<BigInt, _>(batch).load(conn).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut seqs = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    let mut prevs = Vec::with_capacity(rows.len());
    let mut hashes = Vec::with_capacity(rows.len());
    for r in &rows {
        seq += 1;
        let hash = link(&prev, seq, r);
        seqs.push(seq);
        ids.push(r.id);
        prevs.push(prev.clone());
        hashes.push(hash.to_vec());
        prev = hash.to_vec();
    }
    diesel::sql_query(
        "INSERT INTO audit_chain (seq, audit_id, prev_hash, hash, chained_at) \
         SELECT * , $5 FROM unnest($1::bigint[], $2::uuid[], $3::bytea[], $4::bytea[])",
    )
    .bind::<Array<BigInt>, _>(seqs)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Bytea>, _>(prevs)
    .bind::<Array<Bytea>, _>(hashes)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    Ok(rows.len())
}

/// How many committed audit records wait to be chained.
pub async fn pending_count(db: &Db) -> Result<i64, StoreError> {
    let mut conn = db.conn().await?;
    let pending: Count = diesel::sql_query("SELECT count(*) AS n FROM audit_pending").get_result(&mut *conn).await?;
    Ok(pending.n)
}

/// Chains every pending record, in batches; returns how many were chained. Another chainer at
/// work already (another instance's, or this one's background job) is left to it: this returns
/// at once. For the background job.
pub async fn chain_pending(db: &Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    chain(db, now, false).await
}

/// Chains every record pending now, waiting for another chainer at work to finish first: after
/// this, everything committed before the call is on the chain. For verifying and checkpoints,
/// which must see the chain up to the moment they were asked.
pub async fn chain_all(db: &Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    chain(db, now, true).await
}

async fn chain(db: &Db, now: DateTime<Utc>, wait: bool) -> Result<usize, StoreError> {
    let mut conn = db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    let mut total = 0;
    loop {
        AnsiTransactionManager::begin_transaction(conn).await?;
        let n = match chain_batch(conn, 5000, now, wait).await {
            Ok(n) => {
                AnsiTransactionManager::commit_transaction(conn).await?;
                n
            }
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(conn).await;
                return Err(e);
            }
        };
        total += n;
        if n < 5000 {
            return Ok(total);
        }
    }
}

/// Where and how the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub problem: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub head_seq: i64,
    pub head_hash: Vec<u8>,
    /// Records written but not yet chained.
    pub pending: i64,
    /// Records neither chained nor pending: their pending entries were removed by hand.
    pub orphans: i64,
    pub first_break: Option<Break>,
}

impl VerifyReport {
    pub fn is_valid(&self) -> bool {
        self.first_break.is_none() && self.orphans == 0
    }
}

#[derive(QueryableByName)]
struct VerifyRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = SqlUuid)]
    audit_id: Uuid,
    #[diesel(sql_type = Bytea)]
    prev_hash: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    hash: Vec<u8>,
    #[diesel(sql_type = Bool)]
    present: bool,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    recorded_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Text)]
    agent_sub: String,
    #[diesel(sql_type = Text)]
    agent_role: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    agent_agency_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    entity_type: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    entity_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    case_id: Option<Uuid>,
    #[diesel(sql_type = Array<Text>)]
    changed_fields: Vec<String>,
    #[diesel(sql_type = Text)]
    request_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    client_address: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    purpose: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    source: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    details_hash: Option<Vec<u8>>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Checks the whole chain from the genesis: sequence numbers without gaps, each link's previous
/// hash, each record present and unchanged. With `expect`, also that the chain passes through
/// (seq, hash): that it still extends a checkpoint kept outside.
pub async fn verify(db: &Db, expect: Option<(i64, &[u8])>) -> Result<VerifyReport, StoreError> {
    let mut conn = db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut conn;
    // One snapshot for the walk and the counts: a chainer committing meanwhile moves records from
    // the queue to the chain, and a walk and counts taken at different moments would call them
    // orphans.
    AnsiTransactionManager::begin_transaction_sql(&mut *conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let report = verify_on(conn, expect).await;
    match report {
        Ok(_) => AnsiTransactionManager::commit_transaction(&mut *conn).await?,
        Err(_) => {
            let _ = AnsiTransactionManager::rollback_transaction(&mut *conn).await;
        }
    }
    report
}

async fn verify_on(conn: &mut AsyncPgConnection, expect: Option<(i64, &[u8])>) -> Result<VerifyReport, StoreError> {
    let sql = "SELECT c.seq, c.audit_id, c.prev_hash, c.hash, (r.id IS NOT NULL) AS present, \
               coalesce(r.id, c.audit_id) AS id, coalesce(r.recorded_at, 'epoch') AS recorded_at, coalesce(r.action, '') AS action, \
               coalesce(r.outcome, '') AS outcome, coalesce(r.agent_sub, '') AS agent_sub, coalesce(r.agent_role, '') AS agent_role, \
               r.agent_agency_id, coalesce(r.entity_type, '') AS entity_type, r.entity_id, r.case_id, \
               coalesce(r.changed_fields, '{}') AS changed_fields, coalesce(r.request_id, '') AS request_id, r.client_address, \
               r.purpose, r.source, r.details_hash \
               FROM audit_chain c LEFT JOIN audit_records r ON r.id = c.audit_id ORDER BY c.seq";
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_vec();
    let mut records = 0u64;
    let mut first_break: Option<Break> = None;
    let mut checkpoint_seen = expect.is_none();
    // One query, streamed: PostgreSQL joins the two tables once and the rows arrive in order.
    {
        let mut rows = diesel::sql_query(sql).load_stream::<VerifyRow>(&mut *conn).await?;
        while let Some(row) = rows.next().await {
            let row = row?;
            let broken = |problem: String| Some(Break { seq: expected_seq, problem });
            if row.seq != expected_seq {
                first_break = broken(format!("sequence gap: record {expected_seq} is missing from the chain (next is {})", row.seq));
                break;
            }
            if row.prev_hash != prev {
                first_break = broken("its previous hash does not match the hash of the record before it".to_owned());
                break;
            }
            if !row.present {
                first_break = broken(format!("audit record {} has been deleted", row.audit_id));
                break;
            }
            let fields = ChainedFields {
                id: row.id,
                recorded_at: row.recorded_at,
                action: row.action,
                outcome: row.outcome,
                agent_sub: row.agent_sub,
                agent_role: row.agent_role,
                agent_agency_id: row.agent_agency_id,
                entity_type: row.entity_type,
                entity_id: row.entity_id,
                case_id: row.case_id,
                changed_fields: row.changed_fields,
                request_id: row.request_id,
                client_address: row.client_address,
                purpose: row.purpose,
                source: row.source,
                details_hash: row.details_hash,
            };
            let computed = link(&prev, row.seq, &fields);
            if computed.as_slice() != row.hash.as_slice() {
                first_break = broken(format!("audit record {} has been changed: its content no longer matches its hash", row.audit_id));
                break;
            }
            if let Some((cseq, chash)) = expect {
                if row.seq == cseq {
                    if row.hash.as_slice() != chash {
                        first_break = broken("the chain does not pass through the checkpoint's hash: it has been rewritten".to_owned());
                        break;
                    }
                    checkpoint_seen = true;
                }
            }
            prev = row.hash;
            records += 1;
            expected_seq += 1;
        }
    }
    if first_break.is_none() && !checkpoint_seen {
        first_break = expect
            .map(|(cseq, _)| Break { seq: cseq, problem: "the chain is shorter than the checkpoint: records were removed".to_owned() });
    }
    let pending: Count = diesel::sql_query("SELECT count(*) AS n FROM audit_pending").get_result(&mut *conn).await?;
    // Every record is either chained (and was just walked) or pending; the rest are orphans.
    // (Counted only over an intact chain: a broken one is reported by its first break.)
    let orphans = if first_break.is_none() {
        let total: Count = diesel::sql_query(
            "SELECT (SELECT count(*) FROM audit_records) - (SELECT count(*) FROM audit_pending p JOIN audit_records r ON r.id = p.audit_id) AS n",
        )
        .get_result(&mut *conn)
        .await?;
        total.n - i64::try_from(records).unwrap_or(i64::MAX)
    } else {
        0
    };
    Ok(VerifyReport { records, head_seq: expected_seq - 1, head_hash: prev, pending: pending.n, orphans, first_break })
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub seq: i64,
    pub head_hash: Vec<u8>,
    pub signed_at: DateTime<Utc>,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

pub async fn store_checkpoint(db: &Db, c: &StoredCheckpoint) -> Result<(), StoreError> {
    let mut conn = db.conn().await?;
    diesel::sql_query(
        "INSERT INTO audit_checkpoints (seq, head_hash, signed_at, public_key, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
    )
    .bind::<BigInt, _>(c.seq)
    .bind::<Bytea, _>(&c.head_hash)
    .bind::<Timestamptz, _>(c.signed_at)
    .bind::<Bytea, _>(&c.public_key)
    .bind::<Bytea, _>(&c.signature)
    .execute(&mut conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ChainedFields {
        ChainedFields {
            id: Uuid::from_u128(1),
            recorded_at: DateTime::parse_from_rfc3339("2026-11-24T10:00:00.123456Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default(),
            action: "C".into(),
            outcome: "success".into(),
            agent_sub: "vcc\\1\nx".into(),
            agent_role: "coordinator".into(),
            agent_agency_id: None,
            entity_type: "case".into(),
            entity_id: Some(Uuid::from_u128(2)),
            case_id: Some(Uuid::from_u128(2)),
            changed_fields: vec!["known_as".into(), "gender".into()],
            request_id: "r1".into(),
            client_address: Some("127.0.0.1".into()),
            purpose: None,
            source: Some("fourthp@host:1".into()),
            details_hash: Some(vec![0xab, 0x01]),
        }
    }

    #[test]
    fn canonical_encoding_is_stable_and_escaped() {
        let text = String::from_utf8(canonical(7, &record())).unwrap_or_default();
        assert!(text
            .starts_with("v=fourthp-audit-v1\nseq=7\nid=00000000-0000-0000-0000-000000000001\nrecorded_at=2026-11-24T10:00:00.123456Z\n"));
        assert!(text.contains("agent_sub=vcc\\\\1\\nx\n"));
        assert!(text.contains("agent_agency_id=\n"));
        assert!(text.ends_with("details_hash=ab01\n"));
        // Any change to a field changes the link.
        let base = link(&GENESIS, 7, &record());
        let mut changed = record();
        changed.outcome = "denied".into();
        assert_ne!(base, link(&GENESIS, 7, &changed));
        assert_ne!(base, link(&GENESIS, 8, &record()));
    }
}
