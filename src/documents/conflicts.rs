//! Keep-both inside documents: who wrote each side of a conflict, and the history of every
//! conflict that ever existed.

use std::collections::HashMap;

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{ObjId, Prop, ReadDoc, Value};
use serde::Serialize;

use super::edit::PathSeg;
use super::json::scalar_to_json;
use super::{DocError, Document};
use crate::core::{ActorId, EventId, Log};

/// One value of a property and the event that wrote it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DocValue {
    pub value: serde_json::Value,
    /// The event whose change wrote the value (absent for a change not appended yet).
    pub event: Option<EventId>,
    pub actor: Option<ActorId>,
    /// Hybrid-logical time of that event (ms).
    pub time: Option<u64>,
}

/// A property that currently holds several concurrent values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DocConflict {
    pub path: Vec<PathSeg>,
    /// Every concurrent value; the last is the one automerge shows by default (`to_json`).
    pub values: Vec<DocValue>,
}

/// One conflict in a document's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocConflictRecord {
    /// Where: a path like `/title` (an object id when the object no longer exists).
    pub path: String,
    /// The events whose writes were concurrent, in total order.
    pub siblings: Vec<EventId>,
    /// The event that overwrote (or deleted) all of them; `None` while open.
    pub resolved_by: Option<EventId>,
}

impl Document {
    /// Properties that currently hold concurrent values, with who wrote each and when.
    pub fn conflicts(&self, log: &Log) -> Result<Vec<DocConflict>, DocError> {
        let mut out = Vec::new();
        self.walk(log, &automerge::ROOT, &mut Vec::new(), &mut out)?;
        Ok(out)
    }

    fn walk(
        &self,
        log: &Log,
        obj: &ObjId,
        path: &mut Vec<PathSeg>,
        out: &mut Vec<DocConflict>,
    ) -> Result<(), DocError> {
        let props: Vec<Prop> = match self.doc.object_type(obj)? {
            automerge::ObjType::Map | automerge::ObjType::Table => self.doc.keys(obj).map(Prop::Map).collect(),
            automerge::ObjType::List => (0..self.doc.length(obj)).map(Prop::Seq).collect(),
            automerge::ObjType::Text => return Ok(()),
        };
        for prop in props {
            let seg = match &prop {
                Prop::Map(k) => PathSeg::Key(k.clone()),
                Prop::Seq(i) => PathSeg::Index(*i),
            };
            let all = self.doc.get_all(obj, prop.clone())?;
            path.push(seg);
            if all.len() > 1 {
                let values = all.iter().map(|(v, id)| self.attributed(log, v, id)).collect();
                out.push(DocConflict { path: path.clone(), values });
            }
            if let Some((Value::Object(_), child)) = self.doc.get(obj, prop)? {
                self.walk(log, &child, path, out)?;
            }
            path.pop();
        }
        Ok(())
    }

    fn attributed(&self, log: &Log, v: &Value<'_>, id: &ObjId) -> DocValue {
        let value = match v {
            Value::Scalar(s) => scalar_to_json(s),
            Value::Object(_) => self.object_json(id).unwrap_or(serde_json::Value::Null),
        };
        let event = self.doc.hash_for_opid(id).and_then(|h| self.event_of(&h));
        let e = event.and_then(|id| log.get(&id));
        DocValue { value, event, actor: e.map(|e| e.id().actor), time: e.map(|e| e.time()) }
    }

    fn object_json(&self, obj: &ObjId) -> Option<serde_json::Value> {
        let hydrated = self.doc.hydrate(obj, None).ok()?;
        Some(hydrate_json(&hydrated))
    }

    /// Every conflict that ever existed in the document, replayed from the changes'
    /// operations in the log's total order (the same on every replica).
    pub fn conflict_history(&self, log: &Log) -> Result<Vec<DocConflictRecord>, DocError> {
        let mut events: Vec<crate::core::EventRef<'_>> = self.index.iter().filter_map(|r| log.get(&r.event)).collect();
        events.sort_by_key(|e| e.order_key());

        type Slot = (ObjectId, Key);
        let mut visible: HashMap<Slot, Vec<(OpId, EventId)>> = HashMap::new();
        let mut open: HashMap<Slot, DocConflictRecord> = HashMap::new();
        let mut done = Vec::new();
        for e in events {
            let change = self.read_change(log, e)?.decode();
            for (i, op) in change.operations.iter().enumerate() {
                let id = OpId(change.start_op.get() + i as u64, change.actor_id.clone());
                if op.insert {
                    // A new list element: its own slot, keyed by the inserting op.
                    let slot = (op.obj.clone(), Key::Seq(automerge::legacy::ElementId::Id(id.clone())));
                    visible.insert(slot, vec![(id, e.id())]);
                    continue;
                }
                if matches!(op.action, OpType::Increment(_) | OpType::MarkBegin(_) | OpType::MarkEnd(_)) {
                    continue;
                }
                let slot = (op.obj.clone(), op.key.clone());
                let vis = visible.entry(slot.clone()).or_default();
                vis.retain(|(o, _)| !op.pred.iter().any(|p| p == o));
                if !matches!(op.action, OpType::Delete) {
                    vis.push((id, e.id()));
                }
                if vis.len() > 1 {
                    let rec = open.entry(slot.clone()).or_insert_with(|| DocConflictRecord {
                        path: self.describe(&slot.0, &slot.1),
                        siblings: Vec::new(),
                        resolved_by: None,
                    });
                    for (_, ev) in vis.iter() {
                        if !rec.siblings.contains(ev) {
                            rec.siblings.push(*ev);
                        }
                    }
                } else if let Some(mut rec) = open.remove(&slot) {
                    rec.resolved_by = Some(e.id());
                    done.push(rec);
                }
            }
        }
        let mut still: Vec<DocConflictRecord> = open.into_values().collect();
        still.sort_by(|a, b| a.path.cmp(&b.path));
        done.extend(still);
        Ok(done)
    }

    /// A readable path for a slot: `/fields/title`, or the object id if it is gone.
    fn describe(&self, obj: &ObjectId, key: &Key) -> String {
        let last = match key {
            Key::Map(k) => k.to_string(),
            Key::Seq(e) => format!("{e:?}"),
        };
        let base = match obj {
            ObjectId::Root => String::new(),
            ObjectId::Id(op) => {
                let exid = format!("{}@{}", op.counter(), op.actor());
                match self.doc.import_obj(&exid).ok().and_then(|o| self.doc.parents(&o).ok()) {
                    Some(parents) => {
                        let mut segs: Vec<String> = parents
                            .map(|p| match p.prop {
                                Prop::Map(k) => k,
                                Prop::Seq(i) => i.to_string(),
                            })
                            .collect();
                        segs.reverse();
                        format!("/{}", segs.join("/"))
                    }
                    None => exid,
                }
            }
        };
        format!("{base}/{last}")
    }
}

fn hydrate_json(v: &automerge::hydrate::Value) -> serde_json::Value {
    use automerge::hydrate::Value as H;
    match v {
        H::Scalar(s) => scalar_to_json(s),
        H::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, mv)| (k.to_string(), hydrate_json(&mv.value))).collect())
        }
        H::List(l) => serde_json::Value::Array(l.iter().map(|lv| hydrate_json(&lv.value)).collect()),
        H::Text(t) => serde_json::Value::String(t.to_string()),
    }
}
