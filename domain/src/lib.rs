//! FourthP's vocabulary and rules.
//!
//! Pure: no database, no HTTP, no clock reads. Time is always passed in by the caller, so every
//! rule here is testable with fixed dates.

#[macro_use]
mod vocabulary;

pub mod access;
pub mod account;
pub mod action;
pub mod agency;
pub mod audit;
pub mod calendar;
pub mod case;
pub mod challenge;
pub mod codes;
pub mod deadline;
pub mod disclosure;
pub mod error;
pub mod event;
pub mod forum;
pub mod htcds;
pub mod ids;
pub mod import;
pub mod intervention;
pub mod lifecycle;
pub mod meeting;
pub mod need;
pub mod notify;
pub mod outcome;
pub mod paging;
pub mod principal;
pub mod report;
pub mod rules;
pub mod subject_access;
pub mod text;
pub mod time;
pub mod words;

pub use error::{FieldError, FieldErrors};
