//! An episode's stored assessments as a course for the engine's alert rules: each stored case
//! read again as a case, and how long the symptoms had lasted at each. Shared by the episode
//! routes and by `radiculo episode show`, so that the page, the API and the terminal show the
//! same alerts.

use radiculo_engine::{Case, Engine, Visit};
use radiculo_store::StoredAssessment;

use crate::Error;

/// The course of an episode, oldest first.
#[derive(Debug)]
pub struct Course {
    /// Each assessment's case.
    pub cases: Vec<Case>,
    /// How long the symptoms had lasted at each, in days, where it can be told.
    pub days: Vec<Option<f64>>,
}

impl Course {
    /// The course of `stored` (an episode's assessments, oldest first).
    ///
    /// Each stored case is validated again as a case. It was valid when stored; one that no
    /// longer is means the database was changed behind the service's back, or the vocabulary
    /// lost an id it had (which a knowledge-base release must not do).
    ///
    /// The duration at an assessment is its case's own `symptom_duration_days`; otherwise the
    /// latest earlier assessment's duration plus the days between the two; otherwise unknown.
    pub fn of(engine: &Engine, stored: &[StoredAssessment]) -> Result<Course, Error> {
        let mut cases = Vec::with_capacity(stored.len());
        let mut days = Vec::with_capacity(stored.len());
        let mut last_known: Option<(f64, jiff::Timestamp)> = None;
        for record in stored {
            let case = radiculo_contract::parse_case(engine, &record.case_json).map_err(|e| {
                Error::Internal(format!(
                    "record {} no longer reads as a case: {e}",
                    record.id
                ))
            })?;
            let at: jiff::Timestamp = record.created_at.parse().map_err(|_| {
                Error::Internal(format!("record {} has an unreadable time", record.id))
            })?;
            let known = match case.duration_days {
                Some(given) => Some(f64::from(given)),
                None => last_known.map(|(then, when)| {
                    then + at.duration_since(when).as_secs_f64().max(0.0) / 86_400.0
                }),
            };
            if let Some(known) = known {
                last_known = Some((known, at));
            }
            cases.push(case);
            days.push(known);
        }
        Ok(Course { cases, days })
    }

    /// The course as the engine's alert rules take it.
    pub fn visits(&self) -> Vec<Visit<'_>> {
        self.cases
            .iter()
            .zip(&self.days)
            .map(|(case, &days)| Visit { case, days })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(created_at: &str, case_json: &str) -> StoredAssessment {
        StoredAssessment {
            id: "1b4e28ba-2fa1-41d2-883f-0016d3cca427".to_owned(),
            tenant: "t".to_owned(),
            created_at: created_at.to_owned(),
            kb_version: "kb".to_owned(),
            case_json: case_json.to_owned(),
            assessment_json: "{}".to_owned(),
        }
    }

    fn engine() -> Engine {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    }

    #[test]
    fn durations_are_given_or_carried_forward_by_the_dates() {
        let engine = engine();
        let course = Course::of(
            &engine,
            &[
                stored("2026-12-01T00:00:00Z", r#"{"age": 40, "evidence": []}"#),
                stored(
                    "2026-12-02T00:00:00Z",
                    r#"{"age": 40, "symptom_duration_days": 10, "evidence": []}"#,
                ),
                stored("2026-12-09T12:00:00Z", r#"{"age": 40, "evidence": []}"#),
                stored(
                    "2026-12-10T00:00:00Z",
                    r#"{"age": 40, "symptom_duration_days": 30, "evidence": []}"#,
                ),
            ],
        )
        .unwrap();
        assert_eq!(course.days, [None, Some(10.0), Some(17.5), Some(30.0)]);
        assert_eq!(course.visits().len(), 4);
    }

    #[test]
    fn a_stored_case_that_no_longer_reads_is_an_internal_error() {
        let engine = engine();
        let broken = stored("2026-12-01T00:00:00Z", r#"{"age": 3}"#);
        assert!(matches!(
            Course::of(&engine, &[broken]),
            Err(Error::Internal(_))
        ));
    }
}
