//! The CapabilityStatement: what radiculo's FHIR endpoint does, and nothing it does not.

use radiculo_kb::Kb;

use crate::types::{CapabilityStatement, Interaction, Rest, RestResource, Software};
use crate::{FHIR_VERSION, PUBLISHER};

/// The server's CapabilityStatement. `date` is when the server started (the statement
/// changes with the binary and its knowledge base, which are fixed while it runs).
pub fn capability_statement(kb: &Kb, date: &str) -> CapabilityStatement {
    let read = |kind: &'static str| RestResource {
        kind,
        interaction: vec![Interaction { code: "read" }],
        operation: Vec::new(),
    };
    CapabilityStatement {
        resource_type: "CapabilityStatement",
        status: "active",
        date: date.to_string(),
        publisher: PUBLISHER.to_string(),
        description: format!(
            "radiculo {}, knowledge base {}: decision support for back-related leg pain. {}",
            env!("CARGO_PKG_VERSION"),
            kb.version,
            kb.disclaimer
        ),
        kind: "instance",
        software: Software {
            name: "radiculo".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        fhir_version: FHIR_VERSION,
        format: vec!["json"],
        rest: vec![Rest {
            mode: "server",
            documentation: "radiculo's definitions (the intake Questionnaire, its code systems and value sets), read by id.".to_string(),
            resource: vec![read("Questionnaire"), read("CodeSystem"), read("ValueSet")],
        }],
    }
}
