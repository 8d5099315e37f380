//! The assessment written straight to JSON bytes, in either form: the full contract form (the
//! same bytes as `serde_json` writes for [`crate::AssessmentJson`]) or the compact form.
//!
//! Why a hand-written writer: a full assessment is about 25 KB, mostly knowledge-base sentences,
//! and going through serde's data model cost more than the assessment itself (per-field calls,
//! a byte-at-a-time escape loop, a `Vec` per list). Here each list is walked once, straight from
//! the engine's assessment into one reused buffer, and a string that needs no escaping (every
//! knowledge-base text so far) is found so by a word-at-a-time scan and copied whole.

use radiculo_engine::{Assessment, Case, Engine, ExplanationTarget, FindingWeight};
use radiculo_kb::{FindingId, Kb, Mechanism};

/// Which form of the assessment to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The full contract assessment with every sentence ([`crate::AssessmentJson`]).
    Full,
    /// Every number, id, code and level of the full form, without its sentences. For bulk
    /// runs (`radiculo batch --compact`); every text is one lookup away by its id (`radiculo
    /// findings`, the knowledge base). `mechanism` is `[radicular, referred, other]`; `roots`
    /// are `[root, side, probability]`; `conditions` `[id, probability, icd10]`;
    /// `explanation` `[finding, target, weight]`; `triage.reasons` `[rule, level, findings]`;
    /// `plan` the advice ids; `next_question` the question's id, left out when there is none.
    Compact,
}

/// Appends the assessment of `case` as one line-free JSON object to `out`.
pub fn write_json(engine: &Engine, case: &Case, a: &Assessment<'_>, form: Form, out: &mut Vec<u8>) {
    let kb = engine.kb();
    let full = form == Form::Full;
    let mut w = Writer { out, kb };

    w.raw(b"{");
    if let Some(id) = &case.id {
        w.raw(b"\"id\":");
        w.string(id);
        w.raw(b",");
    }
    w.raw(b"\"kb_version\":");
    w.string(&kb.version);
    if full {
        w.raw(b",\"disclaimer\":");
        w.string(&kb.disclaimer);
    }

    w.raw(b",\"triage\":{\"level\":");
    w.string(a.triage.level.as_str());
    w.raw(b",\"reasons\":[");
    for (i, r) in a.triage.reasons.iter().enumerate() {
        w.comma(i);
        if full {
            w.raw(b"{\"text\":");
            w.string(r.patient);
            w.raw(b",\"findings\":");
            w.findings(&r.findings);
            w.raw(b",\"level\":");
            w.string(r.level.as_str());
            w.raw(b",\"rule\":");
            w.string(r.id);
            w.raw(b",\"clinician_text\":");
            w.string(r.clinician);
            w.raw(b",\"source\":");
            w.string(r.source);
            w.raw(b"}");
        } else {
            w.raw(b"[");
            w.string(r.id);
            w.raw(b",");
            w.string(r.level.as_str());
            w.raw(b",");
            w.findings(&r.findings);
            w.raw(b"]");
        }
    }

    w.raw(b"]},\"red_flags\":[");
    for (i, f) in a.red_flags.iter().enumerate() {
        w.comma(i);
        w.raw(b"{\"id\":");
        w.string(&f.def.id);
        if full {
            w.raw(b",\"text\":");
            w.string(&f.def.patient);
        }
        w.raw(b",\"findings\":");
        w.findings(&f.findings);
        if full {
            w.raw(b",\"clinician_text\":");
            w.string(&f.def.clinician);
            w.raw(b",\"min_level\":");
            w.string(f.def.min_level.as_str());
            w.raw(b",\"source\":");
            w.string(&f.def.source.text);
        }
        w.raw(b"}");
    }

    let mech = |m: Mechanism| a.mechanism[Mechanism::ALL.iter().position(|x| *x == m).unwrap_or(0)];
    let (radicular, referred, other) = (
        mech(Mechanism::Radicular),
        mech(Mechanism::Referred),
        mech(Mechanism::Other),
    );
    if full {
        w.raw(b"],\"mechanism\":{\"radicular\":");
        w.number(radicular);
        w.raw(b",\"referred\":");
        w.number(referred);
        w.raw(b",\"other\":");
        w.number(other);
        w.raw(b"},\"roots\":[");
    } else {
        w.raw(b"],\"mechanism\":[");
        w.number(radicular);
        w.raw(b",");
        w.number(referred);
        w.raw(b",");
        w.number(other);
        w.raw(b"],\"roots\":[");
    }
    for (i, r) in a.roots.iter().enumerate() {
        w.comma(i);
        let (root, side) = (&kb.model.roots[r.root], r.side.as_str());
        if full {
            w.raw(b"{\"root\":");
            w.string(root);
            w.raw(b",\"side\":");
            w.string(side);
            w.raw(b",\"probability\":");
            w.number(r.probability);
            w.raw(b"}");
        } else {
            w.raw(b"[");
            w.string(root);
            w.raw(b",");
            w.string(side);
            w.raw(b",");
            w.number(r.probability);
            w.raw(b"]");
        }
    }

    w.raw(b"],\"conditions\":[");
    for (i, c) in a.conditions.iter().enumerate() {
        w.comma(i);
        if full {
            w.raw(b"{\"id\":");
            w.string(&c.def.id);
            w.raw(b",\"name\":");
            w.string(&c.def.name);
            w.raw(b",\"probability\":");
            w.number(c.probability);
            w.raw(b",\"icd10\":");
            w.string(&c.def.icd10);
            if let Some((snomed, _)) = &c.def.snomed {
                w.raw(b",\"snomed\":");
                w.string(snomed);
            }
            w.raw(b",\"patient_name\":");
            w.string(&c.def.patient_name);
            w.raw(b",\"mechanism\":");
            w.string(c.def.mechanism.as_str());
            w.raw(b",\"icd10_display\":");
            w.string(&c.def.icd10_display);
            w.raw(b"}");
        } else {
            w.raw(b"[");
            w.string(&c.def.id);
            w.raw(b",");
            w.number(c.probability);
            w.raw(b",");
            w.string(&c.def.icd10);
            w.raw(b"]");
        }
    }

    w.raw(b"],\"explanation\":[");
    let mut first = true;
    // The full form lists each conclusion's weights strongest first; the compact form keeps
    // the engine's order (the chain order, in which they add up).
    let mut order: Vec<&FindingWeight<'_>> = Vec::new();
    for e in &a.explanations {
        order.clear();
        order.extend(&e.weights);
        if full {
            // Stable, so equal weights keep the chain order.
            order.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
        }
        for wt in &order {
            if !first {
                w.raw(b",");
            }
            first = false;
            if full {
                w.raw(b"{\"finding\":");
                w.finding(wt.finding);
                w.raw(b",\"target\":");
                w.target(&e.target);
                w.raw(b",\"weight\":");
                w.number(wt.weight);
                w.raw(b",\"source\":");
                w.string(wt.source);
                w.raw(if wt.present {
                    b",\"state\":\"present\"}"
                } else {
                    b",\"state\":\"absent\"}"
                });
            } else {
                w.raw(b"[");
                w.finding(wt.finding);
                w.raw(b",");
                w.target(&e.target);
                w.raw(b",");
                w.number(wt.weight);
                w.raw(b"]");
            }
        }
    }

    if full {
        w.raw(b"],\"explanation_targets\":[");
        for (i, e) in a.explanations.iter().enumerate() {
            w.comma(i);
            w.raw(b"{\"target\":");
            w.target(&e.target);
            w.raw(b",\"prior_log_odds\":");
            w.number(e.prior_log_odds);
            w.raw(b",\"posterior_log_odds\":");
            w.number(e.posterior_log_odds);
            w.raw(b",\"prior_probability\":");
            w.number(crate::output::sigmoid(e.prior_log_odds));
            w.raw(b",\"posterior_probability\":");
            w.number(crate::output::sigmoid(e.posterior_log_odds));
            w.raw(b"}");
        }
    }

    w.raw(b"],\"plan\":[");
    for (i, p) in a.plan.iter().enumerate() {
        w.comma(i);
        if full {
            w.raw(b"{\"id\":");
            w.string(&p.id);
            w.raw(b",\"audience\":");
            w.string(p.audience.as_str());
            w.raw(b",\"text\":");
            w.string(&p.text);
            w.raw(b",\"source\":");
            w.string(&p.source.text);
            w.raw(b",\"topic\":");
            w.string(&p.topic);
            w.raw(b"}");
        } else {
            w.string(&p.id);
        }
    }
    w.raw(b"]");

    match (&a.next_question, full) {
        (Some(q), true) => {
            w.raw(b",\"next_question\":{\"id\":");
            w.string(q.id);
            w.raw(b",\"text\":");
            w.string(q.text);
            w.raw(b",\"why\":");
            w.string(&q.why);
            if let Some(items) = &q.items {
                w.raw(b",\"items\":");
                w.findings(items);
            }
            w.raw(b"}");
        }
        (None, true) => w.raw(b",\"next_question\":null"),
        (Some(q), false) => {
            w.raw(b",\"next_question\":");
            w.string(q.id);
        }
        (None, false) => {}
    }
    w.raw(b"}");
}

/// The output buffer and the knowledge base the assessment borrows its names from.
struct Writer<'o, 'k> {
    out: &'o mut Vec<u8>,
    kb: &'k Kb,
}

impl Writer<'_, '_> {
    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// A comma before every list element but the first.
    fn comma(&mut self, index: usize) {
        if index > 0 {
            self.out.push(b',');
        }
    }

    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        self.contents(s);
        self.out.push(b'"');
    }

    /// A string's contents, escaped exactly as `serde_json` escapes them.
    fn contents(&mut self, s: &str) {
        if needs_escape(s.as_bytes()) {
            let mut quoted = Vec::with_capacity(s.len() + 8);
            serde::Serialize::serialize(s, &mut serde_json::Serializer::new(&mut quoted))
                .expect("writing to a Vec cannot fail");
            self.out
                .extend_from_slice(&quoted[1..quoted.len().saturating_sub(1)]);
        } else {
            self.out.extend_from_slice(s.as_bytes());
        }
    }

    /// A float as `serde_json` writes an `f64`: the shortest representation that reads back
    /// the same (zmij, which `serde_json` uses), or `null` when it is not finite.
    fn number(&mut self, x: f64) {
        if x.is_finite() {
            self.out
                .extend_from_slice(zmij::Buffer::new().format_finite(x).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
    }

    fn finding(&mut self, f: FindingId) {
        let kb = self.kb;
        self.string(&kb.vocab.def(f).id);
    }

    fn findings(&mut self, fs: &[FindingId]) {
        self.out.push(b'[');
        for (i, f) in fs.iter().enumerate() {
            self.comma(i);
            self.finding(*f);
        }
        self.out.push(b']');
    }

    /// The contract's name of an explanation target (`L5.left`, a condition id, a mechanism).
    fn target(&mut self, t: &ExplanationTarget) {
        let kb = self.kb;
        self.out.push(b'"');
        match t {
            ExplanationTarget::Root(r, side) => {
                self.contents(&kb.model.roots[*r]);
                self.out.push(b'.');
                self.contents(side.as_str());
            }
            ExplanationTarget::Condition(c) => self.contents(&kb.model.conditions[*c].id),
            ExplanationTarget::Mechanism(m) => self.contents(m.as_str()),
        }
        self.out.push(b'"');
    }
}

/// Whether any byte of `s` must be escaped in JSON: a control character, `"` or `\\`.
///
/// A byte-at-a-time loop with a branch per byte was the writer's hottest spot. Long strings are
/// tested in branch-free 32-byte blocks, which the compiler turns into vector compares, the
/// last block overlapping the one before; shorter ones eight bytes at a time in a `u64` (SWAR:
/// `x - 0x0101..` sets a byte's top bit when that byte was below 1, or below 0x20 for
/// `x - 0x2020..`, and `& !x` drops bytes that were 0x80 or above; exact for "is there any").
fn needs_escape(s: &[u8]) -> bool {
    if s.len() >= 32 {
        let special = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
        let block_has = |block: &[u8]| block.iter().fold(false, |any, &b| any | special(b));
        let mut blocks = s.chunks_exact(32);
        if blocks.any(block_has) {
            return true;
        }
        return !blocks.remainder().is_empty() && block_has(&s[s.len() - 32..]);
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word_has = |x: u64| {
        let below_space = x.wrapping_sub(ONES * 0x20) & !x;
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let zero = |y: u64| y.wrapping_sub(ONES) & !y;
        (below_space | zero(quote) | zero(backslash)) & HIGH != 0
    };
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
    if s.len() >= 8 {
        let mut words = s.chunks_exact(8);
        if words.any(|w| word_has(word(w))) {
            return true;
        }
        return !words.remainder().is_empty() && word_has(word(&s[s.len() - 8..]));
    }
    s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::needs_escape;

    #[test]
    fn the_escape_scan_agrees_with_a_byte_at_a_time_check() {
        let slow = |s: &[u8]| s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        let mut samples: Vec<Vec<u8>> = vec![
            b"plain text that is long enough for several words".to_vec(),
            "caf\u{e9} \u{2014} \u{1f600} non-ASCII only"
                .as_bytes()
                .to_vec(),
            Vec::new(),
        ];
        // Every byte value at every position of strings of several lengths (blocks, words, tails),
        // next to ASCII and to high bytes (which must not hide or fake a match).
        for filler in [b'a', 0xC3, 0x80, 0xFF, 0x1F, 0x21] {
            for (len, pos) in [3, 8, 17, 32, 45, 64]
                .into_iter()
                .flat_map(|n| (0..n).map(move |p| (n, p)))
            {
                for b in 0..=255u8 {
                    let mut s = vec![filler; len];
                    s[pos] = b;
                    samples.push(s);
                }
            }
        }
        for s in samples {
            assert_eq!(needs_escape(&s), slow(&s), "{s:?}");
        }
    }
}
