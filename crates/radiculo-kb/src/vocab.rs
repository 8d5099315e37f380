//! The finding vocabulary: every finding id, its shape (a region symptom or a single finding),
//! its texts, and fast sets of findings.

use std::collections::HashMap;

/// Index of a finding in the [`Vocabulary`]; stable for one loaded knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(pub u16);

impl FindingId {
    /// The index as a `usize`, for slices.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The maximum number of findings a knowledge base may define (the width of [`FindingSet`]).
pub const MAX_FINDINGS: usize = 256;

/// A set of findings as a fixed bitset: cheap to copy, intersect and test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FindingSet([u64; MAX_FINDINGS / 64]);

impl FindingSet {
    /// The empty set.
    pub const EMPTY: FindingSet = FindingSet([0; MAX_FINDINGS / 64]);

    /// Adds a finding.
    pub fn insert(&mut self, id: FindingId) {
        self.0[id.index() / 64] |= 1 << (id.index() % 64);
    }

    /// Removes a finding.
    pub fn remove(&mut self, id: FindingId) {
        self.0[id.index() / 64] &= !(1 << (id.index() % 64));
    }

    /// Whether the set holds the finding.
    pub fn contains(&self, id: FindingId) -> bool {
        self.0[id.index() / 64] & (1 << (id.index() % 64)) != 0
    }

    /// The findings in both sets.
    pub fn and(&self, other: &FindingSet) -> FindingSet {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a &= b;
        }
        out
    }

    /// The findings in either set.
    pub fn or(&self, other: &FindingSet) -> FindingSet {
        let mut out = *self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Whether the two sets share a finding.
    pub fn intersects(&self, other: &FindingSet) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }

    /// The findings in the set, in vocabulary order.
    pub fn iter(&self) -> impl Iterator<Item = FindingId> + '_ {
        self.0.iter().enumerate().flat_map(|(w, bits)| {
            let mut bits = *bits;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let b = bits.trailing_zeros();
                bits &= bits - 1;
                Some(FindingId((w * 64) as u16 + b as u16))
            })
        })
    }
}

/// The side of a lateralised finding. Sides are the person's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The person's left.
    Left,
    /// The person's right.
    Right,
}

impl Side {
    /// Both sides, left first.
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    /// The contract's name of the side.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    /// 0 for left, 1 for right.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The kinds of region symptom, in the order of the model's emission table.
pub const SYMPTOM_KINDS: [&str; 3] = ["pain", "numbness", "tingling"];

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Where symptoms are felt.
    Symptom,
    /// What the person reports about the story.
    History,
    /// What an examination finds.
    Exam,
    /// A warning sign of serious disease.
    RedFlag,
    /// Something that only changes the advice (medicine cautions).
    Modifier,
}

impl Category {
    pub(crate) fn parse(s: &str) -> Option<Category> {
        Some(match s {
            "symptom" => Category::Symptom,
            "history" => Category::History,
            "exam" => Category::Exam,
            "red_flag" => Category::RedFlag,
            "modifier" => Category::Modifier,
            _ => return None,
        })
    }

    /// The knowledge base's name of the category.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Symptom => "symptom",
            Category::History => "history",
            Category::Exam => "exam",
            Category::RedFlag => "red_flag",
            Category::Modifier => "modifier",
        }
    }
}

/// How a finding id is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `KIND.REGION.SIDE`: pain, numbness or tingling in a body-map region.
    Region {
        /// Index into [`Vocabulary::regions`].
        region: u8,
        /// Index into [`SYMPTOM_KINDS`].
        kind: u8,
        /// The side.
        side: Side,
    },
    /// Any other finding: a family (`slr`, `fever`) with a side when it is lateral.
    Single {
        /// Index into [`Vocabulary::families`].
        family: u16,
        /// The side, for lateral families.
        side: Option<Side>,
    },
}

impl Shape {
    /// The finding's side, if it has one.
    pub fn side(&self) -> Option<Side> {
        match *self {
            Shape::Region { side, .. } => Some(side),
            Shape::Single { side, .. } => side,
        }
    }
}

/// One finding with its texts resolved (sides and regions filled in).
#[derive(Debug, Clone)]
pub struct FindingDef {
    /// The contract id, e.g. `pain.lateral_leg.left`.
    pub id: String,
    /// How the id is built.
    pub shape: Shape,
    /// What it is about.
    pub category: Category,
    /// Whether only an examiner can establish it.
    pub examiner: bool,
    /// A statement for the person ("Pain in your left shin").
    pub patient: String,
    /// A statement for clinicians.
    pub clinician: String,
    /// A yes/no question for the person; `None` for examiner-only findings.
    pub question_patient: Option<String>,
    /// A question or exam prompt for clinicians.
    pub question_clinician: String,
}

/// A body-map region.
#[derive(Debug, Clone)]
pub struct RegionDef {
    /// The contract name (`lateral_leg`).
    pub id: String,
    /// The name a person understands.
    pub patient: String,
    /// The anatomical name.
    pub clinician: String,
    /// Where exactly, in plain words.
    pub describe: String,
}

/// A finding family: a single finding, or a lateral one before its side is added.
#[derive(Debug, Clone)]
pub struct FamilyDef {
    /// The family id (`slr`, `weakness.hip_flexion`, `fever`).
    pub id: String,
    /// Whether the family has a left and a right finding.
    pub lateral: bool,
    /// The findings of the family: one, or left then right.
    pub findings: Vec<FindingId>,
}

/// Every finding the knowledge base knows, in a fixed order.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// All findings; a [`FindingId`] indexes this.
    pub findings: Vec<FindingDef>,
    /// Body-map regions.
    pub regions: Vec<RegionDef>,
    /// Finding families.
    pub families: Vec<FamilyDef>,
    index: HashMap<String, FindingId>,
    sides: [FindingSet; 2],
}

impl Vocabulary {
    pub(crate) fn new(
        findings: Vec<FindingDef>,
        regions: Vec<RegionDef>,
        families: Vec<FamilyDef>,
    ) -> Vocabulary {
        let index = findings
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.clone(), FindingId(i as u16)))
            .collect();
        let mut sides = [FindingSet::EMPTY; 2];
        for (i, f) in findings.iter().enumerate() {
            if let Some(side) = f.shape.side() {
                sides[side.index()].insert(FindingId(i as u16));
            }
        }
        Vocabulary {
            findings,
            regions,
            families,
            index,
            sides,
        }
    }

    /// Looks up a finding id.
    pub fn get(&self, id: &str) -> Option<FindingId> {
        self.index.get(id).copied()
    }

    /// The definition of a finding.
    pub fn def(&self, id: FindingId) -> &FindingDef {
        &self.findings[id.index()]
    }

    /// Every finding on one side.
    pub fn side_set(&self, side: Side) -> &FindingSet {
        &self.sides[side.index()]
    }

    /// The findings whose id matches a pattern, where `*` matches any run of characters.
    pub fn matching(&self, pattern: &str) -> FindingSet {
        let mut set = FindingSet::EMPTY;
        for (i, f) in self.findings.iter().enumerate() {
            if glob(pattern, &f.id) {
                set.insert(FindingId(i as u16));
            }
        }
        set
    }

    /// Known ids closest to an unknown one, best first, for error messages. An id whose
    /// first part names a kind of finding (`slr.middle`) is offered ids of that kind first
    /// (`slr.left`), and only those, however close another id's letters are (`smoker`).
    pub fn suggest(&self, unknown: &str, n: usize) -> Vec<&str> {
        let kind = unknown.split('.').next().unwrap_or(unknown);
        let of_kind = |id: &str| id.split('.').next() == Some(kind);
        let known_kind = unknown.contains('.') && self.findings.iter().any(|f| of_kind(&f.id));
        let mut scored: Vec<(usize, &str)> = self
            .findings
            .iter()
            .map(|f| {
                // `slr` is closest to `slr.left` and `slr.right`, however short it is.
                let extends = f.id.len() > unknown.len()
                    && f.id.starts_with(unknown)
                    && f.id.as_bytes()[unknown.len()] == b'.';
                let score = if extends {
                    0
                } else {
                    let other_kind = known_kind && !of_kind(&f.id);
                    1 + edit_distance(unknown, &f.id) + if other_kind { 1_000 } else { 0 }
                };
                (score, f.id.as_str())
            })
            .collect();
        scored.sort();
        (scored.into_iter())
            .filter(|&(score, _)| score < 1_000)
            .take(n)
            .map(|(_, id)| id)
            .collect()
    }
}

/// `*` matches any run of characters (including dots); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The word of `known` closest to `unknown`, when it is close enough to be a slip (at most a
/// third of its letters changed, and at least two allowed), for "did you mean" messages.
pub fn closest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let allowed = (unknown.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .filter(|(d, _)| *d <= allowed)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_runs() {
        assert!(glob("pain.*", "pain.low_back"));
        assert!(glob("pain.*", "pain.calf.left"));
        assert!(glob("*.left", "slr.left"));
        assert!(glob("weakness.*.left", "weakness.hip_flexion.left"));
        assert!(!glob("weakness.*.left", "weakness.hip_flexion.right"));
        assert!(glob("fever", "fever"));
        assert!(!glob("fever", "fevers"));
        assert!(!glob("pain.*", "numbness.saddle"));
    }

    #[test]
    fn a_slip_is_matched_and_a_different_word_is_not() {
        let fields = ["age", "sex", "evidence", "symptom_duration_days"];
        assert_eq!(closest("evidense", &fields), Some("evidence"));
        assert_eq!(
            closest("symptom_duration", &fields),
            Some("symptom_duration_days")
        );
        assert_eq!(closest("duration", &fields), None);
        assert_eq!(closest("gender", &fields), None);
        assert_eq!(closest("ages", &fields), Some("age"));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("slr.lef", "slr.left"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
