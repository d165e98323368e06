//! Selecting a slice of the log: by stream, stream prefix, type, key, point in time, limit.

use serde::{Deserialize, Serialize};

use super::event_ref::EventRef;
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
    pub fn includes(&self, e: EventRef<'_>) -> bool {
        match self {
            At::Version(v) => v.includes(&e.id()),
            At::Time(t) => e.time() <= *t,
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
    /// The JSON serde writes for it, byte for byte (projection fingerprints compare it),
    /// written by hand so the wasm package links no serde_json serializer (docs/size.md).
    pub fn to_json(&self) -> String {
        use super::fold::scan::push_string;
        let opt = |out: &mut String, name: &str, v: &Option<String>| {
            out.push_str(name);
            match v {
                Some(s) => push_string(out, s),
                None => out.push_str("null"),
            }
        };
        let mut out = String::new();
        opt(&mut out, "{\"stream\":", &self.stream);
        opt(&mut out, ",\"streamPrefix\":", &self.stream_prefix);
        out.push_str(",\"type\":[");
        for (i, t) in self.types.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_string(&mut out, t);
        }
        opt(&mut out, "],\"key\":", &self.key);
        out.push_str(",\"at\":");
        match &self.at {
            None => out.push_str("null"),
            Some(At::Version(v)) => {
                out.push_str("{\"version\":");
                v.push_json(&mut out);
                out.push('}');
            }
            Some(At::Time(t)) => out.push_str(&format!("{{\"time\":{t}}}")),
        }
        out.push_str(",\"limit\":");
        out.push_str(&self.limit.map_or_else(|| "null".into(), |l| l.to_string()));
        out.push('}');
        out
    }

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
    pub fn matches(&self, e: EventRef<'_>) -> bool {
        if let Some(s) = &self.stream {
            if **e.stream() != **s {
                return false;
            }
        }
        if let Some(p) = &self.stream_prefix {
            if !e.stream().starts_with(p.as_str()) {
                return false;
            }
        }
        if !self.types.is_empty() && !self.types.iter().any(|t| **t == **e.kind()) {
            return false;
        }
        if let Some(k) = &self.key {
            if e.key().map(|k| &**k) != Some(k.as_str()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::id::ActorId;

    #[test]
    fn to_json_is_what_serde_writes() {
        let mut vv = VersionVector::new();
        vv.set(ActorId::from_u128(0xab), 3);
        vv.set(ActorId::from_u128(7 << 100), 1);
        for f in [
            Filter::default(),
            Filter::stream("cart:\"1\"\n").with_type("A").with_type("B\\").with_key("k").limit(4),
            Filter { stream_prefix: Some("c".into()), at: Some(At::Time(99)), ..Default::default() },
            Filter::default().at(At::Version(vv)),
            Filter::default().at(At::Version(VersionVector::new())),
        ] {
            assert_eq!(f.to_json(), serde_json::to_string(&f).unwrap());
        }
    }
}
