//! The events of the usage story and the reports of them as their sums must read, taken
//! straight from the events (the suite's model of a report: filters, grouping, time zones).

use std::collections::BTreeMap;

use codexkey_common::api::UsageDimension;
use codexkey_common::{Micros, Usage};

use crate::store::conformance::setup::{DAY, HOUR};
use crate::store::usage::{StatusFilter, UsageFilter, UsageGroupRecord};
use crate::store::{Millis, UsageEventRecord, testkit};

/// One event of the story, as the reports should see it.
#[derive(Clone)]
pub struct Ev {
    pub request: String,
    pub account: i64,
    pub key: Option<i64>,
    pub model: Option<&'static str>,
    pub status: u16,
    pub at: Millis,
    pub usage: Usage,
    pub cost: i64,
}

impl Ev {
    pub fn record(&self) -> UsageEventRecord {
        UsageEventRecord {
            model: self.model.map(str::to_owned),
            status: self.status,
            usage: self.usage,
            ..testkit::event(&self.request, self.account, self.key, self.cost, self.at)
        }
    }

    pub fn matches(&self, f: &UsageFilter) -> bool {
        f.scope.is_none_or(|a| a == self.account)
            && f.from.is_none_or(|t| self.at >= t)
            && f.to.is_none_or(|t| self.at < t)
            && f.key_id.is_none_or(|k| Some(k) == self.key)
            && f.model.as_deref().is_none_or(|m| {
                // Patterns read "no model" as the empty name; an exact name never matches it.
                match self.model {
                    Some(name) => codexkey_common::glob::matches(m, name),
                    None => m.contains('*') && codexkey_common::glob::matches(m, ""),
                }
            })
            && f.status.is_none_or(|s| match s {
                StatusFilter::Ok => (200..300).contains(&self.status),
                StatusFilter::Error => !(200..300).contains(&self.status),
                StatusFilter::Code(c) => c == self.status,
            })
    }
}

/// Who the reports name: account emails and key prefixes and names, by id.
pub struct Names {
    pub emails: BTreeMap<i64, String>,
    pub keys: BTreeMap<i64, (String, Option<String>)>,
}

/// The report `usage_report` must give, summed straight from the events.
pub fn expected(
    evs: &[Ev],
    names: &Names,
    f: &UsageFilter,
    dims: &[UsageDimension],
    tz: i64,
) -> Vec<UsageGroupRecord> {
    let width = dims.iter().find_map(|d| match d {
        UsageDimension::Hour => Some(HOUR),
        UsageDimension::Day => Some(DAY),
        _ => None,
    });
    // Sorted by the dimensions in their order; a missing key sorts first, as does "no model".
    let mut groups: BTreeMap<Vec<(i64, String)>, UsageGroupRecord> = BTreeMap::new();
    for e in evs.iter().filter(|e| e.matches(f)) {
        let mut sort = Vec::new();
        let mut g = UsageGroupRecord::default();
        for d in dims {
            match d {
                UsageDimension::Hour | UsageDimension::Day => {
                    let w = width.unwrap_or(HOUR);
                    let start = (e.at + tz).div_euclid(w) * w - tz;
                    g.period_start = Some(start);
                    sort.push((start, String::new()));
                }
                UsageDimension::Account => {
                    g.account_id = Some(e.account);
                    g.email = names.emails.get(&e.account).cloned();
                    sort.push((e.account, String::new()));
                }
                UsageDimension::Key => {
                    g.key_id = e.key;
                    if let Some((prefix, name)) = e.key.and_then(|k| names.keys.get(&k)) {
                        g.key_prefix = Some(prefix.clone());
                        g.key_name = name.clone();
                    }
                    sort.push((e.key.unwrap_or(0), String::new()));
                }
                UsageDimension::Model => {
                    let model = e.model.unwrap_or("").to_owned();
                    g.model = Some(model.clone());
                    sort.push((0, model));
                }
            }
        }
        let t = &mut groups.entry(sort).or_insert(g).totals;
        t.requests += 1;
        t.errors += u64::from(!(200..300).contains(&e.status));
        t.input_tokens += e.usage.input_tokens;
        t.cached_tokens += e.usage.cached_tokens;
        t.cache_write_tokens += e.usage.cache_write_5m_tokens + e.usage.cache_write_1h_tokens;
        t.output_tokens += e.usage.output_tokens;
        t.reasoning_tokens += e.usage.reasoning_tokens;
        t.images += e.usage.images;
        t.cost_micros = Micros(t.cost_micros.0 + e.cost);
    }
    groups.into_values().collect()
}

pub fn usage_of(n: u64) -> Usage {
    Usage {
        input_tokens: 10 * n,
        cached_tokens: n,
        cache_write_5m_tokens: n % 3,
        cache_write_1h_tokens: 4 * (n % 2),
        output_tokens: 2 * n,
        reasoning_tokens: n % 2,
        images: n % 3,
    }
}

pub fn range(from: Option<Millis>, to: Option<Millis>) -> UsageFilter {
    UsageFilter {
        from,
        to,
        ..UsageFilter::default()
    }
}
