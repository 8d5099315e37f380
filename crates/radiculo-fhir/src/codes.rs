//! radiculo's own code systems and their value sets, generated from the knowledge base: the
//! findings (and the case's number fields), the conditions, the triage levels, the red flags
//! and the nerve roots by side. Standard codes are used beside them only where the knowledge
//! base verified them (ICD-10-CM for every condition; SNOMED CT where a condition has a source
//! for its code).

use radiculo_kb::{FindingId, Kb, Side, TriageLevel};

use crate::CANONICAL;
use crate::types::{
    CodeSystem, Coding, Concept, Definition, ValueSet, ValueSetCompose, ValueSetInclude,
};

/// ICD-10-CM, as FHIR names it.
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// Yes and no (HL7 v2 table 0136), two of the answers of HL7's "expanded yes/no" value set.
pub const YES_NO: &str = "http://terminology.hl7.org/CodeSystem/v2-0136";
/// HL7's null flavours, whose `ASKU` ("asked but unknown") is the third: not sure.
pub const NULL_FLAVOR: &str = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";

/// The case fields that are numbers, coded in the finding code system beside the findings:
/// (code, display).
pub const NUMBER_FIELDS: [(&str, &str); 3] = [
    ("age", "Age in years"),
    ("symptom_duration_days", "Days since the symptoms began"),
    (
        "pain_score",
        "Worst back or leg pain in the last 24 hours, 0 (no pain) to 10 (the worst pain imaginable)",
    ),
];

/// One of radiculo's code systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// Every finding id of the contract, and the case's number fields.
    Finding,
    /// The conditions the assessment reports.
    Condition,
    /// The triage levels.
    TriageLevel,
    /// The red flags.
    RedFlag,
    /// A nerve root on one side (`L5.left`), as the explanation names it.
    NerveRoot,
}

impl System {
    /// Every code system, in the order the server lists them.
    pub const ALL: [System; 5] = [
        System::Finding,
        System::Condition,
        System::TriageLevel,
        System::RedFlag,
        System::NerveRoot,
    ];

    /// The resource id, shared by the code system and its value set.
    pub fn id(self) -> &'static str {
        match self {
            System::Finding => "radiculo-finding",
            System::Condition => "radiculo-condition",
            System::TriageLevel => "radiculo-triage-level",
            System::RedFlag => "radiculo-red-flag",
            System::NerveRoot => "radiculo-nerve-root",
        }
    }

    /// The code system's canonical URL, which codings carry as their `system`.
    pub fn url(self) -> String {
        format!("{CANONICAL}/CodeSystem/{}", self.id())
    }

    /// The value set's canonical URL.
    pub fn value_set_url(self) -> String {
        format!("{CANONICAL}/ValueSet/{}", self.id())
    }

    fn name(self) -> &'static str {
        match self {
            System::Finding => "RadiculoFinding",
            System::Condition => "RadiculoCondition",
            System::TriageLevel => "RadiculoTriageLevel",
            System::RedFlag => "RadiculoRedFlag",
            System::NerveRoot => "RadiculoNerveRoot",
        }
    }

    fn title(self) -> &'static str {
        match self {
            System::Finding => "radiculo findings",
            System::Condition => "radiculo conditions",
            System::TriageLevel => "radiculo triage levels",
            System::RedFlag => "radiculo red flags",
            System::NerveRoot => "radiculo nerve roots by side",
        }
    }

    fn description(self) -> &'static str {
        match self {
            System::Finding => {
                "Every finding a radiculo case may answer (the contract's finding ids), and the case's number fields (age, symptom duration, pain score)."
            }
            System::Condition => {
                "The conditions a radiculo assessment gives a probability for; each is also coded in ICD-10-CM in the assessment."
            }
            System::TriageLevel => {
                "How soon, and where, a person should be seen, least urgent first."
            }
            System::RedFlag => {
                "The warning signs radiculo raises, each with its lowest triage level."
            }
            System::NerveRoot => {
                "A lumbar or sacral nerve root on one side of the body, as the assessment's root probabilities name it."
            }
        }
    }

    /// The code system's concepts, from the knowledge base, in its order.
    pub fn concepts(self, kb: &Kb) -> Vec<Concept> {
        match self {
            System::Finding => (0..kb.vocab.findings.len())
                .map(|i| finding(kb, FindingId(i as u16)))
                .chain(NUMBER_FIELDS.iter().map(|&(code, _)| number_field(code)))
                .collect(),
            System::Condition => (0..kb.model.conditions.len())
                .map(|i| condition(kb, i))
                .collect(),
            System::TriageLevel => TriageLevel::ALL.iter().map(|&l| level(kb, l)).collect(),
            System::RedFlag => (0..kb.red_flags.len()).map(|i| red_flag(kb, i)).collect(),
            System::NerveRoot => (0..kb.model.roots.len())
                .flat_map(|r| Side::BOTH.map(|s| root(kb, r, s)))
                .collect(),
        }
    }

    /// A coding of one of the code system's concepts.
    pub fn coding(self, kb: &Kb, concept: Concept) -> Coding {
        Coding {
            system: self.url(),
            version: Some(kb.version.clone()),
            code: concept.code,
            display: Some(concept.display),
        }
    }

    /// The whole code system.
    pub fn code_system(self, kb: &Kb) -> CodeSystem {
        let concept = self.concepts(kb);
        CodeSystem {
            definition: Definition::new(
                "CodeSystem",
                self.id(),
                &kb.version,
                self.name(),
                self.title(),
                self.description(),
            ),
            case_sensitive: true,
            value_set: self.value_set_url(),
            content: "complete",
            count: concept.len(),
            concept,
        }
    }

    /// The value set of every code of the code system.
    pub fn value_set(self, kb: &Kb) -> ValueSet {
        ValueSet {
            definition: Definition::new(
                "ValueSet",
                self.id(),
                &kb.version,
                self.name(),
                self.title(),
                &format!("Every code of the code system \"{}\".", self.title()),
            ),
            compose: ValueSetCompose {
                include: vec![ValueSetInclude {
                    system: self.url(),
                    version: kb.version.clone(),
                }],
            },
        }
    }
}

/// A finding: its clinician's statement as display, the person's as definition.
pub fn finding(kb: &Kb, f: FindingId) -> Concept {
    let def = kb.vocab.def(f);
    concept(&def.id, &def.clinician, Some(&def.patient))
}

/// A number field of the case (one of [`NUMBER_FIELDS`]).
///
/// # Panics
/// On a code that is not one of them: the callers name them as constants.
pub fn number_field(code: &str) -> Concept {
    let (code, display) = NUMBER_FIELDS
        .iter()
        .find(|(c, _)| *c == code)
        .unwrap_or_else(|| panic!("`{code}` is not a number field"));
    concept(code, display, None)
}

/// A condition, by knowledge-base index.
pub fn condition(kb: &Kb, i: usize) -> Concept {
    let c = &kb.model.conditions[i];
    concept(&c.id, &c.name, Some(&c.patient_name))
}

/// A triage level: its label, and the clinician's headline as definition.
pub fn level(kb: &Kb, l: TriageLevel) -> Concept {
    let def = kb.level(l);
    concept(l.as_str(), &def.label, Some(&def.clinician_headline))
}

/// A red flag, by knowledge-base index.
pub fn red_flag(kb: &Kb, i: usize) -> Concept {
    let f = &kb.red_flags[i];
    concept(&f.id, &f.clinician, Some(&f.patient))
}

/// A root on one side, coded as the explanation's targets name it (`L5.left`).
pub fn root(kb: &Kb, r: usize, side: Side) -> Concept {
    let name = &kb.model.roots[r];
    let code = format!("{name}.{}", side.as_str());
    concept(
        &code,
        &format!("{name} nerve root, {} side", side.as_str()),
        None,
    )
}

fn concept(code: &str, display: &str, definition: Option<&str>) -> Concept {
    Concept {
        code: code.to_string(),
        display: display.to_string(),
        definition: definition.map(str::to_string),
    }
}

/// The answer "yes" to a finding's question.
pub fn yes() -> Coding {
    Coding::new(YES_NO, "Y", "Yes")
}

/// The answer "no".
pub fn no() -> Coding {
    Coding::new(YES_NO, "N", "No")
}

/// The answer "not sure": asked, but the person does not know.
pub fn not_sure() -> Coding {
    Coding::new(NULL_FLAVOR, "ASKU", "Not sure")
}
