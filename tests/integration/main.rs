//! The one integration test binary: the real app on an ephemeral port against real PostgreSQL.
//!
//! Each test gets its own database, copied from a template that is migrated once per set of
//! migrations, so tests run in parallel without seeing each other's data.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod peers;
mod support;

mod accounts;
mod agencies;
mod api_clients;
mod audit;
mod audit_trail;
mod auth;
mod browser;
mod cases;
mod crash;
mod daily_log;
mod demo;
mod disclosure;
mod errors;
mod exports;
mod forum;
mod hostile;
mod imports;
mod inbox;
mod instances;
mod law;
mod lifecycle;
mod network;
mod ops;
mod organisation;
mod refusals;
mod replica;
mod reports;
mod resilience;
mod subject_access;
mod webhooks;
