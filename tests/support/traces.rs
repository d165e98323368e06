//! Loading the editing traces in `../shared/data/` (josephg/editing-traces, CC BY 4.0).
#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Txn {
    #[serde(default)]
    pub parents: Vec<usize>,
    #[serde(default)]
    pub agent: usize,
    /// `[position, deleted, inserted]`, positions in Unicode code points.
    pub patches: Vec<(usize, usize, String)>,
}

#[derive(Deserialize)]
pub struct Trace {
    #[serde(rename = "endContent")]
    pub end_content: String,
    #[serde(rename = "numAgents", default)]
    pub num_agents: usize,
    pub txns: Vec<Txn>,
}

pub fn load(name: &str) -> Trace {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut json = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut json).expect("gzip");
    serde_json::from_str(&json).expect("trace json")
}
