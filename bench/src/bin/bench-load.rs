//! The load generator of the loopback benchmark (`bench/run.sh`): small requests, or bodies
//! of conversation history of a chosen size in the Chat, Responses or Messages format (the
//! URL's path picks it).
//!
//! Opens one keep-alive HTTP/1.1 connection (`TCP_NODELAY`) per concurrent worker and sends
//! `POST` requests back to back: first a warm-up, whose results are dropped;
//! then all workers pause, and the measurement window runs for a duration or a request count.
//! Each request's latency runs from sending it to reading the last byte of its body; for streams
//! the time to the first body byte is measured too. With `--cpu-pid`, the CPU time (user +
//! system, all threads) that process spent over the window is divided by the requests
//! completed; the window's end waits for that process to go quiet, so work it defers (such as
//! ledger writes) is counted. Its context switches (all live threads) are counted the same way.
//! With `--cpu-group NAME=PID,…`, the CPU time of other processes is reported apart, under
//! `NAME_…` (the database server's backends, a load balancer), and the window also waits for
//! them to go quiet.
//!
//! Prints one JSON line: `requests`, `errors`, `seconds`, `rps`, `p50_ms`, `p99_ms`; for
//! streams `ttfb_p50_ms`/`ttfb_p99_ms`; with `--cpu-pid`, `cpu_ms`, `cpu_us_per_req` and
//! `switches_per_req`; per `--cpu-group`, `NAME_cpu_ms` and `NAME_cpu_us_per_req`.

#![expect(clippy::print_stdout, reason = "a benchmark tool reports on stdout")]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use codexkey_bench::Api;
use codexkey_bench::history::{self, Shape};
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Uri};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::Barrier;

#[derive(Parser, Clone)]
#[command(about = "Load generator for the codexkey benchmark; prints one JSON line")]
struct Args {
    /// Full URL, e.g. http://127.0.0.1:8080/v1/chat/completions.
    url: Uri,
    /// Concurrent workers, one connection each.
    #[arg(short, long, default_value_t = 1)]
    concurrency: usize,
    /// Length of the measurement window in seconds (ignored with --requests).
    #[arg(short, long, default_value_t = 3.0)]
    duration: f64,
    /// Measure this many requests instead of a duration.
    #[arg(short = 'n', long)]
    requests: Option<i64>,
    /// Warm-up in seconds before the window.
    #[arg(short, long, default_value_t = 1.0)]
    warmup: f64,
    /// Ask for a streamed response (`"stream": true`).
    #[arg(short, long)]
    stream: bool,
    /// Bearer key sent in `Authorization`.
    #[arg(short, long)]
    key: Option<String>,
    /// Model in the request body.
    #[arg(short, long, default_value = "gpt-4o-mini")]
    model: String,
    /// Measure the CPU time of these processes over the window (Linux `/proc/PID/stat`),
    /// summed; repeat the flag for several (nginx's workers).
    #[arg(long)]
    cpu_pid: Vec<u32>,
    /// `NAME=PID[,PID…]`: measure these processes' CPU time over the window too, reported
    /// apart as `NAME_cpu_ms` and `NAME_cpu_us_per_req`; repeatable. A process that is not
    /// there at both edges of the window is left out, so a group may name processes that come
    /// and go (a database server's backends).
    #[arg(long, value_parser = parse_cpu_group)]
    cpu_group: Vec<CpuGroup>,
    /// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`).
    #[arg(long, default_value_t = 100)]
    clk_tck: u64,
    /// Tokio worker threads; 1 runs a single-threaded runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Send a body of this many bytes: an agent's conversation history in the URL's API
    /// (`codexkey_bench::history`). Without it, the original two-message request.
    #[arg(long)]
    body_bytes: Option<usize>,
    /// Ask the fake upstream for a stream of this many events (default: its 50).
    #[arg(long)]
    events: Option<usize>,
    /// The output cap the request sends (default: 64 for the small request; none for a
    /// history, 32000 for Messages, which requires one).
    #[arg(long)]
    max_output: Option<u64>,
}

/// Processes whose CPU time is reported under their own name.
#[derive(Clone)]
struct CpuGroup {
    name: String,
    pids: Vec<u32>,
}

fn parse_cpu_group(s: &str) -> Result<CpuGroup, String> {
    let (name, pids) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=PID[,PID…]"))?;
    // The name becomes part of JSON keys that `bench/run.sh` reads with `sed`.
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(format!(
            "the group name `{name}` must be lower-case letters, digits and `_`"
        ));
    }
    let pids = pids
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().map_err(|_| format!("`{p}` is not a process id")))
        .collect::<Result<Vec<u32>, String>>()?;
    Ok(CpuGroup {
        name: name.to_owned(),
        pids,
    })
}

/// What one worker measured.
#[derive(Default)]
struct Samples {
    latency_us: Vec<u32>,
    ttfb_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// The request every worker sends.
#[derive(Clone)]
struct Template {
    uri: Uri,
    host: HeaderValue,
    auth: Option<HeaderValue>,
    body: Bytes,
    stream: bool,
    /// Bytes a complete stream contains (its API's last event).
    stream_end: &'static [u8],
}

impl Template {
    fn request(&self) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = Uri::from(
            self.uri
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| hyper::http::uri::PathAndQuery::from_static("/")),
        );
        let h = req.headers_mut();
        h.insert(HOST, self.host.clone());
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        if self.stream {
            h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        }
        if let Some(auth) = &self.auth {
            h.insert(AUTHORIZATION, auth.clone());
        }
        req
    }
}

/// The phases every worker goes through together.
struct Plan {
    warmup_until: Instant,
    /// Both sides of the pause between warm-up and window (workers + the coordinator).
    pause: Barrier,
    start: Barrier,
    window: Duration,
    remaining: Option<AtomicI64>,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn connect(t: &Template) -> Result<SendRequest<Full<Bytes>>, Error> {
    let host = t.uri.host().ok_or("the URL has no host")?;
    let port = t.uri.port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One request: (latency, time to first body byte).
async fn one(
    sender: &mut SendRequest<Full<Bytes>>,
    t: &Template,
) -> Result<(Duration, Option<Duration>), Error> {
    sender.ready().await?;
    let started = Instant::now();
    let resp = sender.send_request(t.request()).await?;
    let status = resp.status();
    let mut body = resp.into_body();
    let mut ttfb = None;
    // The last bytes seen, enough to find the end marker across a frame boundary.
    let keep = t.stream_end.len().max(64);
    let mut tail: Vec<u8> = Vec::with_capacity(2 * keep);
    let mut ended = false;
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if data.is_empty() {
                continue;
            }
            if ttfb.is_none() {
                ttfb = Some(started.elapsed());
            }
            len += data.len();
            if t.stream && !ended {
                let head = &data[..data.len().min(keep)];
                tail.extend_from_slice(head);
                ended = memchr::memmem::find(&tail, t.stream_end).is_some()
                    || memchr::memmem::find(&data, t.stream_end).is_some();
            }
            tail.clear();
            tail.extend_from_slice(&data[data.len().saturating_sub(keep)..]);
        }
    }
    let latency = started.elapsed();
    if !status.is_success() {
        return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&tail)).into());
    }
    if t.stream && !ended {
        return Err(format!(
            "a stream did not end with its last event ({}; {len} bytes)",
            String::from_utf8_lossy(t.stream_end).trim()
        )
        .into());
    }
    if len == 0 {
        return Err("an empty body".into());
    }
    Ok((latency, ttfb))
}

async fn worker(t: Arc<Template>, plan: Arc<Plan>) -> Samples {
    let mut samples = Samples::default();
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    // Warm-up: results dropped, errors too (but a connection that fails is replaced).
    while Instant::now() < plan.warmup_until {
        if run_one(&mut sender, &t).await.is_err() {
            sender = None;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    plan.pause.wait().await;
    plan.start.wait().await;
    let deadline = Instant::now() + plan.window;
    loop {
        match &plan.remaining {
            Some(left) => {
                if left.fetch_sub(1, Ordering::Relaxed) <= 0 {
                    break;
                }
            }
            None => {
                if Instant::now() >= deadline {
                    break;
                }
            }
        }
        match run_one(&mut sender, &t).await {
            Ok((latency, ttfb)) => {
                samples.latency_us.push(micros(latency));
                if let Some(ttfb) = ttfb {
                    samples.ttfb_us.push(micros(ttfb));
                }
            }
            Err(e) => {
                samples.errors += 1;
                samples.first_error.get_or_insert_with(|| e.to_string());
                sender = None;
            }
        }
    }
    samples
}

/// One request on the worker's connection, opening a new one first when the server closed it
/// (nginx does after `keepalive_requests`).
async fn run_one(
    sender: &mut Option<SendRequest<Full<Bytes>>>,
    t: &Template,
) -> Result<(Duration, Option<Duration>), Error> {
    let reusable = match sender {
        Some(s) => !s.is_closed() && s.ready().await.is_ok(),
        None => false,
    };
    let s = if reusable {
        sender.as_mut().ok_or("no connection")?
    } else {
        sender.insert(connect(t).await?)
    };
    one(s, t).await
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// utime + stime of a process, all threads, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    // `state` is field 3 of the man page; utime and stime are 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Context switches of a process, summed over its live threads.
fn switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_ascii_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

fn total_ticks(pids: &[u32]) -> Option<u64> {
    pids.iter().map(|&p| cpu_ticks(p)).sum()
}

/// Waits until the processes (those there) have used no CPU for 50 ms, at most 2 s.
async fn quiet(pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let ticks = || pids.iter().filter_map(|&p| cpu_ticks(p)).sum::<u64>();
    let mut last = ticks();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = ticks();
        if now == last {
            return;
        }
        last = now;
    }
}

fn percentile_ms(sorted: &[u32], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    Some(f64::from(sorted[i]) / 1000.0)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One edge of the measurement window, read once every measured process is quiet.
struct Edge {
    /// `--cpu-pid`: CPU ticks and context switches.
    main: Option<(u64, u64)>,
    /// `--cpu-group`: each process's CPU ticks, `None` for one that is not there.
    groups: Vec<Vec<Option<u64>>>,
}

async fn cpu_window_edge(main: &[u32], groups: &[CpuGroup]) -> Result<Edge, Error> {
    let all: Vec<u32> = main
        .iter()
        .chain(groups.iter().flat_map(|g| &g.pids))
        .copied()
        .collect();
    quiet(&all).await;
    let main = if main.is_empty() {
        None
    } else {
        let ticks = total_ticks(main).ok_or("cannot read /proc/PID/stat of a --cpu-pid")?;
        Some((ticks, main.iter().map(|&p| switches(p)).sum()))
    };
    let groups = groups
        .iter()
        .map(|g| g.pids.iter().map(|&p| cpu_ticks(p)).collect())
        .collect();
    Ok(Edge { main, groups })
}

/// Ticks between two edges of the processes there at both.
fn group_ticks(before: &[Option<u64>], after: &[Option<u64>]) -> u64 {
    before
        .iter()
        .zip(after)
        .filter_map(|(b, a)| Some(a.as_ref()?.saturating_sub(*b.as_ref()?)))
        .sum()
}

async fn run(args: Args) -> Result<(), Error> {
    let host = args.url.authority().ok_or("the URL needs a host")?.as_str();
    let api = Api::from_path(args.url.path())
        .ok_or("the URL's path must be /v1/chat/completions, /v1/responses or /v1/messages")?;
    let body = history::body(&Shape {
        api,
        model: &args.model,
        stream: args.stream,
        events: args.events,
        bytes: args.body_bytes,
        max_output: args.max_output,
    });
    let body_bytes = body.len();
    let template = Arc::new(Template {
        uri: args.url.clone(),
        host: HeaderValue::from_str(host)?,
        auth: args
            .key
            .as_deref()
            .map(|k| HeaderValue::from_str(&format!("Bearer {k}")))
            .transpose()?,
        body: Bytes::from(body),
        stream: args.stream,
        stream_end: api.stream_end(),
    });
    let c = args.concurrency.max(1);
    let plan = Arc::new(Plan {
        warmup_until: Instant::now() + Duration::from_secs_f64(args.warmup),
        pause: Barrier::new(c + 1),
        start: Barrier::new(c + 1),
        window: Duration::from_secs_f64(args.duration),
        remaining: args.requests.map(AtomicI64::new),
    });
    let workers: Vec<_> = (0..c)
        .map(|_| tokio::spawn(worker(template.clone(), plan.clone())))
        .collect();

    plan.pause.wait().await;
    // Every warm-up request has finished; let the deferred work of the warm-up finish too.
    let cpu_before = cpu_window_edge(&args.cpu_pid, &args.cpu_group).await?;
    plan.start.wait().await;
    let started = Instant::now();
    let mut all = Samples::default();
    for w in workers {
        let s = w.await?;
        all.latency_us.extend(s.latency_us);
        all.ttfb_us.extend(s.ttfb_us);
        all.errors += s.errors;
        if all.first_error.is_none() {
            all.first_error = s.first_error;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = cpu_window_edge(&args.cpu_pid, &args.cpu_group).await?;

    all.latency_us.sort_unstable();
    all.ttfb_us.sort_unstable();
    let n = all.latency_us.len();
    let ms = |v: Option<f64>| v.map(round3);
    let mut out = json!({
        "url": args.url.to_string(),
        "concurrency": c,
        "stream": args.stream,
        "body_bytes": body_bytes,
        "requests": n,
        "errors": all.errors,
        "seconds": round3(seconds),
        "rps": (n as f64 / seconds).round(),
        "p50_ms": ms(percentile_ms(&all.latency_us, 50.0)),
        "p99_ms": ms(percentile_ms(&all.latency_us, 99.0)),
    });
    if args.stream {
        out["ttfb_p50_ms"] = json!(ms(percentile_ms(&all.ttfb_us, 50.0)));
        out["ttfb_p99_ms"] = json!(ms(percentile_ms(&all.ttfb_us, 99.0)));
    }
    let per_req = |x: f64| json!((n > 0).then(|| (x / n as f64 * 10.0).round() / 10.0));
    let us = |ticks: u64| ticks as f64 * 1e6 / args.clk_tck as f64;
    if let (Some((ticks0, sw0)), Some((ticks1, sw1))) = (cpu_before.main, cpu_after.main) {
        let cpu_us = us(ticks1.saturating_sub(ticks0));
        out["cpu_ms"] = json!(round3(cpu_us / 1000.0));
        out["cpu_us_per_req"] = per_req(cpu_us);
        out["switches_per_req"] = per_req(sw1.saturating_sub(sw0) as f64);
    }
    for ((g, before), after) in args
        .cpu_group
        .iter()
        .zip(&cpu_before.groups)
        .zip(&cpu_after.groups)
    {
        let cpu_us = us(group_ticks(before, after));
        out[format!("{}_cpu_ms", g.name)] = json!(round3(cpu_us / 1000.0));
        out[format!("{}_cpu_us_per_req", g.name)] = per_req(cpu_us);
    }
    if let Some(e) = all.first_error {
        out["first_error"] = json!(e);
    }
    println!("{out}");
    Ok(())
}

fn main() -> Result<(), Error> {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(run(args))
}
