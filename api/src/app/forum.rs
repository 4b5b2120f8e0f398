//! The national network coordinators' forum. A network's coordinators (or administrators) make
//! the signed bundle for a whole-month period: the protected report's figures and the
//! challenges taken to the forum, free text with anything that looks like a person's details
//! withheld. A deployment run for the forum (`FOURTHP_MODE=forum`) registers networks by their
//! public key, imports their bundles (refusing a bad signature, an unknown key, a repeated
//! period, or any count below the disclosure threshold) and shows them side by side.

use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{forum_access, forum_bundle_access, ForumAction};
use fourthp_domain::challenge::{name_candidates, personal_data_in};
use fourthp_domain::forum::{
    compare, figures_of, group_across_networks, signed_message, withhold, BundleChallenge, BundleContent, BundlePeriod, Comparison,
    BUNDLE_FORMAT,
};
use fourthp_domain::ids::ForumBundleId;
use fourthp_persistence::challenges::{self, NameScope};
use fourthp_persistence::forum::{self as store, ForumNetwork, ImportError, KeptBundle, RegisterNetworkError};

use super::reports::{compute, ReportRequest};
use super::AppError;
use crate::audit_trail::{hex, unhex, verify};
use crate::auth::Caller;
use crate::state::{AppState, Mode};

/// A bundle as it travels: the content, and who signed it and how.
#[derive(Debug, Clone)]
pub struct SignedBundle {
    pub content: BundleContent,
    /// Ed25519, hex.
    pub public_key: String,
    /// Ed25519 over [`signed_message`] of the content's canonical JSON, hex.
    pub signature: String,
}

impl SignedBundle {
    /// The file the network sends the forum.
    pub fn file_name(&self) -> String {
        format!("fourthp-forum-bundle-{}-{}.json", self.content.period.from, self.content.period.to)
    }

    /// The bundle as it travels: `format`, `content`, `public_key`, `signature`.
    pub fn document(&self) -> Result<serde_json::Value, AppError> {
        let content =
            serde_json::to_value(&self.content).map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("bundle")))?;
        Ok(serde_json::json!({
            "format": BUNDLE_FORMAT,
            "content": content,
            "public_key": self.public_key,
            "signature": self.signature,
        }))
    }
}

/// The content as canonical JSON: object keys sorted (serde_json's map is ordered by key),
/// no insignificant whitespace.
fn canonical(value: &serde_json::Value) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(value).map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("writing canonical JSON")))
}

/// Makes and signs the network's bundle for `from`..=`to` (whole months).
pub async fn bundle(caller: &Caller, state: &AppState, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<SignedBundle, AppError> {
    forum_bundle_access(caller.principal().role)?;
    let request = ReportRequest { from, to, format: "forum_bundle", ..ReportRequest::default() };
    let pulled = compute(caller, state, request, state.disclosure).await?;
    let figures = figures_of(&pulled.report).map_err(|e| AppError::Rejected {
        kind: "bundle-not-protected",
        title: "The bundle needs protected figures",
        message: e.to_string(),
    })?;
    let (from, to) = (pulled.report.params.from, pulled.report.params.to);
    let mut carried = Vec::new();
    for c in challenges::for_forum(&state.db, from, to).await? {
        let Some(escalated_on) = c.escalated_on else { continue };
        carried.push(BundleChallenge {
            number: c.number,
            title: withheld(state, c.details.title.as_str()).await?,
            description: withheld(state, c.details.description.as_str()).await?,
            sectors: c.details.sectors.clone(),
            urgency: c.details.urgency,
            status: c.status,
            escalated_on,
        });
    }
    let content = BundleContent {
        network: state.network_name.clone(),
        period: BundlePeriod { from, to },
        generated_at: caller.ctx.at,
        suppress_up_to: pulled.report.policy.suppress_up_to,
        min_n_for_statistics: pulled.report.policy.min_n_for_statistics,
        figures,
        challenges: carried,
    };
    let value = serde_json::to_value(&content).map_err(|_| AppError::Store(fourthp_persistence::StoreError::internal("bundle")))?;
    let signature = state.signing_key.sign(&signed_message(&canonical(&value)?));
    Ok(SignedBundle { content, public_key: hex(&state.signing_key.public_key()), signature: hex(&signature) })
}

/// `text` with case references, names of any case, emails, telephone numbers and dates
/// withheld: the board warns its writers, and the bundle leaves nothing to their care.
async fn withheld(state: &AppState, text: &str) -> Result<String, AppError> {
    let names = challenges::names_known(&state.db, &name_candidates(text), &NameScope::All).await?;
    let found = personal_data_in(text, &names);
    Ok(withhold(text, &found.iter().map(|f| f.text()).collect::<Vec<_>>()))
}

/// The forum's use cases need a deployment run for the forum: elsewhere there is no such thing.
fn at_the_forum(state: &AppState) -> Result<(), AppError> {
    match state.mode {
        Mode::Forum => Ok(()),
        Mode::Network => Err(AppError::NotFound),
    }
}

/// Registers a network whose bundles the forum accepts. Fields at fault: `name`, `public_key`
/// (64 hexadecimal digits, as the network publishes it at `/.well-known/fourthp-signing-key`).
pub async fn register_network(caller: &Caller, state: &AppState, name: &str, public_key: &str) -> Result<ForumNetwork, AppError> {
    forum_access(caller.principal().role, ForumAction::RegisterNetwork)?;
    at_the_forum(state)?;
    let mut errs = fourthp_domain::error::FieldErrors::new();
    let name = name.trim();
    if name.is_empty() {
        errs.push("name", "is required");
    } else if name.chars().count() > 200 || name.contains(['\n', '\r']) {
        errs.push("name", "must be one line of at most 200 characters");
    }
    let key = unhex(public_key.trim()).filter(|k| k.len() == 32);
    if key.is_none() {
        errs.push("public_key", "must be an Ed25519 public key: 64 hexadecimal digits");
    }
    let (Some(key), true) = (key, errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    store::register_network(&state.db, &caller.ctx, name, &key).await.map_err(|e| match e {
        RegisterNetworkError::NameTaken => AppError::conflict("network-exists", "A network with this name is registered."),
        RegisterNetworkError::KeyTaken => AppError::conflict("network-exists", "A network with this public key is registered."),
        RegisterNetworkError::Store(s) => AppError::Store(s),
    })
}

/// The networks registered with the forum.
pub async fn networks(caller: &Caller, state: &AppState) -> Result<Vec<ForumNetwork>, AppError> {
    forum_access(caller.principal().role, ForumAction::Compare)?;
    at_the_forum(state)?;
    Ok(store::networks(&state.db).await?)
}

/// A bundle as it arrived: the fields of the document, not yet believed.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivedBundle {
    pub format: String,
    pub content: serde_json::Value,
    pub public_key: String,
    pub signature: String,
}

/// A bundle the forum accepted.
#[derive(Debug, Clone)]
pub struct Imported {
    pub id: ForumBundleId,
    pub network: String,
    pub period: BundlePeriod,
    pub figures: usize,
    pub challenges: usize,
}

/// Imports a network's bundle: the format, the registered network by its key, the signature
/// over the content as it arrived, then the content's own checks, then the period not sent
/// before. Fields at fault: `format`, `public_key`, `signature`, `content`.
pub async fn import(caller: &Caller, state: &AppState, arrived: ArrivedBundle) -> Result<Imported, AppError> {
    forum_access(caller.principal().role, ForumAction::Import)?;
    at_the_forum(state)?;
    let mut errs = fourthp_domain::error::FieldErrors::new();
    if arrived.format != BUNDLE_FORMAT {
        errs.push("format", format!("must be {BUNDLE_FORMAT}"));
    }
    let key = unhex(&arrived.public_key).filter(|k| k.len() == 32);
    if key.is_none() {
        errs.push("public_key", "must be an Ed25519 public key: 64 hexadecimal digits");
    }
    let signature = unhex(&arrived.signature).filter(|s| s.len() == 64);
    if signature.is_none() {
        errs.push("signature", "must be an Ed25519 signature: 128 hexadecimal digits");
    }
    if !arrived.content.is_object() {
        errs.push("content", "must be the bundle's content, an object");
    }
    let (Some(key), Some(signature), true) = (key, signature, errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    let Some(network) = store::network_by_key(&state.db, &key).await? else {
        return Err(AppError::Rejected {
            kind: "unknown-network",
            title: "No network is registered with this key",
            message: "The bundle's public key is not one the forum registered: an administrator registers the network first.".to_owned(),
        });
    };
    if !verify(&network.public_key, &signed_message(&canonical(&arrived.content)?), &signature) {
        return Err(AppError::Rejected {
            kind: "bad-signature",
            title: "The bundle's signature does not verify",
            message: format!(
                "The bundle is not signed by {}'s registered key, or it changed after it was signed: nothing was imported.",
                network.name
            ),
        });
    }
    let content: BundleContent = serde_json::from_value(arrived.content.clone()).map_err(|e| {
        // serde's words name the field and the type expected, never the values.
        AppError::invalid("content", &format!("is not a bundle's content: {e}"))
    })?;
    content.check(state.disclosure.suppress_up_to).map_err(|e| AppError::Rejected {
        kind: "bundle-refused",
        title: "The bundle breaks the forum's rules",
        message: e.to_string(),
    })?;
    let period = content.period;
    let id = store::import(&state.db, &caller.ctx, network.id, &arrived.content, (period.from, period.to), &signature).await.map_err(
        |e| match e {
            ImportError::Repeated { from, to } => AppError::conflict(
                "period-repeated",
                format!(
                    "{} already sent its bundle for {from} to {to}, which covers part of this period: nothing was imported.",
                    network.name
                ),
            ),
            ImportError::Store(s) => AppError::Store(s),
        },
    )?;
    Ok(Imported { id, network: network.name, period, figures: content.figures.len(), challenges: content.challenges.len() })
}

/// One challenge as the forum shows it, with the network it came from.
#[derive(Debug, Clone)]
pub struct ForumChallenge {
    pub network: String,
    pub challenge: BundleChallenge,
}

/// The networks side by side for one period.
#[derive(Debug, Clone)]
pub struct SideBySide {
    pub period: BundlePeriod,
    /// Each network's name and when its bundle was imported, in the comparison's column order.
    pub bundles: Vec<(String, DateTime<Utc>)>,
    pub comparison: Comparison,
    /// Challenges raised in more than one region, grouped.
    pub shared: Vec<Vec<ForumChallenge>>,
    /// The rest, one region each.
    pub alone: Vec<ForumChallenge>,
    /// Every period some network sent a bundle for, newest first, with how many did.
    pub periods: Vec<(NaiveDate, NaiveDate, i64)>,
}

/// The networks' bundles for `from`..=`to` (the newest period when not given) side by side.
/// Fields at fault: `from`, `to`.
pub async fn side_by_side(
    caller: &Caller,
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<SideBySide, AppError> {
    forum_access(caller.principal().role, ForumAction::Compare)?;
    at_the_forum(state)?;
    let periods = store::periods(&state.db).await?;
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        (None, None) => periods.first().map(|(f, t, _)| (*f, *t)).unwrap_or_else(|| {
            let today = fourthp_domain::time::london_date(caller.ctx.at);
            (today, today)
        }),
        (None, Some(_)) => return Err(AppError::invalid("from", "is required with to")),
        (Some(_), None) => return Err(AppError::invalid("to", "is required with from")),
    };
    if to < from {
        return Err(AppError::invalid("to", "must not be before from"));
    }
    let kept: Vec<KeptBundle> = store::bundles_for(&state.db, from, to).await?;
    let comparison = compare(&kept.iter().map(|b| (b.network.clone(), &b.content)).collect::<Vec<_>>());
    let all: Vec<ForumChallenge> = kept
        .iter()
        .flat_map(|b| b.content.challenges.iter().map(|c| ForumChallenge { network: b.network.clone(), challenge: c.clone() }))
        .collect();
    let network_index: Vec<usize> = kept.iter().enumerate().flat_map(|(i, b)| std::iter::repeat_n(i, b.content.challenges.len())).collect();
    let items: Vec<(usize, &str)> = all.iter().zip(&network_index).map(|(c, i)| (*i, c.challenge.title.as_str())).collect();
    let groups = group_across_networks(&items);
    let grouped: std::collections::BTreeSet<usize> = groups.iter().flatten().copied().collect();
    let shared = groups.iter().map(|g| g.iter().filter_map(|&i| all.get(i).cloned()).collect()).collect();
    let alone = all.iter().enumerate().filter(|(i, _)| !grouped.contains(i)).map(|(_, c)| c.clone()).collect();
    Ok(SideBySide {
        period: BundlePeriod { from, to },
        bundles: kept.iter().map(|b| (b.network.clone(), b.imported_at)).collect(),
        comparison,
        shared,
        alone,
        periods,
    })
}
