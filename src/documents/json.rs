//! JSON ⇄ automerge values.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Patch, PatchAction, Prop, ScalarValue};
use serde_json::{json, Value as Json};

use super::DocError;

fn scalar(v: &Json) -> Option<ScalarValue> {
    Some(match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => ScalarValue::Int(i),
            (None, Some(u), _) => ScalarValue::Uint(u),
            (_, _, Some(f)) => ScalarValue::F64(f),
            _ => return None,
        },
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

/// Writes `v` at `prop` of `obj` (`insert`: insert into a list rather than overwrite).
pub(crate) fn put_json(doc: &mut AutoCommit, obj: &ObjId, prop: Prop, v: &Json, insert: bool) -> Result<(), DocError> {
    let kind = match v {
        Json::Array(_) => Some(ObjType::List),
        Json::Object(_) => Some(ObjType::Map),
        _ => None,
    };
    let child = match (kind, prop, insert) {
        (None, Prop::Map(k), _) => {
            doc.put(obj, k, scalar(v).expect("scalar"))?;
            return Ok(());
        }
        (None, Prop::Seq(i), false) => {
            doc.put(obj, i, scalar(v).expect("scalar"))?;
            return Ok(());
        }
        (None, Prop::Seq(i), true) => {
            doc.insert(obj, i, scalar(v).expect("scalar"))?;
            return Ok(());
        }
        (Some(t), Prop::Map(k), _) => doc.put_object(obj, k, t)?,
        (Some(t), Prop::Seq(i), false) => doc.put_object(obj, i, t)?,
        (Some(t), Prop::Seq(i), true) => doc.insert_object(obj, i, t)?,
    };
    match v {
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                put_json(doc, &child, Prop::Seq(i), item, true)?;
            }
        }
        Json::Object(map) => {
            for (k, item) in map {
                put_json(doc, &child, Prop::Map(k.clone()), item, false)?;
            }
        }
        _ => unreachable!("scalars returned above"),
    }
    Ok(())
}

pub(crate) fn scalar_to_json(v: &ScalarValue) -> Json {
    match v {
        ScalarValue::Str(s) => json!(s.as_str()),
        ScalarValue::Int(i) => json!(i),
        ScalarValue::Uint(u) => json!(u),
        ScalarValue::F64(f) => json!(f),
        ScalarValue::Counter(c) => json!(i64::from(c)),
        ScalarValue::Timestamp(t) => json!(t),
        ScalarValue::Boolean(b) => json!(b),
        ScalarValue::Null => Json::Null,
        ScalarValue::Bytes(b) => json!(b),
        ScalarValue::Unknown { bytes, .. } => json!(bytes),
    }
}

pub(crate) fn value_to_json(v: &automerge::Value<'_>) -> Json {
    match v {
        automerge::Value::Scalar(s) => scalar_to_json(s),
        automerge::Value::Object(t) => json!({ "object": t.to_string() }),
    }
}

fn prop_json(p: &Prop) -> Json {
    match p {
        Prop::Map(k) => json!(k),
        Prop::Seq(i) => json!(i),
    }
}

/// A patch as `{path, action, …}` (the shape automerge's JS patches have).
pub(crate) fn patch_to_json(p: &Patch) -> Json {
    let path: Vec<Json> = p.path.iter().map(|(_, prop)| prop_json(prop)).collect();
    let with = |mut path: Vec<Json>, last: Json| {
        path.push(last);
        path
    };
    match &p.action {
        PatchAction::PutMap { key, value, conflict } => {
            json!({"action": "put", "path": with(path, json!(key)), "value": value_to_json(&value.0), "conflict": conflict})
        }
        PatchAction::PutSeq { index, value, conflict } => {
            json!({"action": "put", "path": with(path, json!(index)), "value": value_to_json(&value.0), "conflict": conflict})
        }
        PatchAction::Insert { index, values } => {
            let vals: Vec<Json> = values.iter().map(|(v, _, _)| value_to_json(v)).collect();
            json!({"action": "insert", "path": with(path, json!(index)), "values": vals})
        }
        PatchAction::SpliceText { index, value, .. } => {
            json!({"action": "splice", "path": with(path, json!(index)), "value": value.make_string()})
        }
        PatchAction::Increment { prop, value } => {
            json!({"action": "inc", "path": with(path, prop_json(prop)), "value": value})
        }
        PatchAction::DeleteMap { key } => json!({"action": "del", "path": with(path, json!(key))}),
        PatchAction::DeleteSeq { index, length } => {
            json!({"action": "del", "path": with(path, json!(index)), "length": length})
        }
        other => json!({"action": "other", "path": path, "detail": format!("{other:?}")}),
    }
}
