//! `radiculo batch`: one assessment per input line, in order, on every core.
//!
//! Lines are read in chunks; each chunk is split across worker threads, and the results are
//! written in input order before the next chunk is read, so memory stays bounded whatever the
//! file size. A bad line becomes `{"id": …, "error": …}` and the run goes on.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use radiculo_contract::ContractError;
use radiculo_engine::{Engine, Options};
use serde_json::Value;

const CHUNK_LINES: usize = 8192;

/// Counts for the closing line.
pub struct Summary {
    pub assessed: u64,
    pub rejected: u64,
}

/// How to shape each assessment.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// What to compute.
    pub options: Options,
    /// Numbers, ids and codes only, without the sentences.
    pub compact: bool,
}

pub fn run(
    engine: &Engine,
    input: &Path,
    output: Option<&Path>,
    shape: Shape,
    threads: Option<usize>,
) -> anyhow::Result<Summary> {
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            File::open(input).with_context(|| format!("opening {}", input.display()))?,
        ))
    };
    let mut writer: Box<dyn Write> = match output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} cases ({per_sec}) {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Some(bar)
    } else {
        None
    };
    let mut summary = Summary {
        assessed: 0,
        rejected: 0,
    };
    let mut lines = reader.lines();
    let mut line_no = 0usize;
    loop {
        let mut chunk: Vec<(usize, String)> = Vec::with_capacity(CHUNK_LINES);
        for line in lines.by_ref() {
            line_no += 1;
            let line = line.with_context(|| format!("reading line {line_no}"))?;
            if line.trim().is_empty() {
                continue;
            }
            chunk.push((line_no, line));
            if chunk.len() == CHUNK_LINES {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let per = chunk.len().div_ceil(threads);
        let outputs: Vec<(Vec<u8>, u64)> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(per)
                .map(|part| s.spawn(move || assess_lines(engine, part, shape)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a batch worker panicked"))
                .collect()
        });
        for (bytes, rejected) in outputs {
            writer.write_all(&bytes)?;
            summary.rejected += rejected;
        }
        summary.assessed += chunk.len() as u64;
        if let Some(bar) = &progress {
            bar.inc(chunk.len() as u64);
        }
    }
    writer.flush()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    summary.assessed -= summary.rejected;
    Ok(summary)
}

/// Assesses a slice of lines into JSON Lines bytes; returns the bytes and the rejected count.
fn assess_lines(engine: &Engine, lines: &[(usize, String)], shape: Shape) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(lines.len() * 4096);
    let mut rejected = 0;
    for (line_no, line) in lines {
        match assess_line(engine, line, shape, &mut out) {
            Ok(()) => {}
            Err((id, error)) => {
                rejected += 1;
                let (path, message) = match &error {
                    ContractError::Invalid { path, .. } => (Some(path.as_str()), error.to_string()),
                    ContractError::Json(_) => (None, error.to_string()),
                };
                let suggestions = match &error {
                    ContractError::Invalid { suggestions, .. } => suggestions.clone(),
                    ContractError::Json(_) => Vec::new(),
                };
                let v = serde_json::json!({
                    "id": id,
                    "error": message,
                    "path": path,
                    "suggestions": suggestions,
                    "line": line_no,
                });
                serde_json::to_writer(&mut out, &v).expect("writing to a Vec cannot fail");
            }
        }
        out.push(b'\n');
    }
    (out, rejected)
}

fn assess_line(
    engine: &Engine,
    line: &str,
    shape: Shape,
    out: &mut Vec<u8>,
) -> Result<(), (Option<String>, ContractError)> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| (None, ContractError::Json(e.to_string())))?;
    let id = radiculo_contract::case_id(&value).map(String::from);
    let case = radiculo_contract::case_from_value(engine, &value).map_err(|e| (id, e))?;
    let assessment = engine.assess(&case, shape.options);
    let written = if shape.compact {
        let mut targets = Vec::new();
        serde_json::to_writer(
            &mut *out,
            &radiculo_contract::to_compact_json(engine, &case, &assessment, &mut targets),
        )
    } else {
        serde_json::to_writer(
            &mut *out,
            &radiculo_contract::to_json(engine, &case, &assessment),
        )
    };
    written.expect("writing to a Vec cannot fail");
    Ok(())
}
