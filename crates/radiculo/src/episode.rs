//! `radiculo episode show`: an episode's timeline in the terminal, read straight from the
//! database, for an operator or a clinician at the server's console: each assessment's time,
//! symptom day, triage level, pain score and leading root, and the alerts of the course under
//! the assessment that raised them. The same alerts as `GET /v1/episodes/{id}` and the
//! clinician page (`radiculo_server::Course`, `Engine::course_alerts`).

use std::fmt::Write as _;

use anyhow::Context;
use clap::{Args, Subcommand};
use radiculo_engine::Engine;
use radiculo_server::Course;
use radiculo_store::{Episode, Store, StoredAssessment};
use serde_json::Value;

#[derive(Debug, Args)]
pub struct EpisodeArgs {
    #[command(subcommand)]
    command: EpisodeCommand,
    /// Where records are kept, as for `serve`.
    #[arg(long, env = "RADICULO_DATABASE_URL", default_value_t = radiculo_server::default_database_url(), global = true)]
    database_url: String,
}

#[derive(Debug, Subcommand)]
enum EpisodeCommand {
    /// Print an episode as a timeline: its assessments oldest first and the alerts of its
    /// course.
    Show {
        /// The episode id (from `POST /v1/episodes`).
        id: String,
    },
}

pub fn run(engine: &Engine, args: &EpisodeArgs) -> anyhow::Result<()> {
    let EpisodeCommand::Show { id } = &args.command;
    let found = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(async {
            let store = Store::connect(&args.database_url)
                .await
                .context("opening the database")?;
            let found = store.get_episode_as_operator(id).await;
            store.close().await;
            anyhow::Ok(found?)
        })?;
    let Some((episode, stored)) = found else {
        return Err(crate::InvalidInput(format!("no episode `{id}` in this database")).into());
    };
    print!("{}", timeline(engine, &episode, &stored)?);
    Ok(())
}

/// The timeline as text.
fn timeline(
    engine: &Engine,
    episode: &Episode,
    stored: &[StoredAssessment],
) -> anyhow::Result<String> {
    let course = Course::of(engine, stored).map_err(|e| anyhow::anyhow!("{e}"))?;
    let alerts = engine.course_alerts(&course.visits());
    let mut out = String::new();
    writeln!(
        out,
        "Episode {} for subject {} (tenant {}), created {}",
        episode.id,
        episode.subject,
        episode.tenant,
        minute(&episode.created_at)
    )?;
    writeln!(
        out,
        "{} assessment{}, {} alert{}.\n",
        stored.len(),
        plural(stored.len()),
        alerts.len(),
        plural(alerts.len())
    )?;
    if stored.is_empty() {
        return Ok(out);
    }
    writeln!(
        out,
        "{:>3}  {:<17}  {:>4}  {:<10}  {:>5}  leading root",
        "#", "stored (UTC)", "day", "triage", "pain"
    )?;
    for (n, (record, days)) in stored.iter().zip(&course.days).enumerate() {
        let assessment: Value = serde_json::from_str(&record.assessment_json)
            .with_context(|| format!("record {} holds invalid JSON", record.id))?;
        let triage = assessment["triage"]["level"].as_str().unwrap_or("?");
        let pain = course.cases[n]
            .pain_score
            .map_or_else(|| "-".to_owned(), |p| format!("{p}/10"));
        let day = days.map_or_else(|| "-".to_owned(), |d| format!("{}", d.round()));
        writeln!(
            out,
            "{:>3}  {:<17}  {:>4}  {:<10}  {:>5}  {}",
            n + 1,
            minute(&record.created_at),
            day,
            triage,
            pain,
            leading_root(&assessment)
        )?;
        for alert in alerts.iter().filter(|a| a.visit == n) {
            writeln!(
                out,
                "{:>3}  ! {}: {} [{}]",
                "",
                alert.kind.as_str(),
                alert.text,
                alert.source
            )?;
        }
    }
    writeln!(
        out,
        "\nradiculo informs and triages; it does not diagnose. Each assessment's triage is its \
         own; alerts say how the course changed."
    )?;
    Ok(out)
}

/// `2026-12-06T00:30:12.123456Z` as `2026-12-06 00:30`.
fn minute(time: &str) -> String {
    time.get(..16).unwrap_or(time).replacen('T', " ", 1)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The most likely root and side with its probability (`L5 left 71%`), or `-`.
fn leading_root(assessment: &Value) -> String {
    let Some(root) = assessment["roots"]
        .as_array()
        .and_then(|roots| roots.first())
    else {
        return "-".to_owned();
    };
    format!(
        "{} {} {:.0}%",
        root["root"].as_str().unwrap_or("?"),
        root["side"].as_str().unwrap_or("?"),
        root["probability"].as_f64().unwrap_or(0.0) * 100.0
    )
}
