//! Loading and linting. Every problem is a [`Diagnostic`] with a stable code:
//!
//! | code | problem |
//! |---|---|
//! | KB001 | a file does not parse (TOML syntax, wrong type, unknown key) |
//! | KB002 | an id is defined twice |
//! | KB003 | a source is missing or names an unknown source id |
//! | KB004 | a probability, share or factor is out of range |
//! | KB005 | a reference to an unknown finding, family, region, root, condition or lesion |
//! | KB006 | something the contract promises is not covered (an id, a condition, a root, a screen finding) |
//! | KB007 | a finding pattern matches no finding |
//! | KB008 | an unknown enumerated value (category, mechanism, side, level, audience) |
//! | KB009 | a text problem: empty, an unresolved placeholder, a missing question |
//! | KB010 | a table that must exist once is missing or given twice |
//! | KB011 | age factors that leave a gap or overlap between 16 and 110 |
//! | KB012 | a red flag or rule that reads an absence, an unanswered question, the final level or the leading conclusion, or a red flag that reads the model (they must stay monotone) |
//! | KB013 | a model finding with no likelihood, or with two |
//! | KB014 | a red-flag finding of the contract that raises no red flag, or that a person can report but no mandatory group asks |
//! | KB015 | too many findings or roots for the engine's sets (256 findings, 16 roots) |
//! | KB016 | (warning) a source that nothing cites |
//! | KB017 | an alert rule's threshold out of its range, an empty deficit list, or a text without its placeholder or naming a triage level |

use indexmap::IndexMap;

use crate::schema;
use crate::vocab::{
    Category, FamilyDef, FindingDef, FindingId, FindingSet, MAX_FINDINGS, RegionDef, SYMPTOM_KINDS,
    Shape, Side, Vocabulary,
};
use crate::{
    AdviceDef, AgeFactorDef, AlertDef, AlertRules, Audience, ConditionDef, ConditionFindingDef,
    DefaultTriageDef, Diagnostic, GroupDef, HypSide, IfNewDef, Kb, KbError, LesionDef, LevelDef,
    LikelihoodWordDef, MAX_ROOTS, Mechanism, Model, NewDeficitDef, NotImprovingDef,
    NumberQuestionDef, PainClearlyBetterDef, PersistingRadicularPainDef, Predicate,
    PresentationDef, REGION_STATES, RedFlagDef, RootFindingDef, RuleDef, ScreenDef,
    ScreenReasonDef, SourceDef, SourceRef, TriageLevel, TriageLevelDef, WhyDef, contract,
};

/// Loads and validates a knowledge base from `(file name, text)` pairs.
///
/// Errors stop the load; warnings are kept in [`Kb::warnings`].
pub fn load(files: &[(&str, &str)]) -> Result<Kb, KbError> {
    let mut lx = Linter::default();
    let mut parsed = Vec::new();
    for (name, text) in files {
        match toml::from_str::<schema::File>(text) {
            Ok(file) => parsed.push((*name, file)),
            Err(e) => lx.error("KB001", name.to_string(), e.to_string().trim().to_string()),
        }
    }
    let kb = build(&mut lx, parsed);
    match kb {
        Some(mut kb) if lx.errors.is_empty() => {
            kb.warnings = lx.warnings;
            Ok(kb)
        }
        _ => {
            if lx.errors.is_empty() {
                lx.error(
                    "KB010",
                    "kb".into(),
                    "the knowledge base is incomplete".into(),
                );
            }
            Err(KbError {
                errors: lx.errors,
                warnings: lx.warnings,
            })
        }
    }
}

#[derive(Default)]
struct Linter {
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    sources: IndexMap<String, SourceDef>,
    cited: std::collections::HashSet<String>,
}

/// The kinds of source `kb/README.md` names.
const SOURCE_KINDS: [&str; 7] = [
    "systematic_review",
    "cohort",
    "diagnostic_study",
    "guideline",
    "textbook",
    "judgement",
    "label",
];

impl Linter {
    fn error(&mut self, code: &'static str, path: String, message: String) {
        self.errors.push(Diagnostic {
            code,
            path,
            message,
        });
    }

    fn source(&mut self, path: &str, spec: &str) -> SourceRef {
        let ids: Vec<String> = spec.split('+').map(|s| s.trim().to_string()).collect();
        if ids.iter().any(|s| s.is_empty()) {
            self.error(
                "KB003",
                path.into(),
                format!("`{spec}`: an empty source id (stray `+`?)"),
            );
        }
        let ids: Vec<String> = ids.into_iter().filter(|s| !s.is_empty()).collect();
        self.cited.extend(ids.iter().cloned());
        let mut names = Vec::new();
        for id in &ids {
            match self.sources.get(id) {
                Some(s) => names.push(s.short.clone()),
                None => self.error("KB003", path.into(), format!("unknown source `{id}`")),
            }
        }
        SourceRef {
            ids,
            text: names.join("; "),
        }
    }

    fn prob(&mut self, path: &str, p: f64, open: bool) -> f64 {
        let ok = if open {
            p > 0.0 && p < 1.0
        } else {
            (0.0..=1.0).contains(&p)
        };
        if !ok || !p.is_finite() {
            let range = if open { "(0, 1)" } else { "[0, 1]" };
            self.error("KB004", path.into(), format!("{p} is not in {range}"));
        }
        p
    }

    fn text(&mut self, path: &str, text: &str) {
        if text.trim().is_empty() {
            self.error("KB009", path.into(), "empty text".into());
        } else if text.contains('{') || text.contains('}') {
            self.error(
                "KB009",
                path.into(),
                format!("unresolved placeholder in `{text}`"),
            );
        }
    }
}

fn build(lx: &mut Linter, files: Vec<(&str, schema::File)>) -> Option<Kb> {
    // Sources first: everything else cites them.
    for (name, file) in &files {
        for (id, s) in &file.sources {
            let path = format!("{name}: sources.{id}");
            if lx.sources.contains_key(id) {
                lx.error("KB002", path, format!("source `{id}` is defined twice"));
                continue;
            }
            if s.citation.trim().is_empty() {
                lx.error("KB009", path.clone(), "empty citation".into());
            }
            if !SOURCE_KINDS.contains(&s.kind.as_str()) {
                lx.error(
                    "KB008",
                    path.clone(),
                    format!(
                        "unknown source kind `{}`; one of {}",
                        s.kind,
                        SOURCE_KINDS.join(", ")
                    ),
                );
            }
            lx.sources.insert(
                id.clone(),
                SourceDef {
                    short: s.short.clone().unwrap_or_else(|| id.clone()),
                    citation: s.citation.clone(),
                    kind: s.kind.clone(),
                    note: s.note.clone(),
                },
            );
        }
    }

    let mut meta = None;
    let mut regions = IndexMap::new();
    let mut kinds = IndexMap::new();
    let mut findings = Vec::new();
    let mut roots = None;
    let mut region_model = None;
    let mut conditions = IndexMap::new();
    let mut lesions = Vec::new();
    let mut root_findings = Vec::new();
    let mut condition_findings = Vec::new();
    let mut red_flags = Vec::new();
    let mut rules = Vec::new();
    let mut default_triage = None;
    let mut advice = Vec::new();
    let mut groups = Vec::new();
    let mut why = None;
    let mut level_tables: IndexMap<String, (&str, schema::TriageLevel)> = IndexMap::new();
    let mut screen = None;
    let mut pain_score = None;
    let mut duration_model = None;
    let mut likelihood_words = Vec::new();
    let mut presentation = None;
    let mut alerts = None;
    let mut pain_clearly_better = None;
    for (name, file) in files {
        once(
            lx,
            name,
            "alert",
            &mut alerts,
            file.alert.map(|a| (name, a)),
        );
        once(
            lx,
            name,
            "pain_clearly_better",
            &mut pain_clearly_better,
            file.pain_clearly_better.map(|p| (name, p)),
        );
        once(lx, name, "why", &mut why, file.why);
        once(lx, name, "screen", &mut screen, file.screen);
        once(lx, name, "pain_score", &mut pain_score, file.pain_score);
        once(
            lx,
            name,
            "duration_model",
            &mut duration_model,
            file.duration_model,
        );
        likelihood_words.extend(file.likelihood_word.into_iter().map(|w| (name, w)));
        once(
            lx,
            name,
            "presentation",
            &mut presentation,
            file.presentation.map(|p| (name, p)),
        );
        for (id, l) in file.level {
            if level_tables.insert(id.clone(), (name, l)).is_some() {
                lx.error(
                    "KB002",
                    format!("{name}: level.{id}"),
                    "defined twice".into(),
                );
            }
        }
        groups.extend(file.group.into_iter().map(|g| (name, g)));
        once(lx, name, "kb", &mut meta, file.kb);
        once(lx, name, "roots", &mut roots, file.roots);
        once(
            lx,
            name,
            "region_model",
            &mut region_model,
            file.region_model,
        );
        once(
            lx,
            name,
            "default_triage",
            &mut default_triage,
            file.default_triage,
        );
        for (id, r) in file.regions {
            if regions.insert(id.clone(), r).is_some() {
                lx.error(
                    "KB002",
                    format!("{name}: regions.{id}"),
                    "defined twice".into(),
                );
            }
        }
        for (id, k) in file.symptom_kinds {
            if kinds.insert(id.clone(), k).is_some() {
                lx.error(
                    "KB002",
                    format!("{name}: symptom_kinds.{id}"),
                    "defined twice".into(),
                );
            }
        }
        for (id, c) in file.conditions {
            if conditions.insert(id.clone(), c).is_some() {
                lx.error(
                    "KB002",
                    format!("{name}: conditions.{id}"),
                    "defined twice".into(),
                );
            }
        }
        findings.extend(file.finding.into_iter().map(|f| (name, f)));
        lesions.extend(file.lesion.into_iter().map(|l| (name, l)));
        root_findings.extend(file.root_finding.into_iter().map(|f| (name, f)));
        condition_findings.extend(file.condition_finding.into_iter().map(|f| (name, f)));
        red_flags.extend(file.red_flag.into_iter().map(|f| (name, f)));
        rules.extend(file.rule.into_iter().map(|r| (name, r)));
        advice.extend(file.advice.into_iter().map(|a| (name, a)));
    }
    let meta = required(lx, "kb", meta)?;
    let vocab = vocabulary(lx, &regions, &kinds, &findings)?;
    let roots = required(lx, "roots", roots)?;
    let region_model = required(lx, "region_model", region_model)?;
    let duration_model = required(lx, "duration_model", duration_model)?;
    let model = model(
        lx,
        &vocab,
        roots,
        region_model,
        duration_model,
        conditions,
        lesions,
        root_findings,
        condition_findings,
    )?;
    let cx = PredicateContext {
        vocab: &vocab,
        model: &model,
    };
    let red_flags = red_flag_defs(lx, &cx, red_flags);
    let rules = rule_defs(lx, &cx, rules);
    let default_triage = required(lx, "default_triage", default_triage).map(|d| {
        let path = "triage.toml: default_triage".to_string();
        lx.text(&path, &d.patient);
        lx.text(&path, &d.clinician);
        DefaultTriageDef {
            level: level(lx, &path, &d.level),
            patient: d.patient,
            clinician: d.clinician,
            source: lx.source(&path, &d.source),
        }
    })?;
    let levels = level_defs(lx, level_tables)?;
    let mut advice_items = level_advice(&levels);
    advice_items.extend(advice_defs(lx, &cx, advice));
    let advice = advice_items;
    let groups = group_defs(lx, &cx, groups);
    let screen = required(lx, "screen", screen).map(|s| screen_def(lx, &cx, s))?;
    let pain_score = required(lx, "pain_score", pain_score).map(|q| {
        let path = "questions.toml: pain_score";
        for t in [&q.patient, &q.clinician, &q.why, &q.min_label, &q.max_label] {
            lx.text(path, t);
        }
        if q.min >= q.max {
            lx.error("KB004", path.into(), "min must be below max".into());
        }
        monotone(lx, path, &q.when, false);
        NumberQuestionDef {
            when: predicate(lx, &cx, path, &q.when),
            patient: q.patient,
            clinician: q.clinician,
            why: q.why,
            min: q.min,
            max: q.max,
            min_label: q.min_label,
            max_label: q.max_label,
        }
    })?;
    let likelihood_words = likelihood_word_defs(lx, likelihood_words);
    let presentation = required(lx, "presentation", presentation)?;
    let presentation = presentation_def(lx, presentation, &advice);
    let alerts = required(lx, "alert", alerts)?;
    let pain_clearly_better = required(lx, "pain_clearly_better", pain_clearly_better)?;
    let alerts = alert_rules(lx, &cx, &levels, &red_flags, alerts, pain_clearly_better);
    let mut red_flag_findings = FindingSet::EMPTY;
    for f in red_flags.iter().filter(|f| f.when.is_none()) {
        red_flag_findings = red_flag_findings.or(&f.findings);
    }
    let why = required(lx, "why", why).map(|w| {
        for (key, text) in [
            ("triage", &w.triage),
            ("condition", &w.condition),
            ("root", &w.root),
        ] {
            let rest = text.replace("{a}", "").replace("{b}", "");
            lx.text(&format!("questions.toml: why.{key}"), &rest);
        }
        WhyDef {
            triage: w.triage,
            condition: w.condition,
            root: w.root,
        }
    })?;
    for (id, _) in lx.sources.clone() {
        if !lx.cited.contains(&id) {
            lx.warnings.push(Diagnostic {
                code: "KB016",
                path: format!("sources.{id}"),
                message: "defined but never cited".into(),
            });
        }
    }
    Some(Kb {
        version: meta.version,
        title: meta.title,
        population: meta.population,
        disclaimer: meta.disclaimer,
        sources: std::mem::take(&mut lx.sources),
        vocab,
        model,
        red_flags,
        rules,
        default_triage,
        advice,
        groups,
        why,
        levels,
        screen,
        pain_score,
        likelihood_words,
        presentation,
        alerts,
        red_flag_findings,
        warnings: Vec::new(),
    })
}

/// The plan's first items: what to do and how fast, for each audience, taken from the level
/// tables so that every plan says it in the same words as the reports and pages.
fn level_advice(levels: &[TriageLevelDef]) -> Vec<AdviceDef> {
    levels
        .iter()
        .flat_map(|l| {
            let item = |audience: Audience, id: String, text: &str| AdviceDef {
                id,
                audience,
                topic: "urgent_action".into(),
                text: text.to_string(),
                source: l.source.clone(),
                when: Some(Predicate {
                    triage_in: vec![l.level],
                    ..Predicate::default()
                }),
                if_new: None,
                lists_unanswered: FindingSet::EMPTY,
            };
            [
                item(
                    Audience::Patient,
                    format!("level_{}", l.level),
                    &l.instruction,
                ),
                item(
                    Audience::Clinician,
                    format!("level_{}_clinician", l.level),
                    &l.clinician_instruction,
                ),
            ]
        })
        .collect()
}

/// Every triage level's meaning: all five, once each.
fn level_defs(
    lx: &mut Linter,
    tables: IndexMap<String, (&str, schema::TriageLevel)>,
) -> Option<Vec<TriageLevelDef>> {
    for id in tables.keys() {
        if TriageLevel::parse(id).is_none() {
            lx.error(
                "KB008",
                format!("level.{id}"),
                format!("unknown triage level `{id}`"),
            );
        }
    }
    let mut tables = tables;
    let mut out = Vec::new();
    for level in TriageLevel::ALL {
        let Some((file, l)) = tables.shift_remove(level.as_str()) else {
            lx.error(
                "KB010",
                format!("level.{level}"),
                "every triage level needs its texts".into(),
            );
            continue;
        };
        let path = format!("{file}: level.{level}");
        for t in [
            &l.label,
            &l.headline,
            &l.instruction,
            &l.clinician_headline,
            &l.clinician_instruction,
        ] {
            lx.text(&path, t);
        }
        if l.names.is_empty()
            || l.names
                .iter()
                .any(|n| n.trim().is_empty() || n.to_lowercase() != *n)
        {
            lx.error(
                "KB009",
                path.clone(),
                "`names` must list the lower-case phrases that name the level".into(),
            );
        }
        out.push(TriageLevelDef {
            level,
            label: l.label,
            headline: l.headline,
            instruction: l.instruction,
            clinician_headline: l.clinician_headline,
            clinician_instruction: l.clinician_instruction,
            names: l.names,
            source: lx.source(&path, &l.source),
        });
    }
    (out.len() == TriageLevel::ALL.len()).then_some(out)
}

fn screen_def(lx: &mut Linter, cx: &PredicateContext, s: schema::Screen) -> ScreenDef {
    let path = "triage.toml: screen";
    let reason = |lx: &mut Linter, r: schema::ScreenReason| {
        let rpath = format!("{path}.{}", r.id);
        lx.text(&rpath, &r.patient);
        lx.text(&rpath, &r.clinician);
        ScreenReasonDef {
            source: lx.source(&rpath, &r.source),
            id: r.id,
            patient: r.patient,
            clinician: r.clinician,
        }
    };
    let level = level(lx, path, &s.level);
    if level == TriageLevel::SelfCare {
        lx.error(
            "KB004",
            path.into(),
            "the screen's level must be above self_care".into(),
        );
    }
    let findings = patterns(lx, cx, path, &s.findings);
    for id in contract::SCREEN {
        if cx.vocab.get(id).is_none_or(|f| !findings.contains(f)) {
            lx.error(
                "KB006",
                format!("{path}.findings"),
                format!("the contract's screen finding `{id}` is missing"),
            );
        }
    }
    ScreenDef {
        findings,
        self_care_below_age: s.self_care_below_age,
        level,
        open: reason(lx, s.open),
        age: reason(lx, s.age),
    }
}

/// The pages' display choices: thresholds are probabilities (weights are log odds, at least
/// 0), and help topics are topics some advice has.
fn presentation_def(
    lx: &mut Linter,
    (file, p): (&str, schema::Presentation),
    advice: &[AdviceDef],
) -> PresentationDef {
    let path = format!("{file}: presentation");
    for (key, value) in [
        ("why_weight_at_least", p.why_weight_at_least),
        ("clinician_weight_at_least", p.clinician_weight_at_least),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            lx.error(
                "KB004",
                format!("{path}.{key}"),
                format!("{value} is not a weight of at least 0"),
            );
        }
    }
    for topic in &p.help_topics {
        if !advice.iter().any(|a| a.topic == *topic) {
            lx.error(
                "KB005",
                format!("{path}.help_topics"),
                format!("no advice has the topic `{topic}`"),
            );
        }
    }
    PresentationDef {
        condition_shown_at_least: lx.prob(
            &format!("{path}.condition_shown_at_least"),
            p.condition_shown_at_least,
            false,
        ),
        condition_listed_at_least: lx.prob(
            &format!("{path}.condition_listed_at_least"),
            p.condition_listed_at_least,
            false,
        ),
        root_shown_at_least: lx.prob(
            &format!("{path}.root_shown_at_least"),
            p.root_shown_at_least,
            false,
        ),
        radicular_at_least: lx.prob(
            &format!("{path}.radicular_at_least"),
            p.radicular_at_least,
            false,
        ),
        why_weight_at_least: p.why_weight_at_least,
        clinician_weight_at_least: p.clinician_weight_at_least,
        help_topics: p.help_topics,
        source: lx.source(&path, &p.source),
    }
}

/// Likelihood words, highest threshold first, the last covering every probability down to 0.
fn likelihood_word_defs(
    lx: &mut Linter,
    words: Vec<(&str, schema::LikelihoodWord)>,
) -> Vec<LikelihoodWordDef> {
    let mut out: Vec<LikelihoodWordDef> = Vec::new();
    for (file, w) in words {
        let path = format!("{file}: likelihood_word.{}", w.word);
        lx.text(&path, &w.word);
        let at_least = lx.prob(&path, w.at_least, false);
        if out.last().is_some_and(|prev| prev.at_least <= at_least) {
            lx.error(
                "KB004",
                path.clone(),
                "likelihood words must be listed from the highest threshold down".into(),
            );
        }
        out.push(LikelihoodWordDef {
            at_least,
            source: lx.source(&path, &w.source),
            word: w.word,
        });
    }
    if out.last().is_none_or(|w| w.at_least != 0.0) {
        lx.error(
            "KB010",
            "likelihood_word".into(),
            "the last likelihood word must start at 0, so that every probability has a word".into(),
        );
    }
    out
}

/// The alert rules (`alerts.toml`). Besides sources (KB003) and finding patterns (KB007), each
/// threshold must lie in its range, and each text must carry its kind's placeholders and, once
/// they are filled in every way the engine can fill them, name no triage level (the alerts sit
/// beside assessments whose triage they must not contradict): KB017.
fn alert_rules(
    lx: &mut Linter,
    cx: &PredicateContext,
    levels: &[TriageLevelDef],
    red_flags: &[RedFlagDef],
    (file, a): (&str, schema::Alerts),
    (better_file, better): (&str, schema::PainClearlyBetter),
) -> AlertRules {
    let path = |kind: &str| format!("{file}: alert.{kind}");
    let labels: Vec<&str> = levels.iter().map(|l| l.label.as_str()).collect();
    let pairs: Vec<Vec<(&str, &str)>> = labels
        .iter()
        .flat_map(|from| {
            labels
                .iter()
                .map(move |to| vec![("from", *from), ("to", *to)])
        })
        .collect();
    let flags: Vec<Vec<(&str, &str)>> = red_flags
        .iter()
        .map(|f| vec![("flag", f.clinician.as_str())])
        .collect();
    let numbers = vec![vec![("before", "8"), ("now", "7"), ("day", "42")]];

    let new_red_flag = alert_def(
        lx,
        levels,
        &path("new_red_flag"),
        &a.new_red_flag.text,
        &a.new_red_flag.source,
        &["flag"],
        &flags,
    );
    let triage_raised = alert_def(
        lx,
        levels,
        &path("triage_raised"),
        &a.triage_raised.text,
        &a.triage_raised.source,
        &["from", "to"],
        &pairs,
    );

    let deficit_path = path("new_deficit");
    let findings = patterns(lx, cx, &deficit_path, &a.new_deficit.findings);
    if a.new_deficit.findings.is_empty() {
        lx.error(
            "KB017",
            format!("{deficit_path}.findings"),
            "list the motor and reflex deficit findings".into(),
        );
    }
    let deficits: Vec<Vec<(&str, &str)>> = findings
        .iter()
        .map(|f| vec![("finding", cx.vocab.def(f).clinician.as_str())])
        .collect();
    let new_deficit = NewDeficitDef {
        alert: alert_def(
            lx,
            levels,
            &deficit_path,
            &a.new_deficit.text,
            &a.new_deficit.source,
            &["finding"],
            &deficits,
        ),
        findings,
    };

    let n = &a.not_improving;
    let not_path = path("not_improving");
    let not_improving = NotImprovingDef {
        alert: alert_def(lx, levels, &not_path, &n.text, &n.source, &[], &numbers),
        from_day: day_threshold(lx, &not_path, &n.from_day),
        from_day_source: lx.source(&format!("{not_path}.from_day"), &n.from_day.source),
        pain_score_at_least: {
            let t = &n.pain_score_at_least;
            let ok = t.value.fract() == 0.0 && (0.0..=10.0).contains(&t.value);
            if !ok {
                lx.error(
                    "KB017",
                    format!("{not_path}.pain_score_at_least"),
                    format!(
                        "{} is not a pain score (a whole number from 0 to 10)",
                        t.value
                    ),
                );
            }
            t.value.clamp(0.0, 10.0) as u8
        },
        pain_score_at_least_source: lx.source(
            &format!("{not_path}.pain_score_at_least"),
            &n.pain_score_at_least.source,
        ),
    };

    let p = &a.persisting_radicular_pain;
    let p_path = path("persisting_radicular_pain");
    let radicular = p.radicular_at_least.value;
    if !(radicular > 0.0 && radicular <= 1.0) {
        lx.error(
            "KB017",
            format!("{p_path}.radicular_at_least"),
            format!("{radicular} is not a probability in (0, 1]"),
        );
    }
    let persisting_radicular_pain = PersistingRadicularPainDef {
        alert: alert_def(lx, levels, &p_path, &p.text, &p.source, &[], &numbers),
        from_day: day_threshold(lx, &p_path, &p.from_day),
        from_day_source: lx.source(&format!("{p_path}.from_day"), &p.from_day.source),
        radicular_at_least: radicular,
        radicular_at_least_source: lx.source(
            &format!("{p_path}.radicular_at_least"),
            &p.radicular_at_least.source,
        ),
        unless_pain_clearly_better: p.unless_pain_clearly_better,
    };

    let better_path = format!("{better_file}: pain_clearly_better");
    let points = better.points.value;
    if !(points > 0.0 && points <= 10.0) {
        lx.error(
            "KB017",
            format!("{better_path}.points"),
            format!("{points} is not a drop in points on a 0-10 scale, in (0, 10]"),
        );
    }
    let fraction = better.fraction.value;
    if !(fraction > 0.0 && fraction < 1.0) {
        lx.error(
            "KB017",
            format!("{better_path}.fraction"),
            format!("{fraction} is not a fraction in (0, 1)"),
        );
    }
    let pain_clearly_better = PainClearlyBetterDef {
        points,
        points_source: lx.source(&format!("{better_path}.points"), &better.points.source),
        fraction,
        fraction_source: lx.source(&format!("{better_path}.fraction"), &better.fraction.source),
    };

    AlertRules {
        new_red_flag,
        triage_raised,
        new_deficit,
        not_improving,
        persisting_radicular_pain,
        pain_clearly_better,
    }
}

/// An alert's text and source. `required` are the placeholders the text must carry; `fills`
/// are the ways the engine fills the placeholders, each of which must name no triage level.
fn alert_def(
    lx: &mut Linter,
    levels: &[TriageLevelDef],
    path: &str,
    text: &str,
    source: &str,
    required: &[&str],
    fills: &[Vec<(&str, &str)>],
) -> AlertDef {
    for key in required {
        if !text.contains(&format!("{{{key}}}")) {
            lx.error(
                "KB017",
                path.into(),
                format!("the text must name what changed with `{{{key}}}`"),
            );
        }
    }
    let mut def = AlertDef {
        text: text.to_string(),
        source: lx.source(path, source),
        source_ids: String::new(),
    };
    def.source_ids = def.source.ids.join("+");
    // Placeholders the kind does not fill are left in the text, which KB009 reports.
    let mut named: Vec<&str> = Vec::new();
    for (i, fill) in fills.iter().enumerate() {
        let filled = def.render(fill);
        if i == 0 {
            lx.text(path, &filled);
        }
        let lower = filled.to_lowercase();
        for level in levels {
            if level.names.iter().any(|n| lower.contains(n.as_str()))
                && !named.contains(&level.label.as_str())
            {
                named.push(&level.label);
            }
        }
    }
    if fills.is_empty() {
        lx.text(path, text);
    }
    if !named.is_empty() {
        lx.error(
            "KB017",
            path.into(),
            format!(
                "the text names the triage level(s) {named:?}: only the level tables say where to go and how fast"
            ),
        );
    }
    def
}

/// A day threshold: a number of days after the symptoms began, above 0 and at most 100 years.
fn day_threshold(lx: &mut Linter, path: &str, t: &schema::Threshold) -> f64 {
    if !(t.value > 0.0 && t.value <= 36_500.0) {
        lx.error(
            "KB017",
            format!("{path}.from_day"),
            format!(
                "{} is not a day after the symptoms began, in (0, 36500]",
                t.value
            ),
        );
    }
    t.value
}

fn once<T>(lx: &mut Linter, file: &str, table: &str, slot: &mut Option<T>, value: Option<T>) {
    if let Some(v) = value {
        if slot.is_some() {
            lx.error(
                "KB010",
                format!("{file}: {table}"),
                "given in more than one file".into(),
            );
        }
        *slot = Some(v);
    }
}

fn required<T>(lx: &mut Linter, table: &str, value: Option<T>) -> Option<T> {
    if value.is_none() {
        lx.error(
            "KB010",
            table.into(),
            format!("the `{table}` table is missing"),
        );
    }
    value
}

fn vocabulary(
    lx: &mut Linter,
    regions: &IndexMap<String, schema::Region>,
    kinds: &IndexMap<String, schema::SymptomKind>,
    singles: &[(&str, schema::Finding)],
) -> Option<Vocabulary> {
    for r in contract::REGIONS {
        if !regions.contains_key(r) {
            lx.error(
                "KB006",
                format!("regions.{r}"),
                "contract region missing".into(),
            );
        }
    }
    for k in SYMPTOM_KINDS {
        if !kinds.contains_key(k) {
            lx.error(
                "KB006",
                format!("symptom_kinds.{k}"),
                "contract symptom kind missing".into(),
            );
        }
    }
    for k in kinds.keys() {
        if !SYMPTOM_KINDS.contains(&k.as_str()) {
            lx.error(
                "KB008",
                format!("symptom_kinds.{k}"),
                "only pain, numbness and tingling are modelled".into(),
            );
        }
    }
    let mut defs = Vec::new();
    let mut region_defs = Vec::new();
    for (ri, (rid, r)) in regions.iter().enumerate() {
        let rpath = format!("findings.toml: regions.{rid}");
        for t in [&r.patient, &r.clinician, &r.describe] {
            lx.text(&rpath, t);
        }
        region_defs.push(RegionDef {
            id: rid.clone(),
            patient: r.patient.clone(),
            clinician: r.clinician.clone(),
            describe: r.describe.clone(),
        });
        for (ki, kind) in SYMPTOM_KINDS.iter().enumerate() {
            let Some(k) = kinds.get(*kind) else { continue };
            for side in Side::BOTH {
                let fill = |t: &str, region: &str| {
                    t.replace("{side}", side.as_str())
                        .replace("{region}", region)
                };
                defs.push(FindingDef {
                    id: format!("{kind}.{rid}.{}", side.as_str()),
                    shape: Shape::Region {
                        region: ri as u8,
                        kind: ki as u8,
                        side,
                    },
                    category: Category::Symptom,
                    examiner: false,
                    patient: fill(&k.patient, &r.patient),
                    clinician: fill(&k.clinician, &r.clinician),
                    question_patient: Some(fill(&k.question_patient, &r.patient)),
                    question_clinician: fill(&k.question_clinician, &r.clinician),
                });
            }
        }
    }
    let mut families = Vec::new();
    for (file, f) in singles {
        let path = format!("{file}: finding.{}", f.id);
        let Some(category) = Category::parse(&f.category) else {
            lx.error("KB008", path, format!("unknown category `{}`", f.category));
            continue;
        };
        if !f.examiner && f.question_patient.is_none() {
            lx.error(
                "KB009",
                path.clone(),
                "a finding a person can report needs `question_patient`".into(),
            );
        }
        let sides: Vec<Option<Side>> = if f.lateral {
            Side::BOTH.into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        let mut members = Vec::new();
        for side in sides {
            let fill = |t: &str| match side {
                Some(s) => t.replace("{side}", s.as_str()),
                None => t.to_string(),
            };
            let id = match side {
                Some(s) => format!("{}.{}", f.id, s.as_str()),
                None => f.id.clone(),
            };
            members.push(FindingId(defs.len() as u16));
            defs.push(FindingDef {
                id,
                shape: Shape::Single {
                    family: families.len() as u16,
                    side,
                },
                category,
                examiner: f.examiner,
                patient: fill(&f.patient),
                clinician: fill(&f.clinician),
                question_patient: f.question_patient.as_deref().map(fill),
                question_clinician: fill(&f.question_clinician),
            });
        }
        families.push(FamilyDef {
            id: f.id.clone(),
            lateral: f.lateral,
            findings: members,
        });
    }
    if defs.len() > MAX_FINDINGS {
        lx.error(
            "KB015",
            "findings".into(),
            format!("{} findings; at most {MAX_FINDINGS}", defs.len()),
        );
        return None;
    }
    let mut seen = std::collections::HashSet::new();
    for d in &defs {
        let path = format!("findings: {}", d.id);
        if !seen.insert(d.id.clone()) {
            lx.error("KB002", path.clone(), "finding id defined twice".into());
        }
        lx.text(&path, &d.patient);
        lx.text(&path, &d.clinician);
        lx.text(&path, &d.question_clinician);
        if let Some(q) = &d.question_patient {
            lx.text(&path, q);
        }
    }
    let vocab = Vocabulary::new(defs, region_defs, families);
    for id in contract::finding_ids() {
        if vocab.get(&id).is_none() {
            lx.error(
                "KB006",
                format!("findings: {id}"),
                "contract finding id missing".into(),
            );
        }
    }
    Some(vocab)
}

#[allow(clippy::too_many_arguments)]
fn model(
    lx: &mut Linter,
    vocab: &Vocabulary,
    roots: schema::Roots,
    region_model: schema::RegionModel,
    duration_model: schema::DurationModel,
    conditions: IndexMap<String, schema::Condition>,
    lesions: Vec<(&str, schema::Lesion)>,
    root_findings: Vec<(&str, schema::RootFinding)>,
    condition_findings: Vec<(&str, schema::ConditionFinding)>,
) -> Option<Model> {
    let dpath = "model.toml: duration_model";
    let mut duration_bands = vec![0u32];
    for &start in &duration_model.band_starts {
        if duration_bands.last().is_some_and(|&prev| start <= prev) {
            lx.error(
                "KB004",
                dpath.into(),
                "band_starts must rise, from above 0".into(),
            );
        }
        duration_bands.push(start);
    }
    let duration_source = lx.source(dpath, &duration_model.source);
    let distribution = |lx: &mut Linter, path: &str, p: &[f64]| -> Vec<f64> {
        if p.len() != duration_bands.len() {
            lx.error(
                "KB004",
                path.into(),
                format!(
                    "{} probabilities for {} duration bands",
                    p.len(),
                    duration_bands.len()
                ),
            );
        }
        for &x in p {
            lx.prob(path, x, true);
        }
        let total: f64 = p.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            lx.error(
                "KB004",
                path.into(),
                format!("the probabilities add up to {total}, not 1"),
            );
        }
        p.to_vec()
    };
    let default_duration = distribution(lx, &format!("{dpath}.default"), &duration_model.default);
    for r in contract::ROOTS {
        if !roots.reported.iter().any(|x| x == r) {
            lx.error(
                "KB006",
                "roots.reported".into(),
                format!("root {r} missing"),
            );
        }
    }
    let reported_roots = roots.reported.len();
    let all_roots: Vec<String> = roots.reported.into_iter().chain(roots.other).collect();
    if all_roots.len() > MAX_ROOTS {
        lx.error(
            "KB015",
            "roots".into(),
            format!("{} roots; at most {MAX_ROOTS}", all_roots.len()),
        );
        return None;
    }
    let root_index = |r: &str| all_roots.iter().position(|x| x == r);
    let region_index = |r: &str| vocab.regions.iter().position(|x| x.id == r);

    let mut condition_defs = Vec::new();
    for c in contract::CONDITIONS {
        if !conditions.contains_key(c) {
            lx.error(
                "KB006",
                format!("conditions.{c}"),
                "contract condition missing".into(),
            );
        }
    }
    for (id, c) in &conditions {
        let path = format!("model.toml: conditions.{id}");
        let mechanism = Mechanism::parse(&c.mechanism).unwrap_or_else(|| {
            lx.error(
                "KB008",
                path.clone(),
                format!("unknown mechanism `{}`", c.mechanism),
            );
            Mechanism::Other
        });
        for t in [&c.name, &c.patient_name, &c.icd10, &c.icd10_display] {
            lx.text(&path, t);
        }
        let prior = lx.prob(&format!("{path}.prior"), c.prior.p, true);
        lx.source(&format!("{path}.codes_source"), &c.codes_source);
        condition_defs.push(ConditionDef {
            id: id.clone(),
            name: c.name.clone(),
            patient_name: c.patient_name.clone(),
            mechanism,
            icd10: c.icd10.clone(),
            icd10_display: c.icd10_display.clone(),
            snomed: c.snomed.clone().zip(c.snomed_display.clone()),
            prior,
            prior_source: lx.source(&path, &c.prior.source),
            age_factors: age_factors(lx, &path, &c.age_factors, true),
            sex: match &c.sex {
                None => [0.5, 0.5],
                Some(share) => {
                    let spath = format!("{path}.sex");
                    lx.source(&spath, &share.source);
                    let (f, m) = (
                        lx.prob(&spath, share.female, true),
                        lx.prob(&spath, share.male, true),
                    );
                    if (f + m - 1.0).abs() > 1e-6 {
                        lx.error("KB004", spath, "female and male must add up to 1".into());
                    }
                    [f, m]
                }
            },
            duration: match &c.duration {
                None => default_duration.clone(),
                Some(d) => {
                    let dpath = format!("{path}.duration");
                    lx.source(&dpath, &d.source);
                    distribution(lx, &dpath, &d.p)
                }
            },
        });
    }
    let condition_index = |c: &str| condition_defs.iter().position(|x| x.id == c);

    let n_regions = vocab.regions.len();
    let mut lesion_defs: Vec<LesionDef> = Vec::new();
    for (file, l) in &lesions {
        let path = format!("{file}: lesion.{}", l.id);
        if lesion_defs.iter().any(|x| x.id == l.id) || condition_index(&l.id).is_some() {
            lx.error("KB002", path.clone(), "lesion id defined twice".into());
        }
        let Some(condition) = condition_index(&l.condition) else {
            lx.error(
                "KB005",
                path,
                format!("unknown condition `{}`", l.condition),
            );
            continue;
        };
        let sides: Vec<HypSide> = l
            .sides
            .iter()
            .filter_map(|s| {
                let side = HypSide::parse(s);
                if side.is_none() {
                    lx.error("KB008", path.clone(), format!("unknown side `{s}`"));
                }
                side
            })
            .collect();
        if sides.is_empty() {
            lx.error(
                "KB008",
                path.clone(),
                "a lesion needs at least one side".into(),
            );
        }
        let mut levels = Vec::new();
        for lv in &l.levels {
            let lpath = format!("{path}.levels.{}", lv.level);
            if lv.share.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                lx.error(
                    "KB004",
                    lpath.clone(),
                    "a level share must be above 0".into(),
                );
            }
            let mut rs = Vec::new();
            for r in &lv.roots {
                match root_index(r) {
                    Some(i) => rs.push(i),
                    None => lx.error("KB005", lpath.clone(), format!("unknown root `{r}`")),
                }
            }
            levels.push(LevelDef {
                level: lv.level.clone(),
                roots: rs,
                share: lv.share,
            });
        }
        if !levels.is_empty() && l.level_source.is_none() {
            lx.error("KB003", path.clone(), "levels need a `level_source`".into());
        }
        let level_total: f64 = levels.iter().map(|l| l.share).sum();
        for lv in &mut levels {
            lv.share /= level_total;
        }
        let mut involvement = |map: &std::collections::BTreeMap<String, f64>, what: &str| {
            let mut v = vec![0.0; n_regions];
            for (r, p) in map {
                match region_index(r) {
                    Some(i) => v[i] = lx.prob(&format!("{path}.{what}.{r}"), *p, false),
                    None => lx.error("KB005", path.clone(), format!("unknown region `{r}`")),
                }
            }
            v
        };
        let somatic = involvement(&l.somatic, "somatic");
        let neural = involvement(&l.neural, "neural");
        let involvement_source = l.involvement_source.as_deref().map(|s| lx.source(&path, s));
        if (!l.somatic.is_empty() || !l.neural.is_empty()) && involvement_source.is_none() {
            lx.error(
                "KB003",
                path.clone(),
                "region involvement needs an `involvement_source`".into(),
            );
        }
        let root_scale = match &l.root_scale {
            Some(s) => {
                lx.source(&path, &s.source);
                if !(s.p > 0.0 && s.p <= 1.0) {
                    lx.error(
                        "KB004",
                        format!("{path}.root_scale"),
                        "must be in (0, 1]".into(),
                    );
                }
                s.p
            }
            None => 1.0,
        };
        if let Some(src) = &l.level_source {
            lx.source(&path, src);
        }
        lesion_defs.push(LesionDef {
            id: l.id.clone(),
            condition,
            name: l.name.clone(),
            share: {
                if !(l.share.p > 0.0 && l.share.p <= 1.0) {
                    lx.error("KB004", format!("{path}.share"), "must be in (0, 1]".into());
                }
                l.share.p
            },
            share_source: lx.source(&path, &l.share.source),
            sides,
            levels,
            root_scale,
            somatic,
            neural,
            involvement_source,
            age_factors: age_factors(lx, &path, &l.age_factors, false),
        });
    }
    for (ci, c) in condition_defs.iter().enumerate() {
        let total: f64 = lesion_defs
            .iter()
            .filter(|l| l.condition == ci)
            .map(|l| l.share)
            .sum();
        if total == 0.0 {
            lx.error(
                "KB006",
                format!("conditions.{}", c.id),
                "no lesion gives this condition a hypothesis".into(),
            );
        }
        for l in lesion_defs.iter_mut().filter(|l| l.condition == ci) {
            l.share /= total;
        }
    }
    // A key in `p` or `scale` tables names a lesion or a condition; resolve per lesion.
    let per_lesion = |lx: &mut Linter,
                      path: &str,
                      map: &std::collections::BTreeMap<String, f64>,
                      open: bool|
     -> Vec<Option<f64>> {
        let mut out = vec![None; lesion_defs.len()];
        for (key, p) in map {
            let p = if open {
                lx.prob(&format!("{path}.{key}"), *p, true)
            } else if *p < 0.0 || !p.is_finite() {
                lx.error("KB004", format!("{path}.{key}"), "must be >= 0".into());
                *p
            } else {
                *p
            };
            if let Some(li) = lesion_defs.iter().position(|l| &l.id == key) {
                out[li] = Some(p);
            } else if let Some(ci) = condition_index(key) {
                for (li, l) in lesion_defs.iter().enumerate() {
                    // A lesion's own value, if also given, wins whatever the order.
                    if l.condition == ci && !map.contains_key(&l.id) {
                        out[li] = Some(p);
                    }
                }
            } else {
                lx.error(
                    "KB005",
                    path.into(),
                    format!("`{key}` is neither a condition nor a lesion"),
                );
            }
        }
        out
    };

    for state in region_model.emission.keys() {
        if !REGION_STATES.contains(&state.as_str()) {
            lx.error(
                "KB008",
                format!("model.toml: region_model.emission.{state}"),
                "unknown region state; one of neural, somatic, none".into(),
            );
        }
    }
    let mut emission = [[0.0; 3]; 3];
    let mut emission_sources: Vec<SourceRef> = Vec::new();
    for (si, state) in REGION_STATES.iter().enumerate() {
        let path = format!("model.toml: region_model.emission.{state}");
        match region_model.emission.get(*state) {
            Some(e) => {
                emission[si] = [
                    lx.prob(&path, e.pain, true),
                    lx.prob(&path, e.numbness, true),
                    lx.prob(&path, e.tingling, true),
                ];
                emission_sources.push(lx.source(&path, &e.source));
            }
            None => {
                lx.error("KB010", path, "emission state missing".into());
                emission_sources.push(SourceRef {
                    ids: vec![],
                    text: String::new(),
                });
            }
        }
    }
    let mut coverage = vec![vec![0.0; all_roots.len()]; n_regions];
    for (region, row) in &region_model.coverage {
        let path = format!("model.toml: region_model.coverage.{region}");
        let Some(ri) = region_index(region) else {
            lx.error("KB005", path, format!("unknown region `{region}`"));
            continue;
        };
        for (root, p) in row {
            match root_index(root) {
                Some(i) => coverage[ri][i] = lx.prob(&path, *p, false),
                None => lx.error("KB005", path.clone(), format!("unknown root `{root}`")),
            }
        }
    }
    let coverage_source = lx.source("model.toml: region_model", &region_model.coverage_source);

    let family_index = |id: &str| vocab.families.iter().position(|f| f.id == id);
    let mut modelled = vec![0usize; vocab.families.len()];
    let mut root_defs = Vec::new();
    for (file, rf) in &root_findings {
        let path = format!("{file}: root_finding.{}", rf.id);
        let Some(family) = family_index(&rf.id) else {
            lx.error("KB005", path, format!("unknown finding family `{}`", rf.id));
            continue;
        };
        if !vocab.families[family].lateral {
            lx.error(
                "KB005",
                path.clone(),
                "root-driven findings must be lateral".into(),
            );
        }
        modelled[family] += 1;
        let mut p = vec![0.0; all_roots.len()];
        for (root, v) in &rf.p {
            match root_index(root) {
                Some(i) => p[i] = lx.prob(&format!("{path}.p.{root}"), *v, false),
                None => lx.error("KB005", path.clone(), format!("unknown root `{root}`")),
            }
        }
        let scale = per_lesion(lx, &path, &rf.scale, false)
            .into_iter()
            .map(|s| s.unwrap_or(1.0))
            .collect();
        let other = per_lesion(lx, &format!("{path}.other"), &rf.other, true)
            .into_iter()
            .map(|s| s.unwrap_or(0.0))
            .collect();
        root_defs.push(RootFindingDef {
            family,
            p,
            leak: lx.prob(&format!("{path}.leak"), rf.leak, true),
            scale,
            other,
            source: lx.source(&path, &rf.source),
        });
    }
    let mut condition_defs_f = Vec::new();
    for (file, cf) in &condition_findings {
        let path = format!("{file}: condition_finding.{}", cf.id);
        let Some(family) = family_index(&cf.id) else {
            lx.error("KB005", path, format!("unknown finding family `{}`", cf.id));
            continue;
        };
        modelled[family] += 1;
        condition_defs_f.push(ConditionFindingDef {
            family,
            default: lx.prob(&format!("{path}.default"), cf.default, true),
            p: per_lesion(lx, &path, &cf.p, true),
            source: lx.source(&path, &cf.source),
        });
    }
    for (fi, fam) in vocab.families.iter().enumerate() {
        let category = vocab.def(fam.findings[0]).category;
        let path = format!("model.toml: {}", fam.id);
        match (category, modelled[fi]) {
            (Category::Modifier, 0) => {}
            (Category::Modifier, _) => {
                lx.error("KB013", path, "advice modifiers carry no likelihood".into())
            }
            (_, 0) => lx.error("KB013", path, "finding has no likelihood".into()),
            (_, 1) => {}
            (_, _) => lx.error("KB013", path, "finding has two likelihoods".into()),
        }
    }
    let emission_sources: [SourceRef; 3] = emission_sources.try_into().ok()?;
    Some(Model {
        roots: all_roots,
        reported_roots,
        conditions: condition_defs,
        lesions: lesion_defs,
        emission,
        emission_sources,
        coverage,
        coverage_source,
        root_findings: root_defs,
        condition_findings: condition_defs_f,
        duration_bands,
        duration_source,
    })
}

fn age_factors(
    lx: &mut Linter,
    path: &str,
    factors: &[schema::AgeFactor],
    must_cover: bool,
) -> Vec<AgeFactorDef> {
    let mut out: Vec<AgeFactorDef> = factors
        .iter()
        .map(|f| {
            if !(f.factor > 0.0 && f.factor.is_finite()) {
                lx.error(
                    "KB004",
                    format!("{path}.age_factors"),
                    format!("factor {} must be above 0", f.factor),
                );
            }
            AgeFactorDef {
                from: f.from,
                to: f.to,
                factor: f.factor,
                source: lx.source(path, &f.source),
            }
        })
        .collect();
    out.sort_by_key(|f| f.from);
    if out.is_empty() {
        return out;
    }
    let mut next = 16u16;
    for f in &out {
        if u16::from(f.from) != next || f.to < f.from {
            lx.error(
                "KB011",
                format!("{path}.age_factors"),
                format!(
                    "band {}-{} should start at {next} (bands must tile 16 to 110)",
                    f.from, f.to
                ),
            );
        }
        next = u16::from(f.to) + 1;
    }
    if next != 111 && must_cover {
        lx.error(
            "KB011",
            format!("{path}.age_factors"),
            "bands must reach 110".into(),
        );
    }
    out
}

struct PredicateContext<'a> {
    vocab: &'a Vocabulary,
    model: &'a Model,
}

fn patterns(lx: &mut Linter, cx: &PredicateContext, path: &str, pats: &[String]) -> FindingSet {
    let mut set = FindingSet::EMPTY;
    for p in pats {
        let m = cx.vocab.matching(p);
        if m.is_empty() {
            lx.error("KB007", path.into(), format!("`{p}` matches no finding"));
        }
        set = set.or(&m);
    }
    set
}

fn predicate(lx: &mut Linter, cx: &PredicateContext, path: &str, w: &schema::When) -> Predicate {
    let mut all_of = Vec::new();
    if !w.any_present.is_empty() {
        all_of.push(patterns(lx, cx, path, &w.any_present));
    }
    for group in &w.all_of {
        all_of.push(patterns(lx, cx, path, group));
    }
    for p in &w.all_present {
        all_of.push(patterns(lx, cx, path, std::slice::from_ref(p)));
    }
    let bilateral = (!w.bilateral.is_empty()).then(|| patterns(lx, cx, path, &w.bilateral));
    let triage_in = w.triage_in.iter().map(|l| level(lx, path, l)).collect();
    let condition_at_least = w
        .condition_at_least
        .iter()
        .filter_map(|(c, p)| {
            let i = cx.model.conditions.iter().position(|x| &x.id == c);
            if i.is_none() {
                lx.error("KB005", path.into(), format!("unknown condition `{c}`"));
            }
            i.map(|i| (i, lx.prob(path, *p, false)))
        })
        .collect();
    let mechanism_at_least = w
        .mechanism_at_least
        .iter()
        .filter_map(|(m, p)| {
            let mech = Mechanism::parse(m);
            if mech.is_none() {
                lx.error("KB008", path.into(), format!("unknown mechanism `{m}`"));
            }
            mech.map(|m| (m, lx.prob(path, *p, false)))
        })
        .collect();
    let top_condition = w
        .top_condition
        .iter()
        .filter_map(|c| {
            let i = cx.model.conditions.iter().position(|x| &x.id == c);
            if i.is_none() {
                lx.error("KB005", path.into(), format!("unknown condition `{c}`"));
            }
            i
        })
        .collect();
    let top_mechanism = w
        .top_mechanism
        .iter()
        .filter_map(|m| {
            let mech = Mechanism::parse(m);
            if mech.is_none() {
                lx.error("KB008", path.into(), format!("unknown mechanism `{m}`"));
            }
            mech
        })
        .collect();
    Predicate {
        all_of,
        none: patterns(lx, cx, path, &w.none_present),
        bilateral,
        age_at_least: w.age_at_least,
        age_below: w.age_below,
        duration_days_at_least: w.duration_days_at_least,
        duration_days_below: w.duration_days_below,
        duration_unknown_or_below: w.duration_unknown_or_below,
        triage_in,
        condition_at_least,
        mechanism_at_least,
        top_condition,
        top_mechanism,
        all_answered: patterns(lx, cx, path, &w.all_answered),
        any_unanswered: (!w.any_unanswered.is_empty())
            .then(|| patterns(lx, cx, path, &w.any_unanswered)),
        pain_score_at_least: w.pain_score_at_least,
        pain_score_below: w.pain_score_below,
    }
}

fn level(lx: &mut Linter, path: &str, s: &str) -> TriageLevel {
    TriageLevel::parse(s).unwrap_or_else(|| {
        lx.error("KB008", path.into(), format!("unknown triage level `{s}`"));
        TriageLevel::Emergency
    })
}

/// Red flags and triage rules must be monotone in present findings, so they may only test
/// presence, age, duration and a minimum pain score: one that read an absence (or an unanswered question, the final
/// level or the leading conclusion) could stop firing when a finding is added. A triage rule may
/// also read posterior probabilities (`condition_at_least`, `mechanism_at_least`): the engine
/// evaluates those on a posterior blind to every red-flag finding that could lower them, which
/// keeps the rule monotone in red-flag findings (see the engine's `safety` module).
fn monotone(lx: &mut Linter, path: &str, w: &schema::When, may_read_posterior: bool) {
    let reads_absence = !w.none_present.is_empty()
        || !w.all_answered.is_empty()
        || !w.any_unanswered.is_empty()
        || !w.triage_in.is_empty()
        || !w.top_condition.is_empty()
        || !w.top_mechanism.is_empty()
        || w.pain_score_below.is_some();
    let reads_posterior = !w.condition_at_least.is_empty() || !w.mechanism_at_least.is_empty();
    if reads_absence || (reads_posterior && !may_read_posterior) {
        lx.error(
            "KB012",
            path.into(),
            "red flags and triage rules may use presence, age and duration only (a triage rule may also read posterior probabilities)".into(),
        );
    }
}

fn red_flag_defs(
    lx: &mut Linter,
    cx: &PredicateContext,
    flags: Vec<(&str, schema::RedFlag)>,
) -> Vec<RedFlagDef> {
    let mut out: Vec<RedFlagDef> = Vec::new();
    for (file, f) in flags {
        let path = format!("{file}: red_flag.{}", f.id);
        if out.iter().any(|x| x.id == f.id) {
            lx.error("KB002", path.clone(), "red flag defined twice".into());
        }
        lx.text(&path, &f.patient);
        lx.text(&path, &f.clinician);
        if let Some(w) = &f.when {
            monotone(lx, &path, w, false);
        }
        let min_level = level(lx, &path, &f.min_level);
        if min_level == TriageLevel::SelfCare {
            lx.error(
                "KB004",
                path.clone(),
                "a red flag can never allow self_care".into(),
            );
        }
        out.push(RedFlagDef {
            findings: patterns(lx, cx, &path, &f.findings),
            when: f.when.as_ref().map(|w| predicate(lx, cx, &path, w)),
            min_level,
            source: lx.source(&path, &f.source),
            id: f.id,
            patient: f.patient,
            clinician: f.clinician,
        });
    }
    for id in contract::RED_FLAG_FINDINGS {
        let Some(fid) = cx.vocab.get(id) else {
            continue;
        };
        if !out
            .iter()
            .any(|f| f.when.is_none() && f.findings.contains(fid))
        {
            lx.error(
                "KB014",
                format!("triage.toml: {id}"),
                "this red-flag finding must raise a red flag on its own".into(),
            );
        }
    }
    out
}

fn rule_defs(
    lx: &mut Linter,
    cx: &PredicateContext,
    rules: Vec<(&str, schema::Rule)>,
) -> Vec<RuleDef> {
    let mut out: Vec<RuleDef> = Vec::new();
    for (file, r) in rules {
        let path = format!("{file}: rule.{}", r.id);
        if out.iter().any(|x| x.id == r.id) {
            lx.error("KB002", path.clone(), "rule defined twice".into());
        }
        lx.text(&path, &r.patient);
        lx.text(&path, &r.clinician);
        monotone(lx, &path, &r.when, true);
        out.push(RuleDef {
            level: level(lx, &path, &r.level),
            when: predicate(lx, cx, &path, &r.when),
            source: lx.source(&path, &r.source),
            id: r.id,
            patient: r.patient,
            clinician: r.clinician,
        });
    }
    out
}

fn advice_defs(
    lx: &mut Linter,
    cx: &PredicateContext,
    advice: Vec<(&str, schema::Advice)>,
) -> Vec<AdviceDef> {
    let mut out: Vec<AdviceDef> = Vec::new();
    for (file, a) in advice {
        let path = format!("{file}: advice.{}", a.id);
        if out.iter().any(|x| x.id == a.id) {
            lx.error("KB002", path.clone(), "advice defined twice".into());
        }
        lx.text(&path, &a.text);
        let audience = match a.audience.as_str() {
            "patient" => Audience::Patient,
            "clinician" => Audience::Clinician,
            other => {
                lx.error("KB008", path.clone(), format!("unknown audience `{other}`"));
                Audience::Patient
            }
        };
        let if_new = a.if_new.as_ref().map(|n| IfNewDef {
            level: level(lx, &path, &n.level),
            events: n
                .findings
                .iter()
                .map(|event| {
                    let set = patterns(lx, cx, &path, event);
                    set.iter().collect()
                })
                .collect(),
        });
        out.push(AdviceDef {
            audience,
            source: lx.source(&path, &a.source),
            when: a.when.as_ref().map(|w| predicate(lx, cx, &path, w)),
            if_new,
            lists_unanswered: patterns(lx, cx, &path, &a.lists_unanswered),
            id: a.id,
            topic: a.topic,
            text: a.text,
        });
    }
    out
}

fn group_defs(
    lx: &mut Linter,
    cx: &PredicateContext,
    groups: Vec<(&str, schema::Group)>,
) -> Vec<GroupDef> {
    let mut out: Vec<GroupDef> = Vec::new();
    for (file, g) in groups {
        let path = format!("{file}: group.{}", g.id);
        if out.iter().any(|x| x.id == g.id) || cx.vocab.get(&g.id).is_some() {
            lx.error(
                "KB002",
                path.clone(),
                "group id defined twice or clashes with a finding".into(),
            );
        }
        for t in [&g.patient, &g.clinician, &g.why] {
            lx.text(&path, t);
        }
        let set = patterns(lx, cx, &path, &g.items);
        if let Some(w) = &g.when {
            monotone(lx, &path, w, false);
        }
        out.push(GroupDef {
            items: set.iter().collect(),
            set,
            mandatory: g.mandatory,
            first: g.first,
            when: g.when.as_ref().map(|w| predicate(lx, cx, &path, w)),
            id: g.id,
            patient: g.patient,
            clinician: g.clinician,
            why: g.why,
        });
    }
    for id in contract::RED_FLAG_FINDINGS {
        if let Some(f) = cx.vocab.get(id)
            && !cx.vocab.def(f).examiner
            && !out
                .iter()
                .any(|g| g.mandatory && g.when.is_none() && g.set.contains(f))
        {
            lx.error(
                "KB014",
                format!("questions.toml: {id}"),
                "every red-flag finding a person can report must be in a mandatory question group asked of everyone".into(),
            );
        }
    }
    out
}
