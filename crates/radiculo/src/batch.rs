//! `radiculo batch`: one assessment per input line, in order, on every core.
//!
//! A pipeline of scoped threads: this thread reads the input into chunks of lines, the workers
//! assess whole chunks, and a writer thread puts their output back in input order. A fixed set
//! of chunks circulates (reader, worker, writer, reader again), each keeping its input and
//! output buffers, so memory stays bounded whatever the file size and nothing is allocated per
//! line for reading or writing; reading and writing overlap with the assessing. A bad line
//! becomes `{"id": …, "error": …}` and the run goes on.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, mpsc};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use radiculo_contract::{ContractError, Form, JsonWriter};
use radiculo_engine::{Engine, Options};
use serde_json::Value;

/// Lines per chunk: enough that passing a chunk between threads costs nothing next to
/// assessing it (about a millisecond), few enough that a chunk's output stays in a core's
/// 2 MiB L2 cache while it is written: 32 full assessments (25 to 60 KB each) or 256 compact
/// ones (about 3 KB). With 256 full ones the output buffer (10 MB for random cases) went to
/// memory on every write: 10-15% slower, three times the memory; with 32 compact ones the
/// hand-offs cost 10% (BENCHMARKS.md, "No slow corner").
fn chunk_lines(shape: Shape) -> usize {
    if shape.compact { 256 } else { 32 }
}

/// Chunks in circulation per worker: one being assessed, one read ahead, one being written.
const CHUNKS_PER_WORKER: usize = 3;

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

/// Consecutive input lines and, once assessed, their output.
#[derive(Default)]
struct Chunk {
    /// Position in the input, to write chunks in order.
    seq: u64,
    /// The lines' bytes, one after another.
    input: Vec<u8>,
    /// Each non-blank line: its range in `input` and its line number (from 1).
    lines: Vec<(Range<usize>, usize)>,
    /// One JSON line per input line.
    output: Vec<u8>,
    rejected: u64,
}

pub fn run(
    engine: &Engine,
    input: &Path,
    output: Option<&Path>,
    shape: Shape,
    threads: Option<usize>,
) -> anyhow::Result<Summary> {
    // Large buffers: the input is read in big sequential reads, and a chunk's output goes to
    // the file in one write.
    let reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(BufReader::with_capacity(1 << 20, std::io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(
            1 << 20,
            File::open(input).with_context(|| format!("opening {}", input.display()))?,
        ))
    };
    let writer: Box<dyn Write + Send> = match output {
        Some(p) => Box::new(File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => Box::new(std::io::stdout()),
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

    let (free_tx, free_rx) = mpsc::channel::<Chunk>();
    let (work_tx, work_rx) = mpsc::channel::<Chunk>();
    let (done_tx, done_rx) = mpsc::channel::<Chunk>();
    for _ in 0..threads * CHUNKS_PER_WORKER {
        free_tx
            .send(Chunk::default())
            .expect("the receiver is here");
    }
    // Workers take chunks one at a time from the shared queue (a std `Mutex` around the
    // receiver: it is held only while taking a chunk).
    let work_rx = Mutex::new(work_rx);

    let json = JsonWriter::new(engine);

    std::thread::scope(|s| {
        for _ in 0..threads {
            let (work_rx, done_tx, json) = (&work_rx, done_tx.clone(), &json);
            s.spawn(move || {
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(mut chunk)) = next else { break };
                    assess_chunk(engine, json, &mut chunk, shape);
                    if done_tx.send(chunk).is_err() {
                        break; // The writer stopped on an error; it reports it.
                    }
                }
            });
        }
        drop(done_tx);
        let writing = s.spawn(move || write_in_order(writer, done_rx, free_tx, progress));
        let reading = read_chunks(reader, chunk_lines(shape), &free_rx, &work_tx);
        // No more work: the workers finish what they have and stop, then the writer.
        drop(work_tx);
        let written = writing.join().expect("the batch writer panicked");
        let lines = reading?;
        let rejected = written?;
        Ok(Summary {
            assessed: lines - rejected,
            rejected,
        })
    })
}

/// Reads the input into chunks taken from `free`, sending each full one to `work`. Returns the
/// number of non-blank lines.
fn read_chunks(
    mut reader: Box<dyn BufRead>,
    chunk_lines: usize,
    free: &mpsc::Receiver<Chunk>,
    work: &mpsc::Sender<Chunk>,
) -> anyhow::Result<u64> {
    let mut line_no = 0usize;
    let mut total = 0u64;
    let mut seq = 0;
    loop {
        // Only fails once the writer has stopped (on a write error, which it reports).
        let Ok(mut chunk) = free.recv() else {
            return Ok(total);
        };
        chunk.seq = seq;
        seq += 1;
        chunk.input.clear();
        chunk.lines.clear();
        while chunk.lines.len() < chunk_lines {
            let start = chunk.input.len();
            line_no += 1;
            let n = reader
                .read_until(b'\n', &mut chunk.input)
                .with_context(|| format!("reading line {line_no}"))?;
            if n == 0 {
                break;
            }
            // As `BufRead::lines`: without the newline and a carriage return before it.
            let mut end = chunk.input.len();
            if chunk.input[start..end].ends_with(b"\n") {
                end -= 1;
                if chunk.input[start..end].ends_with(b"\r") {
                    end -= 1;
                }
            }
            if !chunk.input[start..end].trim_ascii().is_empty() {
                chunk.lines.push((start..end, line_no));
            }
        }
        if chunk.lines.is_empty() {
            return Ok(total);
        }
        total += chunk.lines.len() as u64;
        let last = chunk.lines.len() < chunk_lines;
        if work.send(chunk).is_err() || last {
            return Ok(total);
        }
    }
}

/// Writes chunks in input order as they come back from the workers, returning each to `free`
/// once written. Returns the number of rejected lines.
fn write_in_order(
    mut writer: Box<dyn Write + Send>,
    done: mpsc::Receiver<Chunk>,
    free: mpsc::Sender<Chunk>,
    progress: Option<ProgressBar>,
) -> anyhow::Result<u64> {
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    let mut rejected = 0;
    for chunk in done {
        waiting.insert(chunk.seq, chunk);
        while let Some(chunk) = waiting.remove(&next) {
            writer.write_all(&chunk.output)?;
            rejected += chunk.rejected;
            if let Some(bar) = &progress {
                bar.inc(chunk.lines.len() as u64);
            }
            next += 1;
            // The reader may have finished; then the chunk is simply dropped.
            let _ = free.send(chunk);
        }
    }
    writer.flush()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(rejected)
}

/// Assesses every line of a chunk into its output, one JSON line each.
fn assess_chunk(engine: &Engine, json: &JsonWriter<&Engine>, chunk: &mut Chunk, shape: Shape) {
    let Chunk {
        input,
        lines,
        output,
        rejected,
        ..
    } = chunk;
    output.clear();
    *rejected = 0;
    let form = if shape.compact {
        Form::Compact
    } else {
        Form::Full
    };
    for (range, line_no) in lines.iter() {
        if let Err((id, error)) = assess_line(
            engine,
            json,
            &input[range.clone()],
            shape.options,
            form,
            output,
        ) {
            *rejected += 1;
            write_error(output, id, &error, *line_no);
        }
        output.push(b'\n');
    }
}

fn assess_line(
    engine: &Engine,
    json: &JsonWriter<&Engine>,
    line: &[u8],
    options: Options,
    form: Form,
    out: &mut Vec<u8>,
) -> Result<(), (Option<String>, ContractError)> {
    let line = std::str::from_utf8(line).map_err(|e| {
        (
            None,
            ContractError::Json(format!("the line is not UTF-8: {e}")),
        )
    })?;
    let case = radiculo_contract::parse_case(engine, line).map_err(|e| {
        // Only for a rejected line: read it again to label the error with the case's id.
        let value = serde_json::from_str::<Value>(line).ok();
        let id = value.as_ref().and_then(radiculo_contract::case_id);
        (id.map(String::from), e)
    })?;
    let assessment = engine.assess(&case, options);
    json.write(&case, &assessment, form, out);
    Ok(())
}

fn write_error(out: &mut Vec<u8>, id: Option<String>, error: &ContractError, line_no: usize) {
    let (path, suggestions) = match error {
        ContractError::Invalid {
            path, suggestions, ..
        } => (Some(path.as_str()), suggestions.as_slice()),
        ContractError::Json(_) => (None, [].as_slice()),
    };
    let v = serde_json::json!({
        "id": id,
        "error": error.to_string(),
        "path": path,
        "suggestions": suggestions,
        "line": line_no,
    });
    serde_json::to_writer(out, &v).expect("writing to a Vec cannot fail");
}
