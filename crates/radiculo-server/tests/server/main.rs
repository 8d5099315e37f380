//! The server's tests: handlers through `oneshot` (`handlers`), CDS Hooks (`cds`), episodes
//! and their alerts on SQLite and PostgreSQL (`episodes`), what the
//! logs hold (`logs`), the web pages (`web`), the security review's checks (`security`:
//! tenant isolation on every route, CORS, headers, nesting, the rate limit per instance), and
//! a real socket with graceful shutdown, on SQLite and on PostgreSQL (`e2e`; `postgres` says
//! where that runs and what happens without it).

mod cds;
mod common;
mod e2e;
mod episodes;
mod fhir_episode;
mod handlers;
mod logs;
#[path = "../../../../tests/support/postgres.rs"]
mod postgres;
mod security;
mod web;
