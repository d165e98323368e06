//! Selecting a slice of the log: by stream, stream prefix, type, key, point in time, limit.

use serde::{Deserialize, Serialize};

use super::event::Event;
use super::version::VersionVector;

/// A point in the log's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum At {
    /// The events a version vector names (a causally closed set).
    Version(VersionVector),
    /// The events whose hybrid-logical time is at or before this many ms since the epoch.
    /// Hybrid-logical time never decreases along causality, so the set is causally closed.
    Time(u64),
}

impl At {
    #[inline]
    pub fn includes(&self, e: &Event) -> bool {
        match self {
            At::Version(v) => v.includes(&e.id),
            At::Time(t) => e.time <= *t,
        }
    }
}

/// Which events a query, fold or projection sees. Empty fields match everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Filter {
    pub stream: Option<String>,
    pub stream_prefix: Option<String>,
    /// Any of these types (empty: all types).
    #[serde(rename = "type")]
    pub types: Vec<String>,
    pub key: Option<String>,
    pub at: Option<At>,
    pub limit: Option<usize>,
}

impl Filter {
    pub fn stream(stream: &str) -> Self {
        Filter { stream: Some(stream.into()), ..Default::default() }
    }

    pub fn with_type(mut self, t: &str) -> Self {
        self.types.push(t.into());
        self
    }

    pub fn with_key(mut self, k: &str) -> Self {
        self.key = Some(k.into());
        self
    }

    pub fn at(mut self, at: At) -> Self {
        self.at = Some(at);
        self
    }

    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Does `e` pass every condition except `limit`?
    #[inline]
    pub fn matches(&self, e: &Event) -> bool {
        if let Some(s) = &self.stream {
            if *e.stream != **s {
                return false;
            }
        }
        if let Some(p) = &self.stream_prefix {
            if !e.stream.starts_with(p.as_str()) {
                return false;
            }
        }
        if !self.types.is_empty() && !self.types.iter().any(|t| **t == *e.kind) {
            return false;
        }
        if let Some(k) = &self.key {
            if e.key.as_deref() != Some(k.as_str()) {
                return false;
            }
        }
        if let Some(at) = &self.at {
            if !at.includes(e) {
                return false;
            }
        }
        true
    }
}
