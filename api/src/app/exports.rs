//! The anonymised dataset for the Counter Trafficking Data Collaborative: the cases identified
//! in a period in the Human Trafficking Case Data Standard v2.0, pseudonymised and k-anonymous
//! (administrators), audited with what it released and what it suppressed.

use chrono::NaiveDate;
use fourthp_domain::access::{data_access, DataAction};
use fourthp_domain::htcds::{k_anonymise, row_of, Anonymised, COLUMNS, MIN_K};
use fourthp_persistence::htcds;

use super::AppError;
use crate::auth::Caller;
use crate::state::AppState;

/// The period's file, before it is written out.
pub struct HtcdsExport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub identified: usize,
    pub anonymised: Anonymised,
}

impl HtcdsExport {
    /// The file's name.
    pub fn file_name(&self) -> String {
        format!("fourthp-htcds-{}-{}.csv", self.from, self.to)
    }

    /// The file: a header of the standard's field names, then one row per released case.
    pub fn csv(&self) -> String {
        let mut out = String::with_capacity(64 * (self.anonymised.rows.len() + 1));
        out.push_str(&COLUMNS.join(","));
        out.push_str("\r\n");
        for row in &self.anonymised.rows {
            for (i, value) in row.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                crate::report_render::csv_field(&mut out, value);
            }
            out.push_str("\r\n");
        }
        out
    }
}

/// The cases identified from `from` to `to` (both given, `from` not after `to`, from 1 April
/// 2009) in HTCDS v2.0, rows in classes smaller than the deployment's threshold (at least 11)
/// suppressed. Fields at fault: `from`, `to`.
pub async fn htcds(caller: &Caller, state: &AppState, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<HtcdsExport, AppError> {
    data_access(caller.principal().role, DataAction::ExportHtcds)?;
    let mut errs = fourthp_domain::error::FieldErrors::new();
    let start = fourthp_domain::lifecycle::nrm_start();
    match from {
        None => errs.push("from", "is required"),
        Some(f) if f < start => errs.push("from", "must be on or after 2009-04-01, when the NRM began"),
        _ => {}
    }
    if to.is_none() {
        errs.push("to", "is required");
    }
    let (Some(from), Some(to), true) = (from, to, errs.is_empty()) else { return Err(AppError::Invalid(errs)) };
    if to < from {
        return Err(AppError::invalid("to", "must be on or after from"));
    }
    let facts = htcds::identified_between(&state.db, from, to).await?;
    let identified = facts.len();
    let anonymised = k_anonymise(facts.iter().map(row_of).collect(), MIN_K);
    let parameters = serde_json::json!({
        "format": "htcds_v2_csv",
        "from": from,
        "to": to,
        "identified": identified,
        "released": anonymised.rows.len(),
        "suppressed": anonymised.suppressed,
        "k": anonymised.k,
    });
    htcds::record_export(&state.db, &caller.ctx, parameters).await?;
    Ok(HtcdsExport { from, to, identified, anonymised })
}
