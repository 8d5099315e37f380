//! The server's tests: handlers through `oneshot` (`handlers`), CDS Hooks (`cds`), what the
//! logs hold (`logs`), the web pages (`web`), and a real socket with graceful shutdown, on
//! SQLite and on PostgreSQL (`e2e`; `postgres` says where that runs and what happens without it).

mod cds;
mod common;
mod e2e;
mod handlers;
mod logs;
#[path = "../../../../tests/support/postgres.rs"]
mod postgres;
mod web;
