use everlog::store::{block_on, MemoryStorage, Replica};
use everlog::toolkit::decider::{decide_replica_with_hook, decide_with_hook};
use everlog::toolkit::{decide, DecideError, DecideOptions, Decider, ToolkitError};
use everlog::{AppendOptions, Draft, Error, Event, EventRef, Log};
use serde_json::json;

use super::{ME, PEER};

/// A counter with a cap: `Add(n)` is refused when it would pass 10.
struct Capped;

#[derive(Debug, PartialEq)]
enum Rejected {
    OverCap { total: i64 },
}

impl Decider for Capped {
    type State = i64;
    type Command = i64;
    type Rejection = Rejected;

    fn initial(&self) -> i64 {
        0
    }

    fn evolve(&self, state: &mut i64, event: EventRef<'_>) {
        *state += event.data_value().unwrap()["n"].as_i64().unwrap_or(0);
    }

    fn decide(&self, add: &i64, total: &i64) -> Result<Vec<Draft>, Rejected> {
        if total + add > 10 {
            return Err(Rejected::OverCap { total: *total });
        }
        Ok(vec![Draft { kind: "Added".into(), data: json!({ "n": add }).to_string(), ..Default::default() }])
    }
}

fn total(log: &Log) -> i64 {
    log.events(&everlog::Filter::stream("c")).map(|e| e.data_value().unwrap()["n"].as_i64().unwrap()).sum()
}

/// Another writer's event on stream `c`, appended by a peer and received.
fn interfere(log: &mut Log, seq: u64) {
    let mut peer = Log::new(PEER);
    let mine: Vec<Event> = log.iter().map(|e| e.to_event()).collect();
    if !mine.is_empty() {
        peer.receive(mine).unwrap();
    }
    for _ in 0..seq {
        peer.append(vec![Draft::new("c", "Added", json!({ "n": 1 }))], &AppendOptions::default(), 5).unwrap();
    }
    let theirs: Vec<Event> = peer.missing_from(log.version()).map(|e| e.to_event()).collect();
    log.receive(theirs).unwrap();
}

#[test]
fn a_command_folds_the_stream_and_appends_its_events() {
    // Given a stream with a total of 4
    let mut log = Log::new(ME);
    decide(&mut log, &Capped, "c", &4, &DecideOptions::at(1)).unwrap();
    // When a command adds 5
    let out = decide(&mut log, &Capped, "c", &5, &DecideOptions::at(2)).unwrap();
    // Then one event is appended to the stream
    assert_eq!(out.len(), 1);
    assert_eq!((&*out[0].stream, total(&log)), ("c", 9));
    // And a command over the cap is rejected with the domain's reason, appending nothing
    let err = decide(&mut log, &Capped, "c", &2, &DecideOptions::at(3)).unwrap_err();
    assert_eq!(err, DecideError::Rejected(Rejected::OverCap { total: 9 }));
    assert_eq!(log.len(), 2);
}

#[test]
fn a_concurrent_writer_makes_it_fold_again_and_retry() {
    // Given a stream at 4, and another writer that appends once between fold and append
    let mut log = Log::new(ME);
    decide(&mut log, &Capped, "c", &4, &DecideOptions::at(1)).unwrap();
    let mut calls = 0;
    // When a command adds 5
    let out = decide_with_hook(&mut log, &Capped, "c", &5, &DecideOptions::at(2), &mut |log, attempt| {
        calls += 1;
        if attempt == 1 {
            interfere(log, 1);
        }
    })
    .unwrap();
    // Then the first append hit a concurrency error, the second attempt saw the other write
    assert_eq!(calls, 2);
    assert_eq!(out.len(), 1);
    assert_eq!(total(&log), 10);
    assert_eq!(log.stream_version("c"), 3);
}

#[test]
fn the_retry_rechecks_the_rules_and_gives_up_after_the_bound() {
    // Given a stream at 4 and a writer that pushes it to 6 before our append
    let mut log = Log::new(ME);
    decide(&mut log, &Capped, "c", &4, &DecideOptions::at(1)).unwrap();
    // When a command adds 5 (fine at 4, over the cap at 6)
    let err = decide_with_hook(&mut log, &Capped, "c", &5, &DecideOptions::at(2), &mut |log, attempt| {
        if attempt == 1 {
            interfere(log, 2);
        }
    })
    .unwrap_err();
    // Then the refold sees 6 and the decider refuses
    assert_eq!(err, DecideError::Rejected(Rejected::OverCap { total: 6 }));
    // Given a writer that interferes before every attempt
    let mut log = Log::new(ME);
    let opts = DecideOptions { max_attempts: 3, now_ms: 1 };
    let mut calls = 0;
    let err = decide_with_hook(&mut log, &Capped, "c", &1, &opts, &mut |log, _| {
        calls += 1;
        log.append(vec![Draft::new("c", "Added", json!({ "n": 0 }))], &AppendOptions::default(), 1).unwrap();
    })
    .unwrap_err();
    // Then it gives up after three attempts with the concurrency error
    assert_eq!(calls, 3);
    assert!(matches!(err, DecideError::Log(ToolkitError::Log(Error::Concurrency { .. }))), "{err:?}");
}

#[test]
fn a_decision_against_a_replica_is_persisted_and_retried() {
    // Given a replica with a stream at 4
    let storage = MemoryStorage::new();
    let mut replica = block_on(Replica::open(storage.reopen(), Some(ME))).unwrap();
    block_on(everlog::toolkit::decide_replica(&mut replica, &Capped, "c", &4, &DecideOptions::at(1))).unwrap();
    // When a sync lands between the fold and the append
    let opts = DecideOptions::at(2);
    let mut hook = |r: &mut Replica<MemoryStorage>, attempt: u32| {
        if attempt == 1 {
            let mut peer = Log::new(PEER);
            peer.append(vec![Draft::new("c", "Added", json!({ "n": 1 }))], &AppendOptions::default(), 5).unwrap();
            block_on(r.receive(peer.iter().map(|e| e.to_event()).collect())).unwrap();
        }
    };
    block_on(decide_replica_with_hook(&mut replica, &Capped, "c", &5, &opts, &mut hook)).unwrap();
    // Then the decision was retried, and everything is in storage after a reopen
    drop(replica);
    let replica = block_on(Replica::open(storage.reopen(), Some(ME))).unwrap();
    assert_eq!(total(replica.log()), 10);
}

#[test]
fn a_draft_for_another_stream_is_refused() {
    struct Stray;
    impl Decider for Stray {
        type State = ();
        type Command = ();
        type Rejection = ();
        fn initial(&self) {}
        fn evolve(&self, _: &mut (), _: EventRef<'_>) {}
        fn decide(&self, _: &(), _: &()) -> Result<Vec<Draft>, ()> {
            Ok(vec![Draft::new("elsewhere", "X", json!(null))])
        }
    }
    // Given an empty log, when a decider writes outside its stream, then nothing is appended
    let mut log = Log::new(ME);
    let err = decide(&mut log, &Stray, "c", &(), &DecideOptions::at(1)).unwrap_err();
    assert!(matches!(err, DecideError::Log(ToolkitError::DraftOutsideStream { .. })));
    assert!(log.is_empty());
}
