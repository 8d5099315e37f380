//! A token bucket per caller: `per_minute` requests a minute on average, in bursts of up to a
//! minute's worth.
//!
//! A std `Mutex`, not a Tokio one: the lock is held for a few arithmetic operations and never
//! across an `.await`, which is what std's mutex is for. One process keeps its own buckets;
//! several servers behind a load balancer each allow the rate (a shared limit would belong in
//! the proxy in front of them).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Beyond this many buckets, full (idle) ones are dropped, so a flood of client addresses
/// cannot grow the map without bound.
const PRUNE_ABOVE: usize = 10_000;

/// Rate limits by caller key (`key:<id>` or `ip:<address>`).
#[derive(Debug)]
pub struct RateLimiter {
    /// Requests per minute; 0 means no limit.
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests a minute per caller (0: unlimited).
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `caller` at `now`, or says how long to wait for one.
    pub fn check(&self, caller: &str, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        // A poisoned lock only means another request panicked mid-update; the buckets are
        // still plain numbers, so carry on with them.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| refilled(b, now, per_second, capacity) < capacity);
        }
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        bucket.tokens = refilled(bucket, now, per_second, capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

fn refilled(bucket: &Bucket, now: Instant, per_second: f64, capacity: f64) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
    (bucket.tokens + elapsed * per_second).min(capacity)
}

/// A wait as whole seconds for `Retry-After`: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_a_minutes_worth_then_one_token_per_interval() {
        let limiter = RateLimiter::new(60);
        let t0 = Instant::now();
        for _ in 0..60 {
            limiter.check("key:a", t0).unwrap();
        }
        let wait = limiter.check("key:a", t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 1);
        // Another caller has its own bucket.
        limiter.check("key:b", t0).unwrap();
        // One second later one token has come back, and only one.
        let t1 = t0 + Duration::from_secs(1);
        limiter.check("key:a", t1).unwrap();
        assert!(limiter.check("key:a", t1).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            limiter.check("ip:127.0.0.1", t0).unwrap();
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
