//! Patient texts are written for a reading age of about 12 (school grade 6 to 7). This checks
//! the Flesch-Kincaid grade of every patient question and statement, with the usual vowel-group
//! syllable count: the mean must stay at or below grade 7 and no single text above grade 10.

use radiculo_kb::{embedded, load};

fn syllables(word: &str) -> usize {
    let w: Vec<char> = word
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    if w.is_empty() {
        return 0;
    }
    let vowel = |c: char| "aeiouy".contains(c);
    let mut count = 0;
    let mut prev = false;
    for &c in &w {
        let v = vowel(c);
        if v && !prev {
            count += 1;
        }
        prev = v;
    }
    // A silent final e ("spine", "severe").
    if w.len() > 2 && w[w.len() - 1] == 'e' && !vowel(w[w.len() - 2]) && count > 1 {
        count -= 1;
    }
    count.max(1)
}

/// The Flesch-Kincaid grade of a text.
fn grade(text: &str) -> f64 {
    let sentences = text
        .split(['.', '?', '!'])
        .filter(|s| s.chars().any(char::is_alphabetic))
        .count()
        .max(1) as f64;
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    let n = words.len().max(1) as f64;
    let syl: usize = words.iter().map(|w| syllables(w)).sum();
    0.39 * (n / sentences) + 11.8 * (syl as f64 / n) - 15.59
}

#[test]
fn syllable_counter_is_sane() {
    assert_eq!(syllables("pain"), 1);
    assert_eq!(syllables("numbness"), 2);
    assert_eq!(syllables("spine"), 1);
    assert_eq!(syllables("bladder"), 2);
    assert_eq!(syllables("tingling"), 2);
}

#[test]
fn patient_texts_read_at_about_age_twelve() {
    let kb = load(embedded()).expect("the embedded kb loads");
    let mut texts: Vec<(String, f64)> = Vec::new();
    for f in &kb.vocab.findings {
        if let Some(q) = &f.question_patient {
            texts.push((format!("{} (question)", f.id), grade(q)));
        }
        texts.push((format!("{} (statement)", f.id), grade(&f.patient)));
    }
    for g in &kb.groups {
        texts.push((format!("group {}", g.id), grade(&g.patient)));
    }
    let mean = texts.iter().map(|(_, g)| g).sum::<f64>() / texts.len() as f64;
    let hardest: Vec<&(String, f64)> = texts.iter().filter(|(_, g)| *g > 10.0).collect();
    assert!(
        mean <= 7.0,
        "mean Flesch-Kincaid grade {mean:.1} is above 7"
    );
    assert!(hardest.is_empty(), "texts above grade 10: {hardest:?}");
}
