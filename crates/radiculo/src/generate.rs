//! `radiculo generate`: random contract cases, one a line, for load and scale runs.
//!
//! The cases are what an outside caller could send, not what a person would report: the
//! answered ids are drawn uniformly from the finding vocabulary (the ids `radiculo findings`
//! lists), each present or absent with even odds, so they reach every table row and every
//! rule in any combination. The generator is a SplitMix64 stream written out here, so that a
//! seed gives the same file on every machine and with every version of every crate.

use std::io::Write;

use clap::Args;
use radiculo_contract::MAX_DURATION_DAYS;
use radiculo_engine::{Engine, MAX_AGE, MIN_AGE};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many cases.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// The seed: the same seed gives the same cases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The fewest answered findings in a case.
    #[arg(long, default_value_t = 3)]
    min_answers: usize,
    /// The most answered findings in a case (at most the vocabulary's size).
    #[arg(long, default_value_t = 30)]
    max_answers: usize,
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): tiny, fast and fully specified.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (the bias of a 64-bit modulus is far below anything measured).
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

pub fn run(engine: &Engine, args: &GenerateArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let ids: Vec<&str> = engine
        .kb()
        .vocab
        .findings
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    if args.min_answers > args.max_answers || args.max_answers > ids.len() {
        return Err(crate::InvalidInput(format!(
            "--min-answers {} and --max-answers {}: need min <= max <= {} (the vocabulary's size)",
            args.min_answers,
            args.max_answers,
            ids.len()
        ))
        .into());
    }
    let mut rng = SplitMix64(args.seed);
    let mut order: Vec<usize> = (0..ids.len()).collect();
    let mut line = String::with_capacity(4096);
    for n in 0..args.count {
        let age = rng.between(MIN_AGE.into(), MAX_AGE.into());
        line.clear();
        line.push_str(&format!(
            "{{\"id\": \"gen-{}-{n}\", \"age\": {age}",
            args.seed
        ));
        match rng.between(0, 3) {
            0 => {}
            k => line.push_str(
                [
                    ", \"sex\": \"female\"",
                    ", \"sex\": \"male\"",
                    ", \"sex\": \"other\"",
                ][k as usize - 1],
            ),
        }
        // Most callers know the duration; the rest of the range is as valid as the first year.
        if rng.between(0, 4) > 0 {
            let days = if rng.between(0, 9) > 0 {
                rng.between(0, 365)
            } else {
                rng.between(0, MAX_DURATION_DAYS)
            };
            line.push_str(&format!(", \"symptom_duration_days\": {days}"));
        }
        if rng.between(0, 2) == 0 {
            line.push_str(&format!(", \"pain_score\": {}", rng.between(0, 10)));
        }
        // Half in clinician mode, whose next question weighs the examination findings too.
        if rng.next() & 1 == 0 {
            line.push_str(", \"mode\": \"clinician\"");
        }
        let answers = rng.between(args.min_answers as u64, args.max_answers as u64) as usize;
        // A partial Fisher-Yates shuffle: the first `answers` of `order` are a uniform sample.
        for i in 0..answers {
            let j = rng.between(i as u64, (ids.len() - 1) as u64) as usize;
            order.swap(i, j);
        }
        line.push_str(", \"evidence\": [");
        for (k, &i) in order[..answers].iter().enumerate() {
            let state = if rng.next() & 1 == 0 {
                "present"
            } else {
                "absent"
            };
            if k > 0 {
                line.push_str(", ");
            }
            line.push_str(&format!(
                "{{\"id\": \"{}\", \"state\": \"{state}\"}}",
                ids[i]
            ));
        }
        line.push_str("]}\n");
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
