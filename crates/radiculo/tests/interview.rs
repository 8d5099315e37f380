//! `radiculo interview`, run for real: piped sessions (a fixed script on standard input, or a
//! script that reads each question before answering it), `--answers` from a contract case,
//! going back, re-asking a bad age, and a report at the end of input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

/// The contract's example case (as shipped in `examples/`).
const CONTRACT_EXAMPLE: &str = include_str!("../../../examples/contract-example.json");

/// How long a scripted session waits for the next prompt before it fails.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(30);

fn radiculo() -> Command {
    Command::cargo_bin("radiculo").expect("the radiculo binary is built")
}

/// Runs `radiculo interview ARGS` with `input` piped to it; returns stdout, stderr, success.
fn interview(args: &[&str], input: &str) -> (String, String, bool) {
    let output = radiculo()
        .arg("interview")
        .args(args)
        .write_stdin(input)
        .output()
        .expect("radiculo runs");
    (
        String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        output.status.success(),
    )
}

/// A fixed script: age, sex, duration, the three body-map steps, then `n` to everything (which
/// both a yes/no question and a checklist read as "no").
fn script(opening: &str, body_map: [&str; 3]) -> String {
    let mut s = format!("{opening}\n{}\n", body_map.join("\n"));
    s += &"n\n".repeat(60);
    s
}

/// The report's first line of nerve roots, e.g. `L5  left   93%  ####`.
fn top_root(report: &str) -> &str {
    let mut lines = report.lines();
    lines
        .find(|l| l.starts_with("Nerve roots most likely involved"))
        .expect("the report lists roots");
    lines.next().expect("at least one root").trim()
}

fn temp_file(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writing a temporary file");
    path
}

#[test]
fn piped_l5_session_ends_with_a_report_naming_left_l5() {
    let (out, err, ok) = interview(&[], &script("47\nf\n12", ["9L 10L back", "12L 13L", ""]));
    assert!(ok, "{err}");
    assert!(out.contains("Question 1."), "{out}");
    assert!(
        out.contains("noted: left shin (outer side), left calf, lower back; nowhere else"),
        "{out}"
    );
    assert!(out.contains("That is all I need to ask."), "{out}");
    let report = &out[out.find("radiculo assessment").expect("a report")..];
    assert!(top_root(report).starts_with("L5  left"), "{report}");
    // Piped input is echoed after its prompt, so the transcript reads like a session.
    assert!(out.contains("How old are you, in years? > 47\n"), "{out}");
}

#[test]
fn bad_age_is_asked_again() {
    let (out, err, ok) = interview(&[], "12\nforty\n200\n47\n\n\nq\n");
    assert!(ok, "{err}");
    assert!(out.contains("made for people aged 16 to 110"), "{out}");
    assert!(out.contains("whole number of years"), "{out}");
    assert_eq!(
        out.matches("How old are you, in years?").count(),
        4,
        "{out}"
    );
    assert!(out.contains("Question 1."), "{out}");
    assert!(out.contains("Stopping here."), "{out}");
    assert!(out.contains("radiculo assessment"), "{out}");
}

#[test]
fn no_age_at_the_end_of_input_is_invalid_input() {
    let output = radiculo()
        .arg("interview")
        .write_stdin("")
        .output()
        .expect("radiculo runs");
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("age"), "{err}");
}

#[test]
fn end_of_input_mid_interview_still_prints_the_report() {
    // Input ends in the numbness step: the pain step already answered still counts.
    let (out, err, ok) = interview(&["--age", "47"], "f\n12\n9L back\n");
    assert!(ok, "{err}");
    assert!(out.contains("No more answers."), "{out}");
    let report = &out[out.find("radiculo assessment").expect("a report")..];
    assert!(
        report.contains("Pain in your left shin (outer side)"),
        "{report}"
    );
    assert!(report.contains("Next question:"), "{report}");
}

#[test]
fn b_undoes_the_last_answer() {
    // Without going back, pain in the right front thigh shapes the report ...
    let (out, err, ok) = interview(&[], "47\n\n\n3R\n\n\nq\n");
    assert!(ok, "{err}");
    let report = &out[out.find("radiculo assessment").expect("a report")..];
    assert!(
        report.contains("Pain in your right thigh (front)"),
        "{report}"
    );

    // ... and after `b` at the next question the body map is asked again, with nothing kept.
    let (out, err, ok) = interview(&[], "47\n\n\n3R\n\n\nb\nq\n");
    assert!(ok, "{err}");
    assert!(out.contains("Going back one question."), "{out}");
    assert_eq!(out.matches("Question 1.").count(), 2, "{out}");
    let report = &out[out.find("radiculo assessment").expect("a report")..];
    assert!(!report.contains("right thigh (front)"), "{report}");

    // Within the body map, `b` goes back one step.
    let (out, err, ok) = interview(&[], "47\n\n\n3R\nb\n9L\n\n\nq\n");
    assert!(ok, "{err}");
    assert_eq!(out.matches("Step 1 of 3.").count(), 2, "{out}");
    let report = &out[out.find("radiculo assessment").expect("a report")..];
    assert!(!report.contains("right thigh (front)"), "{report}");
}

#[test]
fn saddle_numbness_with_back_pain_is_an_emergency_and_stops_the_questions() {
    let mut session = Session::start(&[]);
    let mut answered_saddle = false;
    while let Some(screen) = session.next_prompt() {
        let answer = if screen.ends_with("How old are you, in years? > ") {
            "52".to_string()
        } else if screen.ends_with("days > ") || screen.contains("female, male or other") {
            String::new()
        } else if screen.ends_with("pain > ") {
            "back 10L".to_string()
        } else if screen.ends_with("numbers > ") && screen.contains("saddle") {
            answered_saddle = true;
            item_number(&screen, "saddle")
        } else if screen.ends_with("y / n / ? > ") || screen.ends_with("numbers > ") {
            "n".to_string()
        } else {
            // The numbness and pins-and-needles steps: nowhere.
            String::new()
        };
        session.answer(&answer);
    }
    let (out, ok) = session.finish();
    assert!(ok, "{out}");
    assert!(
        answered_saddle,
        "the cauda equina checklist was never asked:\n{out}"
    );
    let alarm = out
        .find("EMERGENCY: Go to an emergency department now")
        .expect(&out);
    let after = &out[alarm..];
    assert!(after.contains("cauda equina"), "{after}");
    assert!(after.contains("Do not drive yourself."), "{after}");
    assert!(
        !after.contains("Question "),
        "a question after the emergency:\n{after}"
    );
    let report = after.find("radiculo assessment").expect("a report");
    assert!(after[report..].contains("EMERGENCY"), "{after}");
}

#[test]
fn answers_file_echoes_each_question_and_prints_the_report() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let case = temp_file(&dir, "case.json", CONTRACT_EXAMPLE);
    let output = radiculo()
        .arg("interview")
        .arg("--answers")
        .arg(&case)
        .output()
        .expect("radiculo runs");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("How old are you, in years? > 47"), "{out}");
    assert!(out.contains("Question 1."), "{out}");
    assert!(out.contains("pain > 9L ?"), "{out}");
    assert!(
        out.contains("noted: left shin (outer side); not sure about the others"),
        "{out}"
    );
    assert!(out.contains("Question 2."), "{out}");
    // The examination findings are not asked in patient mode; the transcript says so, and
    // names them in words.
    assert!(
        out.contains("These answers in the file are examination findings"),
        "{out}"
    );
    assert!(
        out.contains("  - Weakness lifting your left big toe (weakness.great_toe_extension.left)"),
        "{out}"
    );
    // The disclaimer once, with the advice; the body map in the terminal's own words.
    let disclaimer = "It does not diagnose";
    assert_eq!(out.matches(disclaimer).count(), 1, "{out}");
    assert!(
        out.find(disclaimer) > out.find("radiculo assessment of case-17"),
        "{out}"
    );
    assert!(
        !out.contains("Tap every") && !out.contains("Show us"),
        "{out}"
    );
    let report = &out[out
        .find("radiculo assessment of case-17")
        .expect("a report")..];
    assert!(top_root(report).starts_with("L5  left"), "{report}");
}

#[test]
fn invalid_answers_file_names_the_field() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let case = temp_file(
        &dir,
        "bad.json",
        r#"{"age": 47, "evidence": [{"id": "pain.lateral_leg.lft", "state": "present"}]}"#,
    );
    let output = radiculo()
        .arg("interview")
        .arg("--answers")
        .arg(&case)
        .output()
        .expect("radiculo runs");
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("evidence[0].id"), "{err}");
    assert!(err.contains("pain.lateral_leg.left"), "{err}");
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let output = radiculo()
        .args(["interview", "--age", "12"])
        .output()
        .expect("radiculo runs");
    assert_eq!(output.status.code(), Some(2));
}

/// The number of the checklist item whose line mentions `word`.
fn item_number(screen: &str, word: &str) -> String {
    let line = screen
        .lines()
        .find(|l| l.contains(word))
        .unwrap_or_else(|| panic!("no item mentions {word}:\n{screen}"));
    line.split_whitespace()
        .next()
        .expect("a numbered item")
        .to_string()
}

/// An interview driven one prompt at a time, so a script can read each question first.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Receiver<Vec<u8>>,
    transcript: String,
    /// Where the text since the last answer starts in `transcript`.
    unread: usize,
}

impl Session {
    fn start(args: &[&str]) -> Session {
        let mut child = std::process::Command::new(binary())
            .arg("interview")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("radiculo starts");
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (tx, output) = std::sync::mpsc::channel();
        // A reader thread, so that waiting for a prompt can time out instead of hanging.
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 || tx.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Session {
            child,
            stdin,
            output,
            transcript: String::new(),
            unread: 0,
        }
    }

    /// The text since the last answer, up to and including the next prompt (`… > `); `None`
    /// when the program has finished.
    fn next_prompt(&mut self) -> Option<String> {
        loop {
            if self.transcript[self.unread..].ends_with(" > ") {
                return Some(self.transcript[self.unread..].to_string());
            }
            match self.output.recv_timeout(PROMPT_TIMEOUT) {
                Ok(bytes) => self.transcript += &String::from_utf8_lossy(&bytes),
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!("no prompt within {PROMPT_TIMEOUT:?}:\n{}", self.transcript);
                }
            }
        }
    }

    fn answer(&mut self, line: &str) {
        self.unread = self.transcript.len();
        let stdin = self.stdin.as_mut().expect("the session is running");
        writeln!(stdin, "{line}").expect("writing an answer");
    }

    /// Closes standard input, waits, and returns the transcript and whether it succeeded.
    fn finish(mut self) -> (String, bool) {
        drop(self.stdin.take());
        while let Ok(bytes) = self.output.recv_timeout(PROMPT_TIMEOUT) {
            self.transcript += &String::from_utf8_lossy(&bytes);
        }
        let status = self.child.wait().expect("radiculo exits");
        (self.transcript, status.success())
    }
}

/// The built binary (cargo builds it for integration tests).
fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_radiculo"))
}
