//! Signed checkpoints of the audit chain, and the buffered log of reads.

use std::path::Path;

use chrono::{DateTime, Utc};
use fourthp_domain::audit::{AuditContext, AuditEntry};
use fourthp_persistence::chain::{self, StoredCheckpoint};
use fourthp_persistence::{Db, StoreError};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// The Ed25519 key that signs checkpoints.
pub struct SigningKey(aws_lc_rs::signature::Ed25519KeyPair);

impl SigningKey {
    /// Reads the PKCS#8 key at `path`, generating it (mode 0600) on first use. The new key is
    /// written beside its place and linked into it, so that instances starting together on
    /// shared storage end up with the one key, never a half-written file.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        use aws_lc_rs::signature::Ed25519KeyPair;
        use std::os::unix::fs::OpenOptionsExt;
        let read = |der: &[u8]| {
            Ed25519KeyPair::from_pkcs8(der).map(SigningKey).map_err(|_| format!("{} is not an Ed25519 PKCS#8 key", path.display()))
        };
        if let Ok(der) = std::fs::read(path) {
            return read(&der);
        }
        let doc = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| "cannot generate a signing key".to_owned())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let draft = path.with_extension(format!("new-{}", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&draft)?;
            std::io::Write::write_all(&mut f, doc.as_ref())?;
            f.sync_all()
        })();
        let linked = written.and_then(|()| std::fs::hard_link(&draft, path));
        let _ = std::fs::remove_file(&draft);
        match linked {
            Ok(()) => read(doc.as_ref()),
            // Another instance made it first: theirs is the key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                read(&std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
            }
            Err(e) => Err(format!("cannot write {}: {e}", path.display())),
        }
    }

    /// The Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).as_ref().to_vec()
    }

    pub fn public_key(&self) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair;
        self.0.public_key().as_ref().to_vec()
    }
}

/// Whether `signature` is `public_key`'s Ed25519 signature of `message`.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, public_key).verify(message, signature).is_ok()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A checkpoint as handed to an outside party: everything needed to check it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkpoint {
    pub format: String,
    pub seq: i64,
    /// SHA-256 head hash at `seq`, hex.
    pub head_hash: String,
    pub signed_at: String,
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// Ed25519 signature over `message()`, hex.
    pub signature: String,
}

pub const CHECKPOINT_FORMAT: &str = "fourthp-checkpoint-v1";

impl Checkpoint {
    /// The signed message: format, sequence number, head hash and time, one per line.
    pub fn message(format: &str, seq: i64, head_hash: &str, signed_at: &str) -> Vec<u8> {
        format!("{format}\n{seq}\n{head_hash}\n{signed_at}\n").into_bytes()
    }

    /// Whether the signature is the public key's over the checkpoint's contents.
    pub fn signature_valid(&self) -> bool {
        let (Some(pk), Some(sig)) = (unhex(&self.public_key), unhex(&self.signature)) else { return false };
        verify(&pk, &Self::message(&self.format, self.seq, &self.head_hash, &self.signed_at), &sig)
    }
}

/// Chains what is pending (waiting for a chainer at work), signs the head and stores the
/// checkpoint.
pub async fn checkpoint(db: &Db, key: &SigningKey, now: DateTime<Utc>) -> Result<Checkpoint, StoreError> {
    chain::chain_all(db, now).await?;
    let (seq, hash) = chain::head(db).await?;
    let signed_at = now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let head_hash = hex(&hash);
    let signature = key.0.sign(&Checkpoint::message(CHECKPOINT_FORMAT, seq, &head_hash, &signed_at));
    let cp = Checkpoint {
        format: CHECKPOINT_FORMAT.to_owned(),
        seq,
        head_hash,
        signed_at,
        public_key: hex(&key.public_key()),
        signature: hex(signature.as_ref()),
    };
    chain::store_checkpoint(
        db,
        &StoredCheckpoint { seq, head_hash: hash, signed_at: now, public_key: key.public_key(), signature: signature.as_ref().to_vec() },
    )
    .await?;
    Ok(cp)
}

/// Reads of case data (and refused attempts), buffered so that logging them costs a request
/// next to nothing: a writer task inserts them in batches every few milliseconds. On a clean
/// shutdown the buffer is drained before exit; a crash can lose the reads of the last 50 ms.
#[derive(Clone)]
pub struct ReadLog {
    tx: mpsc::UnboundedSender<(AuditContext, AuditEntry)>,
    /// Records sent and not yet written (`/metrics`).
    queued: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl ReadLog {
    /// Starts the writer; it ends, after writing everything sent, when every `ReadLog` is gone.
    pub fn start(db: Db) -> (ReadLog, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(AuditContext, AuditEntry)>();
        let queued = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        let written = queued.clone();
        let writer = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                let deadline = tokio::time::sleep(std::time::Duration::from_millis(50));
                tokio::pin!(deadline);
                while batch.len() < 1000 {
                    tokio::select! {
                        item = rx.recv() => match item {
                            Some(i) => batch.push(i),
                            None => break,
                        },
                        () = &mut deadline => break,
                    }
                }
                if let Err(e) = fourthp_persistence::audit::record_many(&db, &batch).await {
                    tracing::error!(error = %e, lost = batch.len(), "could not write read-access records");
                }
                written.fetch_sub(i64::try_from(batch.len()).unwrap_or(i64::MAX), std::sync::atomic::Ordering::Relaxed);
            }
        });
        (ReadLog { tx, queued }, writer)
    }

    pub fn record(&self, ctx: &AuditContext, entry: AuditEntry) {
        self.queued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.tx.send((ctx.clone(), entry)).is_err() {
            self.queued.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!("read-access log writer has stopped");
        }
    }

    /// Records sent and not yet written.
    pub fn queued(&self) -> i64 {
        self.queued.load(std::sync::atomic::Ordering::Relaxed)
    }
}
