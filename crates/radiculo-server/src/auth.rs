//! API keys and the rate limit, as extractors.
//!
//! A key is checked against the store on every request and nothing about it is cached, so a
//! revoked key stops working with the next request. The rate limit is taken after the key is
//! known (per key), or per client address on open endpoints called without a key and for every
//! key refused. While the store is unavailable, a key cannot be checked: the answer is 503
//! (retry), never 401 (a client would think its key bad).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{HeaderValue, header, request::Parts};
use radiculo_store::KeyInfo;

use crate::limit::retry_after_secs;
use crate::{AppState, Error};

/// A caller with a valid key; its tenant scopes every record it can see.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The tenant the key belongs to.
    pub tenant: String,
}

impl FromRequestParts<AppState> for Tenant {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Tenant, Error> {
        let key = authenticate(parts, state)
            .await?
            .ok_or(Error::Unauthorized)?;
        take_token(state, format!("key:{}", key.id))?;
        Ok(Tenant { tenant: key.tenant })
    }
}

/// A caller of an endpoint that needs no key unless the server requires one. A key that is
/// sent must be valid either way.
#[derive(Debug, Clone, Copy)]
pub struct OpenCaller;

impl FromRequestParts<AppState> for OpenCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<OpenCaller, Error> {
        match authenticate(parts, state).await? {
            Some(key) => take_token(state, format!("key:{}", key.id))?,
            None if state.require_key => return Err(Error::Unauthorized),
            None => take_token(state, by_address(parts))?,
        }
        Ok(OpenCaller)
    }
}

/// The key behind the `Authorization` header: `None` when there is no header; an error when
/// the header is malformed or the key unknown or revoked.
///
/// A refused key is charged to the client address's allowance, so that guessing keys is rate
/// limited like any other request without a valid key (429 once the allowance is used up).
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<KeyInfo>, Error> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let refused = || take_token(state, by_address(parts)).and(Err(Error::Unauthorized));
    let Some(secret) = bearer_token(value) else {
        return refused();
    };
    let Some(key) = state.store.authenticate(secret).await? else {
        return refused();
    };
    // The key's public id, never its secret, goes into the request's span.
    tracing::Span::current().record("key_id", key.id.as_str());
    Ok(Some(key))
}

/// The rate-limit caller of a request without a valid key: its client address. (The address
/// is missing only when the router is called without a socket, as tests' `oneshot` does.)
fn by_address(parts: &Parts) -> String {
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    format!("ip:{address}")
}

/// The token of `Bearer <token>` (the scheme is case-insensitive).
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn take_token(state: &AppState, caller: String) -> Result<(), Error> {
    state
        .limiter
        .check(caller)
        .map_err(|wait| Error::RateLimited {
            retry_after_secs: retry_after_secs(wait),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_with_any_case_of_scheme() {
        let token = |s: &'static str| bearer_token(&HeaderValue::from_static(s)).map(str::to_owned);
        assert_eq!(token("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(token("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(token("Basic abc"), None);
        assert_eq!(token("Bearer "), None);
        assert_eq!(token("Bearer"), None);
    }
}
