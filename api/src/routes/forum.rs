//! The national network coordinators' forum: `GET /api/v1/forum/bundle` (a network's signed
//! bundle for a whole-month period), and, at a deployment run for the forum
//! (`FOURTHP_MODE=forum`), the networks it accepts, the bundles it imports and the networks
//! side by side. `GET /.well-known/fourthp-signing-key` publishes the deployment's public key.

use actix_web::http::header;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::forum::{BundleChallenge, BundleContent, BundlePeriod};
use fourthp_domain::report::{FigureStatus, Section, Unit};
use fourthp_persistence::forum::ForumNetwork;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app;
use crate::app::forum::{ArrivedBundle, SideBySide};
use crate::audit_trail::hex;
use crate::auth::Caller;
use crate::extract::ApiJson;
use crate::problem::{CreateProblems, Problem, ReadProblems};
use crate::query::{field, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// First day of the period: the first of a month (YYYY-MM-DD).
    #[param(required = true, value_type = String, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub from: Option<NaiveDate>,
    /// Last day of the period, inclusive: the last of a month (YYYY-MM-DD).
    #[param(required = true, value_type = String, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub to: Option<NaiveDate>,
}

/// A network's signed bundle for the forum. `signature` is Ed25519 by `public_key` over the
/// UTF-8 bytes of `fourthp-forum-bundle-v1`, a line feed, then `content` as canonical JSON
/// (object keys sorted by code point, no whitespace outside strings, integers without a
/// fraction): re-serialize the `content` you received that way to check it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForumBundle {
    #[schema(example = "fourthp-forum-bundle-v1")]
    pub format: String,
    #[schema(value_type = BundleContent)]
    pub content: serde_json::Value,
    /// Ed25519 public key, 64 hexadecimal digits: the one at `/.well-known/fourthp-signing-key`.
    pub public_key: String,
    /// Ed25519 signature, 128 hexadecimal digits.
    pub signature: String,
}

/// The network's signed bundle for the national forum: the outcome report's disclosure-controlled
/// figures for a whole-month period and the challenges taken to the forum (no case links; text
/// that looked like a person's details withheld). Coordinators and administrators; audited as a
/// report pull.
#[utoipa::path(
    tag = "forum",
    params(BundleQuery),
    responses(
        (status = 200, description = "The signed bundle", body = ForumBundle),
        (status = 422, description = "The period is not whole months (rule `whole_months`)", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
        ReadProblems
    ),
    security(("bearer" = []))
)]
#[get("/forum/bundle")]
pub async fn forum_bundle(caller: Caller, state: web::Data<AppState>, query: ApiQuery<BundleQuery>) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let signed = match app::forum::bundle(&caller, &state, q.from, q.to).await {
        Ok(b) => b,
        Err(app::AppError::Invalid(errs)) => return Err(super::bad_query_problem(errs)),
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", signed.file_name())))
        .json(signed.document()?))
}

/// The deployment's public signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKeyResponse {
    #[schema(example = "Ed25519")]
    pub algorithm: &'static str,
    /// 64 hexadecimal digits.
    pub public_key: String,
    /// The network's name in its bundles.
    pub network: String,
    pub used_for: Vec<&'static str>,
}

/// The Ed25519 public key this deployment signs its audit checkpoints and its forum bundles
/// with: what an auditor checks a checkpoint against, and what the forum registers.
#[utoipa::path(tag = "forum", responses((status = 200, description = "The public key", body = SigningKeyResponse)))]
#[get("/.well-known/fourthp-signing-key")]
pub async fn signing_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(SigningKeyResponse {
        algorithm: "Ed25519",
        public_key: hex(&state.signing_key.public_key()),
        network: state.network_name.clone(),
        used_for: vec!["audit checkpoints", "forum bundles"],
    })
}

/// A network to register with the forum.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterNetworkRequest {
    #[schema(example = "West Yorkshire anti-slavery network")]
    pub name: String,
    /// Its Ed25519 public key, 64 hexadecimal digits, as it publishes it at
    /// `/.well-known/fourthp-signing-key`.
    pub public_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForumNetworkResponse {
    pub id: uuid::Uuid,
    pub name: String,
    pub public_key: String,
    pub registered_at: DateTime<Utc>,
}

impl ForumNetworkResponse {
    fn new(n: &ForumNetwork) -> Self {
        ForumNetworkResponse { id: n.id.into_uuid(), name: n.name.clone(), public_key: hex(&n.public_key), registered_at: n.registered_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForumNetworkListResponse {
    pub items: Vec<ForumNetworkResponse>,
}

/// Register a network whose bundles the forum accepts (the forum's administrators). 404 where
/// the deployment is not run for the forum.
#[utoipa::path(
    tag = "forum",
    request_body = RegisterNetworkRequest,
    responses((status = 201, description = "Registered", body = ForumNetworkResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/forum/networks")]
pub async fn register_network(
    caller: Caller,
    state: web::Data<AppState>,
    body: ApiJson<RegisterNetworkRequest>,
) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let n = app::forum::register_network(&caller, &state, &b.name, &b.public_key).await?;
    Ok(HttpResponse::Created().json(ForumNetworkResponse::new(&n)))
}

/// The networks registered with the forum.
#[utoipa::path(
    tag = "forum",
    responses((status = 200, description = "The networks", body = ForumNetworkListResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/forum/networks")]
pub async fn list_networks(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let all = app::forum::networks(&caller, &state).await?;
    Ok(HttpResponse::Ok().json(ForumNetworkListResponse { items: all.iter().map(ForumNetworkResponse::new).collect() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedBundleResponse {
    pub id: uuid::Uuid,
    pub network: String,
    #[schema(value_type = BundlePeriod)]
    pub period: BundlePeriod,
    pub figures: usize,
    pub challenges: usize,
}

/// Import a network's signed bundle (the forum's coordinators and administrators). Refused
/// (422) when no network is registered with its key (`unknown-network`), when the signature
/// does not verify (`bad-signature`), or when it breaks the forum's rules (`bundle-refused`:
/// not whole months, a count below the disclosure threshold); a period the network already
/// sent is a conflict (409, `period-repeated`).
#[utoipa::path(
    tag = "forum",
    request_body = ForumBundle,
    responses((status = 201, description = "Imported", body = ImportedBundleResponse), CreateProblems),
    security(("bearer" = []))
)]
#[post("/forum/bundles")]
pub async fn import_bundle(caller: Caller, state: web::Data<AppState>, body: ApiJson<ForumBundle>) -> Result<HttpResponse, Problem> {
    let b = body.value;
    let arrived = ArrivedBundle { format: b.format, content: b.content, public_key: b.public_key, signature: b.signature };
    let i = app::forum::import(&caller, &state, arrived).await?;
    Ok(HttpResponse::Created().json(ImportedBundleResponse {
        id: i.id.into_uuid(),
        network: i.network,
        period: i.period,
        figures: i.figures,
        challenges: i.challenges,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComparisonQuery {
    /// First day of the period (YYYY-MM-DD); with `to`. Neither: the newest period imported.
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub from: Option<NaiveDate>,
    /// Last day of the period, inclusive (YYYY-MM-DD).
    #[param(value_type = Option<String>, format = Date)]
    #[serde(default, deserialize_with = "field::day")]
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComparedNetwork {
    pub name: String,
    pub imported_at: DateTime<Utc>,
}

/// One network's value of a figure.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparedValue {
    /// Null when withheld or too little data.
    pub value: Option<f64>,
    pub status: FigureStatus,
}

/// One figure across the networks.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonRowResponse {
    pub section: Section,
    pub measure: String,
    pub title: String,
    pub category: Option<String>,
    pub statistic: String,
    pub unit: Unit,
    /// In the order of `networks`; null where that network's bundle has no such figure.
    pub values: Vec<Option<ComparedValue>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForumChallengeResponse {
    pub network: String,
    #[schema(value_type = BundleChallenge)]
    pub challenge: BundleChallenge,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForumPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// How many networks sent a bundle for it.
    pub networks: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonResponse {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub networks: Vec<ComparedNetwork>,
    pub rows: Vec<ComparisonRowResponse>,
    /// Challenges raised in more than one region, grouped by what they are about.
    pub shared_challenges: Vec<Vec<ForumChallengeResponse>>,
    /// Challenges raised in one region.
    pub other_challenges: Vec<ForumChallengeResponse>,
    pub periods: Vec<ForumPeriod>,
}

impl ComparisonResponse {
    fn new(s: SideBySide) -> Self {
        let challenge =
            |c: &app::forum::ForumChallenge| ForumChallengeResponse { network: c.network.clone(), challenge: c.challenge.clone() };
        ComparisonResponse {
            from: s.period.from,
            to: s.period.to,
            networks: s.bundles.iter().map(|(name, at)| ComparedNetwork { name: name.clone(), imported_at: *at }).collect(),
            rows: s
                .comparison
                .rows
                .iter()
                .map(|r| ComparisonRowResponse {
                    section: r.section,
                    measure: r.measure.clone(),
                    title: r.title.clone(),
                    category: r.category.clone(),
                    statistic: r.statistic.clone(),
                    unit: r.unit,
                    values: r.values.iter().map(|v| v.map(|(value, status)| ComparedValue { value, status })).collect(),
                })
                .collect(),
            shared_challenges: s.shared.iter().map(|g| g.iter().map(challenge).collect()).collect(),
            other_challenges: s.alone.iter().map(challenge).collect(),
            periods: s.periods.iter().map(|(from, to, n)| ForumPeriod { from: *from, to: *to, networks: *n }).collect(),
        }
    }
}

/// The networks side by side for a period: the same measures per network, and the challenges
/// raised in more than one region grouped together (the forum's coordinators, administrators
/// and commissioners).
#[utoipa::path(
    tag = "forum",
    params(ComparisonQuery),
    responses((status = 200, description = "The networks side by side", body = ComparisonResponse), ReadProblems),
    security(("bearer" = []))
)]
#[get("/forum/comparison")]
pub async fn comparison(caller: Caller, state: web::Data<AppState>, query: ApiQuery<ComparisonQuery>) -> Result<HttpResponse, Problem> {
    let q = query.0;
    let s = match app::forum::side_by_side(&caller, &state, q.from, q.to).await {
        Ok(s) => s,
        Err(app::AppError::Invalid(errs)) => return Err(super::bad_query_problem(errs)),
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Ok().json(ComparisonResponse::new(s)))
}
