//! The ids that contract v1.1 (`case-format.md`, v1 and its "Version 1.1 additions") promises.
//! The knowledge base may define more, never fewer; `kb lint` checks that every one of these is
//! covered.

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

/// Lateral finding families (each has `.left` and `.right`): v1's examination table, then
/// v1.1's.
pub const LATERAL_FAMILIES: [&str; 24] = [
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
    // v1.1
    "weakness.ankle_inversion",
    "fibular_head_tinel",
    "hyperreflexia",
    "babinski",
    "ankle_clonus",
    "leg_cold_pale_sudden",
];

/// Findings without a side: the two side-less region ids, history, red flags, modifiers; then
/// v1.1's.
pub const SINGLE_FINDINGS: [&str; 45] = [
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
    // v1.1
    "pulsatile_abdominal_mass",
    "anal_tone_reduced",
    "post_void_residual_high",
    "gait_unsteady",
    "hand_clumsiness_numbness",
    "known_aortic_aneurysm",
    "morning_stiffness_prolonged",
    "improves_with_exercise",
    "fibular_compression_risk",
];

/// Every finding id the contract promises, written out: each symptom kind in each region on
/// each side, each lateral family on each side, then the single findings.
pub fn finding_ids() -> Vec<String> {
    let sides = ["left", "right"];
    let symptoms = crate::vocab::SYMPTOM_KINDS.iter().flat_map(|kind| {
        REGIONS
            .iter()
            .flat_map(move |region| sides.map(|side| format!("{kind}.{region}.{side}")))
    });
    let lateral = LATERAL_FAMILIES
        .iter()
        .flat_map(move |family| sides.map(|side| format!("{family}.{side}")));
    symptoms
        .chain(lateral)
        .chain(SINGLE_FINDINGS.iter().map(|id| (*id).to_owned()))
        .collect()
}

/// The findings of the red-flag screen (v1.1): self-care needs every one answered `absent`.
pub const SCREEN: [&str; 9] = [
    "urinary_retention",
    "urinary_incontinence",
    "bowel_incontinence",
    "numbness.saddle",
    "sexual_dysfunction_new",
    "weakness_progressive",
    "history_of_cancer",
    "fever",
    "trauma_significant",
];

/// Findings that must raise a red flag on their own: the contract's "Red flags and serious
/// pathology" table plus `numbness.saddle`, and the findings of v1.1's new safety rules.
pub const RED_FLAG_FINDINGS: [&str; 25] = [
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
    // v1.1
    "anal_tone_reduced",
    "post_void_residual_high",
    "leg_cold_pale_sudden.left",
    "leg_cold_pale_sudden.right",
    "pulsatile_abdominal_mass",
    "known_aortic_aneurysm",
    "babinski.left",
    "babinski.right",
    "ankle_clonus.left",
    "ankle_clonus.right",
    "gait_unsteady",
];

/// Condition ids every assessment reports (v1, then v1.1).
pub const CONDITIONS: [&str; 14] = [
    "disc_herniation",
    "lumbar_spinal_stenosis",
    "cauda_equina_syndrome",
    "nonspecific_low_back_pain",
    "hip_osteoarthritis",
    "greater_trochanteric_pain_syndrome",
    "vascular_claudication",
    "peripheral_neuropathy",
    "serious_spinal_pathology",
    // v1.1
    "common_peroneal_neuropathy",
    "abdominal_aortic_aneurysm",
    "acute_limb_ischaemia",
    "axial_spondyloarthritis",
    "myelopathy",
];

/// The five cauda equina findings of contract v1, and v1.1's two examination findings: any one
/// present is an emergency.
pub const CAUDA_EQUINA_FINDINGS: [&str; 7] = [
    "urinary_retention",
    "urinary_incontinence",
    "bowel_incontinence",
    "numbness.saddle",
    "sexual_dysfunction_new",
    "anal_tone_reduced",
    "post_void_residual_high",
];

/// The medicine cautions: an anti-inflammatory is recommended only when all are answered.
pub const MEDICINE_CAUTIONS: [&str; 6] = [
    "stomach_ulcer_history",
    "kidney_disease",
    "anticoagulants",
    "pregnancy",
    "heart_disease",
    "asthma",
];

/// Roots every assessment reports, on each side.
pub const ROOTS: [&str; 5] = ["L2", "L3", "L4", "L5", "S1"];
