//! The server's tests: handlers through `oneshot` (`handlers`), CDS Hooks (`cds`), what the
//! logs hold (`logs`), the web pages (`web`), and a real socket with graceful shutdown, on
//! SQLite and on PostgreSQL when `RADICULO_TEST_DATABASE_URL` is set (`e2e`).

mod cds;
mod common;
mod e2e;
mod handlers;
mod logs;
mod web;
