//! A rate limit per caller: `per_minute` requests a minute on average, in bursts of up to a
//! minute's worth.
//!
//! `governor`'s keyed limiter (GCRA, which allows exactly what a token bucket of that size,
//! refilled at that rate, would). Its store is a `HashMap` behind a mutex held for a few
//! arithmetic operations and never across an `.await`, so the check stays synchronous. One
//! process keeps its own state; several servers behind a load balancer each allow the rate (a
//! shared limit would belong in the proxy in front of them).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

/// Beyond this many callers, idle ones are forgotten (those whose allowance has been full again
/// for one interval, a minute over the rate), so a flood of client addresses cannot grow the map
/// without bound. A caller still limited is kept: forgetting it would lift its limit.
const PRUNE_ABOVE: usize = 10_000;

/// `governor`'s keyed limiter on its `std` store (a `HashMap` behind a mutex) and `clock`.
type Keyed<C> = governor::RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

/// Rate limits by caller key (`key:<id>` or `ip:<address>`).
pub struct RateLimiter<C: Clock = DefaultClock> {
    /// `None` means no limit.
    limiter: Option<Keyed<C>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests a minute per caller (0: unlimited).
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    /// The same on another clock (tests use a fake one).
    fn with_clock(per_minute: u32, clock: C) -> RateLimiter<C> {
        let limiter = NonZeroU32::new(per_minute).map(|n| {
            governor::RateLimiter::new(
                Quota::per_minute(n),
                DefaultKeyedStateStore::default(),
                clock,
            )
        });
        RateLimiter { limiter }
    }

    /// Takes one request's allowance for `caller`, or says how long to wait for one.
    pub fn check(&self, caller: String) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        // While more callers than that are all active, every check walks the map, as the
        // hand-rolled buckets did; at the default 600 a minute that takes more than 10,000
        // addresses sending at least 50,000 requests a second between them.
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&caller)
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }

    /// How many callers are remembered.
    #[cfg(test)]
    fn callers(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }
}

/// A wait as whole seconds for `Retry-After`: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_burst_of_a_minutes_worth_then_one_request_per_interval() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(60, clock.clone());
        for _ in 0..60 {
            limiter.check("key:a".into()).unwrap();
        }
        let wait = limiter.check("key:a".into()).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert_eq!(retry_after_secs(wait), 1);
        // Another caller has its own allowance.
        limiter.check("key:b".into()).unwrap();
        // Part of the interval later, the wait is what is left of it.
        clock.advance(Duration::from_millis(400));
        let wait = limiter.check("key:a".into()).unwrap_err();
        assert_eq!(wait, Duration::from_millis(600));
        assert_eq!(retry_after_secs(wait), 1);
        // One second after the burst one request is allowed again, and only one.
        clock.advance(Duration::from_millis(600));
        limiter.check("key:a".into()).unwrap();
        assert!(limiter.check("key:a".into()).is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = RateLimiter::with_clock(0, FakeRelativeClock::default());
        for _ in 0..10_000 {
            limiter.check("ip:127.0.0.1".into()).unwrap();
        }
        assert_eq!(limiter.callers(), 0);
    }

    #[test]
    fn idle_callers_are_forgotten_beyond_the_bound_and_limited_ones_kept() {
        // Two a minute: one request every 30 s, in bursts of two.
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(2, clock.clone());
        for i in 0..=PRUNE_ABOVE {
            limiter
                .check(format!("ip:10.0.{}.{}", i / 256, i % 256))
                .unwrap();
        }
        // 40 s on, another caller uses its burst; the others are not idle long enough yet to be
        // forgotten (governor waits one interval after an allowance is full again).
        clock.advance(Duration::from_secs(40));
        limiter.check("key:busy".into()).unwrap();
        limiter.check("key:busy".into()).unwrap();
        assert_eq!(
            limiter.check("key:busy".into()),
            Err(Duration::from_secs(30))
        );
        assert_eq!(limiter.callers(), PRUNE_ABOVE + 2);
        // At 61 s the first ones are: the next check forgets them, but not the caller that is
        // still limited, which keeps its limit.
        clock.advance(Duration::from_secs(21));
        limiter.check("ip:192.0.2.1".into()).unwrap();
        assert_eq!(limiter.callers(), 2);
        assert_eq!(
            limiter.check("key:busy".into()),
            Err(Duration::from_secs(9))
        );
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
