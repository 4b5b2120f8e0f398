//! The page an emailed link opens, without signing in. Opening it (GET) changes nothing: mail
//! scanners open every link before the person does. Only its forms' POST acts, with the token
//! in the form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use fourthp_domain::notify::AskAnswer;
use fourthp_domain::words::Words;
use fourthp_persistence::inbox::{Link, Spent};
use serde::Deserialize;

use super::view::{how_due, london_time, long_date};
use super::{render, Chrome, FieldError, Form, PageError};
use crate::app::inbox::{self, Closing, LinkError};
use crate::auth::Caller;
use crate::problem::Problem;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    title: String,
    agency: String,
    /// "case 2026-000123", "Challenge 12".
    about: String,
    recipient: String,
    expires: String,
    token: String,
    what: String,
    due: String,
    how_due: String,
    question: Option<String>,
    spent: Option<String>,
    confirmed: Option<String>,
    note: String,
    reason: String,
    text: String,
    errors: Vec<FieldError>,
}

impl InboxPage {
    fn error(&self, field: &str) -> Option<&str> {
        super::error_for(&self.errors, field)
    }

    fn of(link: &Link, token: &str, today: chrono::NaiveDate) -> Self {
        let (title, what, due, how, question) = match (&link.action, &link.ask) {
            (Some(a), _) => (
                "An action you owe".to_owned(),
                a.details.description.as_str().to_owned(),
                long_date(a.details.due_on),
                how_due(a.details.due_on, today),
                None,
            ),
            (None, Some((_, talked_at))) => (
                "What happened?".to_owned(),
                String::new(),
                String::new(),
                String::new(),
                Some(format!(
                    "You spoke with the coordinator about {} on {}: what happened? Where are things now?",
                    link.about.words(),
                    long_date(fourthp_domain::time::london_date(*talked_at))
                )),
            ),
            (None, None) => (String::new(), String::new(), String::new(), String::new(), None),
        };
        InboxPage {
            title,
            agency: link.agency_name.clone(),
            about: link.about.words(),
            recipient: link.recipient.clone(),
            expires: london_time(link.expires_at),
            token: token.to_owned(),
            what,
            due,
            how_due: how,
            question,
            ..Self::blank()
        }
    }

    /// A page with nothing on it yet.
    fn blank() -> Self {
        InboxPage {
            chrome: Chrome::anonymous(),
            title: String::new(),
            agency: "your agency".to_owned(),
            about: String::new(),
            recipient: String::new(),
            expires: String::new(),
            token: String::new(),
            what: String::new(),
            due: String::new(),
            how_due: String::new(),
            question: None,
            spent: None,
            confirmed: None,
            note: String::new(),
            reason: String::new(),
            text: String::new(),
            errors: Vec::new(),
        }
    }
}

/// What a link that cannot act says.
fn spent_words(spent: &Spent) -> (&'static str, String) {
    match spent {
        Spent::Unknown => {
            ("This link does not work", "It may have been copied wrongly, or it is older than FourthP keeps links.".to_owned())
        }
        Spent::Used(at) => ("This link has been used", format!("It was used on {}, and each link works once.", london_time(*at))),
        Spent::Expired => {
            ("This link has expired", "Links in FourthP's emails work for 14 days. The next daily email has a new one.".to_owned())
        }
        Spent::CutOff => {
            ("This link no longer works", "The agency or the account it was sent to is no longer active in FourthP.".to_owned())
        }
        Spent::ActionClosed(status) => {
            ("This action is already closed", format!("It was closed meanwhile: it is now \u{201c}{}\u{201d}.", status.words()))
        }
        Spent::Answered => ("This question has been answered", "Someone answered it meanwhile: the coordinator has the answer.".to_owned()),
    }
}

fn spent_page(spent: &Spent) -> HttpResponse {
    let (title, why) = spent_words(spent);
    let page = InboxPage { title: title.to_owned(), spent: Some(why), ..InboxPage::blank() };
    render(if matches!(spent, Spent::Unknown) { StatusCode::NOT_FOUND } else { StatusCode::GONE }, &page)
}

/// The link's page: what is owed and the two forms, or why the link no longer acts.
pub async fn open(req: HttpRequest, state: web::Data<AppState>, token: web::Path<String>) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let Some(link) = inbox::find(&state, &token).await? else { return Ok(spent_page(&Spent::Unknown)) };
    let caller = Caller::for_link(&req, inbox::principal_of(&link)?, now);
    let spent = inbox::show(&caller, &link, now);
    let mut page = InboxPage::of(&link, &token, fourthp_domain::time::london_date(now));
    if let Some(s) = spent {
        let (title, why) = spent_words(&s);
        page.title = title.to_owned();
        page.spent = Some(why);
    }
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub struct InboxForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    text: String,
}

/// The link's forms: done, can't be done, or the answer to "what happened?".
pub async fn act(req: HttpRequest, state: web::Data<AppState>, form: Form<InboxForm>) -> Result<HttpResponse, PageError> {
    let f = form.0;
    let now = state.clock.now();
    let Some(link) = inbox::find(&state, &f.token).await? else { return Ok(spent_page(&Spent::Unknown)) };
    let caller = Caller::for_link(&req, inbox::principal_of(&link)?, now);
    let mut page = InboxPage::of(&link, &f.token, fourthp_domain::time::london_date(now));
    let done = match (f.kind.as_str(), link.ask.is_some()) {
        ("done", false) => inbox::close(&caller, &state, &f.token, Closing::Done(f.note.clone()))
            .await
            .map(|_| ("Marked done".to_owned(), format!("Thank you: the action on {} is marked done.", link.about.words()))),
        ("cannot", false) => inbox::close(&caller, &state, &f.token, Closing::Cannot(f.reason.clone())).await.map(|_| {
            (
                "Sent to the coordinator".to_owned(),
                format!("Thank you: the coordinator of {} now knows it can't be done, and why.", link.about.words()),
            )
        }),
        ("answer", true) => inbox::answer(&caller, &state, &f.token, AskAnswer::parse(&f.answer), &f.text).await.map(|_| {
            ("Sent to the coordinator".to_owned(), format!("Thank you: your answer about {} is on its record now.", link.about.words()))
        }),
        _ => return Err(PageError::Problem(Problem::bad_request("kind", "is not what this link does"))),
    };
    match done {
        Ok((title, message)) => {
            page.title = title;
            page.confirmed = Some(message);
            Ok(render(StatusCode::OK, &page))
        }
        Err(LinkError::Spent(s)) => {
            let (title, why) = spent_words(&s);
            page.title = title.to_owned();
            page.spent = Some(why);
            Ok(render(StatusCode::CONFLICT, &page))
        }
        Err(LinkError::NotOnTeam) => {
            page.title = "This link no longer works".to_owned();
            page.spent = Some(format!("{} is no longer on the team of {}.", link.agency_name, link.about.words()));
            Ok(render(StatusCode::FORBIDDEN, &page))
        }
        Err(LinkError::Invalid(errs)) => {
            page.errors = errs.iter().map(|e| FieldError::new(&e.field, e.message.clone())).collect();
            page.note = f.note;
            page.reason = f.reason;
            page.text = f.text;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(LinkError::App(e)) => Err(e.into()),
    }
}
