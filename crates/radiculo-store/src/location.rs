//! Database URLs: which backend, and for SQLite which file.

use std::path::{Path, PathBuf};

use crate::StoreError;

/// Where the data lives, as read from a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A SQLite file; relative paths are relative to the current directory.
    Sqlite(PathBuf),
    /// A PostgreSQL server; the URL is handed to the driver unchanged.
    Postgres(String),
}

/// Reads a database URL. The message of an error never repeats the URL, which may hold a
/// password.
pub(crate) fn parse(url: &str) -> Result<Location, StoreError> {
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(unsupported());
    };
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok(Location::Postgres(url.to_owned())),
        "sqlite" => sqlite_path(rest).map(Location::Sqlite),
        _ => Err(unsupported()),
    }
}

fn unsupported() -> StoreError {
    StoreError::Url(
        "expected sqlite:///absolute/path.db, sqlite://relative/path.db, sqlite:path.db or \
         postgres://…"
            .to_owned(),
    )
}

/// The file named by what follows `sqlite:`. `//` before the path is optional, so
/// `sqlite:///abs.db` names `/abs.db` and both `sqlite://rel.db` and `sqlite:rel.db` name
/// `rel.db`. Percent escapes are decoded (`%3F` for a `?` in a file name); `?mode=rwc` is
/// accepted (the file is always created when missing) and any other query is refused, since the
/// store chooses its own connection settings.
fn sqlite_path(rest: &str) -> Result<PathBuf, StoreError> {
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if let Some(query) = query
        && !query.is_empty()
        && query != "mode=rwc"
    {
        return Err(StoreError::Url(
            "SQLite URL parameters other than mode=rwc are not supported; the store sets its \
             own"
            .to_owned(),
        ));
    }
    if path.contains('#') {
        return Err(StoreError::Url(
            "a SQLite URL has no fragment; write a `#` in a file name as %23".to_owned(),
        ));
    }
    let path = percent_decode(path)?;
    if path.is_empty() {
        return Err(StoreError::Url("the SQLite URL names no file".to_owned()));
    }
    if path == ":memory:" || path.starts_with("file:") {
        return Err(StoreError::Url(
            "in-memory and `file:` SQLite databases are not supported; name a file".to_owned(),
        ));
    }
    if path.ends_with('/') {
        return Err(StoreError::Url(
            "the SQLite URL names a directory, not a file".to_owned(),
        ));
    }
    Ok(PathBuf::from(path))
}

fn percent_decode(text: &str) -> Result<String, StoreError> {
    let bad = || StoreError::Url("malformed percent escape in the SQLite path".to_owned());
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The URL that sqlx's SQLite driver reads as exactly `path` (which must be absolute), opened
/// read-write and created when missing. Every byte outside a conservative set is escaped, because
/// the driver percent-decodes the path and stops it at `?`.
pub(crate) fn sqlx_sqlite_url(path: &Path) -> String {
    let mut url = String::from("sqlite://");
    for &byte in path.as_os_str().as_encoded_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url.push_str("?mode=rwc");
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(path: &str) -> Result<Location, StoreError> {
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    #[test]
    fn reads_every_accepted_form() {
        let cases: &[(&str, Result<Location, StoreError>)] = &[
            ("sqlite:///var/lib/r/r.db", sqlite("/var/lib/r/r.db")),
            ("sqlite://data/r.db", sqlite("data/r.db")),
            ("sqlite:r.db", sqlite("r.db")),
            ("sqlite:///tmp/a%20b%3F.db?mode=rwc", sqlite("/tmp/a b?.db")),
            ("SQLite://r.db?", sqlite("r.db")),
            (
                "postgres://u:p@h/db",
                Ok(Location::Postgres("postgres://u:p@h/db".to_owned())),
            ),
            (
                "postgresql://h/db",
                Ok(Location::Postgres("postgresql://h/db".to_owned())),
            ),
        ];
        for (url, expected) in cases {
            let got = parse(url);
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{url}");
        }
    }

    #[test]
    fn refuses_the_rest_without_repeating_the_url() {
        for url in [
            "",
            "r.db",
            "mysql://u:secret@h/db",
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://",
            "sqlite:",
            "sqlite:///tmp/",
            "sqlite:///tmp/r.db?mode=memory",
            "sqlite:///tmp/r.db#x",
            "sqlite:///tmp/r%2.db",
            "sqlite:///tmp/r%FF.db",
            "sqlite:file:r.db",
        ] {
            match parse(url) {
                Err(StoreError::Url(message)) => {
                    assert!(!message.contains("secret"), "{url}: {message}")
                }
                other => panic!("{url}: expected a URL error, got {other:?}"),
            }
        }
    }

    #[test]
    fn sqlx_url_escapes_what_the_driver_would_misread() {
        assert_eq!(
            sqlx_sqlite_url(Path::new("/tmp/a b?%#.db")),
            "sqlite:///tmp/a%20b%3F%25%23.db?mode=rwc"
        );
    }
}
