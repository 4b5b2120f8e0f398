//! FourthP's HTTP API and command line.

pub mod access_ledger;
pub mod app;
pub mod audit_trail;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod extract;
pub mod openapi;
pub mod problem;
pub mod report_render;
pub mod request_id;
pub mod routes;
