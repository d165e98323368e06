//! Local edits. Paths address a value from the root: map keys and list indexes.
//! Every edit runs on an up-to-date document and becomes one change, returned as a
//! [`Draft`] for the caller to append.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, Value};
use serde::{Deserialize, Serialize};

use super::json::put_json;
use super::{DocError, Document};
use crate::core::{Draft, Log};

/// One step of a path: a map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

impl From<&str> for PathSeg {
    fn from(s: &str) -> Self {
        PathSeg::Key(s.into())
    }
}

impl From<usize> for PathSeg {
    fn from(i: usize) -> Self {
        PathSeg::Index(i)
    }
}

impl PathSeg {
    fn prop(&self) -> Prop {
        match self {
            PathSeg::Key(k) => Prop::Map(k.clone()),
            PathSeg::Index(i) => Prop::Seq(*i),
        }
    }
}

pub(crate) fn show(path: &[PathSeg]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|p| match p {
            PathSeg::Key(k) => k.clone(),
            PathSeg::Index(i) => i.to_string(),
        })
        .collect();
    format!("/{}", parts.join("/"))
}

/// The object at `path` (the root for an empty path).
pub(crate) fn resolve(doc: &AutoCommit, path: &[PathSeg]) -> Result<ObjId, DocError> {
    let mut obj = automerge::ROOT;
    for (i, seg) in path.iter().enumerate() {
        match doc.get(&obj, seg.prop())? {
            Some((Value::Object(_), id)) => obj = id,
            Some(_) => return Err(bad(&path[..=i], "not an object")),
            None => return Err(bad(&path[..=i], "no such value")),
        }
    }
    Ok(obj)
}

fn bad(path: &[PathSeg], reason: &str) -> DocError {
    DocError::BadPath { path: show(path), reason: reason.into() }
}

/// Splits a path into its parent object and the last step.
fn parent<'p>(doc: &AutoCommit, path: &'p [PathSeg]) -> Result<(ObjId, &'p PathSeg), DocError> {
    let (last, init) = path.split_last().ok_or_else(|| bad(path, "the root cannot be replaced"))?;
    Ok((resolve(doc, init)?, last))
}

/// The edits one change may hold.
pub struct Editor<'a> {
    doc: &'a mut AutoCommit,
}

impl Editor<'_> {
    /// Sets a map key or replaces a list element with a JSON value (objects and arrays
    /// become automerge maps and lists; strings are plain strings, see [`put_text`](Self::put_text)).
    pub fn put(&mut self, path: &[PathSeg], value: &serde_json::Value) -> Result<(), DocError> {
        let (obj, last) = parent(self.doc, path)?;
        put_json(self.doc, &obj, last.prop(), value, false)
    }

    /// Inserts a JSON value into a list at `index`.
    pub fn insert(&mut self, list: &[PathSeg], index: usize, value: &serde_json::Value) -> Result<(), DocError> {
        let obj = resolve(self.doc, list)?;
        if self.doc.object_type(&obj)? != ObjType::List {
            return Err(bad(list, "not a list"));
        }
        if index > self.doc.length(&obj) {
            return Err(bad(list, "index past the end"));
        }
        put_json(self.doc, &obj, Prop::Seq(index), value, true)
    }

    /// Creates (or replaces) a collaborative text at `path`.
    pub fn put_text(&mut self, path: &[PathSeg], text: &str) -> Result<(), DocError> {
        let (obj, last) = parent(self.doc, path)?;
        let t = match last.prop() {
            Prop::Map(k) => self.doc.put_object(&obj, k, ObjType::Text)?,
            Prop::Seq(i) => self.doc.put_object(&obj, i, ObjType::Text)?,
        };
        self.doc.splice_text(&t, 0, 0, text)?;
        Ok(())
    }

    /// Deletes `del` characters at `pos` of the text at `path` and inserts `insert` there.
    pub fn splice_text(&mut self, path: &[PathSeg], pos: usize, del: usize, insert: &str) -> Result<(), DocError> {
        let obj = resolve(self.doc, path)?;
        if self.doc.object_type(&obj)? != ObjType::Text {
            return Err(bad(path, "not a text"));
        }
        let len = self.doc.length(&obj);
        if pos > len || pos + del > len {
            return Err(bad(path, "splice past the end of the text"));
        }
        self.doc.splice_text(&obj, pos, del as isize, insert)?;
        Ok(())
    }

    /// Removes a map key or a list element.
    pub fn delete(&mut self, path: &[PathSeg]) -> Result<(), DocError> {
        let (obj, last) = parent(self.doc, path)?;
        if self.doc.get(&obj, last.prop())?.is_none() {
            return Err(bad(path, "no such value"));
        }
        self.doc.delete(&obj, last.prop())?;
        Ok(())
    }
}

impl Document {
    /// Runs `f` on the up-to-date document and returns the change as a draft to append
    /// (`None` when `f` changed nothing). If `f` fails, nothing is kept.
    ///
    /// Contract: append the draft, then call [`update`](Self::update). If the append
    /// fails, call [`reload`](Self::reload) so the document matches the log again.
    pub fn edit(
        &mut self,
        log: &Log,
        f: impl FnOnce(&mut Editor<'_>) -> Result<(), DocError>,
    ) -> Result<Option<Draft>, DocError> {
        self.update(log)?;
        let result = f(&mut Editor { doc: &mut self.doc });
        if let Err(e) = result {
            self.doc.rollback();
            return Err(e);
        }
        Ok(self.take_change())
    }

    /// Rebuilds the document from the log, dropping any change that was not appended
    /// (counted in [`dropped_changes`](Self::dropped_changes); tracked patches go on from
    /// what was reported, the dropped edits undone first: [`take_patches`](Self::take_patches)).
    pub fn reload(&mut self, log: &Log) -> Result<(), DocError> {
        self.rebuild(log)
    }
}
