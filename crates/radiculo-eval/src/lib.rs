//! Evaluation of the engine on labelled cases, for `radiculo eval` and anything else that needs
//! to know how well the engine does: reading the cases, scoring them against their labels,
//! judging the engine against a naive-Bayes baseline, and simulating the interview on each.
//!
//! A labelled case is one JSON line, `{"case": …, "expect": {"triage": [...], "root":
//! "L5.left"|null, "condition": …|null, "mechanism": …|null}, "source": …}`; a null (or
//! missing) label is not scored. A published case also carries its `citation`, `url` and
//! `quotes`: the source's words behind the age, every coded finding and every label, which
//! must be there. Scoring counts hits, under- and over-triage, and the log loss and Brier
//! score of the condition and the root, for the engine and for [`NaiveBayes`], built from the
//! same knowledge base. The interview simulation answers each question from the case's full
//! evidence through `radiculo_interview`'s session, the one the terminal uses.
//!
//! The crate does no IO and prints nothing: the caller reads the file and words the report.
//! It knows nothing of argument parsing or the terminal.
//!
//! Layout:
//! - `labelled`: [`read_cases`], the [`Labelled`] line and its [`Expect`]ed labels;
//! - `score`: [`score()`], its [`Scores`] and the [`Score`] and [`Calibration`] of each measure;
//! - `baseline`: the [`NaiveBayes`] reference model;
//! - `simulate`: [`simulate()`] one interview, [`score_interviews`] all of them.
#![deny(missing_docs)]

mod baseline;
mod labelled;
mod score;
mod simulate;

use radiculo_contract::ContractError;
use radiculo_interview::InterviewError;

pub use baseline::NaiveBayes;
pub use labelled::{Expect, Labelled, LabelledCase, read_cases};
pub use score::{Calibration, Compared, LabelKind, LabelProbability, Score, Scores, score};
pub use simulate::{InterviewScores, Simulated, SimulatedCase, score_interviews, simulate};

/// Why an evaluation could not be run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A line is not a labelled case: it is not the JSON of one, a published case lacks a
    /// quote, or a label is not one the knowledge base knows.
    #[error("{at}: {message}")]
    Invalid {
        /// Where: `file:line`, or the case's name once it has one.
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A line's case breaks the contract.
    #[error("{at}: invalid case: {error}")]
    Case {
        /// Where: `file:line`.
        at: String,
        /// The contract's error, with the JSON path and any suggested ids.
        error: ContractError,
    },
    /// A simulated interview could not go on.
    #[error("simulating {case}")]
    Simulation {
        /// The case's name.
        case: String,
        /// Why the session stopped.
        #[source]
        source: InterviewError,
    },
}

impl EvalError {
    fn invalid(at: impl Into<String>, message: impl Into<String>) -> EvalError {
        EvalError::Invalid {
            at: at.into(),
            message: message.into(),
        }
    }
}
