//! A store's peers: every trace's measures, kept by group as it is written
//! (`trace_measures`, one compact row per trace), so that `runaway` and `slow` judge
//! a trace among everything the store holds — not among the import batch it came in —
//! without reading the store's spans again. After a write into a store that held other
//! traces, the measures are read back (12 bytes each), the groups summarised, and only
//! the traces that may have a peer finding now (a measure in a group the write touched
//! above the rule's threshold) or had one (flagged) are loaded and judged again.

use super::static_insert::{StaticInsert, Value};
use crate::analysis::findings::{self, Peers};
use crate::analysis::peers::{self, PeerGroup, PeerStats, Summary};
use crate::model::{Finding, FindingKind, TraceId, TraceSet};
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::{FxHashMap, FxHashSet};

/// Traces loaded at a time when judging again.
const JUDGE_TRACES: usize = 2_000;

/// Bytes of one measure in `trace_measures.measures`: group id (u32) and value (f64).
const MEASURE_BYTES: usize = 12;

/// The bit of a measure's group id that marks it flagged.
const FLAGGED: u32 = 1 << 31;

/// Writes the measures of traces (replacing what the store held for them).
pub(super) struct MeasureWriter<'c> {
    conn: &'c Connection,
    row: StaticInsert<'c>,
    /// Group ids by name, and by group for the set being written.
    ids: FxHashMap<String, u32>,
    of_set: FxHashMap<PeerGroup, u32>,
    buf: Vec<u8>,
    all: Vec<peers::Measure>,
}

impl<'c> MeasureWriter<'c> {
    pub(super) fn new(conn: &'c Connection) -> rusqlite::Result<MeasureWriter<'c>> {
        Ok(MeasureWriter {
            conn,
            row: StaticInsert::new(
                conn,
                "INSERT OR REPLACE INTO trace_measures (trace_id, measures) VALUES (?1, ?2)",
            )?,
            ids: FxHashMap::default(),
            of_set: FxHashMap::default(),
            buf: Vec::new(),
            all: Vec::new(),
        })
    }

    /// Forgets the groups of the set written before (its symbols mean nothing in the
    /// next one).
    pub(super) fn next_set(&mut self) {
        self.of_set.clear();
    }

    fn group_id(&mut self, set: &TraceSet, g: PeerGroup) -> rusqlite::Result<u32> {
        if let Some(&id) = self.of_set.get(&g) {
            return Ok(id);
        }
        let name = g.name(set);
        let id = match self.ids.get(&name) {
            Some(&id) => id,
            None => {
                self.conn.execute(
                    "INSERT OR IGNORE INTO peer_groups (name) VALUES (?1)",
                    [&name],
                )?;
                let id: i64 = self.conn.query_row(
                    "SELECT id FROM peer_groups WHERE name = ?1",
                    [&name],
                    |r| r.get(0),
                )?;
                let id = u32::try_from(id)
                    .ok()
                    .filter(|id| id & FLAGGED == 0)
                    .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, id))?;
                self.ids.insert(name, id);
                id
            }
        };
        self.of_set.insert(g, id);
        Ok(id)
    }

    /// Writes (or replaces) the measures of trace `t` of `set`, each flagged when a
    /// `runaway` or `slow` finding in `found` rests on it.
    pub(super) fn write(
        &mut self,
        set: &TraceSet,
        t: u32,
        found: &[Finding],
    ) -> rusqlite::Result<()> {
        let id = set.traces[t as usize].id.0;
        let runaway = found.iter().any(|f| f.kind == FindingKind::Runaway);
        let slow: FxHashSet<u32> = found
            .iter()
            .filter(|f| f.kind == FindingKind::Slow)
            .flat_map(|f| f.spans.iter().copied())
            .collect();
        let mut all = std::mem::take(&mut self.all);
        all.clear();
        peers::measures(set, t, &mut |m| all.push(m));
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        for m in &all {
            let flagged = match m.span {
                None => runaway,
                Some(i) => slow.contains(&i),
            };
            let g = self.group_id(set, m.group)? | if flagged { FLAGGED } else { 0 };
            buf.extend_from_slice(&g.to_le_bytes());
            buf.extend_from_slice(&m.value.to_le_bytes());
        }
        let r = self.row.execute(&[Value::Blob(&id), Value::Blob(&buf)]);
        self.buf = buf;
        self.all = all;
        r.map(|_| ())
    }
}

/// The measures of one `trace_measures` row: (group id, flagged, value).
fn decode(measures: &[u8]) -> impl Iterator<Item = (u32, bool, f64)> + '_ {
    measures.chunks_exact(MEASURE_BYTES).map(|m| {
        let mut g = [0u8; 4];
        let mut v = [0u8; 8];
        g.copy_from_slice(&m[..4]);
        v.copy_from_slice(&m[4..]);
        let g = u32::from_le_bytes(g);
        (g & !FLAGGED, g & FLAGGED != 0, f64::from_le_bytes(v))
    })
}

/// The names of every peer group of `set`'s traces.
pub(super) fn groups_of(set: &TraceSet) -> FxHashMap<String, PeerGroup> {
    let mut seen = FxHashSet::default();
    let mut out = FxHashMap::default();
    for t in 0..set.traces.len() as u32 {
        peers::measures(set, t, &mut |m| {
            if seen.insert(m.group) {
                out.insert(m.group.name(set), m.group);
            }
        });
    }
    out
}

/// Calls `each` with every stored trace's id and measures.
fn each_row(conn: &Connection, mut each: impl FnMut(&[u8], &[u8])) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached("SELECT trace_id, measures FROM trace_measures")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id = r.get_ref(0)?.as_blob()?;
        let m = r.get_ref(1)?.as_blob()?;
        each(id, m);
    }
    Ok(())
}

/// Judges `runaway` and `slow` again among everything stored, for the traces whose
/// verdict may have changed since `groups` changed: a measure in one of them above
/// its rule's threshold now, or flagged by a finding it had. Rewrites the findings
/// (and flags) of the traces whose verdict changed; returns how many. Runs inside the
/// caller's transaction.
pub(super) fn judge_again(
    conn: &Connection,
    groups: &FxHashMap<String, PeerGroup>,
    prices: &crate::semconv::PriceTable,
) -> rusqlite::Result<u64> {
    let ids: FxHashMap<String, u32> = conn
        .prepare("SELECT name, id FROM peer_groups")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Every group's values, sorted: the summaries of the store.
    let mut values: FxHashMap<u32, Vec<f64>> = FxHashMap::default();
    each_row(conn, |_, m| {
        for (g, _, v) in decode(m) {
            values.entry(g).or_default().push(v);
        }
    })?;
    for v in values.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    let summary = |name: &str, q: f64| -> Option<Summary> {
        let v = values.get(ids.get(name)?)?;
        Some(Summary {
            n: v.len(),
            at: peers::nearest_rank(v, q)?,
        })
    };
    // The touched groups' thresholds (none: only flagged members are looked at).
    let touched: FxHashMap<u32, Option<f64>> = groups
        .iter()
        .filter_map(|(name, g)| {
            let id = *ids.get(name)?;
            let th = summary(name, g.quantile()).and_then(|s| findings::may_flag_above(g, s));
            // A hair below: the rules' own arithmetic decides the edge.
            Some((id, th.map(|th| th - th.abs() * 1e-9)))
        })
        .collect();
    let mut candidates = Vec::new();
    each_row(conn, |id, m| {
        let hit = decode(m).any(|(g, flagged, v)| {
            touched
                .get(&g)
                .is_some_and(|th| flagged || th.is_some_and(|th| v >= th))
        });
        if hit && let Ok(id) = <[u8; 16]>::try_from(id) {
            candidates.push(TraceId(id).to_string());
        }
    })?;
    let mut stored = conn.prepare_cached("SELECT findings FROM traces WHERE trace_id = ?1")?;
    let mut update = conn.prepare_cached("UPDATE traces SET findings = ?2 WHERE trace_id = ?1")?;
    let mut measures = MeasureWriter::new(conn)?;
    let mut changed = 0;
    for chunk in candidates.chunks(JUDGE_TRACES) {
        let batch = super::read::load_traces(conn, chunk, 0)?;
        let mut set = TraceSet::build(vec![batch], vec![String::new()], Vec::new());
        crate::semconv::annotate(&mut set, prices);
        let peers = Peers::with_stats(&set, PeerStats::looked_up(&set, summary));
        measures.next_set();
        for t in 0..set.traces.len() as u32 {
            let hex = set.traces[t as usize].id.to_string();
            let Some(text) = stored
                .query_row([hex.as_str()], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten()
            else {
                continue;
            };
            let kept = findings::from_json(t, &text);
            let fresh = findings::peer_findings(&set, t, &peers);
            let before = kept.iter().filter(|f| findings::compares_peers(f.kind));
            let same = before.clone().count() == fresh.len()
                && before
                    .zip(&fresh)
                    .all(|(x, y)| x.kind == y.kind && x.ids == y.ids && x.message == y.message);
            if same {
                continue;
            }
            measures.write(&set, t, &fresh)?;
            let all = findings::with_peer_findings(kept, fresh);
            let json = serde_json::Value::Array(all.iter().map(findings::finding_json).collect());
            update.execute(params![hex.as_str(), json.to_string()])?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Fills the peer tables of a store of schema 4 (which kept none): every trace's
/// measures, read in pieces, flagged where its stored findings judged it; then judges
/// every trace that may have a peer finding among the whole store.
pub(super) fn fill(conn: &Connection, prices: &crate::semconv::PriceTable) -> rusqlite::Result<()> {
    conn.execute_batch(super::schema::PEERS)?;
    let ids: Vec<String> = conn
        .prepare("SELECT trace_id FROM traces ORDER BY trace_id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stored = conn.prepare("SELECT findings FROM traces WHERE trace_id = ?1")?;
    let mut measures = MeasureWriter::new(conn)?;
    let mut groups = FxHashMap::default();
    for chunk in ids.chunks(JUDGE_TRACES) {
        let batch = super::read::load_traces(conn, chunk, 0)?;
        let mut set = TraceSet::build(vec![batch], vec![String::new()], Vec::new());
        crate::semconv::annotate(&mut set, prices);
        measures.next_set();
        for t in 0..set.traces.len() as u32 {
            let hex = set.traces[t as usize].id.to_string();
            let text: Option<String> = stored
                .query_row([hex.as_str()], |r| r.get(0))
                .optional()?
                .flatten();
            // Stored findings hold span ids, not spans: a trace judged slow has all
            // its step measures flagged, so it is judged again below.
            let mut found = text.map(|x| findings::from_json(t, &x)).unwrap_or_default();
            found.retain(|f| findings::compares_peers(f.kind));
            let all_spans = set.trace_spans(&set.traces[t as usize]).to_vec();
            for f in &mut found {
                if f.kind == FindingKind::Slow {
                    f.spans = all_spans.clone();
                }
            }
            measures.write(&set, t, &found)?;
        }
        groups.extend(groups_of(&set));
    }
    judge_again(conn, &groups, prices)?;
    Ok(())
}
