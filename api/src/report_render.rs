//! Renders the outcome report as CSV (one tidy row per figure) and as a printable,
//! self-contained HTML page with SVG bar charts drawn by `plotters`: no scripts, no external
//! stylesheets, fonts or images.

use std::fmt::Write as _;

use fourthp_domain::report::{FigureStatus, Unit};
use fourthp_domain::rules::RuleBook;
use fourthp_domain::words::{self, Words};
use plotters::prelude::*;

use crate::report_body::{OutcomeReport, ReportFigure, ReportMeasure, ReportSection};
use serde::Deserialize;

/// The format a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
    Html,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }

    /// The best format `Accept` asks for (highest q, then the order given); JSON when there is
    /// no `Accept` or it takes anything; `None` when it takes none of the three.
    pub fn negotiate(accept: Option<&str>) -> Option<Format> {
        let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
            return Some(Format::Json);
        };
        let mut best: Option<(f32, Format)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let format = match media.as_str() {
                "application/json" | "application/*" | "*/*" => Format::Json,
                "text/csv" => Format::Csv,
                "text/html" | "text/*" => Format::Html,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, format));
            }
        }
        best.map(|(_, f)| f)
    }
}

/// A category of a measure in people's words: a rule by its own name in the rule book (the
/// measures broken down by rule), anything else from [`words::category`].
fn category(book: &RuleBook, measure: &str, code: &str) -> String {
    if book.is_rule(code) {
        return book.rule_name(code);
    }
    words::category(measure, code)
}

/// Who reads a CSV: a partner's or an analyst's program (the API's codes, as the JSON), or a
/// person opening it in a spreadsheet (headings and values in people's words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    Programs,
    People,
}

/// The report as an HTTP answer in `format`, for the API and the pages alike: JSON, CSV as an
/// attachment, or the printable page under its own policy.
pub fn respond(document: &OutcomeReport, format: Format, readers: Readers, book: &RuleBook) -> actix_web::HttpResponse {
    use actix_web::http::header::{self, HeaderValue};
    let vary = (header::VARY, HeaderValue::from_static("Accept"));
    match format {
        Format::Json => actix_web::HttpResponse::Ok().insert_header(vary).json(document),
        Format::Csv => actix_web::HttpResponse::Ok()
            .insert_header(vary)
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"fourthp-outcomes-{}-{}.csv\"", document.period.from, document.period.to),
            ))
            .body(match readers {
                Readers::Programs => csv(document),
                Readers::People => csv_for_people(document, book),
            }),
        Format::Html => actix_web::HttpResponse::Ok()
            .insert_header(vary)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_SECURITY_POLICY, HTML_CSP))
            .body(html(document, book)),
    }
}

/// The report page's policy: no scripts at all, nothing loaded from anywhere, its one inline
/// style sheet and inline SVG only.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; \
                            form-action 'none'";

pub const CSV_HEADER: &str = "section,measure,measure_title,category,statistic,unit,value,status,definition,jurisdictions";

/// The jurisdictions a measure covers, for people: "England & Wales, Scotland".
fn covered(js: &[fourthp_domain::case::Jurisdiction]) -> String {
    use fourthp_domain::case::Jurisdiction;
    js.iter()
        .map(|j| match j {
            Jurisdiction::EnglandWales => "England & Wales",
            Jurisdiction::Scotland => "Scotland",
            Jurisdiction::NorthernIreland => "Northern Ireland",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn csv_field(out: &mut String, raw: &str) {
    // A leading =, +, - or @ would make a spreadsheet treat the cell as a formula.
    let guarded = if raw.starts_with(['=', '+', '-', '@']) { format!("'{raw}") } else { raw.to_owned() };
    if guarded.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&guarded.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&guarded);
    }
}

/// A figure's value as text: whole numbers without a decimal point.
pub fn value_text(v: Option<f64>) -> String {
    match v {
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.1}"),
        None => String::new(),
    }
}

/// The CSV's lines: `header`, then one row per figure from `fields`.
fn csv_rows(report: &OutcomeReport, header: &str, fields: impl Fn(&ReportSection, &ReportMeasure, &ReportFigure) -> Vec<String>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(header);
    out.push_str("\r\n");
    for section in &report.sections {
        for m in &section.measures {
            for f in &m.figures {
                for (i, field) in fields(section, m, f).iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    csv_field(&mut out, field);
                }
                out.push_str("\r\n");
            }
        }
    }
    out
}

/// One row per figure, with the measure's definition on each row so that any row stands alone.
pub fn csv(report: &OutcomeReport) -> String {
    csv_rows(report, CSV_HEADER, |section, m, f| {
        vec![
            section.id.as_str().to_owned(),
            m.id.clone(),
            m.title.clone(),
            f.category.clone().unwrap_or_default(),
            f.statistic.clone(),
            f.unit.as_str().to_owned(),
            value_text(f.value),
            f.status.as_str().to_owned(),
            m.definition.clone(),
            m.jurisdictions.iter().map(|j| j.as_str()).collect::<Vec<_>>().join(" "),
        ]
    })
}

/// The CSV's headings in people's words.
pub const CSV_HEADER_FOR_PEOPLE: &str = "Section,Measure,Category,Figure,Unit,Value,How it is shown,Definition,Where";

/// The same rows as [`csv`], for a person: every heading, section, category, figure, unit and
/// status in people's words.
pub fn csv_for_people(report: &OutcomeReport, book: &RuleBook) -> String {
    csv_rows(report, CSV_HEADER_FOR_PEOPLE, |section, m, f| {
        vec![
            section.id.words().to_owned(),
            m.title.clone(),
            f.category.as_deref().map(|c| category(book, &m.id, c)).unwrap_or_default(),
            words::statistic(&f.statistic),
            f.unit.words().to_owned(),
            value_text(f.value),
            f.status.words().to_owned(),
            m.definition.clone(),
            covered(&m.jurisdictions),
        ]
    })
}

pub(crate) fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shown(f: &ReportFigure) -> String {
    match (f.status, f.value) {
        (FigureStatus::Suppressed, _) => "suppressed".to_owned(),
        (FigureStatus::InsufficientData, _) => "too few".to_owned(),
        (_, Some(v)) => {
            let text = value_text(Some(v));
            match f.unit {
                Unit::Percent => format!("{text}%"),
                Unit::Days => format!("{text} days"),
                _ => text,
            }
        }
        (_, None) => String::new(),
    }
}

/// One bar per category; a withheld value gets no bar and says why.
struct Bar {
    label: String,
    value: Option<f64>,
    text: String,
}

fn bar_chart(title: &str, axis: &str, bars: &[Bar]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let n = bars.len().max(1);
        let height = 70 + 24 * u32::try_from(n).unwrap_or(40);
        let root = SVGBackend::with_string(&mut svg, (760, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = bars.iter().filter_map(|b| b.value).fold(0.0_f64, f64::max).max(1.0) * 1.2;
        let labels: Vec<&str> = bars.iter().map(|b| b.label.as_str()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(34)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..max, (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            // No light lines: plotters overflows computing zero of them, so draw them clear.
            .light_line_style(TRANSPARENT)
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).map(|l| (*l).to_owned()).unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc(axis)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| e.to_string())?;
        let colour = RGBColor(31, 94, 140);
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
                b.value.map(|v| {
                    let mut r = Rectangle::new([(0.0, SegmentValue::Exact(i)), (v, SegmentValue::Exact(i + 1))], colour.filled());
                    r.set_margin(4, 4, 0, 0);
                    r
                })
            }))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                Text::new(format!(" {}", b.text), (b.value.unwrap_or(0.0), SegmentValue::CenterOf(i)), ("sans-serif", 12).into_font())
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The chart a measure gets, if any: breakdowns by category, shares of deadlines met by rule,
/// and median days to meet each kind of need.
fn chart_for(m: &ReportMeasure, book: &RuleBook) -> Option<(String, Vec<Bar>)> {
    let bars = |stat: &str| -> Vec<Bar> {
        m.figures
            .iter()
            .filter(|f| f.statistic == stat && f.category.is_some())
            .map(|f| Bar { label: category(book, &m.id, f.category.as_deref().unwrap_or("")), value: f.value, text: shown(f) })
            .collect()
    };
    match m.id.as_str() {
        "deadlines.by_rule" => Some(("percent met by the due date".to_owned(), bars("share_met"))),
        "needs.by_domain" => Some(("median days to meet".to_owned(), bars("median_days"))),
        _ => {
            let b = bars("count");
            (!b.is_empty() && m.figures.iter().any(|f| f.statistic == "total")).then(|| ("people or events".to_owned(), b))
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;color:#1b1b1b;\
line-height:1.4}h1{margin-bottom:.2rem}h2{border-bottom:2px solid #1f5e8c;padding-bottom:.2rem;margin-top:2.5rem;\
page-break-after:avoid}h3{margin-bottom:.2rem}.definition{color:#444;font-size:.9rem;margin-top:0}.meta{color:#444}\
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #bbb;padding:.2rem .6rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.withheld{color:#505a5f;font-style:italic}figure{margin:0}\
svg{max-width:100%;height:auto}.measure{page-break-inside:avoid}.notice{background:#f3f6f9;border-left:4px solid #1f5e8c;\
padding:.5rem 1rem}@media print{body{margin:0;max-width:none}a{color:inherit}}";

fn table(out: &mut String, m: &ReportMeasure, book: &RuleBook) {
    // Rows: categories (or the measure as a whole); columns: statistics, in first-seen order.
    let mut rows: Vec<Option<&str>> = Vec::new();
    let mut cols: Vec<&str> = Vec::new();
    for f in &m.figures {
        if !rows.contains(&f.category.as_deref()) {
            rows.push(f.category.as_deref());
        }
        if !cols.contains(&f.statistic.as_str()) {
            cols.push(&f.statistic);
        }
    }
    // A breakdown's total is a row of its own, at the bottom.
    let breakdown = cols == ["count", "total"];
    if breakdown {
        cols = vec!["count"];
    }
    out.push_str("<table><thead><tr><th></th>");
    for c in &cols {
        let _ = write!(out, "<th>{}</th>", escape(&words::statistic(c)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &rows {
        let name = match row {
            Some(c) => category(book, &m.id, c),
            None if breakdown => "Total".to_owned(),
            None => "All".to_owned(),
        };
        let _ = write!(out, "<tr><th>{}</th>", escape(&name));
        for c in &cols {
            let f =
                m.figures.iter().find(|f| f.category.as_deref() == *row && (f.statistic == *c || (breakdown && f.statistic == "total")));
            match f {
                Some(f) if f.value.is_none() => {
                    let _ = write!(out, "<td class=\"n withheld\">{}</td>", escape(&shown(f)));
                }
                Some(f) => {
                    let _ = write!(out, "<td class=\"n\">{}</td>", escape(&shown(f)));
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// A self-contained printable page: the report's figures in tables, with SVG charts.
pub fn html(report: &OutcomeReport, book: &RuleBook) -> String {
    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} {} to {}</title><style>{STYLE}</style></head><body><header><h1>{}</h1>\
         <p class=\"meta\">Period {} to {}, figures as at {}. Generated {} from the data as it stood at {}.</p>",
        escape(&report.title),
        report.period.from,
        report.period.to,
        escape(&report.title),
        report.period.from,
        report.period.to,
        report.as_at,
        report.generated_at.format("%Y-%m-%d %H:%M UTC"),
        report.data_as_of.format("%Y-%m-%d %H:%M:%S UTC"),
    );
    let f = &report.filters;
    let filters: Vec<String> = [
        f.jurisdiction.map(|j| format!("jurisdiction: {}", j.words())),
        f.local_authority.as_ref().map(|l| format!("local authority: {l}")),
        f.exploitation_type.map(|e| format!("form of exploitation: {}", e.words())),
        f.age_group.map(|a| format!("age group: {}", a.words())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let _ = write!(
        out,
        "<p class=\"meta\">{}</p><p class=\"notice\">{}</p></header><main>",
        escape(&if filters.is_empty() { "All cases of the network.".to_owned() } else { format!("Cases with {}.", filters.join("; ")) }),
        escape(&report.disclosure.note)
    );
    for section in &report.sections {
        let _ = write!(out, "<section id=\"{}\"><h2>{}</h2>", section.id.as_str(), escape(&section.title));
        for m in &section.measures {
            let _ = write!(
                out,
                "<div class=\"measure\" id=\"{}\"><h3>{}</h3><p class=\"definition\">{} Covers: {}.</p>",
                escape(&m.id),
                escape(&m.title),
                escape(&m.definition),
                escape(&if m.jurisdictions.is_empty() { "no jurisdiction in this report".to_owned() } else { covered(&m.jurisdictions) })
            );
            if let Some((axis, bars)) = chart_for(m, book) {
                // The charting library's arithmetic is not ours to prove: a panic in it costs the
                // chart, never the page (the table below carries the same figures).
                let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bar_chart(&m.title, &axis, &bars)))
                    .unwrap_or_else(|_| Err("the charting library panicked".to_owned()));
                match drawn {
                    Ok(svg) => {
                        let _ = write!(out, "<figure class=\"chart\" aria-label=\"{}\">{svg}</figure>", escape(&m.title));
                    }
                    Err(e) => tracing::warn!(measure = %m.id, error = %e, "chart not drawn"),
                }
            }
            table(&mut out, m, book);
            out.push_str("</div>");
        }
        out.push_str("</section>");
    }
    out.push_str("</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_named_by_the_rule_book() {
        let Ok(book) = fourthp_domain::rules::shipped_with(None) else { panic!("the shipped rules parse") };
        assert_eq!(category(&book, "deadlines.by_rule", "gp_access"), "GP registration within 10 days");
        assert_eq!(category(&book, "deadlines.by_rule", "action_due"), "Agreed action due");
        assert_eq!(category(&book, "needs.by_domain", "health_gp"), "GP registration");
    }

    #[test]
    fn charts_draw_for_any_number_of_bars_and_values() {
        for n in 0..40 {
            for top in [None, Some(0.0), Some(0.4), Some(1.0), Some(7.0), Some(55.5), Some(4_000_000.0)] {
                let bars: Vec<Bar> = (0..n)
                    .map(|i| Bar { label: format!("c{i}"), value: if i % 3 == 1 { None } else { top }, text: "x".to_owned() })
                    .collect();
                let svg = bar_chart("t", "a", &bars);
                assert!(svg.as_deref().is_ok_and(|s| s.starts_with("<svg")), "{n} {top:?}");
            }
        }
    }
}
