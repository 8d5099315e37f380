//! The service's configuration: one struct, from flags or the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The largest request body accepted, in bytes (64 KiB; a case is a few kilobytes at most).
/// Fixed rather than configured: nothing legitimate comes near it.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest request body accepted on a route whose body carries FHIR data (1 MiB): a CDS
/// Hooks service request, whose prefetch holds a Patient and a Bundle of the person's
/// Observations (about 1 KB each as an EHR returns them, and a full examination has over a
/// hundred), and the FHIR operations, whose QuestionnaireResponse contains the adaptive
/// Questionnaire it answers (85 to 140 KB completed, over the labelled cases).
pub const MAX_FHIR_BODY_BYTES: usize = 1024 * 1024;

/// The default for [`Config::rate_limit_per_minute`].
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;

/// The default for [`Config::request_timeout_secs`].
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 10;

/// How to run the HTTP service.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// The address and port to listen on.
    #[arg(long, env = "RADICULO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where records and keys are kept: `sqlite:///path/to/file.db` or `postgres://…`.
    #[arg(long, env = "RADICULO_DATABASE_URL", default_value_t = default_database_url())]
    pub database_url: String,
    /// Require an API key (`Authorization: Bearer …`) for stateless assessment too.
    #[arg(long, env = "RADICULO_REQUIRE_KEY", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub require_key: bool,
    /// Requests per minute allowed per key (per client address without a key); 0 for no limit.
    #[arg(long, env = "RADICULO_RATE_LIMIT_PER_MINUTE", default_value_t = DEFAULT_RATE_LIMIT_PER_MINUTE)]
    pub rate_limit_per_minute: u32,
    /// Seconds a request may take before it is answered with 503.
    #[arg(long, env = "RADICULO_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_secs: u64,
    /// The address people reach this server at (`https://radiculo.example.org`), which CDS
    /// Hooks cards link to; without it, the request's `Host` over plain `http`.
    #[arg(long, env = "RADICULO_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
}

/// A public URL: `http` or `https`, a host, an optional path; no query or fragment. Kept
/// without its trailing slashes.
fn parse_public_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("the public URL starts with https:// or http://")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || text.contains(['?', '#', ' ']) {
        return Err("the public URL is a scheme, a host and an optional path".to_owned());
    }
    Ok(text.trim_end_matches('/').to_owned())
}

impl Config {
    /// The defaults, with records in `database_url` (for tests and embedding).
    pub fn with_database_url(database_url: impl Into<String>) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: database_url.into(),
            require_key: false,
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            public_url: None,
        }
    }
}

/// `sqlite://` and the user's data directory: `$XDG_DATA_HOME/radiculo/radiculo.db`, else
/// `~/.local/share/radiculo/radiculo.db` (the platform's equivalent elsewhere), else the
/// working directory. The store creates a missing file and its directory.
pub fn default_database_url() -> String {
    let dir = dirs::data_dir().map_or_else(|| PathBuf::from("."), |d| d.join("radiculo"));
    format!("sqlite://{}", dir.join("radiculo.db").display())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn flags_have_their_documented_defaults() {
        let config = Cli::try_parse_from(["radiculo"]).unwrap().config;
        assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert!(!config.require_key);
        assert_eq!(config.rate_limit_per_minute, 600);
        assert_eq!(config.request_timeout_secs, 10);
        let config = Cli::try_parse_from(["radiculo", "--require-key", "--listen", "0.0.0.0:9000"])
            .unwrap()
            .config;
        assert!(config.require_key);
        assert_eq!(config.listen.port(), 9000);
        assert!(Cli::try_parse_from(["radiculo", "--request-timeout-secs", "0"]).is_err());
        assert_eq!(config.public_url, None);
        let url = |text: &str| {
            Cli::try_parse_from(["radiculo", "--public-url", text]).map(|c| c.config.public_url)
        };
        assert_eq!(
            url("https://radiculo.example.org/").unwrap().as_deref(),
            Some("https://radiculo.example.org")
        );
        assert!(url("radiculo.example.org").is_err());
        assert!(url("https://x.org/?a=1").is_err());
    }

    #[test]
    fn the_default_database_is_a_sqlite_file_in_the_data_directory() {
        let url = default_database_url();
        assert!(url.starts_with("sqlite://"), "{url}");
        assert!(url.ends_with("radiculo/radiculo.db"), "{url}");
    }
}
