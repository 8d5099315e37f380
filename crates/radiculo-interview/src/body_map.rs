//! The body map: the group that opens every interview, asked in steps, one per symptom kind
//! (pain, numbness, pins and needles), each step marking places by region and side.
//!
//! Splitting it into steps is the interview's doing, not the knowledge base's: the group is one
//! question there, and answering every step answers the group.

use radiculo_kb::vocab::SYMPTOM_KINDS;
use radiculo_kb::{FindingId, Kb, Shape, Side};

/// The id of the group asked as the body map.
pub const BODY_MAP: &str = "body_map";

/// The one body-map finding that is not a region: the lower back, marked in the pain step.
const LOW_BACK: &str = "pain.low_back";

/// One step of the body map: the group's findings of one symptom kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyMapStep {
    /// The symptom kind, an index into [`SYMPTOM_KINDS`].
    pub kind: usize,
    /// The group's findings of that kind, in the group's order.
    pub items: Vec<FindingId>,
    /// Whether the lower back is among them: it is asked only with pain, so only this step
    /// may mark it.
    pub low_back: bool,
}

/// What one body-map step marked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyMapMarks {
    /// Marked places: region index (into the vocabulary's regions) and side.
    pub places: Vec<(usize, Side)>,
    /// The lower back (pain step only).
    pub low_back: bool,
    /// Unmarked places are "not sure" rather than absent.
    pub unsure: bool,
}

/// The body-map group's items as steps in symptom-kind order, without the kinds it does not
/// ask.
pub fn body_map_steps(kb: &Kb, items: &[FindingId]) -> Vec<BodyMapStep> {
    SYMPTOM_KINDS
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let items: Vec<FindingId> = items
                .iter()
                .copied()
                .filter(|f| match kb.vocab.def(*f).shape {
                    Shape::Region { kind, .. } => usize::from(kind) == k,
                    Shape::Single { .. } => kb.vocab.def(*f).id.split('.').next() == Some(name),
                })
                .collect();
            let low_back = items.iter().any(|f| kb.vocab.def(*f).id == LOW_BACK);
            BodyMapStep {
                kind: k,
                items,
                low_back,
            }
        })
        .filter(|step| !step.items.is_empty())
        .collect()
}

impl BodyMapStep {
    /// The step's answers: the marked places present, the rest absent (or not sure).
    pub fn answers(&self, kb: &Kb, marks: &BodyMapMarks) -> Vec<(FindingId, Option<bool>)> {
        self.items
            .iter()
            .map(|f| {
                let marked = match kb.vocab.def(*f).shape {
                    Shape::Region { region, side, .. } => {
                        marks.places.contains(&(usize::from(region), side))
                    }
                    Shape::Single { .. } => marks.low_back && kb.vocab.def(*f).id == LOW_BACK,
                };
                let state = if marked {
                    Some(true)
                } else if marks.unsure {
                    None
                } else {
                    Some(false)
                };
                (*f, state)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_map_is_asked_by_symptom_kind_and_marks_become_answers() {
        let kb = radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads");
        let group = kb
            .groups
            .iter()
            .find(|g| g.id == BODY_MAP)
            .expect("a body-map group");
        let steps = body_map_steps(&kb, &group.items);
        let kinds: Vec<usize> = steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [0, 1, 2]);
        assert!(steps[0].low_back && !steps[1].low_back);
        let id = |s: &str| kb.vocab.get(s).expect(s);
        let marks = BodyMapMarks {
            places: vec![(9, Side::Left)],
            low_back: true,
            unsure: false,
        };
        let answers = steps[0].answers(&kb, &marks);
        assert_eq!(answers.len(), steps[0].items.len());
        let of = |f| answers.iter().find(|(g, _)| *g == f).map(|(_, s)| *s);
        assert_eq!(of(id("pain.calf.left")), Some(Some(true)));
        assert_eq!(of(id("pain.low_back")), Some(Some(true)));
        assert_eq!(of(id("pain.calf.right")), Some(Some(false)));
        let unsure = steps[1].answers(
            &kb,
            &BodyMapMarks {
                unsure: true,
                ..BodyMapMarks::default()
            },
        );
        assert!(unsure.iter().all(|(_, s)| s.is_none()));
    }
}
