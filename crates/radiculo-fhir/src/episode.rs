//! An episode (one person's assessments over time) as a FHIR `collection` Bundle: the
//! `EpisodeOfCare` first, then each assessment's results Bundle (`bundle`), oldest first, then
//! a `DetectedIssue` per alert of the course.
//!
//! - `collection`, not `searchset`: the Bundle is one episode read whole, not the matches of a
//!   search (a searchset's entries carry `search.mode` and its `total` counts matches), and a
//!   results Bundle is already a collection.
//! - `EpisodeOfCare`: its id is the episode's; `status` is `active`, because an episode has no
//!   end in radiculo (it takes assessments until it is erased) and radiculo cannot know that
//!   care has finished; `period.start` is when it was created, with no `end` for the same
//!   reason; `patient` is a logical reference by the client's opaque subject reference alone
//!   (`identifier.value`, no system, since the namespace is the client's, and no display:
//!   radiculo never holds a name); no `type`, as R4's example codes (home and community care,
//!   post-acute care, diabetes, ...) have none for a course of back-related leg pain.
//! - each assessment: the results Bundle of its stored case assessed again by the engine in
//!   use, as the alerts are (so the Bundles and the alerts agree, under the knowledge-base
//!   version each RiskAssessment and ClinicalImpression names), seeded with the record id so
//!   that a Bundle reads the same each time; its `fullUrl` is its identifier. Its Patient
//!   carries the subject reference as its identifier, and its Observations and
//!   ClinicalImpression name the EpisodeOfCare (`bundle::in_episode`).
//! - each alert: a `DetectedIssue` rather than a `Flag`. A Flag is a standing warning about
//!   the person, shown until withdrawn, with no evidence; an alert is what a decision-support
//!   check found at one point of the course, which is what a DetectedIssue records: `status`
//!   `final`, the alert's kind as `code` text (radiculo has no published code system for the
//!   kinds), the alert's text as `detail`, `identifiedDateTime` the time of the assessment
//!   that raised it, `evidence.detail` that assessment's Bundle, and `implicated` the
//!   EpisodeOfCare: the course that got worse. (DetectedIssue has no element for an episode.)
//!
//! Every `fullUrl` is a `urn:uuid:` (UUID v5) seeded by the episode or record id: the entries
//! are served at no address of their own, and a relative URL is not a `fullUrl`. The Bundle
//! itself has no identifier: it is assembled on each read and grows with the episode.

use std::borrow::Borrow;

use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, Options};

use crate::bundle::{self, Context, Subject};
use crate::types::{
    Bundle, CodeableConcept, DetectedIssue, Entry, EpisodeOfCare, Evidence, Identifier, Period,
    Reference, Resource,
};

/// An episode, as the store holds it.
#[derive(Debug, Clone, Copy)]
pub struct Episode<'a> {
    /// The episode id.
    pub id: &'a str,
    /// The client's opaque reference for the person.
    pub subject: &'a str,
    /// When the episode was created: a FHIR `dateTime`.
    pub created_at: &'a str,
}

/// One assessment of an episode.
#[derive(Debug, Clone, Copy)]
pub struct Assessed<'a> {
    /// The record id: the seed of its Bundle's `urn:uuid:`s.
    pub id: &'a str,
    /// When it was made: a FHIR `instant`.
    pub created_at: &'a str,
    /// Its case.
    pub case: &'a Case,
}

/// An alert of the course.
#[derive(Debug, Clone, Copy)]
pub struct Alert<'a> {
    /// Its kind (`new_red_flag`, `triage_raised`, ...).
    pub kind: &'a str,
    /// What changed, for a clinician.
    pub text: &'a str,
    /// The index of the assessment that raised it.
    pub assessment: usize,
}

/// The Bundle of `episode`: its EpisodeOfCare, the results Bundle of each of its `assessments`
/// (oldest first) and a DetectedIssue per alert of `alerts` (in their order). `timestamp` is
/// when the Bundle is assembled (a FHIR `instant`).
///
/// # Panics
/// When an alert names an assessment that `assessments` does not have.
pub fn bundle<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    episode: &Episode<'_>,
    assessments: &[Assessed<'_>],
    alerts: &[Alert<'_>],
    timestamp: &str,
) -> Bundle {
    let episode_url = bundle::urn(episode.id, "episode-of-care");
    let patient = || {
        Reference::by_identifier(
            "Patient",
            Identifier {
                system: None,
                value: episode.subject.to_string(),
            },
        )
    };
    let mut entry = vec![Entry {
        full_url: episode_url.clone(),
        resource: Resource::EpisodeOfCare(EpisodeOfCare {
            resource_type: "EpisodeOfCare",
            id: episode.id.to_string(),
            status: "active",
            patient: patient(),
            period: Period {
                start: episode.created_at.to_string(),
                end: None,
            },
        }),
    }];
    let engine = writer.engine();
    for assessed in assessments {
        let assessment = engine.assess(assessed.case, Options::default());
        let context = Context {
            seed: assessed.id,
            timestamp: assessed.created_at,
            subject: Subject::Identified(episode.subject),
            response: None,
        };
        let results =
            bundle::in_episode(writer, assessed.case, &assessment, &context, &episode_url);
        entry.push(Entry {
            full_url: bundle::bundle_urn(assessed.id),
            resource: Resource::Bundle(Box::new(results)),
        });
    }
    for (i, alert) in alerts.iter().enumerate() {
        let raised_by = &assessments[alert.assessment];
        entry.push(Entry {
            full_url: bundle::urn(episode.id, &format!("alert/{i}")),
            resource: Resource::DetectedIssue(DetectedIssue {
                resource_type: "DetectedIssue",
                status: "final",
                code: CodeableConcept::text(alert.kind),
                patient: patient(),
                identified_date_time: raised_by.created_at.to_string(),
                implicated: vec![Reference::to(&episode_url)],
                evidence: vec![Evidence {
                    detail: vec![Reference::to(&bundle::bundle_urn(raised_by.id))],
                }],
                detail: alert.text.to_string(),
            }),
        });
    }
    Bundle {
        resource_type: "Bundle",
        identifier: None,
        kind: "collection",
        timestamp: timestamp.to_string(),
        entry,
    }
}
