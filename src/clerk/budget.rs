//! The request budget per Clerk instance: Clerk allows 1000 requests per 10 s to a production
//! instance and 100 to a development one, and answers 429 past that. Rather than collect 429s, each
//! attempt waits for room in the budget (within the call's deadline); with Redis the budget is
//! shared by every replica, otherwise each replica keeps it alone.
//!
//! An instance is known by its secret key (by digest; `sk_live_` keys are production). The budget
//! is a GCRA rate of 90 % of the limit with a burst of the other 10 %, so that no 10-second window,
//! however it is placed, sees more than the limit.

use super::SecretKey;
use crate::ratelimit::{Limit, Rate, Shared};
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Clerk's window.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Clerk's limit per window for a production instance.
pub const PRODUCTION_LIMIT: u32 = 1000;
/// Clerk's limit per window for a development instance.
pub const DEVELOPMENT_LIMIT: u32 = 100;

/// The budgets of every instance this process calls, by key digest.
#[derive(Debug)]
pub struct Budget {
    live: Option<Limit<[u8; 32]>>,
    test: Option<Limit<[u8; 32]>>,
}

/// The GCRA rate that keeps every `WINDOW` at or under `limit` requests (`None` for 0: no budget).
pub fn rate_for(limit: u32) -> Option<Rate> {
    let limit = NonZeroU32::new(limit)?.get();
    let burst = (limit / 10).max(1);
    let sustained = (limit - burst).max(1);
    Some(Rate {
        interval: WINDOW / sustained,
        burst,
    })
}

impl Budget {
    /// `limit`: Clerk's limit per window for every instance (`Some(0)` turns the budget off);
    /// `None` takes Clerk's published limits by the kind of key.
    pub fn new(limit: Option<u32>, shared: Option<Arc<Shared>>) -> Budget {
        let limit_for =
            |published| rate_for(limit.unwrap_or(published)).map(|r| Limit::new(r, shared.clone()));
        Budget {
            live: limit_for(PRODUCTION_LIMIT),
            test: limit_for(DEVELOPMENT_LIMIT),
        }
    }

    /// Takes room for one request with `key`: `Ok` it may go now, `Err(wait)` there is room only
    /// after `wait` (the caller decides whether it can wait that long and calls again).
    pub async fn take(&self, key: &SecretKey) -> Result<(), Duration> {
        let limit = if key.environment() == "live" {
            &self.live
        } else {
            &self.test
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        let digest: [u8; 32] = Sha256::digest(key.expose().as_bytes()).into();
        limit
            .check(&digest, || format!("clerk:{}", hex::encode(&digest[..16])))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_ten_second_window_goes_over_the_limit() {
        for limit in [1, 7, 50, DEVELOPMENT_LIMIT, PRODUCTION_LIMIT] {
            let r = rate_for(limit).unwrap();
            // Worst case: a full burst, then one request per interval for the rest of the window.
            let worst = r.burst + (WINDOW.as_micros() / r.interval.as_micros()) as u32;
            assert!(worst <= limit + 1, "limit {limit}: {r:?} allows {worst}");
            assert!(
                worst * 10 >= limit * 9,
                "limit {limit}: {r:?} wastes the budget ({worst})"
            );
        }
        assert_eq!(rate_for(0), None);
    }

    #[tokio::test]
    async fn a_development_key_waits_after_its_burst_and_keys_do_not_share() {
        let b = Budget::new(Some(20), None);
        let a = SecretKey::parse("sk_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let other = SecretKey::parse("sk_test_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").unwrap();
        for _ in 0..2 {
            assert_eq!(b.take(&a).await, Ok(()));
        }
        let wait = b.take(&a).await.unwrap_err();
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(560),
            "{wait:?}"
        );
        assert_eq!(b.take(&other).await, Ok(()));
        assert_eq!(Budget::new(Some(0), None).take(&a).await, Ok(()));
    }
}
