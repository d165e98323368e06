//! Two devices edit the same shopping cart offline, then sync: nothing is lost, and the
//! concurrent quantity changes stay visible as a conflict until one device resolves it.
//!
//! Run: `cargo run --example offline_cart`

use everlog::{ActorId, AppendOptions, Draft, Filter, Log};
use serde_json::json;

fn main() -> Result<(), everlog::Error> {
    let opts = AppendOptions::default();
    let mut phone = Log::new(ActorId::random());
    let mut laptop = Log::new(ActorId::random());

    phone.append(
        vec![Draft::new("cart:42", "ItemAdded", json!({"sku": "sock", "qty": 2})).key("sock")],
        &opts,
        1_000,
    )?;
    laptop.receive(phone.iter().map(|e| e.to_event()).collect())?;

    // Offline, both change the quantity of the same item.
    phone.append(
        vec![Draft::new("cart:42", "QtyChanged", json!({"sku": "sock", "qty": 3})).key("sock")],
        &opts,
        2_000,
    )?;
    laptop.append(
        vec![Draft::new("cart:42", "QtyChanged", json!({"sku": "sock", "qty": 5})).key("sock")],
        &opts,
        2_100,
    )?;

    // Back online: exchange what the other lacks.
    let to_laptop: Vec<_> = phone.missing_from(laptop.version()).map(|e| e.to_event()).collect();
    let to_phone: Vec<_> = laptop.missing_from(phone.version()).map(|e| e.to_event()).collect();
    laptop.receive(to_laptop)?;
    phone.receive(to_phone)?;

    let conflicts = phone.conflicts(&Filter::stream("cart:42"));
    println!("after sync both devices hold {} events and see {} conflict(s):", phone.len(), conflicts.len());
    for c in &conflicts {
        for e in &c.events {
            println!("  {}/{}: {} by {} at t={}", c.stream, c.key, e.data, &e.id.actor.to_hex()[..8], e.time);
        }
    }

    // The phone resolves it; the resolution is itself an event.
    phone.append(
        vec![Draft::new("cart:42", "QtyChanged", json!({"sku": "sock", "qty": 4})).key("sock")],
        &opts,
        3_000,
    )?;
    let fix: Vec<_> = phone.missing_from(laptop.version()).map(|e| e.to_event()).collect();
    laptop.receive(fix)?;
    for r in laptop.conflict_history(&Filter::stream("cart:42")) {
        println!("history: {} siblings on {}/{}, resolved by {:?}", r.siblings.len(), r.stream, r.key, r.resolved_by);
    }
    assert_eq!(phone.version(), laptop.version());
    assert!(laptop.conflicts(&Filter::default()).is_empty());
    Ok(())
}
