//! FourthP's storage: PostgreSQL through diesel-async.
//!
//! Repositories take and return domain types; database rows never leave this crate. Each use
//! case runs in one transaction that also writes its audit record.
//!
//! The order of a write, and of the modules (each uses only those before it): `db`, `schema`,
//! `rows`; `audit`; `case_lock` (lock and load the case) and `facts` (what derivation reads);
//! `derive` (the case's deadlines and stage from its events and needs); the writers (`cases`,
//! `events`, `needs`, `actions`, `interventions`, `outcomes`) and the deadlines table and queue
//! (`deadlines`); the status read model (`status`); `rederive` (after a rule book change).

pub mod actions;
pub mod agencies;
pub mod api_clients;
pub mod asks;
pub mod audit;
pub mod bulk;
pub mod calendar;
mod case_lock;
pub mod cases;
pub mod chain;
pub mod challenges;
pub mod children;
pub mod cluster;
mod db;
pub mod deadlines;
pub mod derive;
pub mod digest;
pub mod events;
mod facts;
pub mod forum;
pub mod htcds;
pub mod identity;
pub mod imports;
pub mod inbox;
pub mod interventions;
pub mod meetings;
pub mod needs;
pub mod notices;
pub mod outbox;
pub mod outcomes;
pub mod rederive;
pub mod replica;
pub mod reports;
pub mod retention;
mod rows;
pub mod sessions;
pub mod status;
pub mod subject_access;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod write;
#[rustfmt::skip]
mod schema;

pub use db::{connect, migrations_applied, ping, run_migrations, Db, DbConn, MigrationError, StoreError, LATEST_MIGRATION};
