//! The digest as an email: plain text and accessible HTML (tables with headers, no images) from
//! one set of rows. Rows carry case references, the action's wording and dates, never a name,
//! alias, nationality, date of birth or note.

use askama::Template;

/// One action owed.
pub struct OwedRow {
    /// "Case 2026-000123", "Challenge 12".
    pub about: String,
    pub what: String,
    pub due: String,
    pub how_due: String,
    pub link: String,
}

/// One "what happened?".
pub struct AskRow {
    pub case_reference: String,
    pub question: String,
    pub link: String,
}

/// One deadline of a coordinator's cases.
pub struct DeadlineRow {
    pub case_reference: String,
    pub what: String,
    pub due: String,
    pub how_due: String,
}

/// What a digest says.
pub struct DigestContent {
    pub subject: String,
    pub heading: String,
    pub intro: String,
    pub overdue: Vec<OwedRow>,
    pub this_week: Vec<OwedRow>,
    pub asks: Vec<AskRow>,
    pub deadlines: Vec<DeadlineRow>,
    pub board_link: String,
    pub why: String,
    pub unsubscribe: String,
    pub preferences: Option<String>,
}

/// The HTML part: the digest's own fields, as `m` in the template.
#[derive(Template)]
#[template(path = "email/digest.html")]
struct Html<'a> {
    m: &'a DigestContent,
}

/// The plain-text part, from the same fields.
#[derive(Template)]
#[template(path = "email/digest.txt")]
struct Text<'a> {
    m: &'a DigestContent,
}

impl DigestContent {
    pub fn is_empty(&self) -> bool {
        self.overdue.is_empty() && self.this_week.is_empty() && self.asks.is_empty() && self.deadlines.is_empty()
    }

    /// The text and HTML parts.
    pub fn render(&self) -> Result<(String, String), askama::Error> {
        let text = Text { m: self }.render()?;
        let html = Html { m: self }.render()?;
        Ok((text, html))
    }
}
