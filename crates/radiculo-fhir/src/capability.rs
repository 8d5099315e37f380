//! The CapabilityStatement: what radiculo's FHIR endpoint does, and nothing it does not.

use radiculo_kb::Kb;

use crate::adaptive::NEXT_QUESTION_DEFINITION;
use crate::operation::{ASSESS, assess_url};
use crate::types::{CapabilityStatement, Interaction, Operation, Rest, RestResource, Software};
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
            documentation: "radiculo's definitions (the intake Questionnaire, its code systems and value sets, the OperationDefinition of $assess), read by id; $assess turns a completed QuestionnaireResponse into a Bundle of results, and $next-question (SDC adaptive) asks the intake one question at a time. Nothing is stored.".to_string(),
            resource: vec![
                RestResource {
                    operation: vec![Operation {
                        name: "next-question",
                        definition: NEXT_QUESTION_DEFINITION.to_string(),
                    }],
                    ..read("Questionnaire")
                },
                RestResource {
                    kind: "QuestionnaireResponse",
                    interaction: Vec::new(),
                    operation: vec![Operation {
                        name: ASSESS,
                        definition: assess_url(),
                    }],
                },
                read("CodeSystem"),
                read("ValueSet"),
                read("OperationDefinition"),
            ],
        }],
    }
}
