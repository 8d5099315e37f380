//! The `radiculo` command: thin glue over the engine, the knowledge base and the contract.
//!
//! Exit codes: 0 success; 1 invalid input (the message names the field); 2 usage error;
//! 3 an evaluation below its thresholds.

mod batch;
mod eval;
mod interview;
mod keys;
mod report;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use radiculo_engine::{Engine, Options};

/// radiculo: explainable decision support for back-related leg pain.
///
/// It informs and triages; it does not diagnose.
#[derive(Debug, Parser)]
#[command(name = "radiculo", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Assess one case (contract v1.1 JSON) from a file or standard input.
    Assess {
        /// The case file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Assess one case per line of a JSON Lines file, in order, using every core.
    Batch {
        /// The input file, one case per line (`-` for standard input).
        input: PathBuf,
        /// Where to write the assessments (standard output when missing).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Skip the next question for throughput.
        #[arg(long)]
        no_next_question: bool,
        /// Write numbers, ids and codes only, without the sentences (a full assessment is
        /// about 25 KB of text; every text is in `radiculo findings` and the knowledge base).
        #[arg(long)]
        compact: bool,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// List the finding vocabulary with its texts.
    Findings {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Knowledge-base tools.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// radiculo's FHIR R4 definitions, as the server serves them under /fhir.
    Fhir {
        #[command(subcommand)]
        command: FhirCommand,
    },
    /// Score labelled cases and print a table of hits and misses.
    Eval(eval::EvalArgs),
    /// Ask questions one at a time, then print the report (standard input, or --answers).
    Interview(interview::InterviewArgs),
    /// Serve the HTTP API (JSON under /v1) until SIGTERM or Ctrl-C; logs go to standard error
    /// (filter with RADICULO_LOG, default info).
    Serve(radiculo_server::Config),
    /// Manage the API keys that guard stored assessments.
    Keys(keys::KeysArgs),
}

#[derive(Debug, Subcommand)]
enum KbCommand {
    /// Validate the embedded knowledge base, or the given TOML files instead.
    Lint {
        /// Knowledge-base files to lint instead of the embedded ones.
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum FhirCommand {
    /// The intake Questionnaire (`linkId` = finding id), generated from the knowledge base.
    Questionnaire,
    /// The CapabilityStatement the server gives at /fhir/metadata (dated now).
    Capability,
    /// One of radiculo's code systems (`radiculo-finding`, `radiculo-condition`,
    /// `radiculo-triage-level`, `radiculo-red-flag`, `radiculo-nerve-root`).
    CodeSystem {
        /// The code system's id.
        id: String,
    },
    /// The value set of every code of one of radiculo's code systems (same ids).
    ValueSet {
        /// The value set's id.
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// An error that maps to exit code 1: the input, not the program, is at fault.
#[derive(Debug)]
struct InvalidInput(String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

/// An evaluation below its thresholds (exit code 3).
#[derive(Debug)]
struct BelowThreshold;

impl std::fmt::Display for BelowThreshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("evaluation below its thresholds")
    }
}

impl std::error::Error for BelowThreshold {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("radiculo: {e:#}");
            // 3 says "ran, but below the thresholds asked for"; anything else that failed,
            // invalid input included, is 1 (clap exits 2 on a usage error itself).
            if e.downcast_ref::<BelowThreshold>().is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn engine() -> anyhow::Result<Engine> {
    let kb = radiculo_kb::load(radiculo_kb::embedded())
        .context("loading the embedded knowledge base")?;
    Ok(Engine::new(kb))
}

fn read_input(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let mut text = String::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        _ => {
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading standard input")?;
        }
    }
    Ok(text)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Assess { file, format } => {
            let engine = engine()?;
            let text = read_input(file.as_ref())?;
            let case = radiculo_contract::parse_case(&engine, &text)
                .map_err(|e| InvalidInput(report::contract_error(&e)))?;
            let assessment = engine.assess(&case, Options::default());
            let mut out = std::io::stdout().lock();
            match format {
                Format::Json => {
                    let writer = radiculo_contract::JsonWriter::new(&engine);
                    serde_json::to_writer_pretty(&mut out, &writer.model(&case, &assessment))?;
                    writeln!(out)?;
                }
                Format::Text => {
                    out.write_all(report::text(&engine, &case, &assessment).as_bytes())?
                }
            }
            Ok(())
        }
        Command::Batch {
            input,
            output,
            no_next_question,
            compact,
            threads,
        } => {
            let engine = engine()?;
            let shape = batch::Shape {
                options: Options {
                    next_question: !no_next_question,
                },
                compact,
            };
            let summary = batch::run(&engine, &input, output.as_deref(), shape, threads)?;
            eprintln!(
                "radiculo: {} assessed, {} rejected",
                summary.assessed, summary.rejected
            );
            Ok(())
        }
        Command::Findings { format } => {
            let engine = engine()?;
            let mut out = std::io::stdout().lock();
            out.write_all(report::findings(&engine, format == Format::Json)?.as_bytes())?;
            Ok(())
        }
        Command::Kb {
            command: KbCommand::Lint { files },
        } => lint(&files),
        Command::Fhir { command } => fhir(&command),
        Command::Eval(args) => eval::run(&engine()?, &args),
        Command::Interview(args) => interview::run(&engine()?, &args),
        Command::Serve(config) => serve(config),
        Command::Keys(args) => keys::run(&args),
    }
}

/// `radiculo fhir …`: one definition, as pretty JSON.
fn fhir(command: &FhirCommand) -> anyhow::Result<()> {
    use radiculo_fhir::codes::System;
    let engine = engine()?;
    let kb = engine.kb();
    let system = |id: &str| {
        System::ALL
            .into_iter()
            .find(|s| s.id() == id)
            .ok_or_else(|| {
                let ids: Vec<&str> = System::ALL.iter().map(|s| s.id()).collect();
                InvalidInput(format!(
                    "no code system `{id}`; there are {}",
                    ids.join(", ")
                ))
            })
    };
    let json = match command {
        FhirCommand::Questionnaire => {
            serde_json::to_string_pretty(&radiculo_fhir::questionnaire::intake(kb)?)?
        }
        FhirCommand::Capability => {
            let now = format!("{:.0}", jiff::Timestamp::now());
            serde_json::to_string_pretty(&radiculo_fhir::capability::capability_statement(
                kb, &now,
            ))?
        }
        FhirCommand::CodeSystem { id } => {
            serde_json::to_string_pretty(&system(id)?.code_system(kb))?
        }
        FhirCommand::ValueSet { id } => serde_json::to_string_pretty(&system(id)?.value_set(kb))?,
    };
    println!("{json}");
    Ok(())
}

/// `radiculo serve`: sets up logging, then runs the service on a Tokio runtime built here,
/// for this command only (the other commands are synchronous).
fn serve(config: radiculo_server::Config) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::builder()
        .with_default_directive(tracing_subscriber::filter::LevelFilter::INFO.into())
        .with_env_var("RADICULO_LOG")
        .from_env()
        .context("reading RADICULO_LOG")?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let engine = engine()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(radiculo_server::run(config, engine))?;
    Ok(())
}

fn lint(files: &[PathBuf]) -> anyhow::Result<()> {
    let owned: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let name = p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            std::fs::read_to_string(p)
                .map(|t| (name, t))
                .with_context(|| format!("reading {}", p.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let pairs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let files = if pairs.is_empty() {
        radiculo_kb::embedded()
    } else {
        &pairs[..]
    };
    match radiculo_kb::load(files) {
        Ok(kb) => {
            for w in &kb.warnings {
                println!("warning {w}");
            }
            let engine = Engine::new(kb);
            let kb = engine.kb();
            println!(
                "ok: knowledge base {} — {} findings, {} conditions, {} lesions, {} hypotheses, {} red flags, {} rules, {} advice items, {} sources",
                kb.version,
                kb.vocab.findings.len(),
                kb.model.conditions.len(),
                kb.model.lesions.len(),
                engine.tables().n_hyps(),
                kb.red_flags.len(),
                kb.rules.len(),
                kb.advice.len(),
                kb.sources.len()
            );
            // The rules that read the posterior, and the red-flag findings each ignores so that
            // no red flag can lower the level through it (the engine's blind sets).
            for (i, rule) in kb.rules.iter().enumerate() {
                if !rule.when.reads_model() {
                    continue;
                }
                let blind: Vec<&str> = engine
                    .blind_set(i)
                    .iter()
                    .map(|f| kb.vocab.def(f).id.as_str())
                    .collect();
                println!(
                    "model rule {} ({}): ignores {}",
                    rule.id,
                    rule.level,
                    if blind.is_empty() {
                        "no finding".to_string()
                    } else {
                        blind.join(", ")
                    }
                );
            }
            Ok(())
        }
        Err(e) => {
            for d in &e.errors {
                println!("error {d}");
            }
            for w in &e.warnings {
                println!("warning {w}");
            }
            Err(InvalidInput(format!("{} knowledge-base error(s)", e.errors.len())).into())
        }
    }
}
