//! The outcome report (commissioners, with disclosure control; coordinators, exact figures on
//! request): who may pull it and how exact, the parameters' checks, disclosure control, and the
//! audit record of every pull, refused ones included.

use chrono::{DateTime, NaiveDate, Utc};
use fourthp_domain::access::{report_access, ReportDisclosure};
use fourthp_domain::audit::AuditOutcome;
use fourthp_domain::case::{ExploitationType, Jurisdiction, LocalAuthority};
use fourthp_domain::disclosure::Policy;
use fourthp_domain::error::FieldErrors;
use fourthp_domain::report::{assemble, AgeGroup, Report, ReportParams, ReportRules};
use fourthp_domain::time::london_date;
use fourthp_persistence::reports;

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// What a report is asked for, as the adapter read it. Errors name `from`, `to` and
/// `local_authority`.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub jurisdiction: Option<Jurisdiction>,
    pub local_authority: Option<String>,
    pub exploitation_type: Option<ExploitationType>,
    pub age_group: Option<AgeGroup>,
    pub exact: bool,
    /// How it will be rendered (`json`, `csv`, `html`), for the audit record.
    pub format: &'static str,
}

/// A report computed, with the instant its data is from.
pub struct Pulled {
    pub report: Report,
    pub data_as_of: DateTime<Utc>,
}

/// Computes the outcome report for `q`, audited as one pull.
pub async fn outcomes(caller: &Caller, state: &AppState, q: ReportRequest) -> Result<Pulled, AppError> {
    let disclosure = match report_access(caller.principal().role, q.exact) {
        Ok(d) => d,
        Err(_) => {
            let asked = serde_json::json!({ "exact": q.exact, "format": q.format });
            reports::record_pull(&state.db, &caller.ctx, AuditOutcome::Denied, asked).await?;
            caller.refusal_recorded();
            return Err(AppError::Forbidden);
        }
    };
    let policy = match disclosure {
        ReportDisclosure::Exact => Policy::EXACT,
        ReportDisclosure::Protected => state.disclosure,
    };
    compute(caller, state, q, policy).await
}

/// Computes the report for `q` under `policy`, for a caller the adapter's use case has let
/// have it (the report itself; the forum's bundle), audited as one pull.
pub(crate) async fn compute(caller: &Caller, state: &AppState, q: ReportRequest, policy: Policy) -> Result<Pulled, AppError> {
    let mut errs = FieldErrors::new();
    if q.from.is_none() {
        errs.push("from", "is required");
    }
    if q.to.is_none() {
        errs.push("to", "is required");
    }
    let local_authority = errs.check_opt("local_authority", q.local_authority.as_deref().map(LocalAuthority::parse)).flatten();
    let now = caller.ctx.at;
    let today = london_date(now);
    let params = match (q.from, q.to) {
        (Some(from), Some(to)) if errs.is_empty() => {
            match ReportParams::new(from, to, today, q.jurisdiction, local_authority, q.exploitation_type, q.age_group) {
                Ok(p) => Some(p),
                Err(e) => {
                    for f in e.iter() {
                        errs.push(f.field.clone(), f.message.clone());
                    }
                    None
                }
            }
        }
        _ => None,
    };
    let Some(params) = params else { return Err(AppError::Invalid(errs)) };
    if policy.perturb {
        params.whole_months().map_err(AppError::ReportRefused)?;
    }
    let as_at = params.as_at(today);
    let (raw, data) = {
        let _turn =
            state.report_gate.turn().await.ok_or_else(|| AppError::Store(fourthp_persistence::StoreError::internal("report gate")))?;
        let source = report_source(state).await?;
        reports::outcome_figures(source, &params, as_at, state.report_source.parallel_workers).await?
    };
    if let Err(e) = params.check_population(policy, &raw) {
        let asked = serde_json::json!({ "from": params.from, "to": params.to, "refused": "population_too_small" });
        reports::record_pull(&state.db, &caller.ctx, AuditOutcome::Denied, asked).await?;
        return Err(AppError::ReportRefused(e));
    }
    let report = assemble(params, as_at, policy, &ReportRules::of(&state.rules.book), &raw).map_err(|e| {
        tracing::error!(error = %e, "outcome report");
        AppError::Store(fourthp_persistence::StoreError::internal("assembling the outcome report"))
    })?;
    let data_as_of = data.as_of.unwrap_or(data.now).min(now);
    let parameters = serde_json::json!({
        "from": report.params.from,
        "to": report.params.to,
        "as_at": report.as_at,
        "filters": {
            "jurisdiction": report.params.jurisdiction,
            "local_authority": report.params.local_authority.as_ref().map(ToString::to_string),
            "exploitation_type": report.params.exploitation_type,
            "age_group": report.params.age_group,
        },
        "exact": report.exact,
        "format": q.format,
    });
    reports::record_pull(&state.db, &caller.ctx, AuditOutcome::Success, parameters).await?;
    Ok(Pulled { report, data_as_of })
}

/// The database a report reads: the reporting replica when one is configured and no further
/// behind than allowed; else the primary if so configured; else unavailable for now. The
/// interactive service never waits behind a report on the replica.
async fn report_source(state: &AppState) -> Result<&fourthp_persistence::Db, AppError> {
    let source = &state.report_source;
    let Some(replica) = &source.replica else { return Ok(&state.db) };
    let why = match fourthp_persistence::replica::state(replica).await {
        Ok(s) => match s.lag() {
            Some(lag) if lag.to_std().unwrap_or_default() <= source.max_lag => return Ok(replica),
            Some(lag) => format!("is {} s behind, more than the {} s allowed", lag.num_seconds(), source.max_lag.as_secs()),
            None => "has not replayed anything yet".to_owned(),
        },
        Err(_) => "cannot be reached".to_owned(),
    };
    if source.fallback_to_primary {
        tracing::warn!(reason = %why, "report read from the primary: the reporting replica is not usable");
        return Ok(&state.db);
    }
    tracing::warn!(reason = %why, "report refused: the reporting replica is not usable");
    Err(AppError::Unavailable {
        kind: "report-replica-behind",
        message: format!("The reporting copy of the database {why}; nothing was computed. Try again shortly."),
        retry_after_secs: 30,
    })
}
