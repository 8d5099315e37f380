//! The `radiculo` command: thin glue over the engine, the knowledge base and the contract.
//!
//! Exit codes: 0 success; 1 invalid input (the message names the field); 2 usage error;
//! 3 an evaluation below its thresholds.

mod batch;
mod episode;
mod eval;
mod generate;
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
        /// Output format: a text report, the contract's assessment JSON, or the results as a
        /// FHIR R4 Bundle (Observations, RiskAssessment, ClinicalImpression, Patient).
        #[arg(long, value_enum, default_value_t = AssessFormat::Text)]
        format: AssessFormat,
    },
    /// Assess one case per line of a JSON Lines file, in order, using every core. A line that
    /// is not a valid case gets an error line in its place; the exit code is then 1 (0 when
    /// every line was assessed), with the count on standard error.
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
    /// Episodes stored by the service: `show` prints one as a timeline with its alerts.
    Episode(episode::EpisodeArgs),
    /// Random contract cases, one a line, for load and scale runs (`batch`): uniform over the
    /// finding vocabulary, present or absent; the same seed gives the same cases.
    Generate(generate::GenerateArgs),
}

#[derive(Debug, Subcommand)]
enum KbCommand {
    /// Validate the embedded knowledge base, or the given TOML files instead.
    Lint {
        /// Knowledge-base files to lint instead of the embedded ones.
        files: Vec<PathBuf>,
    },
    /// The whole probability model as a discrete Bayesian network, for an independent
    /// Bayesian-network library to load and query (docs/bayesian-network.md).
    Export {
        /// The format: BIF or XMLBIF.
        #[arg(long, value_enum, default_value_t = BnFormat::Bif)]
        format: BnFormat,
        /// Where to write the network (standard output when missing).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BnFormat {
    Bif,
    Xmlbif,
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
    /// The OperationDefinition of `QuestionnaireResponse/$assess` (`radiculo-assess`).
    OperationDefinition {
        /// The definition's id.
        id: String,
    },
    /// What `POST /fhir/QuestionnaireResponse/$assess` answers: a completed
    /// QuestionnaireResponse (or Parameters with `response` and `patient`) from a file or
    /// standard input, assessed, as a results Bundle.
    Assess {
        /// The response file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// A case (contract JSON, from a file or standard input) as a completed
    /// QuestionnaireResponse to the intake: what `POST /fhir/QuestionnaireResponse/$assess`
    /// takes. Examination findings are not questions of the intake and are left out.
    Response {
        /// The case file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// The next step of an adaptive interview, as `POST /fhir/Questionnaire/$next-question`
    /// answers it: the QuestionnaireResponse (or Parameters with `questionnaire-response` and
    /// `mode`), from a file or standard input, with the next question appended to its contained
    /// Questionnaire, or `completed` with the triage.
    NextQuestion {
        /// The body's file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AssessFormat {
    Text,
    Json,
    Fhir,
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
        // The reader went away (`radiculo … | head`): what it read was written; not an error.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
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

/// Whether writing the output failed because its reader had closed it.
fn broken_pipe(e: &anyhow::Error) -> bool {
    let kind = (e.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
        .or_else(|| e.downcast_ref::<serde_json::Error>()?.io_error_kind());
    kind == Some(std::io::ErrorKind::BrokenPipe)
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
                AssessFormat::Json => {
                    let writer = radiculo_contract::JsonWriter::new(&engine);
                    serde_json::to_writer_pretty(&mut out, &writer.model(&case, &assessment))?;
                    writeln!(out)?;
                }
                AssessFormat::Fhir => {
                    use radiculo_fhir::bundle::{Context, Subject, results};
                    let writer = radiculo_contract::JsonWriter::new(&engine);
                    let seed = uuid::Uuid::new_v4().to_string();
                    let timestamp = format!("{:.0}", jiff::Timestamp::now());
                    let context = Context {
                        seed: &seed,
                        timestamp: &timestamp,
                        subject: Subject::FromCase,
                        response: None,
                    };
                    let bundle = results(&writer, &case, &assessment, &context);
                    serde_json::to_writer_pretty(&mut out, &bundle)?;
                    writeln!(out)?;
                }
                AssessFormat::Text => {
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
            // Every line was written (a rejected one as its error), but a run that rejected
            // any line did not do what was asked of it.
            if summary.rejected > 0 {
                return Err(InvalidInput(format!(
                    "{} of {} lines rejected (each is an error line in the output)",
                    summary.rejected,
                    summary.assessed + summary.rejected
                ))
                .into());
            }
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
        Command::Kb {
            command: KbCommand::Export { format, output },
        } => export(format, output.as_deref()),
        Command::Fhir { command } => fhir(&command),
        Command::Eval(args) => eval::run(&engine()?, &args),
        Command::Interview(args) => interview::run(&engine()?, &args),
        Command::Serve(config) => serve(config),
        Command::Keys(args) => keys::run(&args),
        Command::Episode(args) => episode::run(&engine()?, &args),
        Command::Generate(args) => generate::run(
            &engine()?,
            &args,
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        ),
    }
}

/// `radiculo fhir …`: one definition, or a case as a response, as pretty JSON.
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
        FhirCommand::OperationDefinition { id } => {
            use radiculo_fhir::operation::{ASSESS_DEFINITION, assess_definition};
            if id != ASSESS_DEFINITION {
                return Err(InvalidInput(format!(
                    "no OperationDefinition `{id}`; there is {ASSESS_DEFINITION}"
                ))
                .into());
            }
            serde_json::to_string_pretty(&assess_definition(kb))?
        }
        FhirCommand::Assess { file } => {
            let body = fhir_input(file.as_ref())?;
            let timestamp = format!("{:.0}", jiff::Timestamp::now());
            let seed = uuid::Uuid::new_v4().to_string();
            let writer = radiculo_contract::JsonWriter::new(&engine);
            let bundle = radiculo_fhir::operation::assess(&writer, &body, &timestamp, &seed)
                .map_err(rejected)?;
            serde_json::to_string_pretty(&bundle)?
        }
        FhirCommand::Response { file } => {
            let text = read_input(file.as_ref())?;
            let case = radiculo_contract::parse_case(&engine, &text)
                .map_err(|e| InvalidInput(report::contract_error(&e)))?;
            let intake = radiculo_fhir::questionnaire::intake(kb)?;
            let authored = format!("{:.0}", jiff::Timestamp::now());
            let response = radiculo_fhir::fill::response(kb, &intake, &case, &authored);
            serde_json::to_string_pretty(&response)?
        }
        FhirCommand::NextQuestion { file } => {
            let body = fhir_input(file.as_ref())?;
            let today = format!("{:.0}", jiff::Timestamp::now())[..10].to_string();
            let writer = radiculo_contract::JsonWriter::new(&engine);
            let response = radiculo_fhir::adaptive::next_question(&writer, &body, &today)?
                .map_err(rejected)?;
            serde_json::to_string_pretty(&response)?
        }
    };
    writeln!(std::io::stdout().lock(), "{json}")?;
    Ok(())
}

/// A FHIR resource to act on, from a file or standard input.
fn fhir_input(file: Option<&PathBuf>) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(&read_input(file)?)
        .map_err(|e| InvalidInput(format!("the resource is not JSON: {e}")).into())
}

/// A FHIR resource that could not be acted on, every issue on a line with where it is.
fn rejected(rejected: radiculo_fhir::response::Rejected) -> InvalidInput {
    let issues: Vec<String> = (rejected.outcome.issue.iter())
        .map(|i| format!("{}: {}", i.expression.join(", "), i.diagnostics))
        .collect();
    InvalidInput(issues.join("\n"))
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

/// `radiculo kb export`: the model as a Bayesian network, to a file or standard output.
fn export(format: BnFormat, output: Option<&std::path::Path>) -> anyhow::Result<()> {
    use radiculo_engine::bn;
    let format = match format {
        BnFormat::Bif => bn::Format::Bif,
        BnFormat::Xmlbif => bn::Format::XmlBif,
    };
    // The last duration band ends at the longest duration a case may give.
    let max_days = u32::try_from(radiculo_contract::MAX_DURATION_DAYS)
        .context("the contract's longest duration does not fit in a u32")?;
    let text = bn::export(&engine()?, format, max_days)
        .context("the model cannot be written as a Bayesian network")?;
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => Ok(std::io::stdout().lock().write_all(text.as_bytes())?),
    }
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
