//! Throttling of guesses, per account and per client address, with growing delays: failed
//! logins ([`Limits::LOGIN`]), wrong second-step codes ([`Limits::SECOND_STEP`]) and redemption
//! codes that do not exist ([`Limits::REDEMPTION`]).
//!
//! Every login attempt is counted as a failure *before* its password is checked, and given
//! back when it succeeds, so sixteen guesses sent at once are throttled exactly like sixteen
//! in a row. Past a few free failures, each further one locks the subject for twice as long as
//! the one before, up to a cap; while locked, an attempt is answered 429 with `retry-after`
//! without hashing anything.
//!
//! The caps keep an attacker from locking the real user out for long: an account's lock never
//! exceeds [`ACCOUNT_MAX_LOCK`] however many guesses are made, while a client address that
//! guesses across many accounts is slowed much further ([`CLIENT_MAX_LOCK`]). A correct
//! password clears its account's record; it does not clear the client's, or one valid account
//! would let an attacker reset the counter between guesses. Records are forgotten an hour after
//! their last failure, and at most [`MAX_TRACKED`] are kept, so memory is bounded.
//!
//! Unknown emails are throttled exactly like existing ones: the answer says nothing about
//! which accounts exist.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an account may have before it is locked (logins).
const ACCOUNT_FREE: u32 = 5;
/// The longest an account is ever locked for (logins).
const ACCOUNT_MAX_LOCK: Duration = Duration::from_secs(60);
/// Failures a client address may have (across accounts) before it is locked (logins).
const CLIENT_FREE: u32 = 20;
/// The longest a client address is locked for (logins).
const CLIENT_MAX_LOCK: Duration = Duration::from_secs(15 * 60);

/// How many failures each kind of subject gets for free, and how long its lock grows.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub account_free: u32,
    pub account_max_lock: Duration,
    pub client_free: u32,
    pub client_max_lock: Duration,
}

impl Limits {
    pub const LOGIN: Limits = Limits {
        account_free: ACCOUNT_FREE,
        account_max_lock: ACCOUNT_MAX_LOCK,
        client_free: CLIENT_FREE,
        client_max_lock: CLIENT_MAX_LOCK,
    };
    /// Redemption codes carry 80 random bits, so guessing one is hopeless anyway; the lock is
    /// there to make trying expensive. The account here is logged in: locking it longer
    /// than a login costs the real user nothing unless they mistype ten codes in a row.
    /// Second login steps (TOTP or recovery codes): a code has only a million values, so an
    /// account is locked for longer than after wrong passwords. Reaching this step already
    /// took the right password, so the lock only ever slows someone who has it.
    pub const SECOND_STEP: Limits = Limits {
        account_free: 5,
        account_max_lock: Duration::from_secs(15 * 60),
        client_free: 20,
        client_max_lock: Duration::from_secs(15 * 60),
    };
    /// Password-reset requests: every request is a "failure" (none ever succeeds), so an
    /// address gets a few links in a row, then one at growing intervals, and a client asking
    /// about many addresses is slowed like a guesser.
    pub const PASSWORD_RESET: Limits = Limits {
        account_free: 3,
        account_max_lock: Duration::from_secs(15 * 60),
        client_free: 10,
        client_max_lock: Duration::from_secs(60 * 60),
    };
    pub const REDEMPTION: Limits = Limits {
        account_free: 10,
        account_max_lock: Duration::from_secs(15 * 60),
        client_free: 20,
        client_max_lock: Duration::from_secs(60 * 60),
    };
}
/// A record with no failure for this long is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Records kept at most.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    /// The normalised email, whether or not an account has it.
    Account(String),
    /// An IPv4 address, or the /64 of an IPv6 one (a single host commonly holds a whole /64).
    Client(u128),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    locked_until: Option<Instant>,
    last: Instant,
}

/// Too many failures: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub retry_after: Duration,
}

impl Locked {
    /// The wait in whole seconds, rounded up and at least 1, as `retry-after` gives it.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// An attempt let through; report how it ended with [`Throttle::succeeded`], or drop it
/// (a failure, already counted).
#[must_use]
pub struct Attempt {
    account: Subject,
    client: Option<Subject>,
}

pub struct Throttle {
    limits: Limits,
    records: Mutex<HashMap<Subject, Record>>,
}

impl Default for Throttle {
    /// The login throttle.
    fn default() -> Self {
        Throttle::new(Limits::LOGIN)
    }
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Throttle {
            limits,
            records: Mutex::default(),
        }
    }

    /// Lets an attempt on `account` (a normalised email, or any other stable name of the
    /// account) through, counting it as a failure until it succeeds, or says how long to wait.
    pub fn begin(&self, account: &str, client: Option<IpAddr>) -> Result<Attempt, Locked> {
        let now = Instant::now();
        let l = self.limits;
        let account = Subject::Account(account.to_owned());
        let client = client.map(|ip| Subject::Client(client_key(ip)));
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let wait = [Some(&account), client.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|s| records.get(s)?.locked_until)
            .filter(|until| *until > now)
            .max();
        if let Some(until) = wait {
            return Err(Locked {
                retry_after: until - now,
            });
        }
        if records.len() + 2 > MAX_TRACKED {
            prune(&mut records, now);
        }
        fail(
            &mut records,
            account.clone(),
            now,
            l.account_free,
            l.account_max_lock,
        );
        if let Some(c) = &client {
            fail(
                &mut records,
                c.clone(),
                now,
                l.client_free,
                l.client_max_lock,
            );
        }
        Ok(Attempt { account, client })
    }

    /// The attempt succeeded (the right password, a code that exists): its account starts
    /// afresh, and its client gets the failure back.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.remove(&attempt.account);
        if let Some(c) = attempt.client
            && let Some(r) = records.get_mut(&c)
        {
            r.failures = r.failures.saturating_sub(1);
        }
    }
}

/// Counts one failure; past `free` of them, locks for 1 s, 2 s, 4 s, … up to `max`.
fn fail(
    records: &mut HashMap<Subject, Record>,
    subject: Subject,
    now: Instant,
    free: u32,
    max: Duration,
) {
    let r = records.entry(subject).or_insert(Record {
        failures: 0,
        locked_until: None,
        last: now,
    });
    if now.duration_since(r.last) > FORGET_AFTER {
        r.failures = 0;
    }
    r.failures = r.failures.saturating_add(1);
    r.last = now;
    if r.failures >= free {
        let doublings = (r.failures - free).min(20);
        let lock = Duration::from_secs(1u64 << doublings).min(max);
        r.locked_until = Some(now + lock);
    }
}

/// Makes room: forgets stale records, then, if an attacker fills the table with fresh ones,
/// the least recently failed half.
fn prune(records: &mut HashMap<Subject, Record>, now: Instant) {
    records.retain(|_, r| now.duration_since(r.last) <= FORGET_AFTER);
    if records.len() + 2 > MAX_TRACKED {
        let mut lasts: Vec<Instant> = records.values().map(|r| r.last).collect();
        let middle = lasts.len() / 2;
        let (_, cutoff, _) = lasts.select_nth_unstable(middle);
        let cutoff = *cutoff;
        records.retain(|_, r| r.last > cutoff);
    }
}

fn client_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(u32::from(v4)),
            None => u128::from(v6) & !((1u128 << 64) - 1),
        },
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used)]
    use super::*;

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));

    #[test]
    fn an_account_locks_after_its_free_failures_and_a_success_clears_it() {
        let t = Throttle::default();
        for _ in 0..ACCOUNT_FREE {
            drop(t.begin("a@x.io", IP).expect("free"));
        }
        let locked = t.begin("a@x.io", IP).err().expect("locked");
        assert!(locked.retry_after <= Duration::from_secs(1));
        // Another account from the same client is not locked by it.
        let other = t.begin("b@x.io", IP).expect("another account");
        t.succeeded(other);
    }

    #[test]
    fn locks_double_up_to_the_cap() {
        let mut records = HashMap::new();
        let now = Instant::now();
        let s = Subject::Account("a@x.io".into());
        let mut locks = Vec::new();
        for _ in 0..30 {
            fail(&mut records, s.clone(), now, ACCOUNT_FREE, ACCOUNT_MAX_LOCK);
            locks.push(records[&s].locked_until.map(|u| (u - now).as_secs()));
        }
        assert_eq!(locks[..4], [None, None, None, None]);
        assert_eq!(
            locks[4..11],
            [
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(60)
            ]
        );
        assert_eq!(locks[29], Some(60), "never past the cap");
    }

    #[test]
    fn a_client_guessing_across_accounts_is_locked() {
        let t = Throttle::default();
        for i in 0..CLIENT_FREE {
            drop(t.begin(&format!("user{i}@x.io"), IP).expect("free"));
        }
        assert!(t.begin("fresh@x.io", IP).is_err());
        assert!(t.begin("fresh@x.io", None).is_ok(), "another client is not");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut records = HashMap::new();
        let now = Instant::now();
        for i in 0..MAX_TRACKED {
            records.insert(
                Subject::Client(i as u128),
                Record {
                    failures: 1,
                    locked_until: None,
                    last: now + Duration::from_nanos(i as u64),
                },
            );
        }
        prune(&mut records, now);
        assert!(records.len() <= MAX_TRACKED / 2 + 1, "{}", records.len());
    }
}
