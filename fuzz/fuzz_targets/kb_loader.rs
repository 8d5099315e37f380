//! Knowledge-base text into the loader (`radiculo_kb::load`): it returns a checked `Kb` or a
//! `KbError` with at least one diagnostic, never panics. The input edits the embedded
//! knowledge base, so that the other files stay valid and the linter's later stages are
//! reached:
//!
//! - first byte below 0x80: an edit of the file it picks (modulo the number of files): the
//!   next four bytes give an offset (modulo the file's length), the next two how many bytes to
//!   remove there (modulo 256), and the rest is inserted in their place;
//! - first byte 0x80 or above: the rest replaces the file it picks whole.
//!
//! Text that is not UTF-8 is read lossily. A knowledge base that loads and differs from the
//! embedded one (more than a comment or a blank) is also compiled into an engine and a case
//! assessed, since the loader's checks are what the engine relies on. (Compiling the engine
//! takes about as long as a hundred loads, so edits that change nothing skip it.)
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use radiculo_engine::{Case, Engine, Options};

/// The embedded knowledge base as loaded, in its `Debug` form, to tell a real change from an
/// edit of a comment or a blank.
fn embedded_debug() -> &'static str {
    static DEBUG: OnceLock<String> = OnceLock::new();
    DEBUG.get_or_init(|| {
        let kb = radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads");
        format!("{kb:?}")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let embedded = radiculo_kb::embedded();
    let file = usize::from(selector & 0x7f) % embedded.len();
    let text = if selector < 0x80 {
        let Some((header, insert)) = rest.split_first_chunk::<6>() else {
            return;
        };
        let original = embedded[file].1.as_bytes();
        let at = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize
            % (original.len() + 1);
        let remove =
            usize::from(u16::from_le_bytes([header[4], header[5]]) % 256).min(original.len() - at);
        let mut edited = Vec::with_capacity(original.len() + insert.len());
        edited.extend_from_slice(&original[..at]);
        edited.extend_from_slice(insert);
        edited.extend_from_slice(&original[at + remove..]);
        String::from_utf8_lossy(&edited).into_owned()
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    let files: Vec<(&str, &str)> = embedded
        .iter()
        .enumerate()
        .map(|(i, &(name, original))| (name, if i == file { text.as_str() } else { original }))
        .collect();
    match radiculo_kb::load(&files) {
        Ok(kb) => {
            if format!("{kb:?}") == embedded_debug() {
                return;
            }
            let engine = Engine::new(kb);
            for age in [radiculo_engine::MIN_AGE, 45, radiculo_engine::MAX_AGE] {
                let a = engine.assess(&Case::new(age), Options::default());
                assert!(a.mechanism.iter().all(|p| p.is_finite()));
            }
        }
        Err(e) => {
            assert!(!e.errors.is_empty(), "a KbError with no error");
            // The Display of the error reads the first one.
            let _ = e.to_string();
        }
    }
});
