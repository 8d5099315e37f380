//! The ids that contract v1 (`case-format.md`) promises. The knowledge base may define more,
//! never fewer; `kb lint` checks that every one of these is covered.

/// Body-map regions, in the contract's order.
pub const REGIONS: [&str; 16] = [
    "buttock",
    "groin",
    "anterior_thigh",
    "medial_thigh",
    "lateral_thigh",
    "posterior_thigh",
    "knee",
    "medial_leg",
    "lateral_leg",
    "calf",
    "medial_foot",
    "dorsum_foot",
    "great_toe",
    "lateral_foot",
    "sole",
    "heel",
];

/// Lateral finding families of the examination table (each has `.left` and `.right`).
pub const LATERAL_FAMILIES: [&str; 18] = [
    "weakness.hip_flexion",
    "weakness.knee_extension",
    "weakness.ankle_dorsiflexion",
    "weakness.great_toe_extension",
    "weakness.hip_abduction",
    "weakness.ankle_eversion",
    "weakness.ankle_plantarflexion",
    "weakness.knee_flexion",
    "foot_drop",
    "reflex_reduced.knee",
    "reflex_reduced.ankle",
    "reflex_reduced.medial_hamstring",
    "slr",
    "crossed_slr",
    "femoral_stretch",
    "hip_rotation_pain",
    "trochanter_tender",
    "foot_pulses_absent",
];

/// Findings without a side: the two side-less region ids, history, red flags, modifiers.
pub const SINGLE_FINDINGS: [&str; 36] = [
    "pain.low_back",
    "numbness.saddle",
    "leg_pain_worse_than_back",
    "pain_shooting_electric",
    "cough_sneeze_strain_worse",
    "worse_sitting",
    "symptoms_walking_standing",
    "no_pain_when_seated",
    "better_bending_forward",
    "relief_standing_still",
    "onset_sudden",
    "night_pain_unrelenting",
    "hip_pain_weight_bearing",
    "lateral_hip_pain_lying",
    "stocking_numbness",
    "diabetes",
    "smoker",
    "urinary_retention",
    "urinary_incontinence",
    "bowel_incontinence",
    "sexual_dysfunction_new",
    "weakness_progressive",
    "history_of_cancer",
    "weight_loss_unexplained",
    "fever",
    "immunosuppressed",
    "iv_drug_use",
    "trauma_significant",
    "osteoporosis",
    "steroid_use_prolonged",
    "stomach_ulcer_history",
    "kidney_disease",
    "anticoagulants",
    "pregnancy",
    "heart_disease",
    "asthma",
];

/// The contract's "Red flags and serious pathology" table plus `numbness.saddle`.
pub const RED_FLAG_FINDINGS: [&str; 14] = [
    "urinary_retention",
    "urinary_incontinence",
    "bowel_incontinence",
    "numbness.saddle",
    "sexual_dysfunction_new",
    "weakness_progressive",
    "history_of_cancer",
    "weight_loss_unexplained",
    "fever",
    "immunosuppressed",
    "iv_drug_use",
    "trauma_significant",
    "osteoporosis",
    "steroid_use_prolonged",
];

/// Condition ids every assessment reports.
pub const CONDITIONS: [&str; 9] = [
    "disc_herniation",
    "lumbar_spinal_stenosis",
    "cauda_equina_syndrome",
    "nonspecific_low_back_pain",
    "hip_osteoarthritis",
    "greater_trochanteric_pain_syndrome",
    "vascular_claudication",
    "peripheral_neuropathy",
    "serious_spinal_pathology",
];

/// Roots every assessment reports, on each side.
pub const ROOTS: [&str; 5] = ["L2", "L3", "L4", "L5", "S1"];
