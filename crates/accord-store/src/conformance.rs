//! The conformance suite every [`Store`] backend must pass.
//!
//! Each public function checks one property on a fresh, empty store and
//! panics (like a test) when the backend breaks it. A backend's test file
//! runs each one on a new store, e.g. for SQLite:
//!
//! ```ignore
//! #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
//! async fn appends() { accord_store::conformance::appends(fresh_store().await).await }
//! ```
//!
//! or all of them with [`run_all`]. The suite only speaks through the trait,
//! so PostgreSQL (or any later backend) is checked by exactly the same code.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use accord_core::event::{Actor, Comment, Event, Payload, State};
use accord_core::model::{
    Issue, IssueKind, IssueOption, Negotiation, Party, Profile, Provision, Rating, Role, Timetable, Weighting,
};
use accord_merkle::{MerkleTree, empty_root, leaf_hash};
use chrono::{DateTime, Duration, TimeZone, Utc};
use tokio::sync::Barrier;

use crate::{Account, Store, StoreError, TokenKind};

/// Runs every property, each on a store fresh from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    appends(make().await).await;
    events_round_trip(make().await).await;
    rejected_appends_write_nothing(make().await).await;
    reads_at_a_version(make().await).await;
    concurrent_appends_at_one_position(make().await).await;
    no_lost_updates_under_concurrent_writers(make().await).await;
    inclusion_proofs_verify(make().await).await;
    consistency_proofs_verify(make().await).await;
    accounts(make().await).await;
    tokens(make().await).await;
    accounts_are_listed(make().await).await;
    imports_keep_bytes_verbatim(make().await).await;
    imports_need_an_empty_store(make().await).await;
    failed_imports_leave_nothing(make().await).await;
    appends_are_announced(make().await).await;
    batches_are_all_or_nothing(make().await).await;
    the_outbox_is_written_with_its_events_and_drained_once(make().await).await;
}

/// The outbox: messages go in with the events that decided them (and not
/// when the append is refused), a claim hands a message to one caller until
/// its lease ends, a failure is counted with its error and retried when
/// due, a delivered message leaves, and one that failed too often is kept
/// but no longer handed out. `log_sizes` lists every log with its size.
pub async fn the_outbox_is_written_with_its_events_and_drained_once<S: Store>(store: S) {
    let id = "outbox";
    let log = sample_log(id, 3);
    let bodies = vec!["first".to_string(), "second".to_string()];
    ok(store.append_all_with_outbox(id, 0, &log[..2], &[]).await, "append without messages");
    assert!(ok(store.outbox().await, "outbox").is_empty());
    // A refused append (stale position) writes no message either.
    assert_conflict(store.append_all_with_outbox(id, 1, &log[1..2], &bodies).await, 1, 2);
    assert!(ok(store.outbox().await, "outbox").is_empty(), "a refused append leaves no message");
    ok(store.append_all_with_outbox(id, 2, &log[2..3], &bodies).await, "append with messages");
    assert_eq!(ok(store.log_sizes().await, "log sizes"), vec![(id.to_string(), 3)]);

    let claimed = ok(store.claim_outbox(1_000, 61_000, 10).await, "claim");
    assert_eq!(claimed.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["first", "second"]);
    assert!(claimed.iter().all(|m| m.negotiation == id && m.attempts == 0 && m.last_error.is_none()));
    assert!(ok(store.claim_outbox(2_000, 62_000, 10).await, "claim again").is_empty(), "claimed until the lease ends");

    let (first, second) = (claimed[0].id, claimed[1].id);
    ok(store.outbox_delivered(first).await, "delivered");
    ok(store.outbox_failed(second, "relay said no", Some(5_000)).await, "failed");
    let left = ok(store.outbox().await, "outbox");
    assert_eq!(left.len(), 1, "the delivered message left");
    assert_eq!((left[0].attempts, left[0].last_error.as_deref()), (1, Some("relay said no")));
    assert!(ok(store.claim_outbox(4_999, 70_000, 10).await, "claim before the retry").is_empty());
    let retried = ok(store.claim_outbox(5_000, 70_000, 10).await, "claim at the retry");
    assert_eq!(retried.iter().map(|m| m.id).collect::<Vec<_>>(), [second]);
    ok(store.outbox_failed(second, "still no", None).await, "given up");
    let kept = ok(store.outbox().await, "outbox");
    assert!(kept[0].given_up && kept[0].attempts == 2, "{kept:?}");
    assert!(ok(store.claim_outbox(i64::MAX, i64::MAX, 10).await, "claim").is_empty(), "given up: not handed out");
    assert!(matches!(store.outbox_delivered(first).await, Err(StoreError::NotFound { .. })));
}

/// `append_all` writes a batch in one go: a refused batch (empty, a gap in
/// its positions, a stale or future position) writes nothing — not even its
/// first events, not even the negotiation — and an accepted one is
/// acknowledged, announced and rooted as its last event, with the same bytes
/// and root as appending its events one by one.
pub async fn batches_are_all_or_nothing<S: Store>(store: S) {
    let id = "batches";
    let events = sample_log(id, 10);
    let mut announcements = store.subscribe();
    let untouched = |what: &str| format!("{what} wrote something");

    assert!(matches!(store.append_all(id, 0, &[]).await, Err(StoreError::Invalid { .. })), "an empty batch");
    let mut gap = events[..4].to_vec();
    gap[2].position = 7;
    assert!(matches!(store.append_all(id, 0, &gap).await, Err(StoreError::Invalid { .. })), "a batch with a gap");
    assert_conflict(store.append_all(id, 2, &events[2..5]).await, 2, 0);
    assert!(ok(store.negotiations().await, "negotiations").is_empty(), "{}", untouched("a refused batch"));
    assert_eq!(ok(store.log_size(id).await, "size"), 0, "{}", untouched("a refused batch"));

    let mut tree = MerkleTree::new();
    for event in &events[..4] {
        tree.push(leaf_hash(&serde_json::to_vec(event).unwrap_or_else(|e| panic!("encode: {e}"))));
    }
    let appended = ok(store.append_all(id, 0, &events[..4]).await, "a batch of four");
    assert_eq!((appended.position, appended.size), (3, 4), "acknowledged as its last event");
    assert_eq!(appended.root, tree.current_root(), "the root after the batch");
    let announced = tokio::time::timeout(std::time::Duration::from_secs(5), announcements.recv())
        .await
        .unwrap_or_else(|_| panic!("the batch was not announced"))
        .unwrap_or_else(|e| panic!("announcements: {e}"));
    assert_eq!((announced.negotiation.as_str(), announced.size), (id, 4), "announced once, at its end");

    // A batch that conflicts part-way through its positions writes none of them.
    assert_conflict(store.append_all(id, 2, &events[2..6]).await, 2, 4);
    let mut stale = events[4..8].to_vec();
    stale[3].position = 2;
    assert!(matches!(store.append_all(id, 4, &stale).await, Err(StoreError::Invalid { .. })), "a batch going back");
    assert_eq!(ok(store.log_size(id).await, "size"), 4, "{}", untouched("a refused batch"));

    let appended = ok(store.append_all(id, 4, &events[4..]).await, "the rest in one batch");
    for event in &events[4..] {
        tree.push(leaf_hash(&serde_json::to_vec(event).unwrap_or_else(|e| panic!("encode: {e}"))));
    }
    assert_eq!((appended.size, appended.root), (10, tree.current_root()));
    let stored = ok(store.events(id, 0, None).await, "events");
    let stored: Vec<Event> = stored.into_iter().map(|e| e.event).collect();
    assert_eq!(stored, events, "the batches' events, in order");
    // The log folds: a batch is as good as its events appended one by one.
    fold(&ok(store.events(id, 0, None).await, "events"));
}

/// Every append is announced to subscribers with the log's new size; a
/// refused append is not.
pub async fn appends_are_announced<S: Store>(store: S) {
    let mut announcements = store.subscribe();
    let mut expected = std::collections::BTreeSet::new();
    for id in ["announced-a", "announced-b"] {
        for event in sample_log(id, 3) {
            let position = event.position;
            ok(store.append(id, position, &event).await, "append");
            expected.insert((id.to_string(), position + 1));
        }
    }
    let stale = sample_log("announced-a", 1).remove(0);
    assert_conflict(store.append("announced-a", 0, &stale).await, 0, 3);
    let mut heard = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while heard != expected {
        match tokio::time::timeout_at(deadline, announcements.recv()).await {
            Ok(Ok(grew)) => {
                assert!(
                    expected.contains(&(grew.negotiation.clone(), grew.size)),
                    "announced {grew:?}, which no append produced"
                );
                heard.insert((grew.negotiation, grew.size));
            }
            Ok(Err(error)) => panic!("the announcements failed: {error}"),
            Err(_) => panic!("announcements heard {heard:?}, expected {expected:?} within 10 s"),
        }
    }
    // Echoes (PostgreSQL repeats its own appends through NOTIFY) may follow,
    // but nothing the log does not hold.
    while let Ok(Ok(grew)) = tokio::time::timeout(std::time::Duration::from_millis(300), announcements.recv()).await {
        assert!(expected.contains(&(grew.negotiation.clone(), grew.size)), "announced {grew:?}");
    }
}

/// Appends take positions 0, 1, 2, …; each acknowledgement carries the leaf
/// hash of the event's JSON and the root at the new size.
pub async fn appends<S: Store>(store: S) {
    let id = "appends";
    assert_eq!(ok(store.log_size(id).await, "size of an unknown log"), 0);
    assert!(ok(store.events(id, 0, None).await, "events of an unknown log").is_empty());

    let events = sample_log(id, 12);
    let mut tree = MerkleTree::new();
    for event in &events {
        let appended = ok(store.append(id, event.position, event).await, "append");
        let bytes = serde_json::to_vec(event).unwrap_or_else(|e| panic!("encode: {e}"));
        tree.push(leaf_hash(&bytes));
        assert_eq!(appended.position, event.position, "acknowledged position");
        assert_eq!(appended.size, event.position + 1, "acknowledged size");
        assert_eq!(appended.leaf_hash, leaf_hash(&bytes), "leaf hash of event {}", event.position);
        assert_eq!(appended.root, tree.current_root(), "root after event {}", event.position);
        assert_eq!(ok(store.log_size(id).await, "size"), event.position + 1);
    }
    assert_eq!(ok(store.negotiations().await, "negotiations"), vec![id.to_string()]);
}

/// What comes back is what went in: events, their exact bytes and leaf
/// hashes, over any range; logs of different negotiations are independent.
pub async fn events_round_trip<S: Store>(store: S) {
    let (first, second) = ("round-trip-a", "round-trip-b");
    let a = sample_log(first, 9);
    let b = sample_log(second, 4);
    // Interleaved, so a backend that shares positions across logs fails.
    for (k, event) in a.iter().enumerate() {
        ok(store.append(first, event.position, event).await, "append a");
        if let Some(event) = b.get(k) {
            ok(store.append(second, event.position, event).await, "append b");
        }
    }
    let stored = ok(store.events(first, 0, None).await, "all events");
    assert_eq!(stored.len(), a.len());
    for (stored, event) in stored.iter().zip(&a) {
        assert_eq!(&stored.event, event, "event {} read back", event.position);
        let bytes = serde_json::to_vec(event).unwrap_or_else(|e| panic!("encode: {e}"));
        assert_eq!(stored.bytes, bytes, "bytes of event {}", event.position);
        assert_eq!(stored.leaf_hash, leaf_hash(&stored.bytes), "leaf hash of event {}", event.position);
    }
    let n = a.len() as u64;
    for (from, to, expected) in [
        (0, Some(n), 0..n),
        (3, Some(7), 3..7),
        (5, None, 5..n),
        (4, Some(4), 4..4),
        (7, Some(3), 7..7),
        (6, Some(n + 10), 6..n),
        (n, None, n..n),
        (n + 5, None, n..n),
    ] {
        let got: Vec<u64> = ok(store.events(first, from, to).await, "range").iter().map(|e| e.event.position).collect();
        assert_eq!(got, expected.collect::<Vec<_>>(), "events({from}, {to:?})");
    }
    let all_leaves: Vec<_> = stored.iter().map(|e| e.leaf_hash).collect();
    for size in 0..=n {
        let leaves = ok(store.leaf_hashes(first, size).await, "leaf hashes");
        assert_eq!(leaves.as_slice(), &all_leaves[..size as usize], "leaf_hashes({size})");
    }
    assert!(matches!(store.leaf_hashes(first, n + 1).await, Err(StoreError::NotFound { .. })));
    let b_stored = ok(store.events(second, 0, None).await, "events of b");
    assert_eq!(b_stored.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), b);
    assert_eq!(ok(store.negotiations().await, "negotiations"), vec![first.to_string(), second.to_string()]);
}

/// A stale, premature or mislabelled append is refused and leaves no trace.
pub async fn rejected_appends_write_nothing<S: Store>(store: S) {
    let id = "rejected";
    let events = sample_log(id, 6);
    let stray = events[3].clone();
    // Nothing may be appended to a log that does not exist yet but event 0.
    assert_conflict(store.append(id, 3, &stray).await, 3, 0);
    assert!(ok(store.negotiations().await, "negotiations").is_empty(), "a refused append created a negotiation");

    for event in &events[..4] {
        ok(store.append(id, event.position, event).await, "append");
    }
    let before = ok(store.events(id, 0, None).await, "events");

    let mut replay = events[2].clone();
    assert_conflict(store.append(id, 2, &replay).await, 2, 4);
    replay.position = 0;
    assert_conflict(store.append(id, 0, &replay).await, 0, 4);
    let mut ahead = events[5].clone();
    assert_conflict(store.append(id, 5, &ahead).await, 5, 4);
    ahead.position = 9;
    assert!(
        matches!(store.append(id, 4, &ahead).await, Err(StoreError::Invalid { .. })),
        "an event labelled 9 appended at 4 must be refused as invalid"
    );

    assert_eq!(ok(store.events(id, 0, None).await, "events"), before, "a refused append changed the log");
    assert_eq!(ok(store.log_size(id).await, "size"), 4);
    ok(store.append(id, 4, &events[4]).await, "append after refusals");
}

/// A version of the log is its first `size` events and the root at that
/// size; later appends change neither, and the prefix folds to the state the
/// negotiation had then.
pub async fn reads_at_a_version<S: Store>(store: S) {
    let id = "versions";
    let events = sample_log(id, 20);
    let mut snapshots = Vec::new();
    for event in &events {
        let appended = ok(store.append(id, event.position, event).await, "append");
        let size = appended.size;
        let read = ok(store.events(id, 0, Some(size)).await, "events at version");
        let checkpoint = ok(store.checkpoint(id, size).await, "checkpoint");
        assert_eq!(checkpoint.root.0, appended.root, "checkpoint({size}) vs the acknowledged root");
        let state = fold(&read);
        assert_eq!(state.size, size);
        snapshots.push((size, read, checkpoint, state));
    }
    for (size, read, checkpoint, state) in snapshots {
        assert_eq!(ok(store.events(id, 0, Some(size)).await, "events at old version"), read, "events at {size}");
        assert_eq!(ok(store.checkpoint(id, size).await, "old checkpoint"), checkpoint, "checkpoint at {size}");
        let expected = State::from_events(&events[..size as usize]).unwrap_or_else(|e| panic!("fold: {e}"));
        assert_eq!(state, expected, "state at {size}");
    }
    assert_eq!(ok(store.root(id, 0).await, "root(0)"), empty_root());
    assert!(matches!(store.checkpoint(id, events.len() as u64 + 1).await, Err(StoreError::NotFound { .. })));
}

/// Many tasks append at the same position at once: exactly one wins, every
/// other gets `Conflict` naming the new size, and the log has no gap or duplicate.
pub async fn concurrent_appends_at_one_position<S: Store>(store: S) {
    const CONTENDERS: usize = 16;
    const ROUNDS: u64 = 6;
    let id = "race";
    let store = Arc::new(store);
    let genesis = created(id);
    ok(store.append(id, 0, &genesis).await, "append genesis");
    let mut winners = Vec::new();
    for position in 1..=ROUNDS {
        let barrier = Arc::new(Barrier::new(CONTENDERS));
        let mut tasks = tokio::task::JoinSet::new();
        for contender in 0..CONTENDERS {
            let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
            let event = comment_event(position, &format!("c{position}-{contender}"), "north", at(position));
            tasks.spawn(async move {
                barrier.wait().await;
                let result = store.append(id, position, &event).await;
                (event, result)
            });
        }
        let mut won = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (event, result) = joined.unwrap_or_else(|e| panic!("contender task failed: {e}"));
            match result {
                Ok(appended) => {
                    assert_eq!(appended.position, position);
                    won.push(event);
                }
                Err(error) => assert_conflict::<()>(Err(error), position, position + 1),
            }
        }
        assert_eq!(won.len(), 1, "round {position}: exactly one of {CONTENDERS} appends must win");
        winners.extend(won);
    }
    let log = ok(store.events(id, 0, None).await, "events");
    let positions: Vec<u64> = log.iter().map(|e| e.event.position).collect();
    assert_eq!(positions, (0..=ROUNDS).collect::<Vec<_>>(), "the log has a gap or a duplicate");
    let stored: Vec<Event> = log.into_iter().skip(1).map(|e| e.event).collect();
    assert_eq!(stored, winners, "the log holds exactly the winners' events");
}

/// Writers that retry on conflict never lose an update: with W writers each
/// making K writes, the log ends at 1 + W·K events, each write exactly once.
pub async fn no_lost_updates_under_concurrent_writers<S: Store>(store: S) {
    const WRITERS: usize = 8;
    const WRITES: usize = 12;
    let id = "writers";
    let store = Arc::new(store);
    ok(store.append(id, 0, &created(id)).await, "append genesis");
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
        tasks.spawn(async move {
            barrier.wait().await;
            let mut conflicts = 0usize;
            for write in 0..WRITES {
                loop {
                    // Read, decide, write at what was read; on conflict, start over.
                    let size = ok(store.log_size(id).await, "size");
                    let event = comment_event(size, &format!("w{writer}-{write}"), "south", at(size));
                    match store.append(id, size, &event).await {
                        Ok(_) => break,
                        Err(StoreError::Conflict { actual, .. }) => {
                            assert!(actual > size, "a conflict must report a grown log, not {actual} at {size}");
                            conflicts += 1;
                        }
                        Err(other) => panic!("writer {writer}: {other}"),
                    }
                }
            }
            conflicts
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap_or_else(|e| panic!("writer task failed: {e}"));
    }
    let log = ok(store.events(id, 0, None).await, "events");
    assert_eq!(log.len(), 1 + WRITERS * WRITES, "lost or duplicated updates");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for stored in &log[1..] {
        if let Payload::CommentAdded { comment } = &stored.event.payload {
            *seen.entry(comment.id.clone()).or_default() += 1;
        }
    }
    for writer in 0..WRITERS {
        for write in 0..WRITES {
            assert_eq!(seen.get(&format!("w{writer}-{write}")), Some(&1), "write {write} of writer {writer}");
        }
    }
    let state = fold(&log);
    assert_eq!(state.comments.len(), WRITERS * WRITES);
}

/// Every inclusion proof the store gives verifies offline against the root
/// it gives, for every event of every size; bad requests are refused.
pub async fn inclusion_proofs_verify<S: Store>(store: S) {
    let id = "inclusion";
    let events = sample_log(id, 33);
    for event in &events {
        ok(store.append(id, event.position, event).await, "append");
    }
    let stored = ok(store.events(id, 0, None).await, "events");
    let n = stored.len() as u64;
    for size in 1..=n {
        let checkpoint = ok(store.checkpoint(id, size).await, "checkpoint");
        for index in 0..size {
            let proof = ok(store.inclusion_proof(id, index, size).await, "inclusion proof");
            assert_eq!((proof.index, proof.size), (index, size));
            // Re-hash the stored bytes: the verifier trusts nothing the store computed.
            let leaf = leaf_hash(&stored[index as usize].bytes);
            proof
                .verify(&leaf, &checkpoint)
                .unwrap_or_else(|e| panic!("inclusion of {index} at size {size} does not verify: {e}"));
            let other = leaf_hash(&stored[((index + 1) % n) as usize].bytes);
            assert!(proof.verify(&other, &checkpoint).is_err(), "proof for {index} accepted another event");
        }
    }
    assert!(matches!(store.inclusion_proof(id, 5, 5).await, Err(StoreError::Invalid { .. })));
    assert!(matches!(store.inclusion_proof(id, 0, n + 1).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.inclusion_proof("no-such-log", 0, 1).await, Err(StoreError::NotFound { .. })));
}

/// Consistency proofs between any two sizes verify offline against the
/// store's roots, and fail against a root from another log.
pub async fn consistency_proofs_verify<S: Store>(store: S) {
    let id = "consistency";
    let other_id = "consistency-other";
    let events = sample_log(id, 21);
    for event in &events {
        ok(store.append(id, event.position, event).await, "append");
    }
    // Same length, different content: its roots must not pass for ours.
    for event in &sample_log(other_id, 21) {
        let mut event = event.clone();
        event.at += Duration::seconds(1);
        ok(store.append(other_id, event.position, &event).await, "append other");
    }
    let n = events.len() as u64;
    let mut checkpoints = Vec::new();
    for size in 0..=n {
        checkpoints.push(ok(store.checkpoint(id, size).await, "checkpoint"));
    }
    for old in 0..=n {
        for new in old..=n {
            let proof = ok(store.consistency_proof(id, old, new).await, "consistency proof");
            assert_eq!((proof.old_size, proof.new_size), (old, new));
            proof
                .verify(&checkpoints[old as usize], &checkpoints[new as usize])
                .unwrap_or_else(|e| panic!("consistency {old} -> {new} does not verify: {e}"));
            if old > 0 && old < new {
                let forged = ok(store.checkpoint(other_id, old).await, "other checkpoint");
                assert!(
                    proof.verify(&forged, &checkpoints[new as usize]).is_err(),
                    "consistency {old} -> {new} accepted a root of another log"
                );
            }
        }
    }
    assert!(matches!(store.consistency_proof(id, 5, 4).await, Err(StoreError::Invalid { .. })));
    assert!(matches!(store.consistency_proof(id, 1, n + 1).await, Err(StoreError::NotFound { .. })));
}

/// Accounts: created once per id and per email (trimmed, any case), found by both.
pub async fn accounts<S: Store>(store: S) {
    let ada = account("acc-ada", "Ada@Example.org", "Ada");
    ok(store.create_account(&ada).await, "create account");
    assert_eq!(ok(store.account_by_id("acc-ada").await, "by id"), Some(ada.clone()));
    assert_eq!(ok(store.account_by_email("Ada@Example.org").await, "by email"), Some(ada.clone()));
    assert_eq!(ok(store.account_by_email("  ada@example.ORG ").await, "by email, other case"), Some(ada.clone()));
    assert_eq!(ok(store.account_by_id("acc-bob").await, "unknown id"), None);
    assert_eq!(ok(store.account_by_email("bob@example.org").await, "unknown email"), None);

    let same_email = account("acc-ada2", "ada@example.org", "Ada again");
    assert!(
        matches!(store.create_account(&same_email).await, Err(StoreError::Duplicate { .. })),
        "a second account with the same email (other case) must be refused"
    );
    let same_id = account("acc-ada", "someone@example.org", "Someone");
    assert!(matches!(store.create_account(&same_id).await, Err(StoreError::Duplicate { .. })));
    assert_eq!(ok(store.account_by_email("someone@example.org").await, "refused account"), None);
    assert_eq!(ok(store.account_by_id("acc-ada").await, "by id"), Some(ada));

    let bob = account("acc-bob", "bob@example.org", "Bob");
    ok(store.create_account(&bob).await, "second account");
    assert_eq!(ok(store.account_by_id("acc-bob").await, "second by id"), Some(bob));
}

/// Tokens: found only by their hash, of their kind, before expiry, unrevoked.
pub async fn tokens<S: Store>(store: S) {
    let now = at(0);
    let ada = account("acc-ada", "ada@example.org", "Ada");
    ok(store.create_account(&ada).await, "create account");
    assert!(matches!(
        store.create_token("h-orphan", "acc-nobody", TokenKind::Api, now + Duration::hours(1)).await,
        Err(StoreError::NotFound { .. })
    ));
    let expires = now + Duration::hours(1);
    ok(store.create_token("h-session", "acc-ada", TokenKind::Session, expires).await, "session token");
    ok(store.create_token("h-api", "acc-ada", TokenKind::Api, now + Duration::days(90)).await, "api token");
    assert!(matches!(
        store.create_token("h-session", "acc-ada", TokenKind::Api, expires).await,
        Err(StoreError::Duplicate { .. })
    ));

    let live = |hash: &'static str, kind, when| {
        let store = &store;
        async move { ok(store.account_for_token(hash, kind, when).await, "token lookup") }
    };
    assert_eq!(live("h-session", TokenKind::Session, now).await, Some(ada.clone()));
    assert_eq!(live("h-session", TokenKind::Session, expires - Duration::seconds(1)).await, Some(ada.clone()));
    assert_eq!(live("h-session", TokenKind::Session, expires).await, None, "a token is dead at its expiry");
    assert_eq!(live("h-session", TokenKind::Session, expires + Duration::days(1)).await, None);
    assert_eq!(live("h-session", TokenKind::Api, now).await, None, "a session token is no API token");
    assert_eq!(live("h-api", TokenKind::Session, now).await, None, "an API token is no session token");
    assert_eq!(live("h-unknown", TokenKind::Session, now).await, None);

    ok(store.revoke_token("h-session").await, "revoke");
    assert_eq!(live("h-session", TokenKind::Session, now).await, None, "a revoked token is dead");
    ok(store.revoke_token("h-session").await, "revoke twice");
    assert_eq!(live("h-api", TokenKind::Api, now).await, Some(ada), "revoking one token spares the others");
    assert!(matches!(store.revoke_token("h-unknown").await, Err(StoreError::NotFound { .. })));
}

/// `accounts` lists every account, oldest first, then by id.
pub async fn accounts_are_listed<S: Store>(store: S) {
    assert!(ok(store.accounts().await, "accounts of an empty store").is_empty());
    let mut cleo = account("acc-cleo", "cleo@example.org", "Cleo");
    cleo.created_at = at(1);
    let mut bob = account("acc-bob", "Bob@Example.org", "Bob");
    bob.created_at = at(9);
    let mut ada = account("acc-ada", "ada@example.org", "Ada");
    ada.created_at = at(9);
    for a in [&bob, &ada, &cleo] {
        ok(store.create_account(a).await, "create account");
    }
    assert_eq!(ok(store.accounts().await, "accounts"), vec![cleo, ada, bob]);
}

/// An event's bytes as a backup holds them: parseable JSON, but not what
/// `serde_json::to_vec` would write today (spaces after separators), so a
/// store that re-serialises instead of keeping them verbatim is caught.
fn foreign_bytes(event: &Event) -> Vec<u8> {
    let value = serde_json::to_value(event).unwrap_or_else(|e| panic!("encode: {e}"));
    let bytes = serde_json::to_vec_pretty(&value).unwrap_or_else(|e| panic!("encode: {e}"));
    assert_ne!(bytes, serde_json::to_vec(event).unwrap_or_default(), "the test needs bytes a store would not write");
    bytes
}

/// An import writes accounts as they were and events with their bytes
/// verbatim; afterwards the store works as if it had been written normally.
pub async fn imports_keep_bytes_verbatim<S: Store>(store: S) {
    let (first, second) = ("import-a", "import-b");
    let logs = [(first, sample_log(first, 7)), (second, sample_log(second, 3))];
    let ada = account("acc-ada", "Ada@Example.org", "Ada");
    let bob = Account { created_at: at(30), ..account("acc-bob", "bob@example.org", "Bob") };

    let mut import = ok(store.import().await, "begin import");
    ok(import.account(&ada).await, "import account");
    ok(import.account(&bob).await, "import account");
    let mut trees = HashMap::new();
    for (id, events) in &logs {
        let tree = trees.entry(*id).or_insert_with(MerkleTree::new);
        for event in events {
            let bytes = foreign_bytes(event);
            tree.push(leaf_hash(&bytes));
            ok(import.event(id, event.position, &bytes, leaf_hash(&bytes)).await, "import event");
        }
    }
    ok(import.commit().await, "commit import");

    assert_eq!(ok(store.accounts().await, "accounts"), vec![ada.clone(), bob]);
    assert_eq!(ok(store.account_by_email(" ada@example.org").await, "by email"), Some(ada));
    assert_eq!(ok(store.negotiations().await, "negotiations"), vec![first.to_string(), second.to_string()]);
    for (id, events) in &logs {
        let stored = ok(store.events(id, 0, None).await, "events");
        assert_eq!(stored.len(), events.len(), "{id}");
        for (stored, event) in stored.iter().zip(events) {
            assert_eq!(stored.bytes, foreign_bytes(event), "bytes of {id} event {} kept verbatim", event.position);
            assert_eq!(stored.leaf_hash, leaf_hash(&stored.bytes));
            assert_eq!(&stored.event, event);
        }
        let size = events.len() as u64;
        assert_eq!(ok(store.root(id, size).await, "root"), trees[id].current_root(), "root of {id}");
    }
    // The imported log goes on like any other.
    let next = comment_event(7, "after-import", "ally", at(40));
    let appended = ok(store.append(first, 7, &next).await, "append after import");
    assert_eq!(appended.size, 8);
    assert_conflict(store.append(first, 7, &next).await, 7, 8);
    ok(store.create_token("h-after", "acc-ada", TokenKind::Api, at(100)).await, "token for an imported account");
}

/// A store holding anything refuses to begin an import, and says what it holds.
pub async fn imports_need_an_empty_store<S: Store>(store: S) {
    ok(store.create_account(&account("acc-ada", "ada@example.org", "Ada")).await, "create account");
    match store.import().await {
        Err(StoreError::Invalid { reason }) => {
            assert!(reason.contains("0 negotiations and 1 account;"), "{reason}");
            assert!(reason.contains("empty database"), "{reason}");
        }
        Err(other) => panic!("an import into a store with an account must be Invalid, got {other}"),
        Ok(_) => panic!("an import into a store with an account must be refused"),
    }
    let events = sample_log("busy", 2);
    for event in &events {
        ok(store.append("busy", event.position, event).await, "append");
    }
    match store.import().await {
        Err(StoreError::Invalid { reason }) => assert!(reason.contains("1 negotiation and 1 account;"), "{reason}"),
        Err(other) => panic!("an import into a store with a log must be Invalid, got {other}"),
        Ok(_) => panic!("an import into a store with a log must be refused"),
    }
    assert_eq!(ok(store.log_size("busy").await, "size"), 2);
}

/// Bad input is refused event by event, and an import that is not
/// committed (failed or abandoned) leaves the store empty and importable.
pub async fn failed_imports_leave_nothing<S: Store>(store: S) {
    let id = "import-fails";
    let events = sample_log(id, 4);
    let encoded: Vec<Vec<u8>> = events.iter().map(foreign_bytes).collect();
    let refused = |result: Result<(), StoreError>, what: &str| match result {
        Err(StoreError::Invalid { .. }) => {}
        other => panic!("{what} must be refused as Invalid, got {other:?}"),
    };

    for _attempt in 0..2 {
        let mut import = ok(store.import().await, "begin import");
        ok(import.account(&account("acc-ada", "ada@example.org", "Ada")).await, "import account");
        ok(import.event(id, 0, &encoded[0], leaf_hash(&encoded[0])).await, "import event 0");
        ok(import.event(id, 1, &encoded[1], leaf_hash(&encoded[1])).await, "import event 1");
        refused(import.event(id, 3, &encoded[3], leaf_hash(&encoded[3])).await, "a gap");
        refused(import.event("other", 1, &encoded[1], leaf_hash(&encoded[1])).await, "a log not starting at 0");
        refused(import.event(id, 2, &encoded[2], leaf_hash(&encoded[1])).await, "bytes with another's leaf hash");
        refused(import.event(id, 2, &encoded[3], leaf_hash(&encoded[3])).await, "bytes claiming position 3");
        let mut altered = encoded[2].clone();
        let middle = altered.len() / 2;
        altered[middle] ^= 0x01;
        refused(import.event(id, 2, &altered, leaf_hash(&encoded[2])).await, "altered bytes");
        let duplicate = import.account(&account("acc-ada2", "ADA@example.org", "Ada again")).await;
        assert!(duplicate.is_err(), "an imported account repeating an email must be refused");
        drop(import);
        assert!(ok(store.negotiations().await, "negotiations").is_empty(), "an abandoned import wrote a log");
        assert!(ok(store.accounts().await, "accounts").is_empty(), "an abandoned import wrote an account");
        assert_eq!(ok(store.log_size(id).await, "size"), 0);
    }

    let mut import = ok(store.import().await, "an import after abandoned ones");
    for (event, bytes) in events.iter().zip(&encoded) {
        ok(import.event(id, event.position, bytes, leaf_hash(bytes)).await, "import event");
    }
    ok(import.commit().await, "commit");
    assert_eq!(ok(store.log_size(id).await, "size"), 4);
}

fn ok<T>(result: Result<T, StoreError>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, expected: u64, actual: u64) {
    match result {
        Err(StoreError::Conflict { expected: e, actual: a, .. }) => {
            assert_eq!((e, a), (expected, actual), "conflict report (expected, actual)");
        }
        other => panic!("an append at {expected} on a log of size {actual} must conflict, got {other:?}"),
    }
}

fn fold(log: &[crate::StoredEvent]) -> State {
    let events: Vec<Event> = log.iter().map(|e| e.event.clone()).collect();
    State::from_events(&events).unwrap_or_else(|e| panic!("the stored log does not fold: {e}"))
}

fn at(offset: u64) -> DateTime<Utc> {
    let base = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().unwrap_or_default();
    // Sub-second steps, so timestamps with fractions round-trip too.
    base + Duration::milliseconds(1_250 * i64::try_from(offset).unwrap_or(i64::MAX / 2_000))
}

fn account(id: &str, email: &str, name: &str) -> Account {
    Account {
        id: id.into(),
        email: email.into(),
        display_name: name.into(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${id}"),
        created_at: at(7),
    }
}

fn party(id: &str, role: Role) -> Party {
    Party { id: id.into(), name: id.to_uppercase(), role }
}

fn created(id: &str) -> Event {
    let negotiation = Negotiation {
        id: id.into(),
        title: format!("Conformance {id}"),
        description: "A negotiation made by the store conformance suite.".into(),
        parties: vec![
            party("un", Role::Mediator),
            party("north", Role::Signatory),
            party("south", Role::Signatory),
            party("ally", Role::Consulted),
        ],
        issues: vec![Issue {
            id: "guarantees".into(),
            title: "Guarantees".into(),
            kind: IssueKind::Discrete {
                options: vec![
                    IssueOption { id: "none".into(), label: "None".into() },
                    IssueOption { id: "article-5".into(), label: "Article-5-like".into() },
                ],
            },
            draft: None,
        }],
        provisions: vec![Provision {
            id: "art-1".into(),
            number: "1".into(),
            heading: "Ceasefire".into(),
            body: "Hostilities cease — «all of them».".into(),
            wordings: Vec::new(),
        }],
        constraints: Vec::new(),
        timetable: Timetable::default(),
        profiles: Vec::new(),
        stances: Vec::new(),
        privacy: Default::default(),
    };
    Event {
        position: 0,
        actor: Actor::Account { account: "acc-un".into(), party: Some("un".into()) },
        at: at(0),
        payload: Payload::Created { negotiation, creator_party: "un".into() },
        salt: None,
    }
}

fn comment_event(position: u64, comment: &str, party: &str, when: DateTime<Utc>) -> Event {
    Event {
        position,
        actor: Actor::Account { account: format!("acc-{party}"), party: Some(party.into()) },
        at: when,
        payload: Payload::CommentAdded {
            comment: Comment {
                id: comment.into(),
                party: party.into(),
                provision: "art-1".into(),
                quote: "Hostilities".into(),
                text: format!("Comment {comment}"),
                private: position.is_multiple_of(2),
            },
        },
        salt: Some(format!("{position:032x}")),
    }
}

/// A log that folds: `Created`, then a mix of profiles, reservation moves
/// (with floats that only round-trip exactly if the backend keeps the bytes)
/// and comments.
fn sample_log(id: &str, len: u64) -> Vec<Event> {
    let mut events = vec![created(id)];
    for position in 1..len {
        let payload = match position % 4 {
            1 => Payload::ProfileSet {
                profile: Profile {
                    party: "north".into(),
                    illustrative: true,
                    weighting: Weighting::Normalised,
                    weights: vec![("guarantees".into(), 1.0)],
                    ratings: vec![("guarantees".into(), Rating::Table(vec![("article-5".into(), 1.0)]))],
                    red_lines: Vec::new(),
                    reservation: position as f64 / 255.0,
                    discount_factor: None,
                },
            },
            2 => Payload::ReservationChanged {
                party: "north".into(),
                reservation: 0.1 + 0.2 * (position as f64 / 7.0),
                note: Some(format!("move {position}")),
            },
            _ => {
                events.push(comment_event(position, &format!("{id}-{position}"), "ally", at(position)));
                continue;
            }
        };
        events.push(Event { position, actor: Actor::System, at: at(position), payload, salt: None });
    }
    events
}
