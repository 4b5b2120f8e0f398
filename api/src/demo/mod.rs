//! `fourthp demo-data`: a synthetic partnership at any size, deterministic for a seed (and the
//! day it is made), bulk loaded with COPY.
//!
//! The mix follows the published NRM statistics in outline: about 44% children, criminal
//! exploitation (often county lines) most common among children and labour among adults, about
//! a quarter UK nationals; reasonable grounds decisions within days to weeks, conclusive grounds
//! months to years later, some negative decisions, closures. Every case's details pass
//! [`CaseDetails::validate`] on the day support started, its events replay under the lifecycle
//! rules, and its deadlines and stage are derived by the rule book exactly as the service would.
//! Nothing in it describes a real person: aliases are initials, summaries come from a short
//! list of phrases.

mod journeys;
mod network;
mod person;
mod records;
mod rng;

use std::io::{IsTerminal, Write};
use std::time::Instant;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use fourthp_domain::agency::AgencyKind;
use fourthp_domain::rules::RuleBook;
use fourthp_persistence::bulk::tables::{Agencies as AgencyTable, AgencyRecord};
use fourthp_persistence::bulk::{BulkLoader, Rows};
use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use network::{Agencies, AGENCIES};
use person::Generator;
use records::Batch;
pub use rng::Rng;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub cases: usize,
    pub seed: u64,
    /// Support starts are spread from 1 January of this year to today.
    pub from_year: i32,
    pub progress: bool,
}

/// What was loaded.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoSummary {
    pub agencies: u64,
    pub cases: u64,
    pub events: u64,
    pub needs: u64,
    pub interventions: u64,
    pub actions: u64,
    pub deadlines: u64,
    pub outcomes: u64,
    pub seconds: f64,
}

/// The agency whose coordinators keep the demo network's cases.
pub const DEMO_COORDINATOR_AGENCY: &str = "Northshire Victim Care Service";

/// The id of [`DEMO_COORDINATOR_AGENCY`].
pub async fn coordinator_agency(db: &BulkLoader) -> Result<Uuid, String> {
    db.pairs(&format!("SELECT id::text, name FROM agencies WHERE name = '{DEMO_COORDINATOR_AGENCY}'"))
        .await
        .map_err(|e| e.to_string())?
        .first()
        .and_then(|(id, _)| Uuid::try_parse(id).ok())
        .ok_or_else(|| "the demo network's victim care agency is missing".to_owned())
}

/// A progress line for a log (standard error not a terminal).
fn progress_line(done: usize, total: usize, s: &DemoSummary, started: Instant) -> String {
    format!(
        "{:>3}% {done}/{total} cases, {} interventions, {:.0} s",
        (done * 100).checked_div(total).unwrap_or(100),
        s.interventions,
        started.elapsed().as_secs_f64()
    )
}

/// Generates and loads the demo network into an empty database (no cases yet).
pub async fn load(url: &str, book: &RuleBook, opts: DemoOptions, now: DateTime<Utc>) -> Result<DemoSummary, String> {
    let started = Instant::now();
    let today = fourthp_domain::time::london_date(now);
    if !(2009..=today.year()).contains(&opts.from_year) {
        return Err(format!("--from must be a year from 2009 to {}", today.year()));
    }
    let from = NaiveDate::from_ymd_opt(opts.from_year, 1, 1).ok_or("--from must be a year")?.max(fourthp_domain::case::nrm_start());
    let db = BulkLoader::connect(url).await.map_err(|e| e.to_string())?;
    if db.count("SELECT count(*) FROM cases").await.map_err(|e| e.to_string())? > 0 {
        return Err("the database already holds cases: demo data only goes into an empty one, never beside real records".into());
    }
    let mut totals = DemoSummary::default();
    let mut r = Rng(opts.seed ^ 0x4650_5034_5F44_454D);

    // Agencies: those of the demo network that are not there yet.
    let present = db.pairs("SELECT id::text, name FROM agencies").await.map_err(|e| e.to_string())?;
    let founded = from.and_time(NaiveTime::MIN).and_utc();
    let mut new_agencies: Rows<AgencyTable> = Rows::default();
    for (i, (name, kind)) in AGENCIES.iter().enumerate() {
        let id = r.uuid_at(founded);
        if present.iter().any(|(_, n)| n == name) {
            continue;
        }
        let email = format!("team{}@example.org", i + 1);
        let record = AgencyRecord {
            id,
            name,
            kind: kind.as_str(),
            contact_email: Some(&email),
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        new_agencies.push(&record);
    }
    db.load(&mut new_agencies).await.map_err(|e| e.to_string())?;
    let rows = db.pairs("SELECT id::text, kind FROM agencies WHERE active ORDER BY name").await.map_err(|e| e.to_string())?;
    let names = db.pairs("SELECT id::text, name FROM agencies").await.map_err(|e| e.to_string())?;
    let agencies = Agencies {
        all: rows.iter().filter_map(|(id, kind)| Some((Uuid::try_parse(id).ok()?, AgencyKind::parse(kind)?))).collect(),
        names: names.iter().filter_map(|(id, name)| Some((Uuid::try_parse(id).ok()?, name.clone()))).collect(),
    };
    totals.agencies = agencies.all.len() as u64;
    let coordinator_agency = coordinator_agency(&db).await?;

    let mut generator = Generator {
        r,
        today,
        now,
        book,
        agencies: &agencies,
        coordinator_agency,
        from,
        run: format!("demo-data-seed-{}", opts.seed),
        source: fourthp_persistence::audit::source(),
    };
    // Progress: a bar on a terminal, plain lines (every tenth) otherwise.
    let bar = (opts.progress && std::io::stderr().is_terminal()).then(|| {
        let style = ProgressStyle::with_template("[{bar:30}] {percent:>3}% {pos}/{len} cases, {msg}, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#.");
        ProgressBar::new(opts.cases as u64).with_style(style)
    });
    let mut batch = Batch::default();
    let mut last_report = 0;
    const BATCH: usize = 500;
    for i in 0..opts.cases {
        generator.case(i64::try_from(i + 1).unwrap_or(i64::MAX), &mut batch)?;
        if (i + 1) % BATCH == 0 || i + 1 == opts.cases {
            batch.load(&db, &mut totals).await?;
            let done = i + 1;
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
                bar.set_message(format!("{} interventions", totals.interventions));
            } else if opts.progress && (done * 10 / opts.cases.max(1) > last_report || done == opts.cases) {
                last_report = done * 10 / opts.cases.max(1);
                eprintln!("{}", progress_line(done, opts.cases, &totals, started));
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    db.execute(&format!("SELECT setval('case_reference_seq', {})", opts.cases.max(1))).await.map_err(|e| e.to_string())?;
    db.execute("VACUUM (ANALYZE) cases, case_team, case_events, needs, interventions, actions, deadlines, outcomes, outcome_interventions")
        .await
        .map_err(|e| e.to_string())?;
    totals.seconds = started.elapsed().as_secs_f64();
    let _ = std::io::stderr().flush();
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_spreads_evenly() {
        let mut a = Rng(7);
        let mut b = Rng(7);
        let xs: Vec<u64> = (0..100).map(|_| a.below(10)).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.below(10)).collect();
        assert_eq!(xs, ys);
        let mut r = Rng(1);
        let heads = (0..10_000).filter(|_| r.chance(0.44)).count();
        assert!((4_200..4_600).contains(&heads), "{heads}");
        let picks: Vec<i64> = (0..1000).map(|_| r.range(3, 5)).collect();
        assert!(picks.iter().all(|p| (3..=5).contains(p)) && picks.contains(&3) && picks.contains(&5));
    }
}
