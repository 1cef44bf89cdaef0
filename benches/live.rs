//! Live receive benchmark: OTLP/HTTP protobuf export requests (1,050 spans each:
//! 50 agent traces of 21 spans, from the load benchmark's generator) sent over
//! keep-alive loopback connections by two client threads to the receiver, first
//! with a sink that only counts (the receiver's own rate), then feeding the
//! explorer's live state, which merges every 400 ms as `open --listen` does. The
//! baseline, in the same run: decoding the same bodies in-process (no HTTP).
//!
//! `cargo bench --bench live -- [--requests N] [--clients N]`
//!
//! `--merge [--base N] [--rounds N]`: what taking one request (1,050 spans) into a
//! set of N spans costs the explorer's merge worker — growing in place (only what
//! arrived derived again) against the whole-set rebuild it replaced (the held set
//! as the first batch of a new build, every step and finding derived again),
//! alternating on the same set.

#[path = "support/gen.rs"]
mod generator;

use agtrace::live::{ListenOptions, Received, Sink, listen};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Sends `bodies` over one keep-alive connection, each awaited (status 200).
fn client(addr: std::net::SocketAddr, bodies: &[Vec<u8>]) {
    let stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    for body in bodies {
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        w.write_all(head.as_bytes()).expect("write");
        w.write_all(body).expect("write");
        let mut len = 0usize;
        let mut line = String::new();
        r.read_line(&mut line).expect("status");
        assert!(line.contains(" 200 "), "{line}");
        loop {
            line.clear();
            r.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut rest = vec![0; len];
        r.read_exact(&mut rest).expect("body");
    }
}

fn send_all(addr: std::net::SocketAddr, bodies: &[Vec<u8>], clients: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for part in bodies.chunks(bodies.len().div_ceil(clients)) {
            s.spawn(move || client(addr, part));
        }
    });
    started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (requests, clients) = (arg("--requests", 400), arg("--clients", 2));
    if let Some(i) = args.iter().position(|a| a == "--soak") {
        let secs = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(600);
        soak(secs, arg("--max-spans", 500_000), arg("--rate", 50_000));
        return;
    }
    if args.iter().any(|a| a == "--merge") {
        merge_cost(arg("--base", 1_000_000), arg("--rounds", 7));
        return;
    }
    let per_request = 50;
    let rs = generator::build(requests * per_request, 21, 7);
    let bodies: Vec<Vec<u8>> = rs
        .chunks(per_request)
        .map(|c| {
            ExportTraceServiceRequest {
                resource_spans: c.to_vec(),
            }
            .encode_to_vec()
        })
        .collect();
    let spans = requests * per_request * 21;
    let mb = bodies.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "agtrace live benchmark: {requests} requests of {} spans ({spans} spans, {mb:.1} MB protobuf), {clients} clients",
        per_request * 21
    );

    // Baseline: the same bodies decoded in-process.
    let started = Instant::now();
    let mut decoded = 0;
    for b in &bodies {
        decoded += agtrace::decode::otlp_proto::decode(b, 0, "bench", 1)
            .map(|d| d.batches.iter().map(|x| x.spans.len()).sum::<usize>())
            .unwrap_or(0);
    }
    let base = started.elapsed().as_secs_f64();
    assert_eq!(decoded, spans);
    println!(
        "  decode only (baseline)       {base:.3}s  {:>9.0} spans/s",
        spans as f64 / base
    );

    // The receiver alone.
    let count = Arc::new(AtomicUsize::new(0));
    let sink: Sink = {
        let count = count.clone();
        Arc::new(move |r: Received| {
            count.fetch_add(r.spans, Ordering::Relaxed);
            true
        })
    };
    let opts = ListenOptions::new("127.0.0.1:0".parse().expect("addr"));
    let rx = listen(opts, sink).expect("listen");
    let t = send_all(rx.addr, &bodies, clients);
    assert_eq!(count.load(Ordering::Relaxed), spans);
    println!(
        "  OTLP/HTTP receiver           {t:.3}s  {:>9.0} spans/s  ({:.2}x the baseline time)",
        spans as f64 / t,
        t / base
    );

    // Feeding the explorer as `open --listen` does: the receiver hands each request
    // to the merge worker, which grows its own copy and hands finished sets to the
    // UI; meanwhile keys are pressed every 5 ms, each applied and its frame drawn
    // into a 160x48 TestBackend, timed together with taking in a finished merge
    // (what the event loop does before the key, when one is ready).
    let (mut app, addr) = live_explorer(10_000_000);
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("terminal");
    let theme = agtrace::tui::theme::Theme::plain();
    use agtrace::tui::keymap::Action;
    let keys = [
        Action::Down,
        Action::Down,
        Action::PageDown,
        Action::Up,
        Action::NextFailure,
        Action::Top,
    ];
    let (mut key_ms, mut apply_ms) = (Vec::new(), Vec::new());
    let started = Instant::now();
    let senders = std::thread::spawn(move || send_all(addr, &bodies, clients));
    let mut k = 0usize;
    while app.shared.set.spans.len() < spans {
        let t = Instant::now();
        let merged = app.live_tick();
        let apply = t.elapsed();
        app.update(keys[k % keys.len()]);
        term.draw(|f| agtrace::tui::view::render(&mut app, f, &theme))
            .expect("draw");
        let total = t.elapsed().as_secs_f64() * 1e3;
        key_ms.push(total);
        if merged {
            apply_ms.push(apply.as_secs_f64() * 1e3);
        }
        k += 1;
        if senders.is_finished() && app.live.as_ref().is_some_and(|l| l.waiting() == 0) {
            app.live_merge();
        }
        if started.elapsed().as_secs() > 600 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let t = started.elapsed().as_secs_f64();
    let _ = senders.join();
    assert_eq!(app.shared.set.spans.len(), spans, "every span merged");
    let merges = app.live.as_ref().map_or(0, |l| l.merges);
    let last = app
        .live
        .as_ref()
        .map_or(0.0, |l| l.last_merge.as_secs_f64());
    println!(
        "  receiver + explorer          {t:.3}s  {:>9.0} spans/s  ({merges} merges, the last {last:.2}s on the worker; {} traces)",
        spans as f64 / t,
        app.shared.set.traces.len()
    );
    let pct = |v: &mut Vec<f64>, p: f64| -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(((v.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let n = key_ms.len();
    println!(
        "  key + frame while receiving  n={n:<5} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        pct(&mut key_ms, 0.5),
        pct(&mut key_ms, 0.99),
        pct(&mut key_ms, 1.0)
    );
    let n = apply_ms.len();
    println!(
        "  taking in a merge (UI side)  n={n:<5} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        pct(&mut apply_ms, 0.5),
        pct(&mut apply_ms, 0.99),
        pct(&mut apply_ms, 1.0)
    );
}

/// An explorer gone live on an empty set, fed by a receiver on a free loopback port
/// (as `open --listen` sets it up), keeping at most `max_spans`.
fn live_explorer(max_spans: usize) -> (agtrace::tui::app::App, std::net::SocketAddr) {
    let mut app =
        agtrace::tui::app::App::with_set(agtrace::model::TraceSet::default(), "live".into());
    let mut state = agtrace::tui::live::LiveState::start(
        max_spans,
        Arc::new(agtrace::semconv::PriceTable::bundled()),
        Arc::new(|| {}),
    );
    let opts = ListenOptions::new("127.0.0.1:0".parse().expect("addr"));
    let receiver = listen(opts, state.sink()).expect("listen");
    let addr = receiver.addr;
    state.origins.push(agtrace::tui::live::Origin {
        label: receiver.endpoints(),
        stats: receiver.stats.clone(),
    });
    app.go_live(state);
    (app, addr)
}

/// Resident memory of this process, in MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// `--soak SECS [--max-spans N] [--rate SPANS_PER_S]`: new traces sent at a steady
/// rate for SECS into the explorer's live state capped at N spans, keys pressed and
/// frames drawn meanwhile; every 30 s a line with the spans held, traces evicted
/// and resident memory; at the end the key latency and the memory range.
fn soak(secs: u64, max_spans: usize, rate: usize) {
    use agtrace::tui::keymap::Action;
    println!(
        "agtrace live soak: {secs}s at {rate} spans/s into a view capped at {max_spans} spans"
    );
    let (mut app, addr) = live_explorer(max_spans);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (stop, sent) = (stop.clone(), sent.clone());
        std::thread::spawn(move || {
            // Requests of 50 traces of 21 spans, new ids every time.
            let started = Instant::now();
            let mut seed = 1u64;
            while !stop.load(Ordering::Relaxed) {
                let rs = generator::build(50, 21, seed);
                seed += 1;
                let body = ExportTraceServiceRequest { resource_spans: rs }.encode_to_vec();
                client(addr, &[body]);
                let n = sent.fetch_add(1050, Ordering::Relaxed) + 1050;
                let due = std::time::Duration::from_secs_f64(n as f64 / rate as f64);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
        })
    };
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("terminal");
    let theme = agtrace::tui::theme::Theme::plain();
    let keys = [
        Action::Down,
        Action::Down,
        Action::PageDown,
        Action::Up,
        Action::Top,
    ];
    let started = Instant::now();
    let mut next_report = 30u64;
    let (mut key_ms, mut most_spans, mut rss) = (Vec::new(), 0usize, (f64::MAX, 0.0f64));
    let mut k = 0;
    while started.elapsed().as_secs() < secs {
        let t = Instant::now();
        app.live_tick();
        app.update(keys[k % keys.len()]);
        term.draw(|f| agtrace::tui::view::render(&mut app, f, &theme))
            .expect("draw");
        key_ms.push(t.elapsed().as_secs_f64() * 1e3);
        k += 1;
        most_spans = most_spans.max(app.shared.set.spans.len());
        if started.elapsed().as_secs() >= next_report {
            let m = rss_mb();
            if next_report >= 60 {
                // After the first minute (the cap is reached): the steady range.
                rss = (rss.0.min(m), rss.1.max(m));
            }
            let l = app.live.as_ref().expect("live");
            // Every trace sent has 21 spans: what the view has not shown yet is what
            // was received minus what it holds and what it evicted.
            let received = l.origins.iter().map(|o| o.stats.spans()).sum::<u64>() as usize;
            let shown = app.shared.set.spans.len() + l.evicted_traces as usize * 21;
            println!(
                "  {:>4}s  sent {:>9}  held {:>7} spans  {:>6} traces  evicted {:>7}  view behind {:>7} spans  RSS {m:>6.0} MB",
                next_report,
                sent.load(Ordering::Relaxed),
                app.shared.set.spans.len(),
                app.shared.set.traces.len(),
                l.evicted_traces,
                received.saturating_sub(shown)
            );
            next_report += 30;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    let _ = sender.join();
    assert!(
        most_spans <= max_spans,
        "held {most_spans} spans over the cap {max_spans}"
    );
    key_ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| key_ms[((key_ms.len() - 1) as f64 * p).round() as usize];
    println!(
        "  key + frame  n={}  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms; most spans held {most_spans}; RSS after the first minute {:.0}–{:.0} MB",
        key_ms.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        rss.0,
        rss.1
    );
}

/// One request's spans as batches, as the receiver decodes them.
fn request_batches(
    rs: &[opentelemetry_proto::tonic::trace::v1::ResourceSpans],
) -> Vec<agtrace::model::Batch> {
    let body = ExportTraceServiceRequest {
        resource_spans: rs.to_vec(),
    }
    .encode_to_vec();
    agtrace::decode::otlp_proto::decode(&body, 0, "bench", 1)
        .expect("decodes")
        .batches
}

fn merge_cost(base_spans: usize, rounds: usize) {
    use agtrace::model::TraceSet;
    let prices = agtrace::semconv::PriceTable::bundled();
    let per_request = 50;
    let base_traces = base_spans / 21;
    let rs = generator::build(base_traces + 2 * rounds * per_request, 21, 11);
    let (held, arriving) = rs.split_at(base_traces);
    let mut set = TraceSet::default();
    for part in held.chunks(20_000) {
        set = agtrace::live::grow::grow(set, request_batches(part), &prices, usize::MAX).set;
    }
    println!(
        "agtrace merge benchmark: one request of {} spans into a set of {} spans, {rounds} rounds each",
        per_request * 21,
        set.spans.len()
    );
    let (mut whole, mut in_place) = (Vec::new(), Vec::new());
    for (k, req) in arriving.chunks(per_request).enumerate() {
        let batches = request_batches(req);
        let started = Instant::now();
        if k % 2 == 0 {
            // The rebuild this replaced.
            let sources = set.sources.clone();
            let mut all = vec![set.into_batch()];
            all.extend(batches);
            set = TraceSet::build(all, sources, Vec::new());
            agtrace::semconv::annotate(&mut set, &prices);
            agtrace::analysis::findings::derive(&mut set);
            whole.push(started.elapsed().as_secs_f64());
        } else {
            set = agtrace::live::grow::grow(set, batches, &prices, usize::MAX).set;
            in_place.push(started.elapsed().as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (w, g) = (median(&mut whole), median(&mut in_place));
    println!("  whole-set rebuild (baseline)  median {:>8.1} ms", w * 1e3);
    println!(
        "  grown in place                median {:>8.1} ms  ({:.1}x faster)",
        g * 1e3,
        w / g
    );
}
