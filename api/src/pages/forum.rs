//! The national forum's pages. At a network: its coordinators and administrators download the
//! signed bundle for whole months, and see the public key the forum registers. At the forum's
//! deployment: the networks side by side for a period, the challenges raised in more than one
//! region grouped, importing a bundle (pasted), and registering networks (administrators).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, Months, NaiveDate};
use fourthp_domain::access::{forum_access, forum_bundle_access, ForumAction};
use fourthp_domain::report::{FigureStatus, Unit};
use fourthp_domain::time::london_date;
use fourthp_domain::words::{long_date, Words};
use serde::Deserialize;

use super::form::form_errors;
use super::reports::{months, period_errors};
use super::{error_for, render, see_other, Chrome, FieldError, Page, PageError, PageForm};
use crate::app::forum::{ArrivedBundle, ForumChallenge};
use crate::app::{self, AppError};
use crate::audit_trail::hex;
use crate::problem::Problem;
use crate::state::{AppState, Mode};

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

pub struct PeriodLink {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct FigureLine {
    pub section: String,
    pub what: String,
    pub values: Vec<String>,
}

pub struct ChallengeLine {
    pub network: String,
    pub title: String,
    pub description: String,
    pub sectors: String,
    pub taken_on: String,
}

#[derive(Template)]
#[template(path = "forum.html")]
struct ForumPage {
    chrome: Chrome,
    errors: Vec<FieldError>,
    at_forum: bool,
    network_name: String,
    public_key: String,
    from: String,
    to: String,
    period: String,
    periods: Vec<PeriodLink>,
    networks: Vec<String>,
    figures: Vec<FigureLine>,
    shared: Vec<Vec<ChallengeLine>>,
    alone: Vec<ChallengeLine>,
    registered: Vec<(String, String)>,
    may_register: bool,
    may_import: bool,
    form: ForumForms,
}

impl ForumPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ForumForms {
    #[serde(default)]
    name: String,
    #[serde(default)]
    public_key: String,
    #[serde(default)]
    bundle: String,
}

fn period_words(from: NaiveDate, to: NaiveDate) -> String {
    let (f, t) = (from.format("%B %Y").to_string(), to.format("%B %Y").to_string());
    if f == t {
        f
    } else {
        format!("{f} to {t}")
    }
}

fn value_words(unit: Unit, value: Option<f64>, status: FigureStatus) -> String {
    match (value, status) {
        (_, FigureStatus::Suppressed) => "Withheld: too few to publish".to_owned(),
        (None, _) => "Too little data".to_owned(),
        (Some(v), FigureStatus::Perturbed) => format!("about {}", v.round()),
        (Some(v), _) => match unit {
            Unit::Percent => format!("{v}%"),
            Unit::Days => format!("{v} days"),
            Unit::Count | Unit::PerCase => format!("{v}"),
        },
    }
}

fn challenge_line(c: &ForumChallenge) -> ChallengeLine {
    ChallengeLine {
        network: c.network.clone(),
        title: c.challenge.title.clone(),
        description: c.challenge.description.clone(),
        sectors: c.challenge.sectors.iter().map(|s| s.words()).collect::<Vec<_>>().join(", "),
        taken_on: long_date(c.challenge.escalated_on),
    }
}

async fn forum_page(
    page: Page,
    state: &AppState,
    q: PeriodQuery,
    form: ForumForms,
    mut errors: Vec<FieldError>,
) -> Result<HttpResponse, PageError> {
    let role = page.caller.principal().role;
    let today = london_date(page.caller.ctx.at);
    let last_month = today.with_day(1).and_then(|d| d.checked_sub_months(Months::new(1))).unwrap_or(today);
    let mut body = ForumPage {
        at_forum: state.mode == Mode::Forum,
        network_name: state.network_name.clone(),
        public_key: hex(&state.signing_key.public_key()),
        from: q.from.clone().unwrap_or_else(|| last_month.format("%Y-%m").to_string()),
        to: q.to.clone().unwrap_or_else(|| last_month.format("%Y-%m").to_string()),
        period: String::new(),
        periods: Vec::new(),
        networks: Vec::new(),
        figures: Vec::new(),
        shared: Vec::new(),
        alone: Vec::new(),
        registered: Vec::new(),
        may_register: forum_access(role, ForumAction::RegisterNetwork).is_ok(),
        may_import: forum_access(role, ForumAction::Import).is_ok(),
        form,
        chrome: page.chrome,
        errors: Vec::new(),
    };
    if state.mode == Mode::Forum {
        let from = q.from.as_deref().and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok());
        let to = q.to.as_deref().and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok());
        let s = app::forum::side_by_side(&page.caller, state, from, to).await?;
        body.period = period_words(s.period.from, s.period.to);
        body.periods = s
            .periods
            .iter()
            .map(|(f, t, n)| PeriodLink {
                href: format!("/app/forum?from={f}&to={t}"),
                label: format!("{} ({n} {})", period_words(*f, *t), if *n == 1 { "network" } else { "networks" }),
                current: (*f, *t) == (s.period.from, s.period.to),
            })
            .collect();
        body.networks = s.bundles.iter().map(|(n, _)| n.clone()).collect();
        body.figures = s
            .comparison
            .rows
            .iter()
            .map(|r| FigureLine {
                section: r.section.title().to_owned(),
                what: match &r.category {
                    Some(c) => format!("{}: {}", r.title, fourthp_domain::words::category(&r.measure, c)),
                    None if r.statistic == "count" || r.statistic == "total" => r.title.clone(),
                    None => format!("{} ({})", r.title, r.statistic.replace('_', " ")),
                },
                values: r
                    .values
                    .iter()
                    .map(|v| v.map_or_else(|| "Not sent".to_owned(), |(value, status)| value_words(r.unit, value, status)))
                    .collect(),
            })
            .collect();
        body.shared = s.shared.iter().map(|g| g.iter().map(challenge_line).collect()).collect();
        body.alone = s.alone.iter().map(challenge_line).collect();
        body.registered = app::forum::networks(&page.caller, state).await?.iter().map(|n| (n.name.clone(), hex(&n.public_key))).collect();
    } else {
        // The download form alone: for those who may make the bundle.
        forum_bundle_access(role).map_err(Problem::from)?;
    }
    errors.append(&mut body.errors);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    body.errors = errors;
    Ok(render(status, &body))
}

pub async fn forum(page: Page, state: web::Data<AppState>, q: web::Query<PeriodQuery>) -> Result<HttpResponse, PageError> {
    forum_page(page, &state, q.into_inner(), ForumForms::default(), Vec::new()).await
}

/// The network's signed bundle for the months chosen, as a file to send to the forum.
pub async fn bundle(page: Page, state: web::Data<AppState>, q: web::Query<PeriodQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let errors = match months(q.from.as_deref().unwrap_or_default(), q.to.as_deref().unwrap_or_default()) {
        Err(errors) => errors,
        Ok((from, to)) => match app::forum::bundle(&page.caller, &state, Some(from), Some(to)).await {
            Ok(signed) => {
                return Ok(HttpResponse::Ok()
                    .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", signed.file_name())))
                    .json(signed.document()?));
            }
            Err(e) => period_errors(e)?,
        },
    };
    forum_page(page, &state, q, ForumForms::default(), errors).await
}

pub async fn register(form: PageForm<ForumForms>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    match app::forum::register_network(&page.caller, &state, &f.name, &f.public_key).await {
        Ok(_) => Ok(see_other("/app/forum")),
        Err(e) => {
            let map = |field: &str| match field {
                "public_key" => Some("public_key"),
                _ => Some("name"),
            };
            let errors = form_errors(e, "name", map)?;
            forum_page(page, &state, PeriodQuery::default(), f, errors).await
        }
    }
}

pub async fn import(form: PageForm<ForumForms>, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let PageForm { value: f, page, .. } = form;
    let result = match serde_json::from_str::<ArrivedBundle>(f.bundle.trim()) {
        Ok(arrived) => app::forum::import(&page.caller, &state, arrived).await,
        Err(_) => Err(AppError::invalid("bundle", "must be the whole of a bundle file, as the network downloaded it")),
    };
    match result {
        Ok(i) => Ok(see_other(&format!("/app/forum?from={}&to={}", i.period.from, i.period.to))),
        Err(e) => {
            let errors = form_errors(e, "bundle", |_| Some("bundle"))?;
            // A refused file is not shown back: it is long, and the network sends a new one.
            forum_page(page, &state, PeriodQuery::default(), ForumForms::default(), errors).await
        }
    }
}
