//! FourthP's storage: PostgreSQL through diesel-async.
//!
//! Repositories take and return domain types; database rows never leave this crate. Each use
//! case runs in one transaction that also writes its audit record.

pub mod actions;
pub mod agencies;
pub mod audit;
pub mod bulk;
pub mod cases;
pub mod chain;
pub mod cluster;
mod db;
pub mod deadlines;
pub mod events;
pub mod interventions;
pub mod needs;
pub mod outcomes;
pub mod rederive;
pub mod reports;
pub mod retention;
mod rows;
pub mod write;
#[rustfmt::skip]
mod schema;

pub use db::{connect, migrations_applied, ping, run_migrations, Db, DbConn, MigrationError, StoreError, LATEST_MIGRATION};
