//! The assessment written straight to JSON bytes, in either form: the full contract form (the
//! same bytes as `serde_json` writes for [`crate::AssessmentJson`]) or the compact form.
//!
//! Why a hand-written writer: a full assessment is about 25 KB, mostly knowledge-base sentences,
//! and going through serde's data model cost more than the assessment itself (per-field calls,
//! a byte-at-a-time escape loop, a `Vec` per list). Here each list is walked once, straight from
//! the engine's assessment into one reused buffer, and a string that needs no escaping (every
//! knowledge-base text so far) is found so by a vector scan and copied whole. For bulk runs,
//! [`JsonWriter`] goes further: every knowledge-base part of the output (a plan item is one
//! constant object) is written once, when it is built, and afterwards only copied.

use std::borrow::Borrow;

use radiculo_engine::{Assessment, Case, Engine, ExplanationTarget, FindingWeight, QuestionKind};
use radiculo_kb::{AdviceDef, ConditionDef, FindingId, Kb, Mechanism, RedFlagDef, Side};

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

/// Appends the assessment of `case` as one line-free JSON object to `out`. For many
/// assessments, [`JsonWriter`] writes the same bytes faster.
pub fn write_json(engine: &Engine, case: &Case, a: &Assessment<'_>, form: Form, out: &mut Vec<u8>) {
    write(engine, None, case, a, form, out);
}

/// Writes assessments of one engine with its knowledge-base texts already written as JSON: the
/// same bytes as [`write_json`], for bulk runs and servers (building one costs about as much
/// as writing a few assessments).
///
/// `E` is how the writer holds its engine: `&Engine` for a run that borrows it, `Arc<Engine>`
/// for state shared across a server's requests.
#[derive(Debug)]
pub struct JsonWriter<E> {
    engine: E,
    texts: Texts,
}

impl<E: Borrow<Engine>> JsonWriter<E> {
    /// Writes every knowledge-base part of the output once, in both forms.
    pub fn new(engine: E) -> JsonWriter<E> {
        let texts = Texts::new(engine.borrow());
        JsonWriter { engine, texts }
    }

    /// The engine whose texts this writer holds.
    pub fn engine(&self) -> &Engine {
        self.engine.borrow()
    }

    /// Appends the assessment of `case` as one line-free JSON object to `out`.
    pub fn write(&self, case: &Case, a: &Assessment<'_>, form: Form, out: &mut Vec<u8>) {
        write(self.engine.borrow(), Some(&self.texts), case, a, form, out);
    }
}

impl Texts {
    /// Every knowledge-base part of `engine`'s output, written once in both forms.
    fn new(engine: &Engine) -> Texts {
        let kb = engine.kb();
        let mut b = TextBuilder {
            buf: Vec::new(),
            engine,
        };
        let findings = (0..kb.vocab.findings.len())
            .map(|i| FindingId(i as u16))
            .collect::<Vec<_>>();
        Texts {
            findings: findings.iter().map(|&f| b.one(|w| w.finding(f))).collect(),
            finding_sources: findings
                .iter()
                .map(|&f| b.one(|w| w.string(engine.finding_source(f))))
                .collect(),
            roots: (0..kb.model.roots.len())
                .map(|r| b.one(|w| w.string(&kb.model.roots[r])))
                .collect(),
            root_targets: (0..kb.model.roots.len())
                .flat_map(|r| Side::BOTH.map(|s| (r, s)))
                .map(|(r, s)| b.one(|w| w.target(&ExplanationTarget::Root(r, s))))
                .collect(),
            condition_targets: (0..kb.model.conditions.len())
                .map(|c| b.one(|w| w.target(&ExplanationTarget::Condition(c))))
                .collect(),
            conditions: kb
                .model
                .conditions
                .iter()
                .map(|c| {
                    [
                        b.both(|w, full| w.condition_head(c, full)),
                        b.both(|w, full| w.condition_tail(c, full)),
                    ]
                })
                .collect(),
            red_flags: kb
                .red_flags
                .iter()
                .map(|f| {
                    [
                        b.both(|w, full| w.red_flag_head(f, full)),
                        b.both(|w, full| w.red_flag_tail(f, full)),
                    ]
                })
                .collect(),
            advice: kb
                .advice
                .iter()
                .map(|p| b.both(|w, full| w.plan_item(p, full)))
                .collect(),
            levels: kb
                .levels
                .iter()
                .map(|l| b.one(|w| w.level_texts(l.level)))
                .collect(),
            likelihood: kb
                .likelihood_words
                .iter()
                .map(|lw| b.one(|w| w.likelihood(lw.at_least)))
                .collect(),
        }
    }
}

/// Writes knowledge-base parts of the output into strings, with the one writer.
struct TextBuilder<'e> {
    buf: Vec<u8>,
    engine: &'e Engine,
}

impl TextBuilder<'_> {
    fn one(&mut self, f: impl Fn(&mut Writer)) -> Box<str> {
        self.buf.clear();
        f(&mut Writer {
            out: &mut self.buf,
            engine: self.engine,
            kb: self.engine.kb(),
            texts: None,
        });
        String::from_utf8_lossy(&self.buf).into()
    }

    /// `[full, compact]`.
    fn both(&mut self, f: impl Fn(&mut Writer, bool)) -> [Box<str>; 2] {
        [self.one(|w| f(w, true)), self.one(|w| f(w, false))]
    }
}

/// Knowledge-base parts of the output as JSON text, by knowledge-base index; `[full, compact]`
/// where the forms differ. Heads end where an assessment's own value (a probability, a list of
/// findings) goes; tails continue after it.
#[derive(Debug)]
struct Texts {
    findings: Vec<Box<str>>,
    finding_sources: Vec<Box<str>>,
    roots: Vec<Box<str>>,
    /// By `2 * root + side`.
    root_targets: Vec<Box<str>>,
    condition_targets: Vec<Box<str>>,
    /// `[head, tail]`.
    conditions: Vec<[[Box<str>; 2]; 2]>,
    /// `[head, tail]`.
    red_flags: Vec<[[Box<str>; 2]; 2]>,
    advice: Vec<[Box<str>; 2]>,
    /// A level's texts as fields of `triage`, by level index.
    levels: Vec<Box<str>>,
    /// `,"likelihood":"word"`, by likelihood word.
    likelihood: Vec<Box<str>>,
}

/// The index of `item` in `items`, if it is one of them (the assessment borrows its
/// definitions from the knowledge base's lists; this finds which one without a search).
fn index_in<T>(items: &[T], item: &T) -> Option<usize> {
    let size = std::mem::size_of::<T>().max(1);
    let i = (std::ptr::from_ref(item) as usize).wrapping_sub(items.as_ptr() as usize) / size;
    items.get(i).filter(|x| std::ptr::eq(*x, item)).map(|_| i)
}

fn write(
    engine: &Engine,
    texts: Option<&Texts>,
    case: &Case,
    a: &Assessment<'_>,
    form: Form,
    out: &mut Vec<u8>,
) {
    let kb = engine.kb();
    let full = form == Form::Full;
    let mut w = Writer {
        out,
        engine,
        kb,
        texts,
    };

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
    if full {
        match texts {
            Some(t) => w.raw(t.levels[a.triage.level.index()].as_bytes()),
            None => w.level_texts(a.triage.level),
        }
    }
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
        let cached = texts.and_then(|t| Some(&t.red_flags[index_in(&kb.red_flags, f.def)?]));
        match cached {
            Some([head, _]) => w.raw(head[usize::from(!full)].as_bytes()),
            None => w.red_flag_head(f.def, full),
        }
        w.findings(&f.findings);
        match cached {
            Some([_, tail]) => w.raw(tail[usize::from(!full)].as_bytes()),
            None => w.red_flag_tail(f.def, full),
        }
    }

    let mech = |m: Mechanism| a.mechanism[m.index()];
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
        let side = r.side.as_str();
        if full {
            w.raw(b"{\"root\":");
            w.root(r.root);
            w.raw(b",\"side\":");
            w.string(side);
            w.raw(b",\"probability\":");
            w.number(r.probability);
            w.likelihood(r.probability);
            w.raw(b"}");
        } else {
            w.raw(b"[");
            w.root(r.root);
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
        let cached =
            texts.and_then(|t| Some(&t.conditions[index_in(&kb.model.conditions, c.def)?]));
        match cached {
            Some([head, _]) => w.raw(head[usize::from(!full)].as_bytes()),
            None => w.condition_head(c.def, full),
        }
        w.number(c.probability);
        match cached {
            Some([_, tail]) => w.raw(tail[usize::from(!full)].as_bytes()),
            None => w.condition_tail(c.def, full),
        }
        if full {
            w.likelihood(c.probability);
            w.raw(b"}");
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
                w.finding_source(wt);
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
        let lists = !p.lists_unanswered.is_empty();
        match texts.and_then(|t| Some(&t.advice[index_in(&kb.advice, *p)?])) {
            // An item that lists unanswered questions ends with the case's own list.
            Some(item) if !(lists && full) => w.raw(item[usize::from(!full)].as_bytes()),
            _ => w.plan_item(p, full),
        }
        if lists && full {
            w.raw(b",\"unanswered\":");
            w.findings(&case.unanswered(&p.lists_unanswered));
            w.raw(b"}");
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
            w.raw(b",\"kind\":");
            w.string(crate::output::question_kind(&q.kind));
            match &q.kind {
                QuestionKind::Group(items) => {
                    w.raw(b",\"items\":");
                    w.findings(items);
                }
                QuestionKind::Number(n) => {
                    w.raw(b",\"min\":");
                    w.raw(n.min.to_string().as_bytes());
                    w.raw(b",\"max\":");
                    w.raw(n.max.to_string().as_bytes());
                    w.raw(b",\"min_label\":");
                    w.string(&n.min_label);
                    w.raw(b",\"max_label\":");
                    w.string(&n.max_label);
                }
                QuestionKind::Finding(_) => {}
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

/// The output buffer, the knowledge base the assessment borrows its names from, and its texts
/// already written, if there are.
struct Writer<'o, 'k> {
    out: &'o mut Vec<u8>,
    engine: &'k Engine,
    kb: &'k Kb,
    texts: Option<&'k Texts>,
}

impl Writer<'_, '_> {
    /// The level's texts as fields of `triage`: `,"headline":…` to `"clinician_instruction":…`.
    fn level_texts(&mut self, level: radiculo_kb::TriageLevel) {
        let l = self.kb.level(level);
        self.raw(b",\"headline\":");
        self.string(&l.headline);
        self.raw(b",\"instruction\":");
        self.string(&l.instruction);
        self.raw(b",\"clinician_headline\":");
        self.string(&l.clinician_headline);
        self.raw(b",\"clinician_instruction\":");
        self.string(&l.clinician_instruction);
    }

    /// `,"likelihood":"word"` for a probability.
    fn likelihood(&mut self, p: f64) {
        let kb = self.kb;
        let cached = self.texts.and_then(|t| {
            let i = kb.likelihood_words.iter().position(|w| p >= w.at_least)?;
            t.likelihood.get(i)
        });
        match cached {
            Some(text) => self.out.extend_from_slice(text.as_bytes()),
            None => {
                self.raw(b",\"likelihood\":");
                self.string(kb.likelihood_word(p));
            }
        }
    }

    /// A red flag up to its findings: `{"id":…,"text":…,"findings":`.
    fn red_flag_head(&mut self, f: &RedFlagDef, full: bool) {
        self.raw(b"{\"id\":");
        self.string(&f.id);
        if full {
            self.raw(b",\"text\":");
            self.string(&f.patient);
        }
        self.raw(b",\"findings\":");
    }

    /// A red flag after its findings.
    fn red_flag_tail(&mut self, f: &RedFlagDef, full: bool) {
        if full {
            self.raw(b",\"clinician_text\":");
            self.string(&f.clinician);
            self.raw(b",\"min_level\":");
            self.string(f.min_level.as_str());
            self.raw(b",\"source\":");
            self.string(&f.source.text);
        }
        self.raw(b"}");
    }

    /// A condition up to its probability.
    fn condition_head(&mut self, c: &ConditionDef, full: bool) {
        if full {
            self.raw(b"{\"id\":");
            self.string(&c.id);
            self.raw(b",\"name\":");
            self.string(&c.name);
            self.raw(b",\"probability\":");
        } else {
            self.raw(b"[");
            self.string(&c.id);
            self.raw(b",");
        }
    }

    /// A condition after its probability.
    fn condition_tail(&mut self, c: &ConditionDef, full: bool) {
        if full {
            self.raw(b",\"icd10\":");
            self.string(&c.icd10);
            if let Some((snomed, _)) = &c.snomed {
                self.raw(b",\"snomed\":");
                self.string(snomed);
            }
            self.raw(b",\"patient_name\":");
            self.string(&c.patient_name);
            self.raw(b",\"mechanism\":");
            self.string(c.mechanism.as_str());
            self.raw(b",\"icd10_display\":");
            self.string(&c.icd10_display);
            // The object is closed after the likelihood word, which depends on the case.
        } else {
            self.raw(b",");
            self.string(&c.icd10);
            self.raw(b"]");
        }
    }

    /// A plan item: the whole object, or only its id.
    fn plan_item(&mut self, p: &AdviceDef, full: bool) {
        if full {
            self.raw(b"{\"id\":");
            self.string(&p.id);
            self.raw(b",\"audience\":");
            self.string(p.audience.as_str());
            self.raw(b",\"text\":");
            self.string(&p.text);
            self.raw(b",\"source\":");
            self.string(&p.source.text);
            self.raw(b",\"topic\":");
            self.string(&p.topic);
            // An item that lists unanswered questions is closed after its list.
            if p.lists_unanswered.is_empty() {
                self.raw(b"}");
            }
        } else {
            self.string(&p.id);
        }
    }

    fn root(&mut self, r: usize) {
        match self.texts {
            Some(t) => self.out.extend_from_slice(t.roots[r].as_bytes()),
            None => {
                let kb = self.kb;
                self.string(&kb.model.roots[r]);
            }
        }
    }

    /// The sources of an explanation weight (the engine's own text for the finding, so the
    /// written one fits unless the engine was changed to give another).
    fn finding_source(&mut self, wt: &FindingWeight<'_>) {
        match self.texts {
            Some(t) if std::ptr::eq(wt.source, self.engine.finding_source(wt.finding)) => {
                self.out
                    .extend_from_slice(t.finding_sources[wt.finding.index()].as_bytes());
            }
            _ => self.string(wt.source),
        }
    }

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
        match self.texts {
            Some(t) => self.out.extend_from_slice(t.findings[f.index()].as_bytes()),
            None => {
                let kb = self.kb;
                self.string(&kb.vocab.def(f).id);
            }
        }
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
        let cached = self.texts.and_then(|texts| match t {
            ExplanationTarget::Root(r, side) => texts.root_targets.get(2 * r + side.index()),
            ExplanationTarget::Condition(c) => texts.condition_targets.get(*c),
            ExplanationTarget::Mechanism(_) => None,
        });
        if let Some(text) = cached {
            self.out.extend_from_slice(text.as_bytes());
            return;
        }
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
