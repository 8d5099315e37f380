// Every string the pages show that does not come from the knowledge base, in one place, so
// that the pages can be translated by translating this file. Texts about findings, questions,
// conditions and advice come from the API (the knowledge base), never from here.
//
// `{name}` placeholders are filled by `t(key, {name: value})`.

export const STRINGS = {
  lang: "en",
  app_name: "radiculo",
  skip_to_content: "Skip to main content",
  nav_label: "Pages",
  nav_patient: "Questionnaire",
  nav_clinician: "Clinician mode",
  footer_offline: "This page runs on this computer's radiculo service. Nothing you enter is sent anywhere else or kept after you close the page.",
  loading: "Loading…",
  error_title: "Something went wrong",
  error_body: "We could not reach the radiculo service. Check that it is still running and try again.",
  error_retry: "Try again",
  error_summary_title: "There is a problem",

  // Welcome.
  welcome_title: "Check your back and leg pain",
  welcome_lead: "Answer some questions about pain, numbness or tingling that travels from your back into your leg. We will tell you how soon to get care, what might be causing it and what you can do yourself.",
  welcome_is_title: "What this is",
  welcome_is: [
    "A guide that uses what you tell us to suggest how urgently you should be seen.",
    "It shows how sure it is. Its answers are likelihoods, not certainties.",
    "It takes about 5 minutes. You can go back and change an answer at any time.",
  ],
  welcome_is_not_title: "What this is not",
  welcome_is_not: [
    "It does not diagnose you and it does not replace a doctor, physiotherapist or nurse.",
    "It cannot examine you. If you are worried, contact a clinician whatever it says.",
  ],
  welcome_emergency_title: "If you think it is an emergency",
  welcome_emergency: "Call your local emergency number now if you cannot pass urine, have lost control of your bladder or bowels, or have numbness between your legs or around your bottom.",
  welcome_privacy: "Your answers stay on this device and this service. Nothing is stored unless you download it.",
  start: "Start now",

  // About you.
  about_title: "About you",
  age_label: "How old are you?",
  age_hint: "In years. This tool is for adults aged 16 and over.",
  age_error: "Enter your age in years, from 16 to 110",
  sex_label: "What is your sex?",
  sex_female: "Female",
  sex_male: "Male",
  sex_other: "Other",
  sex_skip: "I prefer not to say",
  duration_label: "How long have you had this pain? (optional)",
  duration_hint: "Since this episode started.",
  duration_number: "Number",
  duration_unit: "Unit",
  duration_days: "days",
  duration_weeks: "weeks",
  duration_months: "months",
  duration_error: "Enter a whole number, or leave it blank",
  continue: "Continue",
  back: "Back",

  // Body map.
  map_title: "Where do you feel it?",
  map_kind_label: "What are you marking?",
  kind_pain: "Pain",
  kind_numbness: "Numbness",
  kind_tingling: "Pins and needles (tingling)",
  map_how: "Choose what you are marking, then tap each area where you feel it. Tap again to remove it. You can use the Tab key to move between areas and Enter or Space to mark them.",
  map_front: "Front",
  map_back: "Back",
  map_left: "Left",
  map_right: "Right",
  map_sides_note: "Left and right are your own left and right: on the front view your left leg is on the right of the picture.",
  map_legend: "Key",
  map_marked_title: "You have marked",
  map_marked_none: "Nothing yet. If you have no pain, numbness or tingling in these areas, continue.",
  map_region_label: "{region}, {side}",
  map_region_marked: "{name}: {kinds}",
  map_not_for_kind: "{region} can only be marked for pain.",
  map_low_back: "Lower back",
  side_left: "left",
  side_right: "right",
  side_left_leg: "left side",
  side_right_leg: "right side",
  map_figure_label: "Body map of the lower back and both legs, front and back views",

  // Questions.
  question_progress: "Question {n}",
  question_progress_hint: "We ask about warning signs first. We stop as soon as more answers would not change the advice.",
  answer_yes: "Yes",
  answer_no: "No",
  answer_unsure: "Not sure",
  answer_required: "Choose yes, no or not sure",
  group_hint: "Answer yes, no or not sure for each one.",
  group_answer_required: "Answer each question: choose yes, no or not sure",
  why_asked: "Why we ask",
  checking: "Checking your answers…",

  // A number question (the pain score). Its text and the words at each end come from the
  // knowledge base.
  scale_end: "{n}: {label}",
  scale_next: "Next",
  scale_skip: "Not sure / skip",
  scale_required: "Choose a number, or choose Not sure / skip",

  // Emergency at once. What to do and how fast comes from the knowledge base (the triage).
  emergency_show: "Show them this page, or tell them what you told us.",
  emergency_mistake: "I answered by mistake: go back to the question",
  emergency_see_result: "See the full result",

  // Results.
  result_title: "Your result",
  result_for_clinician: "Assessment",
  triage_heading: "What to do",
  triage_reasons: "Why this level",
  red_flags_title: "Warning signs you told us about",
  disclaimer_title: "This is not a diagnosis",
  dermatome_title: "Where the likely nerve root reaches",
  dermatome_intro: "Each nerve root carries feeling from a strip of skin. Shading shows the areas of the nerve root we think is most likely involved; the darker, the more likely. The areas you marked have a thick outline.",
  dermatome_none: "We do not think a nerve root is the most likely cause, so the shading is faint.",
  dermatome_legend_low: "Less likely",
  dermatome_legend_high: "More likely",
  dermatome_legend_marked: "Where you marked",
  dermatome_summary: "Most likely nerve root: {root} on the {side} side, {percent}",
  dermatome_summary_words: "Most likely nerve root: {root} on the {side} side ({likelihood})",
  dermatome_figure_label: "Body map shaded where the {root} nerve root on the {side} side usually reaches",
  roots_title: "Nerve roots",
  causes_title: "What might be causing it",
  causes_intro: "These are likelihoods from your answers, not a diagnosis. A clinician who examines you may find something different.",
  causes_more: "Other possible causes",
  likelihood_show: "Show the number",
  likelihood_show_for: " for {name}",
  likelihood_number: "Estimated probability: {percent}",
  why_title: "Why we think so",
  why_intro: "These answers changed the result the most for: {target}.",
  why_up: "Makes it more likely",
  why_down: "Makes it less likely",
  why_you_said_yes: "You said yes:",
  why_you_said_no: "You said no:",
  why_none: "None of your answers changed this much.",
  plan_title: "What you can do",
  help_title: "When to get help",
  kb_version: "Knowledge base version {version}",
  print_button: "Print or save for your doctor",
  share_button: "Show a summary for your doctor",
  download_button: "Download the result (JSON)",
  restart: "Start again",
  percent: "{n}%",
  probability_bar: "{name}: {percent}",

  // Share with your doctor.
  share_title: "Summary for your doctor",
  share_intro: "This summary was made by radiculo, a decision-support tool. It is not a diagnosis.",
  share_date: "Made on {date}",
  share_findings: "What the person reported",
  share_present: "Yes",
  share_absent: "No",
  share_unknown: "Not sure",
  share_finding: "Finding",
  share_answer: "Answer",
  share_result: "Result",
  share_age: "Age",
  share_sex: "Sex",
  share_duration: "Duration",
  share_duration_days: "{n} days",
  share_not_given: "not given",
  share_pain: "Worst pain, last 24 hours (0-10)",
  share_pain_skipped: "not answered",
  share_told: "The person was told: {headline}",
  share_back: "Back to the result",

  // Clinician page.
  clin_title: "Clinician assessment",
  clin_intro: "Record the history and examination, then assess. Unmarked body-map regions are recorded as absent; everything else left blank is unknown.",
  clin_patient: "Patient",
  clin_map_title: "Distribution of symptoms",
  clin_exam_title: "Examination",
  clin_exam_finding: "Finding",
  clin_exam_left: "Left",
  clin_exam_right: "Right",
  clin_exam_hint: "Each cell: positive, negative or not examined.",
  clin_history_title: "History",
  clin_red_flags_title: "Red flags",
  clin_modifiers_title: "Medicine cautions",
  clin_state_unknown: "Not assessed",
  clin_state_present: "Positive",
  clin_state_absent: "Negative",
  clin_assess: "Assess",
  clin_reset: "Clear the form",
  clin_from_link: "Filled in from the link: the findings recorded for this patient.",
  clin_results_title: "Assessment",
  clin_triage: "Triage",
  clin_red_flags: "Red flags",
  clin_none: "None",
  clin_roots_title: "Root and side probabilities",
  clin_conditions_title: "Condition probabilities",
  clin_mechanism_title: "Pain mechanism",
  clin_explanation_title: "Explanation: findings with a weight of at least 0.1 (log likelihood ratios)",
  clin_explanation_all: "Every weight, including those near zero ({n})",
  clin_targets_title: "Explained conclusions",
  clin_plan_title: "Plan",
  clin_next_title: "Most useful next finding",
  clin_next_none: "No further finding would change the triage or the leading conclusions.",
  col_root: "Root",
  col_side: "Side",
  col_probability: "Probability",
  col_likelihood: "Likelihood",
  col_condition: "Condition",
  col_icd10: "ICD-10-CM",
  col_snomed: "SNOMED CT",
  col_mechanism: "Mechanism",
  col_target: "Conclusion",
  col_finding: "Finding",
  col_state: "State",
  col_weight: "Weight",
  col_source: "Source",
  col_prior: "Prior",
  col_posterior: "Posterior",
  col_audience: "Audience",
  col_topic: "Topic",
  col_advice: "Advice",
  col_level: "Level",
  col_reason: "Reason",
  mechanism_radicular: "Radicular (nerve root)",
  mechanism_referred: "Referred (somatic, from the spine)",
  mechanism_other: "Other (hip, vascular, peripheral nerve)",
  clin_age_label: "Age",
  clin_sex_label: "Sex",
  clin_sex_unknown: "Not recorded",
  clin_duration_label: "Duration (days)",
  clin_pain_label: "Pain score: worst in the last 24 hours (0-10)",
  clin_pain_error: "Enter a whole number from 0 to 10, or leave it blank",
  clin_exam_other_title: "Other examination",

  // Clinician page: an episode's timeline. The alert texts come from the API (the knowledge
  // base's alert rules); only their short names are here.
  tl_title: "Episode timeline",
  tl_intro: "See one person's stored assessments over time: triage level, pain score and the most likely nerve root at each visit, with the alerts of the course. Stored records need an API key.",
  tl_key_label: "API key",
  tl_key_hint: "From your radiculo administrator (radiculo keys create). It stays on this page and is sent only to this radiculo service.",
  tl_key_error: "Enter the API key",
  tl_episode_label: "Episode id",
  tl_episode_error: "Enter the episode id",
  tl_show: "Show timeline",
  tl_loading: "Reading the episode…",
  tl_shown: "Timeline of {n} assessments shown.",
  tl_error_401: "The API key was not accepted. Check that it was copied in full and has not been revoked.",
  tl_error_404: "No episode with this id was found for this API key. Check the id: each key sees only its own organisation's episodes.",
  tl_error_429: "Too many requests just now. Wait a minute and try again.",
  tl_error_503: "The service cannot read stored records just now. Try again in a minute.",
  tl_error_other: "The episode could not be read: {detail}",
  tl_error_network: "The radiculo service could not be reached. Check that it is still running and try again.",
  tl_result_title: "Timeline",
  tl_episode_facts: "Episode for {subject}, started {date}; {n} assessments, {alerts} alerts.",
  tl_empty: "This episode has no assessments yet.",
  tl_chart_caption: "Each column is one assessment, oldest on the left. Triangles mark the assessments that raised alerts. The table below gives the same data.",
  tl_chart_label: "Timeline chart of {n} assessments, oldest first. Triage level: {levels}. Pain score: {pains}. Most likely nerve root: {roots}. Alerts raised at: {alerts}.",
  tl_chart_no_alerts: "none",
  tl_chart_region: "Timeline chart",
  tl_visit: "Visit {n}",
  tl_day: "Day {n}",
  tl_track_alerts: "Alerts",
  tl_track_triage: "Triage level",
  tl_track_pain: "Pain score (0-10)",
  tl_track_root: "Most likely nerve root",
  tl_point_triage: "Visit {n}: {level}",
  tl_point_pain: "Visit {n}: pain {pain} out of 10",
  tl_point_root: "Visit {n}: {root}",
  tl_alert_marker: "Visit {n}, {count} alerts: {texts}",
  tl_root: "{root} {side}",
  tl_root_full: "{root} {side} {percent}",
  tl_not_recorded: "not recorded",
  tl_table_caption: "Assessments and alerts of this episode, oldest first",
  tl_col_visit: "Visit",
  tl_col_date: "Date",
  tl_col_day: "Symptom day",
  tl_col_triage: "Triage level",
  tl_col_pain: "Pain (0-10)",
  tl_col_root: "Most likely nerve root",
  tl_col_alerts: "Alerts",
  tl_alert_kind: "{kind}:",
  tl_alert_new_red_flag: "New red flag",
  tl_alert_triage_raised: "Triage level raised",
  tl_alert_new_deficit: "New neurological deficit",
  tl_alert_not_improving: "Not improving",
  tl_alert_persisting_radicular_pain: "Radicular pain persisting",
};

// `STRINGS[key]` with `{name}` placeholders filled from `vars`.
export function t(key, vars = {}) {
  const text = STRINGS[key];
  if (text === undefined) {
    throw new Error(`no string ${key}`);
  }
  return String(text).replace(/\{(\w+)\}/g, (whole, name) =>
    name in vars ? String(vars[name]) : whole,
  );
}

// A list of strings.
export function list(key) {
  return STRINGS[key];
}

// A probability as a whole percentage ("<1%" below one half).
// The ends are written as "<1%" and ">99%": the model is never certain.
export function percent(p) {
  const n = Math.round(p * 100);
  if (n < 1) return t("percent", { n: "<1" });
  if (n > 99) return t("percent", { n: ">99" });
  return t("percent", { n });
}

// A probability to a tenth of a percent, for the clinician's tables, where 0.2% and 0.9%
// are worth telling apart. The ends are "<0.1%" and ">99.9%".
export function percentFine(p) {
  const n = Math.round(p * 1000) / 10;
  if (n < 0.1) return t("percent", { n: "<0.1" });
  if (n > 99.9) return t("percent", { n: ">99.9" });
  return t("percent", { n: n.toFixed(1) });
}
