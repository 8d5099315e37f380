//! `radiculo interview`: asks the engine's next question, one at a time, until no answer could
//! change the advice or an answer makes the triage an emergency, then prints the text report.
//!
//! The engine chooses every question, and `radiculo_interview`'s [`Session`] keeps the case,
//! applies each answer, undoes the last one and says when to stop. This module is the terminal
//! over it: it draws the questions, reads and parses what is typed, and hands the answers to
//! the session. It reads whole lines with `BufRead` (no raw mode), so it works the same in a
//! terminal and in a pipe. With `--answers FILE` the answers come from a contract case instead
//! of a person, which makes a session reproducible.
//!
//! Every text the interview itself prints is in [`UI`], so it can be translated in one place;
//! the questions, the findings and the advice come from the knowledge base.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use radiculo_contract::MAX_DURATION_DAYS;
use radiculo_engine::{
    Assessment, Case, Engine, MAX_AGE, MIN_AGE, Mode, Options, Question, QuestionKind, Sex,
};
use radiculo_interview::{
    Answer, BODY_MAP, BodyMapMarks, Next, Session, Step, body_map_steps, checklist_answers, given,
};
use radiculo_kb::{Audience, FindingId, NumberQuestionDef, Shape, Side, TriageLevel};

use crate::{InvalidInput, report};

#[derive(Debug, Args)]
pub struct InterviewArgs {
    /// Who answers: the person in pain, or a clinician who can examine (default: the answers
    /// file's mode, else patient).
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// Age in years; asked first when missing.
    #[arg(long, value_parser = clap::value_parser!(u8).range(i64::from(MIN_AGE)..=i64::from(MAX_AGE)))]
    age: Option<u8>,
    /// Sex; asked (and skippable) when missing.
    #[arg(long, value_enum)]
    sex: Option<SexArg>,
    /// How many days the current episode has lasted; asked (and skippable) when missing.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_DURATION_DAYS as i64))]
    duration_days: Option<u32>,
    /// Answer every question from this contract case (JSON) instead of standard input; a
    /// finding the file does not give is answered "not sure". Flags override the file.
    #[arg(long)]
    answers: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    Patient,
    Clinician,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SexArg {
    Female,
    Male,
    Other,
}

impl From<SexArg> for Sex {
    fn from(s: SexArg) -> Sex {
        match s {
            SexArg::Female => Sex::Female,
            SexArg::Male => Sex::Male,
            SexArg::Other => Sex::Other,
        }
    }
}

/// A text worded for the person in pain and for a clinician.
struct ByMode {
    patient: &'static str,
    clinician: &'static str,
}

impl ByMode {
    fn get(&self, mode: Mode) -> &'static str {
        match mode {
            Mode::Patient => self.patient,
            Mode::Clinician => self.clinician,
        }
    }
}

/// Every text the interview prints itself. `{name}` marks a value filled in when printed.
struct Ui {
    title: &'static str,
    intro: ByMode,
    commands: &'static str,
    from_file: &'static str,
    age: ByMode,
    age_not_number: &'static str,
    age_out_of_range: &'static str,
    age_missing: &'static str,
    sex: ByMode,
    sex_invalid: &'static str,
    duration: ByMode,
    duration_prompt: &'static str,
    duration_invalid: &'static str,
    noted_days: &'static str,
    question: &'static str,
    why: &'static str,
    single_prompt: &'static str,
    single_invalid: &'static str,
    yes: &'static str,
    no: &'static str,
    not_sure: &'static str,
    checklist_how: ByMode,
    checklist_how_again: ByMode,
    checklist_prompt: &'static str,
    checklist_which: &'static str,
    checklist_no_item: &'static str,
    checklist_invalid: &'static str,
    body_map_how: ByMode,
    /// The three body-map steps, in the order of `SYMPTOM_KINDS` (pain, numbness, tingling).
    body_map_steps: [ByMode; 3],
    body_map_prompts: [&'static str; 3],
    body_map_step_of: &'static str,
    body_map_back_hint: ByMode,
    body_map_no_side: &'static str,
    body_map_no_region: &'static str,
    body_map_back_only_pain: &'static str,
    body_map_invalid: &'static str,
    body_map_help_title: &'static str,
    low_back: ByMode,
    left: &'static str,
    right: &'static str,
    noted: &'static str,
    noted_none: ByMode,
    noted_nowhere: ByMode,
    noted_unsure: &'static str,
    yes_to: &'static str,
    rest_no: &'static str,
    rest_nowhere_else: &'static str,
    rest_unsure: &'static str,
    no_to: &'static str,
    unsure_about: &'static str,
    count_others: &'static str,
    progress: &'static str,
    help: &'static str,
    undone: &'static str,
    nothing_to_undo: &'static str,
    emergency_stop: ByMode,
    pain_score_prompt: &'static str,
    pain_score_invalid: &'static str,
    noted_score: &'static str,
    finished: &'static str,
    stopped: &'static str,
    input_ended: &'static str,
    not_asked_exam: &'static str,
    not_asked: &'static str,
}

const UI: Ui = Ui {
    title: "radiculo interview",
    intro: ByMode {
        patient: "I will ask you some questions about your back and leg, one at a time. Type your answer and press Enter. If you are not sure, that is fine: say so with ?.",
        clinician: "Questions one at a time, most useful first; examination findings included. Type the answer and press Enter; ? records 'not sure'.",
    },
    commands: "At any question you can type b to go back one question, q to stop and see the advice so far, or help.",
    from_file: "Answering from {file}.",
    age: ByMode {
        patient: "How old are you, in years?",
        clinician: "Patient's age, in years?",
    },
    age_not_number: "Please type the age as a whole number of years, for example 47.",
    age_out_of_range: "radiculo is made for people aged {min} to {max}, so it cannot help outside that range. Type an age from {min} to {max}, or q to stop.",
    age_missing: "age: required ({min} to {max}); the interview ended before it was given",
    sex: ByMode {
        patient: "Are you female, male or other? (f / m / o; press Enter to skip)",
        clinician: "Sex: female, male or other? (f / m / o; Enter to skip)",
    },
    sex_invalid: "Please type f, m or o, or press Enter to skip.",
    duration: ByMode {
        patient: "How long ago did this episode of pain start? Type a number of days, or weeks or months like 3w or 2m. Press Enter to skip.",
        clinician: "Duration of the current episode in days (3w = weeks, 2m = months; Enter to skip).",
    },
    duration_prompt: "days",
    duration_invalid: "Please type a number of days (for example 12), or weeks or months like 3w or 2m, or press Enter to skip.",
    noted_days: "noted: {days} days",
    question: "Question {n}.",
    why: "({why})",
    single_prompt: "y / n / ?",
    single_invalid: "Please answer y (yes), n (no) or ? (not sure). Type help for more.",
    yes: "yes",
    no: "no",
    not_sure: "not sure",
    checklist_how: ByMode {
        patient: "Type the numbers of the ones that apply, with spaces between them (for example: 1 3). Press Enter if none of them apply, or type ? if you are not sure.",
        clinician: "Numbers of those present (e.g. 1 3); Enter = none present; ? = not assessed.",
    },
    checklist_how_again: ByMode {
        patient: "Type the numbers that apply; press Enter if none do, or type ? if you are not sure.",
        clinician: "Numbers present; Enter = none; ? = not assessed.",
    },
    checklist_prompt: "numbers",
    checklist_which: "Which of them? Type their numbers, for example 1, or 1 3.",
    checklist_no_item: "There is no item {n} here; the items are numbered 1 to {max}.",
    checklist_invalid: "I did not understand \"{token}\". Type the numbers of the ones that apply (for example: 1 3), or press Enter if none apply.",
    body_map_how: ByMode {
        patient: "Type each place as its number followed by L for your left side, R for your right side or B for both sides (for example: 9L 10L 3R). Press Enter if you feel it nowhere, or type ? if you are not sure.",
        clinician: "Enter region number + side, L = patient's left, R = right, B = both (e.g. 9L 10L 3R). Enter = none; ? = not assessed.",
    },
    body_map_steps: [
        ByMode {
            patient: "Where do you feel pain?",
            clinician: "Distribution of pain.",
        },
        ByMode {
            patient: "Where does the skin feel numb, dead or less able to feel touch?",
            clinician: "Distribution of numbness or reduced sensation.",
        },
        ByMode {
            patient: "Where do you get pins and needles (tingling)?",
            clinician: "Distribution of paraesthesia (pins and needles).",
        },
    ],
    body_map_prompts: ["pain", "numbness", "pins and needles"],
    body_map_step_of: "Step {n} of {total}.",
    body_map_back_hint: ByMode {
        patient: "Type back as well if you have pain in your lower back.",
        clinician: "Add back for low back pain.",
    },
    body_map_no_side: "Which side for {n}, {region}? Add L for left, R for right or B for both, for example {n}L. Please type the whole answer again.",
    body_map_no_region: "There is no place {n}; the places are numbered 1 to {max}. Please type the whole answer again.",
    body_map_back_only_pain: "The lower back is asked about only for pain; please type this answer again without it. To go back to the previous step, type b.",
    body_map_invalid: "I did not understand \"{token}\". Type each place as its number and a side, for example 9L 10L 3R, or press Enter for nowhere. Please type the whole answer again.",
    body_map_help_title: "The places on the body map:",
    low_back: ByMode {
        patient: "lower back",
        clinician: "low back",
    },
    left: "left",
    right: "right",
    noted: "noted: {what}",
    noted_none: ByMode {
        patient: "none of these",
        clinician: "none present",
    },
    noted_nowhere: ByMode {
        patient: "nowhere",
        clinician: "none",
    },
    noted_unsure: "not sure",
    yes_to: "yes to {list}",
    rest_no: "{list}; no to the others",
    rest_nowhere_else: "{list}; nowhere else",
    rest_unsure: "{list}; not sure about the others",
    no_to: "no to {list}",
    unsure_about: "not sure about {list}",
    count_others: "{n} others",
    progress: "answers so far: {n} · safety checklists done: {done} of {total}",
    help: "How to answer: y = yes, n = no, ? = not sure. For a list, type the numbers that apply (for example 1 3), press Enter for none, or ? if you are not sure. b goes back one question; q stops and shows the advice from the answers so far.",
    undone: "Going back one question.",
    nothing_to_undo: "There is no earlier answer to go back to.",
    emergency_stop: ByMode {
        patient: "Please stop here and get help.",
        clinician: "The interview stops here.",
    },
    pain_score_prompt: "{min}-{max}",
    pain_score_invalid: "Please type a whole number from {min} to {max}, or press Enter to skip.",
    noted_score: "noted: {score}",
    finished: "Thank you. That is all I need to ask.",
    stopped: "Stopping here. This is the advice from the answers so far.",
    input_ended: "No more answers. This is the advice from the answers so far.",
    not_asked_exam: "These answers in the file are examination findings, which an interview in patient mode does not ask (--mode clinician asks them), so the advice below does not use them:",
    not_asked: "These answers in the file were not asked before the interview ended, so the advice below does not use them:",
};

/// Texts are wrapped to this many columns (a plain 80-column terminal).
const WIDTH: usize = 78;

/// Runs an interview on standard input and output, or from `--answers`.
pub fn run(engine: &Engine, args: &InterviewArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match &args.answers {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let file = radiculo_contract::parse_case(engine, &text).map_err(|e| {
                InvalidInput(format!(
                    "{}: {}",
                    path.display(),
                    report::contract_error(&e)
                ))
            })?;
            let from = fill(UI.from_file, &[("file", &path.display().to_string())]);
            let io = Io {
                input: None::<std::io::Empty>,
                echo: false,
                out: &mut out,
            };
            interview(engine, args, io, Some((file, from)))
        }
        None => {
            let stdin = std::io::stdin();
            // A terminal shows what is typed; a pipe does not, so echo it to keep the
            // transcript readable.
            let echo = !stdin.is_terminal();
            let io = Io {
                input: Some(stdin.lock()),
                echo,
                out: &mut out,
            };
            interview(engine, args, io, None)
        }
    }
}

/// The whole interview: the opening questions, the engine's questions, then the report.
fn interview<R: BufRead, W: Write>(
    engine: &Engine,
    args: &InterviewArgs,
    mut io: Io<R, W>,
    file: Option<(Case, String)>,
) -> anyhow::Result<()> {
    let (file, from) = file.unzip();
    let mode = match (args.mode, &file) {
        (Some(ModeArg::Patient), _) => Mode::Patient,
        (Some(ModeArg::Clinician), _) => Mode::Clinician,
        (None, Some(f)) => f.mode,
        (None, None) => Mode::Patient,
    };
    // The disclaimer is printed once, with the advice it qualifies (the report).
    io.say(UI.title)?;
    io.wrapped(UI.intro.get(mode), "")?;
    match &from {
        Some(from) => io.wrapped(from, "")?,
        None => io.wrapped(UI.commands, "")?,
    }
    io.say("")?;

    let Some(age) = ask_age(&mut io, args, file.as_ref(), mode)? else {
        return Err(InvalidInput(fill(
            UI.age_missing,
            &[("min", &MIN_AGE.to_string()), ("max", &MAX_AGE.to_string())],
        ))
        .into());
    };
    let mut stopped = None;
    let sex = match ask_sex(&mut io, args, file.as_ref(), mode)? {
        Ok(sex) => sex,
        Err(end) => {
            stopped = Some(end);
            None
        }
    };
    let duration_days = match stopped {
        Some(_) => None,
        None => match ask_duration(&mut io, args, file.as_ref(), mode)? {
            Ok(days) => days,
            Err(end) => {
                stopped = Some(end);
                None
            }
        },
    };
    let mut case = Case::new(age);
    case.id = file.as_ref().and_then(|f| f.id.clone());
    case.sex = sex;
    case.duration_days = duration_days;
    case.mode = mode;
    let mut terminal = Terminal {
        io,
        session: Session::new(engine, case),
        file,
        explained_checklists: false,
    };
    let end = match stopped {
        Some(end) => end,
        None => terminal.questions()?,
    };
    let Terminal {
        mut io,
        session,
        file,
        ..
    } = terminal;
    let case = session.into_case();
    io.say("")?;
    match end {
        End::Session(radiculo_interview::End::Finished) => io.say(UI.finished)?,
        End::Quit => io.say(UI.stopped)?,
        End::InputEnded => io.say(UI.input_ended)?,
        End::Session(radiculo_interview::End::Emergency) => {}
    }
    if let Some(file) = &file {
        not_asked(&mut io, engine, file, &case)?;
    }
    io.say("")?;
    let assessment = engine.assess(&case, Options::default());
    io.out
        .write_all(report::text(engine, &case, &assessment).as_bytes())?;
    io.out.flush()?;
    Ok(())
}

/// The answers in the file that the interview did not ask, by name, and why: its advice does
/// not use them, which is why it can differ from `radiculo assess` on the same file.
fn not_asked<R: BufRead, W: Write>(
    io: &mut Io<R, W>,
    engine: &Engine,
    file: &Case,
    case: &Case,
) -> std::io::Result<()> {
    let kb = engine.kb();
    let (exam, other): (Vec<FindingId>, Vec<FindingId>) = file
        .evidence()
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| !case.asked(*f))
        .partition(|f| case.mode == Mode::Patient && kb.vocab.def(*f).examiner);
    for (list, text) in [(exam, UI.not_asked_exam), (other, UI.not_asked)] {
        if list.is_empty() {
            continue;
        }
        io.wrapped(text, "")?;
        for f in list {
            let line = format!(
                "{} ({})",
                report::statement(kb, f, case.mode == Mode::Clinician),
                kb.vocab.def(f).id
            );
            io.out
                .write_all(wrap_hanging(&line, "  - ", "    ").as_bytes())?;
        }
    }
    Ok(())
}

/// Why the questions stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The session ended them: no further question would change the advice, or an answer made
    /// the triage an emergency.
    Session(radiculo_interview::End),
    /// The person typed `q`.
    Quit,
    /// Standard input ended.
    InputEnded,
}

/// What the person did at a question.
enum Reply {
    /// Answered it (skipping the pain score is an answer too).
    Answer(Answer),
    /// Asked to undo the previous answer.
    Undo,
    /// Stopped (quit or end of input).
    Stop(End),
}

/// A command typed instead of an answer.
enum Command {
    Undo,
    Quit,
    Help,
}

/// Recognises `b`, `q` and `help`. In the body map `back` means the lower back, so it is a
/// command only where `back_is_undo`.
fn command(line: &str, back_is_undo: bool) -> Option<Command> {
    match line.to_lowercase().as_str() {
        "b" | "undo" => Some(Command::Undo),
        "back" | "go back" if back_is_undo => Some(Command::Undo),
        "q" | "quit" | "stop" => Some(Command::Quit),
        "h" | "help" => Some(Command::Help),
        _ => None,
    }
}

/// Lines in, text out.
struct Io<R, W> {
    /// The person's lines; `None` when the answers come from a file.
    input: Option<R>,
    /// Repeat each line read after its prompt.
    echo: bool,
    out: W,
}

impl<R: BufRead, W: Write> Io<R, W> {
    fn say(&mut self, text: &str) -> std::io::Result<()> {
        writeln!(self.out, "{text}")
    }

    fn wrapped(&mut self, text: &str, indent: &str) -> std::io::Result<()> {
        self.out.write_all(wrap(text, indent).as_bytes())
    }

    /// Prompts and reads one trimmed line; `None` at the end of input (or with no input).
    fn read(&mut self, prompt: &str) -> std::io::Result<Option<String>> {
        write!(self.out, "{prompt} > ")?;
        self.out.flush()?;
        let Some(input) = self.input.as_mut() else {
            writeln!(self.out)?;
            return Ok(None);
        };
        let mut bytes = Vec::new();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            writeln!(self.out)?;
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&bytes).trim().to_string();
        if self.echo {
            writeln!(self.out, "{line}")?;
        }
        Ok(Some(line))
    }

    /// Shows an answer taken from the answers file as if it had been typed.
    fn answered(&mut self, prompt: &str, answer: &str) -> std::io::Result<()> {
        writeln!(self.out, "{prompt} > {answer}")
    }
}

/// Age: from the flag, the answers file, or asked until valid. `None` if input ends first.
fn ask_age<R: BufRead, W: Write>(
    io: &mut Io<R, W>,
    args: &InterviewArgs,
    file: Option<&Case>,
    mode: Mode,
) -> std::io::Result<Option<u8>> {
    if let Some(age) = args.age.or(file.map(|f| f.age)) {
        if file.is_some() {
            io.answered(UI.age.get(mode), &age.to_string())?;
        }
        return Ok(Some(age));
    }
    loop {
        let Some(line) = io.read(UI.age.get(mode))? else {
            return Ok(None);
        };
        if matches!(command(&line, true), Some(Command::Quit)) {
            return Ok(None);
        }
        match line.parse::<u32>() {
            Ok(age) if (u32::from(MIN_AGE)..=u32::from(MAX_AGE)).contains(&age) => {
                return Ok(Some(age as u8));
            }
            Ok(_) => io.wrapped(
                &fill(
                    UI.age_out_of_range,
                    &[("min", &MIN_AGE.to_string()), ("max", &MAX_AGE.to_string())],
                ),
                "  ",
            )?,
            Err(_) => io.wrapped(UI.age_not_number, "  ")?,
        }
    }
}

/// Sex: from the flag, the answers file, or asked (an empty line skips it).
fn ask_sex<R: BufRead, W: Write>(
    io: &mut Io<R, W>,
    args: &InterviewArgs,
    file: Option<&Case>,
    mode: Mode,
) -> std::io::Result<Result<Option<Sex>, End>> {
    if let Some(sex) = args.sex {
        return Ok(Ok(Some(sex.into())));
    }
    if let Some(file) = file {
        let word = match file.sex {
            Some(Sex::Female) => "f",
            Some(Sex::Male) => "m",
            Some(Sex::Other) => "o",
            None => "",
        };
        io.answered(UI.sex.get(mode), word)?;
        return Ok(Ok(file.sex));
    }
    loop {
        let Some(line) = io.read(UI.sex.get(mode))? else {
            return Ok(Err(End::InputEnded));
        };
        if matches!(command(&line, true), Some(Command::Quit)) {
            return Ok(Err(End::Quit));
        }
        match line.to_lowercase().as_str() {
            "" => return Ok(Ok(None)),
            "f" | "female" => return Ok(Ok(Some(Sex::Female))),
            "m" | "male" => return Ok(Ok(Some(Sex::Male))),
            "o" | "other" => return Ok(Ok(Some(Sex::Other))),
            _ => io.wrapped(UI.sex_invalid, "  ")?,
        }
    }
}

/// Episode duration in days: from the flag, the answers file, or asked (empty skips it).
fn ask_duration<R: BufRead, W: Write>(
    io: &mut Io<R, W>,
    args: &InterviewArgs,
    file: Option<&Case>,
    mode: Mode,
) -> std::io::Result<Result<Option<u32>, End>> {
    if let Some(days) = args.duration_days {
        return Ok(Ok(Some(days)));
    }
    if let Some(file) = file {
        let days = file
            .duration_days
            .map(|d| d.to_string())
            .unwrap_or_default();
        io.wrapped(UI.duration.get(mode), "")?;
        io.answered(UI.duration_prompt, &days)?;
        return Ok(Ok(file.duration_days));
    }
    io.wrapped(UI.duration.get(mode), "")?;
    loop {
        let Some(line) = io.read(UI.duration_prompt)? else {
            return Ok(Err(End::InputEnded));
        };
        if line.is_empty() {
            return Ok(Ok(None));
        }
        if matches!(command(&line, true), Some(Command::Quit)) {
            return Ok(Err(End::Quit));
        }
        match parse_days(&line) {
            Some(days) => {
                if line.parse::<u32>().is_err() {
                    io.say(&format!(
                        "  {}",
                        fill(UI.noted_days, &[("days", &days.to_string())])
                    ))?;
                }
                return Ok(Ok(Some(days)));
            }
            None => io.wrapped(UI.duration_invalid, "  ")?,
        }
    }
}

/// `12`, `12d`, `3 weeks`, `2m`, `1y`: a duration in days (a month is 30 days, a year 365).
fn parse_days(text: &str) -> Option<u32> {
    let text = text.trim().to_lowercase();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let unit = match text[digits..].trim() {
        "" | "d" | "day" | "days" => 1,
        "w" | "wk" | "wks" | "week" | "weeks" => 7,
        "m" | "mo" | "month" | "months" => 30,
        "y" | "yr" | "yrs" | "year" | "years" => 365,
        _ => return None,
    };
    let days = number.checked_mul(unit)?;
    (days <= MAX_DURATION_DAYS).then_some(days as u32)
}

/// The interview after the opening questions, on the terminal: the session, and how its
/// questions are shown and answered.
struct Terminal<'e, R, W> {
    io: Io<R, W>,
    session: Session<'e>,
    /// The answers file, when the answers come from one.
    file: Option<Case>,
    /// Whether a checklist has been asked (later ones get shorter instructions).
    explained_checklists: bool,
}

impl<'e, R: BufRead, W: Write> Terminal<'e, R, W> {
    /// Asks the engine's questions until it has none, the triage is an emergency, or the
    /// person stops.
    fn questions(&mut self) -> anyhow::Result<End> {
        let mut answered = false;
        loop {
            let step = self.session.step();
            if let Ok(Step {
                assessment,
                next: Next::End(radiculo_interview::End::Emergency),
            }) = &step
            {
                self.emergency(assessment)?;
                return Ok(End::Session(radiculo_interview::End::Emergency));
            }
            if answered {
                self.progress()?;
            }
            // An error is the engine asking again what is already answered; the interview ends
            // here rather than ask the same question for ever.
            let Ok(Step {
                next: Next::Ask(question),
                ..
            }) = step
            else {
                return Ok(End::Session(radiculo_interview::End::Finished));
            };
            self.io.say("")?;
            let n = (self.session.answers() + 1).to_string();
            self.io.say(&fill(UI.question, &[("n", &n)]))?;
            let reply = match &question.kind {
                QuestionKind::Finding(f) => self.ask_single(&question, *f)?,
                QuestionKind::Group(items) if question.id == BODY_MAP => {
                    self.ask_body_map(&question, items)?
                }
                QuestionKind::Group(items) => self.ask_checklist(&question, items)?,
                QuestionKind::Number(n) => self.ask_pain_score(&question, n)?,
            };
            answered = false;
            match reply {
                Reply::Answer(answer) => {
                    self.session.answer(answer);
                    answered = true;
                }
                Reply::Undo => {
                    if self.session.undo() {
                        self.io.say(UI.undone)?;
                    } else {
                        self.io.say(UI.nothing_to_undo)?;
                    }
                }
                Reply::Stop(end) => return Ok(end),
            }
        }
    }

    fn kb(&self) -> &'e radiculo_kb::Kb {
        self.session.engine().kb()
    }

    fn mode(&self) -> Mode {
        self.session.case().mode
    }

    fn show_question(&mut self, q: &Question) -> std::io::Result<()> {
        self.io.wrapped(report::question_text(q, self.mode()), "")?;
        self.io.wrapped(&fill(UI.why, &[("why", &q.why)]), "  ")
    }

    /// The pain score: a whole number in the question's range, or Enter to skip.
    fn ask_pain_score(&mut self, q: &Question, n: &NumberQuestionDef) -> anyhow::Result<Reply> {
        self.show_question(q)?;
        let (min, max) = (n.min.to_string(), n.max.to_string());
        let range = [("min", min.as_str()), ("max", max.as_str())];
        self.io.wrapped(
            &format!("{} = {}, {} = {}", n.min, n.min_label, n.max, n.max_label),
            "  ",
        )?;
        let prompt = fill(UI.pain_score_prompt, &range);
        if let Some(file) = &self.file {
            let shown = file
                .pain_score
                .map_or(UI.not_sure.to_string(), |s| s.to_string());
            self.io.answered(&prompt, &shown)?;
            return Ok(Reply::Answer(Answer::PainScore(file.pain_score)));
        }
        loop {
            let line = match self.read_answer(&prompt)? {
                Ok(line) => line,
                Err(reply) => return Ok(reply),
            };
            // Enter, ? or n leave it out (the interview will not ask again).
            let text = line.trim();
            if text.is_empty() || text == "?" || parse_yes_no(text) == Some(Some(false)) {
                return Ok(Reply::Answer(Answer::PainScore(None)));
            }
            match text.parse::<u8>() {
                Ok(score) if (n.min..=n.max).contains(&score) => {
                    self.io.say(&fill(UI.noted_score, &[("score", text)]))?;
                    return Ok(Reply::Answer(Answer::PainScore(Some(score))));
                }
                _ => self
                    .io
                    .wrapped(&fill(UI.pain_score_invalid, &range), "  ")?,
            }
        }
    }

    /// Reads a line at a question and acts on the commands in it: `Ok` is an answer to parse,
    /// `Err` ends the question (undo, quit or the end of the input).
    fn read_answer(&mut self, prompt: &str) -> anyhow::Result<Result<String, Reply>> {
        loop {
            let Some(line) = self.io.read(prompt)? else {
                return Ok(Err(Reply::Stop(End::InputEnded)));
            };
            match command(&line, true) {
                Some(Command::Undo) => return Ok(Err(Reply::Undo)),
                Some(Command::Quit) => return Ok(Err(Reply::Stop(End::Quit))),
                Some(Command::Help) => self.io.wrapped(UI.help, "  ")?,
                None => return Ok(Ok(line)),
            }
        }
    }

    fn ask_single(&mut self, q: &Question, f: FindingId) -> anyhow::Result<Reply> {
        self.show_question(q)?;
        if let Some(file) = &self.file {
            let answers = given(file, &[f]);
            self.io.answered(UI.single_prompt, yes_no(answers[0].1))?;
            return Ok(Reply::Answer(Answer::Findings(answers)));
        }
        loop {
            let line = match self.read_answer(UI.single_prompt)? {
                Ok(line) => line,
                Err(reply) => return Ok(reply),
            };
            match parse_yes_no(&line) {
                Some(state) => return Ok(Reply::Answer(Answer::Findings(vec![(f, state)]))),
                None => self.io.wrapped(UI.single_invalid, "  ")?,
            }
        }
    }

    fn item_text(&self, f: FindingId) -> &'e str {
        let def = self.kb().vocab.def(f);
        match self.mode() {
            Mode::Patient => &def.patient,
            Mode::Clinician => &def.clinician,
        }
    }

    fn ask_checklist(&mut self, q: &Question, items: &[FindingId]) -> anyhow::Result<Reply> {
        self.show_question(q)?;
        for (i, f) in items.iter().enumerate() {
            let number = format!("{:>4}  ", i + 1);
            let text = wrap_hanging(self.item_text(*f), &number, "      ");
            self.io.out.write_all(text.as_bytes())?;
        }
        let how = if self.explained_checklists {
            UI.checklist_how_again.get(self.mode())
        } else {
            UI.checklist_how.get(self.mode())
        };
        if let Some(answers) = self.file.as_ref().map(|file| given(file, items)) {
            let typed: Vec<String> = answers
                .iter()
                .enumerate()
                .filter(|(_, (_, state))| *state == Some(true))
                .map(|(i, _)| (i + 1).to_string())
                .chain(answers.iter().any(|(_, s)| s.is_none()).then(|| "?".into()))
                .collect();
            self.io.answered(UI.checklist_prompt, &typed.join(" "))?;
            self.noted_checklist(&answers)?;
            return Ok(Reply::Answer(Answer::Findings(answers)));
        }
        self.io.wrapped(how, "  ")?;
        self.explained_checklists = true;
        loop {
            let line = match self.read_answer(UI.checklist_prompt)? {
                Ok(line) => line,
                Err(reply) => return Ok(reply),
            };
            match parse_checklist(&line, items.len()) {
                Ok((chosen, unsure)) => {
                    let answers = checklist_answers(items, &chosen, unsure);
                    self.noted_checklist(&answers)?;
                    return Ok(Reply::Answer(Answer::Findings(answers)));
                }
                Err(message) => self.io.wrapped(&message, "  ")?,
            }
        }
    }

    fn noted_checklist(&mut self, answers: &[(FindingId, Option<bool>)]) -> std::io::Result<()> {
        let numbers = |state: Option<bool>| -> Vec<String> {
            answers
                .iter()
                .enumerate()
                .filter(|(_, (_, s))| *s == state)
                .map(|(i, _)| (i + 1).to_string())
                .collect()
        };
        let yes = numbers(Some(true));
        let yes = (!yes.is_empty()).then(|| fill(UI.yes_to, &[("list", &yes.join(", "))]));
        let text = noted(
            yes,
            &numbers(Some(false)),
            &numbers(None),
            UI.noted_none.get(self.mode()),
            UI.rest_no,
        );
        self.io.wrapped(&text, "  ")
    }

    fn ask_body_map(&mut self, q: &Question, items: &[FindingId]) -> anyhow::Result<Reply> {
        let kb = self.kb();
        let mode = self.mode();
        let regions: Vec<&str> = kb
            .vocab
            .regions
            .iter()
            .map(|r| match mode {
                Mode::Patient => r.patient.as_str(),
                Mode::Clinician => r.clinician.as_str(),
            })
            .collect();
        let steps = body_map_steps(kb, items);
        self.show_question(q)?;
        self.io.say("")?;
        self.io.out.write_all(region_list(&regions).as_bytes())?;
        if self.file.is_none() {
            self.io.wrapped(UI.body_map_how.get(mode), "")?;
        }
        let mut answers: Vec<Vec<(FindingId, Option<bool>)>> = Vec::new();
        // The step whose instructions are on screen (not repeated after a mistyped answer).
        let mut shown = None;
        while answers.len() < steps.len() {
            let step = &steps[answers.len()];
            let prompt = UI.body_map_prompts[step.kind];
            if shown != Some(answers.len()) {
                shown = Some(answers.len());
                let step_of = fill(
                    UI.body_map_step_of,
                    &[
                        ("n", &(answers.len() + 1).to_string()),
                        ("total", &steps.len().to_string()),
                    ],
                );
                let mut header = format!("{step_of} {}", UI.body_map_steps[step.kind].get(mode));
                if step.low_back {
                    header = format!("{header} {}", UI.body_map_back_hint.get(mode));
                }
                self.io.say("")?;
                self.io.wrapped(&header, "")?;
            }
            if let Some(given) = self.file.as_ref().map(|file| given(file, &step.items)) {
                let typed = self.typed_body_map(&given);
                self.io.answered(prompt, &typed)?;
                self.noted_body_map(&given)?;
                answers.push(given);
                continue;
            }
            // Stopping part-way keeps the steps already answered: they are the answers so far.
            let Some(line) = self.io.read(prompt)? else {
                self.session.answer(Answer::Findings(answers.concat()));
                return Ok(Reply::Stop(End::InputEnded));
            };
            match command(&line, false) {
                // `b` in a later step goes back a step; in the first, to the previous question.
                Some(Command::Undo) if !answers.is_empty() => {
                    answers.pop();
                }
                Some(Command::Undo) if self.session.answers() == 0 => {
                    self.io.say(UI.nothing_to_undo)?;
                }
                Some(Command::Undo) => return Ok(Reply::Undo),
                Some(Command::Quit) => {
                    self.session.answer(Answer::Findings(answers.concat()));
                    return Ok(Reply::Stop(End::Quit));
                }
                Some(Command::Help) => {
                    self.body_map_help()?;
                    shown = None;
                }
                None => match parse_body_map(&line, &regions, step.low_back) {
                    Ok(marks) => {
                        let marked = step.answers(kb, &marks);
                        self.noted_body_map(&marked)?;
                        answers.push(marked);
                    }
                    Err(message) => self.io.wrapped(&message, "  ")?,
                },
            }
        }
        Ok(Reply::Answer(Answer::Findings(answers.concat())))
    }

    /// A body-map step's answers in the notation a person would type (`9L 10B back ?`).
    fn typed_body_map(&self, step: &[(FindingId, Option<bool>)]) -> String {
        let kb = self.kb();
        let mut sides: Vec<(usize, [bool; 2])> = Vec::new();
        let mut words = Vec::new();
        for (f, _) in step.iter().filter(|(_, s)| *s == Some(true)) {
            match kb.vocab.def(*f).shape {
                Shape::Region { region, side, .. } => {
                    let region = usize::from(region);
                    match sides.iter_mut().find(|(r, _)| *r == region) {
                        Some((_, s)) => s[side.index()] = true,
                        None => {
                            let mut s = [false; 2];
                            s[side.index()] = true;
                            sides.push((region, s));
                        }
                    }
                }
                Shape::Single { .. } => words.push("back".to_string()),
            }
        }
        sides.sort();
        let mut typed: Vec<String> = sides
            .iter()
            .map(|(r, s)| {
                let side = match s {
                    [true, true] => "B",
                    [true, false] => "L",
                    _ => "R",
                };
                format!("{}{side}", r + 1)
            })
            .collect();
        typed.extend(words);
        if step.iter().any(|(_, s)| s.is_none()) {
            typed.push("?".into());
        }
        typed.join(" ")
    }

    fn noted_body_map(&mut self, step: &[(FindingId, Option<bool>)]) -> std::io::Result<()> {
        let kb = self.kb();
        let mode = self.mode();
        let names = |state: Option<bool>| -> Vec<String> {
            step.iter()
                .filter(|(_, s)| *s == state)
                .map(|(f, _)| match kb.vocab.def(*f).shape {
                    Shape::Region { region, side, .. } => {
                        let r = &kb.vocab.regions[usize::from(region)];
                        let name = match mode {
                            Mode::Patient => &r.patient,
                            Mode::Clinician => &r.clinician,
                        };
                        format!("{} {name}", side_word(side))
                    }
                    Shape::Single { .. } => UI.low_back.get(mode).to_string(),
                })
                .collect()
        };
        let yes = names(Some(true));
        let text = noted(
            (!yes.is_empty()).then(|| yes.join(", ")),
            &names(Some(false)),
            &names(None),
            UI.noted_nowhere.get(mode),
            UI.rest_nowhere_else,
        );
        self.io.wrapped(&text, "  ")
    }

    fn body_map_help(&mut self) -> std::io::Result<()> {
        self.io.say(UI.body_map_help_title)?;
        let kb = self.kb();
        for (i, r) in kb.vocab.regions.iter().enumerate() {
            let name = match self.mode() {
                Mode::Patient => &r.patient,
                Mode::Clinician => &r.clinician,
            };
            let text = format!("{name}: {}", r.describe);
            let number = format!("{:>4}  ", i + 1);
            self.io
                .out
                .write_all(wrap_hanging(&text, &number, "      ").as_bytes())?;
        }
        self.io.wrapped(UI.body_map_how.get(self.mode()), "")?;
        self.io.wrapped(UI.help, "")
    }

    fn progress(&mut self) -> std::io::Result<()> {
        let progress = self.session.progress();
        let text = fill(
            UI.progress,
            &[
                ("n", &progress.answers.to_string()),
                ("done", &progress.checklists_done.to_string()),
                ("total", &progress.checklists.to_string()),
            ],
        );
        self.io.say(&format!("  [{text}]"))
    }

    /// The emergency advice, at once: the reasons at that level and what to do now.
    fn emergency(&mut self, a: &Assessment) -> std::io::Result<()> {
        let mode = self.mode();
        let rule = "!".repeat(WIDTH);
        self.io.say("")?;
        self.io.say(&rule)?;
        self.io.wrapped(
            &format!(
                "{} {}",
                report::what_to_do(self.kb(), TriageLevel::Emergency, mode),
                UI.emergency_stop.get(mode)
            ),
            "",
        )?;
        for r in a
            .triage
            .reasons
            .iter()
            .filter(|r| r.level == TriageLevel::Emergency)
        {
            let t = r.reason.texts(self.kb());
            let text = match mode {
                Mode::Patient => t.patient,
                Mode::Clinician => t.clinician,
            };
            self.io
                .out
                .write_all(wrap_hanging(text, "  - ", "    ").as_bytes())?;
        }
        for p in a.advice(self.kb()).filter(|p| {
            p.topic == "urgent_action"
                && (mode == Mode::Clinician || p.audience == Audience::Patient)
        }) {
            self.io.wrapped(&p.text, "  ")?;
        }
        self.io.say(&rule)
    }
}

fn side_word(side: Side) -> &'static str {
    match side {
        Side::Left => UI.left,
        Side::Right => UI.right,
    }
}

fn yes_no(state: Option<bool>) -> &'static str {
    match state {
        Some(true) => UI.yes,
        Some(false) => UI.no,
        None => UI.not_sure,
    }
}

/// `y`, `n` or `?` (and their longer forms) as present, absent or not sure.
fn parse_yes_no(line: &str) -> Option<Option<bool>> {
    match line.to_lowercase().trim_end_matches(['.', '!']) {
        "y" | "yes" | "yeah" | "yep" => Some(Some(true)),
        "n" | "no" | "nope" => Some(Some(false)),
        "?" | "s" | "not sure" | "unsure" | "don't know" | "dont know" | "dk" => Some(None),
        _ => None,
    }
}

/// Tokens of a list answer: separated by spaces or commas.
fn tokens(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
}

/// A checklist answer: the chosen item indices and whether the rest are "not sure".
fn parse_checklist(line: &str, n: usize) -> Result<(Vec<usize>, bool), String> {
    let lower = line.to_lowercase();
    if matches!(lower.as_str(), "n" | "no" | "none" | "0") {
        return Ok((Vec::new(), false));
    }
    if matches!(lower.as_str(), "y" | "yes") {
        return Err(UI.checklist_which.to_string());
    }
    let mut chosen = Vec::new();
    let mut unsure = false;
    for token in tokens(&lower) {
        if token == "?" {
            unsure = true;
            continue;
        }
        match token.parse::<usize>() {
            Ok(i) if (1..=n).contains(&i) => chosen.push(i - 1),
            Ok(i) => {
                return Err(fill(
                    UI.checklist_no_item,
                    &[("n", &i.to_string()), ("max", &n.to_string())],
                ));
            }
            Err(_) => return Err(fill(UI.checklist_invalid, &[("token", token)])),
        }
    }
    Ok((chosen, unsure))
}

/// Parses `9L 10B 3R back ?`: a region number with L, R or B (either order; `9 L` too).
fn parse_body_map(line: &str, regions: &[&str], allow_back: bool) -> Result<BodyMapMarks, String> {
    let lower = line
        .to_lowercase()
        .replace("lower back", "back")
        .replace("low back", "back");
    let mut entry = BodyMapMarks::default();
    if matches!(lower.trim(), "n" | "no" | "none" | "nowhere") {
        return Ok(entry);
    }
    let list: Vec<&str> = tokens(&lower).collect();
    let mut i = 0;
    while i < list.len() {
        let token = list[i];
        i += 1;
        match token {
            "?" => {
                entry.unsure = true;
                continue;
            }
            "back" | "lb" if allow_back => {
                entry.low_back = true;
                continue;
            }
            "back" | "lb" => return Err(UI.body_map_back_only_pain.to_string()),
            _ => {}
        }
        let digits_first = token.starts_with(|c: char| c.is_ascii_digit());
        let (number, side) = if digits_first {
            let split = token
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(token.len());
            let (number, mut side) = token.split_at(split);
            // `9 L`: the side as the next token.
            if side.is_empty() && matches!(list.get(i), Some(&("l" | "r" | "b"))) {
                side = list[i];
                i += 1;
            }
            (number, side)
        } else {
            let split = token
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(token.len());
            let (side, number) = token.split_at(split);
            (number, side)
        };
        let Ok(n) = number.parse::<usize>() else {
            return Err(fill(UI.body_map_invalid, &[("token", token)]));
        };
        if !(1..=regions.len()).contains(&n) {
            return Err(fill(
                UI.body_map_no_region,
                &[("n", number), ("max", &regions.len().to_string())],
            ));
        }
        let sides: &[Side] = match side {
            "l" => &[Side::Left],
            "r" => &[Side::Right],
            "b" => &Side::BOTH,
            "" => {
                return Err(fill(
                    UI.body_map_no_side,
                    &[("n", number), ("region", regions[n - 1])],
                ));
            }
            _ => return Err(fill(UI.body_map_invalid, &[("token", token)])),
        };
        for side in sides {
            if !entry.places.contains(&(n - 1, *side)) {
                entry.places.push((n - 1, *side));
            }
        }
    }
    Ok(entry)
}

/// What was recorded, in words: `yes` (already listed), then the ones answered no and not
/// sure. `none` is said when nothing is yes and the rest are no; `rest_no` (with `{list}`) when
/// some are yes and the rest are no.
fn noted(
    yes: Option<String>,
    no: &[String],
    unsure: &[String],
    none: &str,
    rest_no: &str,
) -> String {
    // Long lists (only from an answers file) are counted rather than read out.
    let list = |names: &[String]| {
        if names.len() > 6 {
            fill(UI.count_others, &[("n", &names.len().to_string())])
        } else {
            names.join(", ")
        }
    };
    let what = match (yes, no.is_empty(), unsure.is_empty()) {
        (None, _, true) => none.to_string(),
        (None, true, false) => UI.noted_unsure.to_string(),
        (Some(yes), true, true) => yes,
        (Some(yes), false, true) => fill(rest_no, &[("list", &yes)]),
        (Some(yes), true, false) => fill(UI.rest_unsure, &[("list", &yes)]),
        (yes, false, false) => yes
            .into_iter()
            .chain([
                fill(UI.no_to, &[("list", &list(no))]),
                fill(UI.unsure_about, &[("list", &list(unsure))]),
            ])
            .collect::<Vec<_>>()
            .join("; "),
    };
    fill(UI.noted, &[("what", &what)])
}

/// The regions, numbered from 1, in two columns when they fit.
fn region_list(regions: &[&str]) -> String {
    let longest = regions.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let cell = longest + 6;
    let mut s = String::new();
    if 2 * cell <= WIDTH {
        let rows = regions.len().div_ceil(2);
        for row in 0..rows {
            let left = format!("{:>4}  {}", row + 1, regions[row]);
            match regions.get(row + rows) {
                Some(right) => {
                    s += &format!("{left:<cell$}{:>4}  {right}\n", row + rows + 1);
                }
                None => s += &format!("{left}\n"),
            }
        }
    } else {
        for (i, r) in regions.iter().enumerate() {
            s += &format!("{:>4}  {r}\n", i + 1);
        }
    }
    s
}

/// Fills `{name}` placeholders.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (name, value) in values {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Wraps text to [`WIDTH`] columns, every line starting with `indent`.
fn wrap(text: &str, indent: &str) -> String {
    wrap_hanging(text, indent, indent)
}

/// Wraps text to [`WIDTH`] columns: the first line starts with `first`, the others with `indent`.
fn wrap_hanging(text: &str, first: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out += &line;
            out.push('\n');
            line = String::from(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    out += &line;
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_map_entries_parse() {
        let regions = vec!["r"; 16];
        let entry = parse_body_map("9L 10b, R3 12 l back ?", &regions, true).unwrap();
        assert_eq!(
            entry.places,
            vec![
                (8, Side::Left),
                (9, Side::Left),
                (9, Side::Right),
                (2, Side::Right),
                (11, Side::Left)
            ]
        );
        assert!(entry.low_back && entry.unsure);
        assert_eq!(
            parse_body_map("", &regions, true),
            Ok(BodyMapMarks::default())
        );
        assert!(
            parse_body_map("9", &regions, true)
                .unwrap_err()
                .contains("9L")
        );
        assert!(parse_body_map("17L", &regions, true).is_err());
        assert!(parse_body_map("back", &regions, false).is_err());
        assert!(
            parse_body_map("lower back", &regions, true)
                .unwrap()
                .low_back
        );
    }

    #[test]
    fn checklists_and_durations_parse() {
        assert_eq!(parse_checklist("1 3", 5), Ok((vec![0, 2], false)));
        assert_eq!(parse_checklist("", 5), Ok((vec![], false)));
        assert_eq!(parse_checklist("?", 5), Ok((vec![], true)));
        assert!(parse_checklist("6", 5).is_err());
        assert!(parse_checklist("yes", 5).is_err());
        assert_eq!(parse_days("12"), Some(12));
        assert_eq!(parse_days("3 weeks"), Some(21));
        assert_eq!(parse_days("2m"), Some(60));
        assert_eq!(parse_days("soon"), None);
        assert_eq!(parse_days("-1"), None);
    }

    #[test]
    fn wrap_keeps_lines_short() {
        let text = "word ".repeat(60);
        for line in wrap(&text, "  ").lines() {
            assert!(line.chars().count() <= WIDTH && line.starts_with("  "));
        }
    }
}
