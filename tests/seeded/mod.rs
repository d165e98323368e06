//! Seeded generators shared by the codec and sync property tests. Every failure message
//! names the seed, so a failing case can be replayed by running that one seed.
#![allow(dead_code)]

use std::sync::Arc;

use everlog::{ActorId, AppendOptions, Draft, Event, EventId, Extra, Log, Meta, Name};

/// xorshift64*: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A number of any magnitude: small ones often, huge ones sometimes.
    pub fn any_u64(&mut self) -> u64 {
        match self.below(4) {
            0 => self.below(4),
            1 => self.below(300),
            2 => self.below(1 << 40),
            _ => self.next(),
        }
    }

    pub fn text(&mut self, max: u64) -> String {
        const PARTS: [&str; 10] = ["a", "z", "0", ":", " ", "é", "字", "\u{1f600}", "\"", "\\"];
        (0..self.below(max + 1)).map(|_| PARTS[self.below(PARTS.len() as u64) as usize]).collect()
    }
}

/// An arbitrary event: any field values, valid or not for `Log::receive` (the codec must
/// carry them all).
pub fn arbitrary_event(rng: &mut Rng, actors: &[ActorId]) -> Event {
    let pick = |rng: &mut Rng| actors[rng.below(actors.len() as u64) as usize];
    let mut meta = Meta::new();
    if rng.chance(30) {
        for _ in 0..1 + rng.below(4) {
            meta.insert(rng.text(6), rng.text(12));
        }
    }
    let data_max = if rng.chance(5) { 3000 } else { 60 };
    // Drawn in the order the fields had before `Extra` (same events for the same seed).
    let id = EventId::new(pick(rng), rng.any_u64());
    let stream = Name::from(rng.text(8));
    let kind = Name::from(rng.text(8));
    let key = rng.chance(60).then(|| Name::from(rng.text(5)));
    let data = rng.text(data_max).into();
    let idempotency_key = rng.chance(20).then(|| Arc::from(rng.text(10)));
    let lamport = rng.any_u64();
    let time = rng.any_u64();
    let deps = (0..if rng.chance(25) { 1 + rng.below(3) } else { 0 })
        .map(|_| EventId::new(pick(rng), rng.any_u64()))
        .collect();
    Event { id, stream, kind, key, data, lamport, time, extra: Extra::boxed(meta, idempotency_key, deps) }
}

pub fn actor(n: u128) -> ActorId {
    ActorId::from_u128(n)
}

/// A realistic draft: a cart event with a ~100-byte JSON payload.
pub fn cart_draft(rng: &mut Rng, streams: u64) -> Draft {
    const TYPES: [&str; 3] = ["ItemAdded", "ItemRemoved", "QuantityChanged"];
    let sku = rng.below(40);
    let data = serde_json::json!({
        "sku": format!("SKU-{sku:05}"),
        "qty": 1 + rng.below(5),
        "price": 100 + rng.below(9900),
        "currency": "EUR",
        "note": if rng.chance(30) { "gift wrap" } else { "" },
    });
    let mut d = Draft::new(&format!("cart:{}", rng.below(streams)), TYPES[rng.below(3) as usize], data)
        .key(&format!("SKU-{sku:05}"));
    if rng.chance(10) {
        d = d.meta("schema", "2");
    }
    d
}

/// Appends `n` realistic events to `log`, in batches of up to 5, a few seconds apart.
pub fn append_realistic(rng: &mut Rng, log: &mut Log, n: usize, now: &mut u64) {
    let mut left = n;
    while left > 0 {
        let k = (1 + rng.below(5) as usize).min(left);
        let drafts = (0..k).map(|_| cart_draft(rng, 4)).collect();
        *now += rng.below(5_000);
        log.append(drafts, &AppendOptions::default(), *now).unwrap();
        left -= k;
    }
}

/// Checks what must hold of any log: its version counts its events, its iteration is in
/// the total order, and every event can be looked up by id.
pub fn assert_log_valid(log: &Log, ctx: &str) {
    assert_eq!(log.version().total(), log.len() as u64, "{ctx}: version vs length");
    let mut prev = None;
    for e in log.iter() {
        assert!(prev < Some(e.order_key()), "{ctx}: total order broken at {:?}", e.id());
        prev = Some(e.order_key());
        assert_eq!(log.get(&e.id()), Some(e), "{ctx}: lookup of {:?}", e.id());
    }
}
