//! FourthP's HTTP API and command line.
//!
//! Layers, each using only those listed before it: `problem`, `token`, `credentials`,
//! `audit_trail`, `metrics`, `state`, `access_ledger`, `auth`, `extract`, `middleware`; then
//! `report_body`, `report_render` and the handlers in `routes`; then `openapi`, `jobs`,
//! `startup`; then `demo`, `config` and `cli`.

pub mod access_ledger;
pub mod app;
pub mod audit_trail;
pub mod auth;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod demo;
pub mod extract;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod notify;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod paths;
pub mod problem;
pub mod query;
pub mod report_body;
pub mod report_render;
pub mod routes;
pub mod startup;
pub mod state;
pub mod token;
